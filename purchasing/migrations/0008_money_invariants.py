"""Invoices due and credit notes kept as issued (docs/settlement.md):

1. existing invoices fall due 30 days after their issue (the default payment term);
2. an issued invoice still refuses every change but of `amount_paid` and
   `amount_credited`, the two columns that follow what settles it (payments, credit
   notes, the shop's credit), moved by purchasing.services.settlement;
3. credit notes, their lines and VAT lines are never changed nor deleted, like invoices.
Other databases (SQLite for `make run`) rely on the services alone.
"""

import datetime as dt

from django.db import migrations

FUNCTIONS = r"""
CREATE OR REPLACE FUNCTION purchasing_forbid_invoice_change() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND TG_TABLE_NAME = 'purchasing_invoice'
       AND (to_jsonb(OLD) - 'amount_paid' - 'amount_credited')
           = (to_jsonb(NEW) - 'amount_paid' - 'amount_credited') THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'une facture émise ne se modifie ni ne se supprime (%): émettez un '
        'avoir', TG_TABLE_NAME USING ERRCODE = 'integrity_constraint_violation';
END
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION purchasing_forbid_credit_note_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'un avoir émis ne se modifie ni ne se supprime (%)', TG_TABLE_NAME
        USING ERRCODE = 'integrity_constraint_violation';
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER creditnote_is_immutable
    BEFORE UPDATE OR DELETE ON purchasing_creditnote
    FOR EACH ROW EXECUTE FUNCTION purchasing_forbid_credit_note_change();
CREATE TRIGGER creditnoteline_is_immutable
    BEFORE UPDATE OR DELETE ON purchasing_creditnoteline
    FOR EACH ROW EXECUTE FUNCTION purchasing_forbid_credit_note_change();
CREATE TRIGGER creditnotevat_is_immutable
    BEFORE UPDATE OR DELETE ON purchasing_creditnotevat
    FOR EACH ROW EXECUTE FUNCTION purchasing_forbid_credit_note_change();
"""

REVERSE = r"""
DROP TRIGGER IF EXISTS creditnotevat_is_immutable ON purchasing_creditnotevat;
DROP TRIGGER IF EXISTS creditnoteline_is_immutable ON purchasing_creditnoteline;
DROP TRIGGER IF EXISTS creditnote_is_immutable ON purchasing_creditnote;
DROP FUNCTION IF EXISTS purchasing_forbid_credit_note_change();
CREATE OR REPLACE FUNCTION purchasing_forbid_invoice_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'une facture émise ne se modifie ni ne se supprime (%): émettez un '
        'avoir', TG_TABLE_NAME USING ERRCODE = 'integrity_constraint_violation';
END
$$ LANGUAGE plpgsql;
"""


def due_dates(apps, schema_editor):
    Invoice = apps.get_model("purchasing", "Invoice")
    postgres = schema_editor.connection.vendor == "postgresql"
    if postgres:
        schema_editor.execute("ALTER TABLE purchasing_invoice DISABLE TRIGGER invoice_is_immutable")
    for pk, issued_on in Invoice.objects.filter(due_on__isnull=True).values_list("pk", "issued_on"):
        Invoice.objects.filter(pk=pk).update(due_on=issued_on + dt.timedelta(days=30))
    if postgres:
        schema_editor.execute("ALTER TABLE purchasing_invoice ENABLE TRIGGER invoice_is_immutable")


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTIONS, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(REVERSE, params=None)


class Migration(migrations.Migration):
    dependencies = [("purchasing", "0007_credit_notes_and_settlements")]

    operations = [
        migrations.RunPython(due_dates, migrations.RunPython.noop),
        migrations.RunPython(forwards, backwards),
    ]
