"""The recall banner of a shopkeeper's pages (docs/recalls.md, "The banner"): the lines of
recalls their shops have not confirmed, read once per request and only if a page shows
it (one query when there is none)."""

from django.utils.functional import SimpleLazyObject

from mache.permissions import SHOPKEEPER, role_of

from .selectors import unconfirmed_recalls


def recall_banner(request) -> dict:
    user = getattr(request, "user", None)
    if role_of(user) != SHOPKEEPER:
        return {}
    return {"recall_banner": SimpleLazyObject(lambda: unconfirmed_recalls(user=user))}
