"""Suppliers, products and price tiers now belong to the catalogue app (catalogue
0001_initial): purchasing's foreign keys point to them there, and purchasing forgets
the models, in Django's state only. The tables and their rows stay as they are;
`sqlmigrate purchasing 0004` prints no SQL."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('catalogue', '0001_initial'),
        # Stock's keys to products moved first: none may still name purchasing.product.
        ('inventory', '0003_catalogue_products'),
        ('purchasing', '0003_invoice_snapshot'),
    ]

    operations = [migrations.SeparateDatabaseAndState(state_operations=[
        migrations.AlterField(
            model_name='round',
            name='supplier',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='rounds', to='catalogue.supplier', verbose_name='fournisseur'),
        ),
        migrations.AlterField(
            model_name='orderline',
            name='product',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='catalogue.product'),
        ),
        migrations.AlterField(
            model_name='supplierorderline',
            name='product',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='catalogue.product'),
        ),
        migrations.AlterField(
            model_name='allocation',
            name='product',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='catalogue.product'),
        ),
        migrations.AlterField(
            model_name='invoiceline',
            name='product',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='catalogue.product'),
        ),
        migrations.DeleteModel(name='PriceTier'),
        migrations.DeleteModel(name='Product'),
        migrations.DeleteModel(name='Supplier'),
    ])]
