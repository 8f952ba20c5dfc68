"""Hooks: how an app low in the stack lets the apps above it act at one of its moments
without importing them (README "Architecture"). The low app declares the hook and runs
it; an app above registers a function in its AppConfig.ready().

    # shops/hooks.py
    shop_created = Hook("shop created")
    # accounting/apps.py, in ready()
    shop_created.register(ledger_for_shop)

Functions run in the order they were registered, in the caller's transaction: one that
fails undoes the whole write.
"""


class Hook:
    def __init__(self, name: str):
        self.name = name
        self._functions = []

    def register(self, function):
        """Add `function` (once: a second registration of the same function is ignored)."""
        if function not in self._functions:
            self._functions.append(function)
        return function

    def run(self, *args, **kwargs) -> None:
        for function in self._functions:
            function(*args, **kwargs)

    def results(self, *args, **kwargs) -> list:
        """What each registered function returns, in order: a hook that asks the apps
        above for something (purchasing.hooks.invoice_mandates)."""
        return [function(*args, **kwargs) for function in self._functions]
