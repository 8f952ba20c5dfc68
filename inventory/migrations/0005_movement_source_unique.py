from django.db import migrations, models


def fill_allocation(apps, schema_editor):
    """Back to the one-to-one key: each receipt's allocation from its source."""
    StockMovement = apps.get_model("inventory", "StockMovement")
    for movement in StockMovement.objects.filter(source__startswith="allocation:"):
        movement.allocation_id = int(movement.source.removeprefix("allocation:"))
        movement.save(update_fields=["allocation"])


class Migration(migrations.Migration):

    dependencies = [
        ('inventory', '0004_movement_source'),
    ]

    operations = [
        migrations.RunPython(migrations.RunPython.noop, fill_allocation),
        migrations.RemoveField(
            model_name='stockmovement',
            name='allocation',
        ),
        migrations.AddConstraint(
            model_name='stockmovement',
            constraint=models.UniqueConstraint(condition=models.Q(('source', ''), _negated=True), fields=('source',), name='movement_source_once'),
        ),
    ]
