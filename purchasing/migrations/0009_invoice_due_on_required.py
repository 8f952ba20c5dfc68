from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("purchasing", "0008_money_invariants")]

    operations = [
        migrations.AlterField(
            model_name="invoice",
            name="due_on",
            field=models.DateField(verbose_name="échéance"),
        ),
    ]
