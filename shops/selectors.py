"""Reads of members: every queryset here is already scoped to what the user may see."""

from django.db.models import QuerySet

from mache.permissions import scope_to_user, sees_all_shops
from mache.query import as_id

from .models import Shop, User


def shop_list(*, user) -> QuerySet[Shop]:
    return scope_to_user(Shop.objects.all(), user=user, shop_field="pk")


def user_list(*, user) -> QuerySet[User]:
    """Users are managed by coordinators only; others see nobody through this selector.

    A coordinator manages people, not the superusers who run the installation: they are
    out of a coordinator's sight (404 as a foreign object, as in the admin); only a
    superuser sees them.
    """
    if not sees_all_shops(user):
        return User.objects.none()
    users = User.objects.prefetch_related("shops").order_by("username")
    if not user.is_superuser:
        users = users.filter(is_superuser=False)
    return users


def user_shop_ids(user) -> list[int]:
    return sorted(user.shops.values_list("id", flat=True))


def visible_shop(*, user, shop_id) -> Shop | None:
    """The shop `shop_id` if the user may see it, else None (callers answer 404 or 400)."""
    pk = as_id(shop_id)  # ASCII digits only: "²" or "٣" name no shop
    return None if pk is None else shop_list(user=user).filter(pk=pk).first()


def tour_position_error(*, position, shop_id=None) -> str | None:
    """Why `position` cannot be the tour place of shop `shop_id` (None: a new shop): the
    model's own message when another shop holds it (one shop per place,
    docs/distribution.md), a place before the first (0), else None. The constraint is
    conditional, so Django's validation would say it without naming the field: the forms
    and the API ask here."""
    if position is None:
        return None
    if position < 1:
        return TOUR_POSITION_FIRST
    taken = Shop.objects.filter(tour_position=position).exclude(pk=shop_id).exists()
    return TOUR_POSITION_TAKEN if taken else None


TOUR_POSITION_FIRST = "La tournée commence à 1 (le premier arrêt)."

TOUR_POSITION_TAKEN = next(
    constraint.violation_error_message
    for constraint in Shop._meta.constraints
    if constraint.name == "one_shop_per_tour_position"
)
