"""Stock names its products in the catalogue app (catalogue 0001_initial): the foreign
keys change in Django's state only, as the table they point to is the same
(purchasing_product); `sqlmigrate inventory 0003` prints no SQL."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('catalogue', '0001_initial'),
        ('inventory', '0002_counts_fixed_points'),
    ]

    operations = [migrations.SeparateDatabaseAndState(state_operations=[
        migrations.AlterField(
            model_name='stockbalance',
            name='product',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='balances', to='catalogue.product'),
        ),
        migrations.AlterField(
            model_name='stockcountline',
            name='product',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='catalogue.product'),
        ),
        migrations.AlterField(
            model_name='stocklot',
            name='product',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='catalogue.product'),
        ),
        migrations.AlterField(
            model_name='stockmovement',
            name='product',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='stock_movements', to='catalogue.product'),
        ),
    ])]
