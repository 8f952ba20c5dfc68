"""How every benchmark prints a figure for scripts (issue 18, point 5): one line
`BENCH <name> <value>`, beside the sentence that says it in words."""


def figure(name: str, value) -> None:
    """`BENCH ledger.trial_balance_s 0.214`: floats with three decimals below 10, one
    above (trailing zeros dropped), the rest as they print."""
    if isinstance(value, float):
        value = f"{value:.3f}".rstrip("0").rstrip(".") if value < 10 else f"{value:.1f}"
    print(f"BENCH {name} {value}")
