"""Serializer fields that name a member: a shop the caller may see."""

from rest_framework import serializers

from mache.query import as_id

from .selectors import visible_shop


class ShopField(serializers.IntegerField):
    """A shop of the caller's, named in a body: another shop is 400 on the field."""

    def to_internal_value(self, data):
        if isinstance(data, str) and as_id(data) is None:
            # IntegerField would read "٣" as 3: an id is written in ASCII digits.
            self.fail("invalid")
        shop = visible_shop(
            user=self.context["request"].user, shop_id=super().to_internal_value(data)
        )
        if shop is None:
            raise serializers.ValidationError(f"Commerce {data} inconnu.")
        return shop
