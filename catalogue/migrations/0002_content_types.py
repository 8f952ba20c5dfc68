"""The content types of the moved models follow them (purchasing -> catalogue), so that
the permissions given on them and the admin's history stay attached."""

from django.db import migrations

MODELS = ["supplier", "product", "pricetier"]


def relabel(apps, old, new):
    ContentType = apps.get_model("contenttypes", "ContentType")
    taken = set(ContentType.objects.filter(app_label=new, model__in=MODELS)
                .values_list("model", flat=True))
    ContentType.objects.filter(app_label=old, model__in=MODELS).exclude(
        model__in=taken).update(app_label=new)


def forwards(apps, schema_editor):
    relabel(apps, "purchasing", "catalogue")


def backwards(apps, schema_editor):
    relabel(apps, "catalogue", "purchasing")


class Migration(migrations.Migration):

    dependencies = [
        ('catalogue', '0001_initial'),
        ('contenttypes', '0002_remove_content_type_name'),
    ]

    operations = [
        migrations.RunPython(forwards, backwards),
    ]
