"""A movement names its source document by a key of its own instead of a one-to-one to
purchasing's allocation: existing receipts get "allocation:<id>" from their old key.
The old column goes, and the key becomes unique, in 0005_movement_source_unique."""

from django.db import migrations, models
from django.db.models.functions import Cast, Concat


def fill_source(apps, schema_editor):
    StockMovement = apps.get_model("inventory", "StockMovement")
    StockMovement.objects.filter(allocation__isnull=False).update(
        source=Concat(models.Value("allocation:"),
                      Cast("allocation_id", output_field=models.CharField())))


class Migration(migrations.Migration):

    dependencies = [
        ('inventory', '0003_catalogue_products'),
    ]

    operations = [
        migrations.AddField(
            model_name='stockmovement',
            name='source',
            field=models.CharField(blank=True, default='', max_length=80, verbose_name="document d'origine"),
        ),
        # Back, the old key is filled again by 0005 once its column is back.
        migrations.RunPython(fill_source, migrations.RunPython.noop),
    ]
