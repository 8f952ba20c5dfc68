# A reversed Z ticket frees its day: the (shop, date) key holds for standing tickets only.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounting', '0003_sales_days'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='salesday',
            name='one_sales_day_per_shop',
        ),
        migrations.AddField(
            model_name='salesday',
            name='reversed_by',
            field=models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='reversed_sales_day', to='accounting.entry'),
        ),
        migrations.AddConstraint(
            model_name='salesday',
            constraint=models.UniqueConstraint(condition=models.Q(('reversed_by__isnull', True)), fields=('shop', 'date'), name='one_sales_day_per_shop'),
        ),
    ]
