"""The catalogue leaves purchasing: suppliers, products and price tiers become this app's
models in Django's state only. Their tables keep their names (purchasing_supplier,
purchasing_product, purchasing_pricetier) and their rows: nothing is run on the database
(`sqlmigrate catalogue 0001` prints no SQL). purchasing 0004_catalogue_moved removes
them from purchasing's state.
"""

import django.core.validators
import django.db.models.deletion
import mache.validators
from decimal import Decimal
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        # The tables were created, and last changed, by purchasing's migrations.
        ('purchasing', '0003_invoice_snapshot'),
    ]

    operations = [migrations.SeparateDatabaseAndState(state_operations=[
        migrations.CreateModel(
            name='Supplier',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(error_messages={'unique': 'Un fournisseur porte déjà ce nom.'}, max_length=200, unique=True, verbose_name='nom')),
                ('siret', models.CharField(blank=True, max_length=14, validators=[mache.validators.validate_siret], verbose_name='SIRET')),
                ('email', models.EmailField(blank=True, max_length=254, verbose_name='e-mail de commande')),
                ('address', models.CharField(blank=True, max_length=300, verbose_name='adresse')),
                ('min_order_amount', models.DecimalField(decimal_places=2, default=Decimal('0.00'), max_digits=12, validators=[django.core.validators.MinValueValidator(Decimal('0'))], verbose_name='minimum de commande HT')),
                ('free_shipping_threshold', models.DecimalField(blank=True, decimal_places=2, max_digits=12, null=True, validators=[django.core.validators.MinValueValidator(Decimal('0'))], verbose_name='franco de port HT')),
                ('shipping_fee', models.DecimalField(decimal_places=2, default=Decimal('0.00'), max_digits=12, validators=[django.core.validators.MinValueValidator(Decimal('0'))], verbose_name='frais de port HT')),
            ],
            options={
                'verbose_name': 'fournisseur',
                'db_table': 'purchasing_supplier',
                'ordering': ['name'],
                'constraints': [models.CheckConstraint(condition=models.Q(('min_order_amount__gte', 0), ('shipping_fee__gte', 0)), name='supplier_amounts_positive')],
            },
        ),
        migrations.CreateModel(
            name='Product',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('sku', models.CharField(max_length=64, verbose_name='référence')),
                ('name', models.CharField(max_length=200, verbose_name='désignation')),
                ('unit_label', models.CharField(default='unité', max_length=40, verbose_name='unité')),
                ('case_size', models.PositiveIntegerField(default=1, validators=[django.core.validators.MinValueValidator(1)], verbose_name='unités par colis')),
                ('unit_price', models.DecimalField(decimal_places=4, max_digits=12, validators=[django.core.validators.MinValueValidator(Decimal('0.0001'))], verbose_name='prix unitaire HT')),
                ('vat_rate', models.DecimalField(choices=[(Decimal('0.00'), '0 %'), (Decimal('2.10'), '2,1 %'), (Decimal('5.50'), '5,5 %'), (Decimal('10.00'), '10 %'), (Decimal('20.00'), '20 %')], decimal_places=2, max_digits=4, verbose_name='taux de TVA')),
                ('active', models.BooleanField(default=True, verbose_name='actif')),
                ('supplier', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='products', to='catalogue.supplier', verbose_name='fournisseur')),
            ],
            options={
                'verbose_name': 'produit',
                'db_table': 'purchasing_product',
                'ordering': ['supplier_id', 'name', 'id'],
            },
        ),
        migrations.CreateModel(
            name='PriceTier',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('min_cases', models.PositiveIntegerField(validators=[django.core.validators.MinValueValidator(1)], verbose_name='à partir de (colis)')),
                ('unit_price', models.DecimalField(decimal_places=4, max_digits=12, validators=[django.core.validators.MinValueValidator(Decimal('0.0001'))], verbose_name='prix unitaire HT')),
                ('product', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='price_tiers', to='catalogue.product')),
            ],
            options={
                'verbose_name': 'palier de prix',
                'verbose_name_plural': 'paliers de prix',
                'db_table': 'purchasing_pricetier',
                'ordering': ['product_id', 'min_cases'],
                'constraints': [models.UniqueConstraint(fields=('product', 'min_cases'), name='tier_min_cases_unique'), models.CheckConstraint(condition=models.Q(('min_cases__gte', 1)), name='tier_min_cases_min'), models.CheckConstraint(condition=models.Q(('unit_price__gt', 0)), name='tier_price_positive')],
            },
        ),
        migrations.AddConstraint(
            model_name='product',
            constraint=models.UniqueConstraint(fields=('supplier', 'sku'), name='product_sku_per_supplier', violation_error_message='Cette référence existe déjà chez ce fournisseur.'),
        ),
        migrations.AddConstraint(
            model_name='product',
            constraint=models.CheckConstraint(condition=models.Q(('case_size__gte', 1)), name='product_case_size_min'),
        ),
        migrations.AddConstraint(
            model_name='product',
            constraint=models.CheckConstraint(condition=models.Q(('unit_price__gt', 0)), name='product_price_positive'),
        ),
        migrations.AddConstraint(
            model_name='product',
            constraint=models.CheckConstraint(condition=models.Q(('vat_rate__in', [Decimal('0.00'), Decimal('2.10'), Decimal('5.50'), Decimal('10.00'), Decimal('20.00')])), name='product_vat_rate_lawful'),
        ),
    ])]
