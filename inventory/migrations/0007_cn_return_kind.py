# Goods a credit note takes back leave the shop's stock as a `return` (docs/credit-notes.md).

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('inventory', '0006_full_cost_eight_decimals'),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='stockmovement',
            name='exits_negative',
        ),
        migrations.AlterField(
            model_name='stockmovement',
            name='kind',
            field=models.CharField(choices=[('receipt', 'Réception'), ('sale', 'Vente'), ('loss', 'Perte'), ('adjustment', 'Ajustement'), ('return', 'Retour')], max_length=12),
        ),
        migrations.AddConstraint(
            model_name='stockmovement',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('kind__in', ['sale', 'loss', 'return']), _negated=True), ('quantity__lt', 0), _connector='OR'), name='exits_negative'),
        ),
    ]
