"""Counts become fixed points of the backdated replay (docs/inventory.md): a count
line's adjustment may be 0, and every existing line that had none (nothing differed)
gets its movement of 0, so that later replays keep what it found."""

import datetime as dt
from zoneinfo import ZoneInfo

from django.db import migrations, models

PARIS = ZoneInfo("Europe/Paris")


def zero_adjustments(apps, schema_editor):
    StockCountLine = apps.get_model("inventory", "StockCountLine")
    StockMovement = apps.get_model("inventory", "StockMovement")
    with_movement = set(StockMovement.objects.filter(count__isnull=False)
                        .values_list("count_id", "product_id"))
    rows = []
    for line in StockCountLine.objects.select_related("count").order_by("pk"):
        count = line.count
        if (count.pk, line.product_id) in with_movement:
            continue
        # The moment the count was booked at (services.end_of_day, as of its creation).
        moment = min(dt.datetime.combine(count.counted_on, dt.time(23, 59, 59), tzinfo=PARIS),
                     count.created_at)
        before = (StockMovement.objects
                  .filter(shop_id=count.shop_id, product_id=line.product_id,
                          occurred_at__lte=moment)
                  .order_by("-occurred_at", "-id").first())
        rows.append(StockMovement(
            shop_id=count.shop_id, product_id=line.product_id, kind="adjustment",
            quantity=0, occurred_at=moment, count_id=count.pk,
            unit_cost=before.average_cost_after if before else 0,
            quantity_after=before.quantity_after if before else 0,
            average_cost_after=before.average_cost_after if before else 0,
            value_after=before.value_after if before else 0,
            created_by_id=count.counted_by_id,
            note=f"Inventaire du {count.counted_on:%d/%m/%Y}"))
    StockMovement.objects.bulk_create(rows)


class Migration(migrations.Migration):

    dependencies = [
        ('inventory', '0001_initial'),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='stockmovement',
            name='movement_quantity_not_zero',
        ),
        migrations.AddConstraint(
            model_name='stockmovement',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('quantity', 0), _negated=True), models.Q(('count__isnull', False), ('kind', 'adjustment')), _connector='OR'), name='movement_quantity_not_zero'),
        ),
        migrations.RunPython(zero_adjustments, migrations.RunPython.noop),
    ]
