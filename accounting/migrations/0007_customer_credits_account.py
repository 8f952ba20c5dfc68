"""Every ledger gets 419100 "Clients - avances et acomptes reçus": a shop's overpayments
and the part of a credit note its invoice could not take (docs/settlement.md). New ledgers
get it from chart_of_accounts.csv."""

from django.db import migrations

NUMBER = "419100"
LABEL = "Clients - avances et acomptes reçus"


def forwards(apps, schema_editor):
    Ledger = apps.get_model("accounting", "Ledger")
    Account = apps.get_model("accounting", "Account")
    Account.objects.bulk_create(
        [
            Account(ledger_id=ledger_id, number=NUMBER, label=LABEL, kind="liability")
            for ledger_id in Ledger.objects.values_list("pk", flat=True)
        ],
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):
    dependencies = [("accounting", "0006_lettering")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
