"""What every page's forms share: binding to a POST, and showing a service's refusal
beside the fields (the services hold the rules; the forms only parse and display)."""

from django import forms

from .errors import BusinessRuleError, InvalidInput


def posted(request):
    """The data to bind a page's form to: the POST on a POST, else None (unbound).

    Not `request.POST or None`: an empty submission is an empty, falsy QueryDict, which
    would leave the form unbound and say nothing about the fields left empty.
    """
    return request.POST if request.method == "POST" else None


def add_service_errors(
    form: forms.Form, exc: InvalidInput | BusinessRuleError, *, field: str | None = None
) -> None:
    """Put what a service refused beside the form's fields.

    InvalidInput names its fields: each message goes beside the field of that name, or
    above the form when the form has no such field. A BusinessRuleError names none: its
    message goes beside `field` (the input the rule is about), else above the form.
    """
    if isinstance(exc, BusinessRuleError):
        form.add_error(field if field in form.fields else None, exc.detail)
        return
    for name, messages in exc.errors.items():
        target = name if name in form.fields else None
        for message in _flatten(messages):
            form.add_error(target, message)


def _flatten(messages) -> list[str]:
    # Errors of nested input ({"lines": {0: {"quantity": [...]}}}) arrive as dicts.
    if isinstance(messages, dict):
        return [m for value in messages.values() for m in _flatten(value)]
    if isinstance(messages, list | tuple):
        return [m for value in messages for m in _flatten(value)]
    return [str(messages)]


class ErrorSpot(forms.Field):
    """Not an input: the place where a service's errors about several inputs together
    (a product's price tiers, the sales amounts, an entry's lines) are shown, below those
    inputs. Being a field of the form, it takes them through `add_error` like any other."""

    widget = forms.HiddenInput

    def __init__(self):
        super().__init__(required=False, label="")
