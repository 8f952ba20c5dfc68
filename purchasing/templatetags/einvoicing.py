"""`{{ status|einvoice_label:"invoice" }}`: the French label of an e-invoicing status
(purchasing.einvoice_rules), "invoice" (feminine) or "credit_note" (masculine)."""

from django import template

from ..einvoice_rules import status_label

register = template.Library()


@register.filter
def einvoice_label(status: str, kind: str = "invoice") -> str:
    return status_label(kind, status)
