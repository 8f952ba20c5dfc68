"""Tenancy and roles: the one scoping mechanism every endpoint and page reuses.

- `scope_to_user(qs, user=..., shop_field=...)` narrows any queryset to the shops the
  user may see (coordinators see every shop). Selectors call it; views never filter
  by hand. Objects outside the scope are then simply not found: 404 (docs/security.md).
- `ActionRoles` gives 403 to a caller whose role may not run the view's action.
"""

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from rest_framework.permissions import BasePermission

from .roles import Role

COORDINATOR = Role.COORDINATOR
SHOPKEEPER = Role.SHOPKEEPER
ACCOUNTANT = Role.ACCOUNTANT
ALL_ROLES = frozenset({COORDINATOR, SHOPKEEPER, ACCOUNTANT})
COORDINATOR_ONLY = frozenset({COORDINATOR})
BOOKS_ROLES = frozenset({COORDINATOR, ACCOUNTANT})


def shop_access():
    """The rows (user_id, shop_id) of who may see which shop. The user model (shops.User)
    is looked up at call time: mache sits below shops and does not import it."""
    return get_user_model().shops.through.objects.all()


def role_of(user) -> str | None:
    if not user or not user.is_authenticated or not user.is_active:
        return None
    return user.effective_role


def visible_shop_ids(user):
    """A subquery of the ids of the shops `user` may see (not evaluated here)."""
    return shop_access().filter(user_id=user.pk).values("shop_id")


def sees_all_shops(user) -> bool:
    return role_of(user) == COORDINATOR


def scope_to_user(queryset: QuerySet, *, user, shop_field: str = "shop") -> QuerySet:
    """`queryset` reduced to rows whose `shop_field` is a shop the user may see.

    `shop_field` is the lookup path from the model to its shop ("shop",
    "order__shop", or "pk" for shops themselves). Nobody logged in sees nothing.
    """
    role = role_of(user)
    if role is None:
        return queryset.none()
    if role == COORDINATOR:
        return queryset
    return queryset.filter(**{f"{shop_field}__in": visible_shop_ids(user)})


def may_see_shop(user, shop_id) -> bool:
    if sees_all_shops(user):
        return True
    if role_of(user) is None:
        return False
    return shop_access().filter(user_id=user.pk, shop_id=shop_id).exists()


class ActionRoles(BasePermission):
    """Roles allowed per view action: `action_roles = {"create": COORDINATOR_ONLY}`.

    Actions not named are open to every role. The view attribute `default_roles`
    changes that default (a coordinator-only viewset sets it to COORDINATOR_ONLY).
    """

    message = "Votre rôle ne permet pas cette action."

    def has_permission(self, request, view):
        role = role_of(request.user)
        if role is None:
            return False
        action = getattr(view, "action", None) or request.method.lower()
        allowed = getattr(view, "action_roles", {}).get(
            action, getattr(view, "default_roles", ALL_ROLES)
        )
        return role in allowed
