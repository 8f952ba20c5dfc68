from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('inventory', '0004_movement_source'),
    ]

    operations = [
        migrations.RemoveField(
            model_name='stockmovement',
            name='allocation',
        ),
        migrations.AddConstraint(
            model_name='stockmovement',
            constraint=models.UniqueConstraint(condition=models.Q(('source', ''), _negated=True), fields=('source',), name='movement_source_once'),
        ),
    ]
