"""Issued invoices never change (see the Invoice model):

1. each invoice keeps the identities and addresses of both parties as issued (the
   seller_* and buyer_* fields); existing invoices take them from the current data;
2. PostgreSQL refuses any UPDATE or DELETE of an invoice, its lines and its VAT lines
   (triggers, in the style of accounting/migrations/0002). No column is left updatable:
   nothing updates an issued invoice today; a later column that must move (a payment
   status) is to be allowed explicitly in the trigger, saying why. A correction is a
   credit note. Other databases (SQLite for `make run`) rely on the services alone.
"""

from django.db import migrations, models

PARTY_FIELDS = ("name", "legal_name", "siret", "address", "postcode", "commune")

FUNCTIONS = r"""
CREATE OR REPLACE FUNCTION purchasing_forbid_invoice_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'une facture émise ne se modifie ni ne se supprime (%): émettez un '
        'avoir', TG_TABLE_NAME USING ERRCODE = 'integrity_constraint_violation';
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER invoice_is_immutable
    BEFORE UPDATE OR DELETE ON purchasing_invoice
    FOR EACH ROW EXECUTE FUNCTION purchasing_forbid_invoice_change();
CREATE TRIGGER invoiceline_is_immutable
    BEFORE UPDATE OR DELETE ON purchasing_invoiceline
    FOR EACH ROW EXECUTE FUNCTION purchasing_forbid_invoice_change();
CREATE TRIGGER invoicevat_is_immutable
    BEFORE UPDATE OR DELETE ON purchasing_invoicevat
    FOR EACH ROW EXECUTE FUNCTION purchasing_forbid_invoice_change();
"""

REVERSE = r"""
DROP TRIGGER IF EXISTS invoicevat_is_immutable ON purchasing_invoicevat;
DROP TRIGGER IF EXISTS invoiceline_is_immutable ON purchasing_invoiceline;
DROP TRIGGER IF EXISTS invoice_is_immutable ON purchasing_invoice;
DROP FUNCTION IF EXISTS purchasing_forbid_invoice_change();
"""


def fill_snapshots(apps, schema_editor):
    """The parties of existing invoices, from the shop and the cooperative as they are."""
    Invoice = apps.get_model("purchasing", "Invoice")
    Cooperative = apps.get_model("shops", "Cooperative")
    coop = Cooperative.objects.first() or Cooperative(name="Coopérative",
                                                      legal_name="Coopérative", siret="")
    invoices = list(Invoice.objects.select_related("shop"))
    for invoice in invoices:
        for side, party in (("seller", coop), ("buyer", invoice.shop)):
            for field in PARTY_FIELDS:
                setattr(invoice, f"{side}_{field}", getattr(party, field) or "")
    Invoice.objects.bulk_update(invoices, [f"{side}_{field}" for side in ("seller", "buyer")
                                           for field in PARTY_FIELDS], batch_size=1000)


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTIONS, params=None)  # the SQL holds % signs


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(REVERSE, params=None)


class Migration(migrations.Migration):

    dependencies = [
        ('purchasing', '0002_allocation_index'),
        ('shops', '0002_shop_expiry_alert_days'),
    ]

    operations = [
        migrations.AddField(
            model_name='invoice',
            name='buyer_address',
            field=models.CharField(blank=True, db_default='', max_length=300, verbose_name='client : adresse'),
        ),
        migrations.AddField(
            model_name='invoice',
            name='buyer_commune',
            field=models.CharField(blank=True, db_default='', max_length=120, verbose_name='client : commune'),
        ),
        migrations.AddField(
            model_name='invoice',
            name='buyer_legal_name',
            field=models.CharField(blank=True, db_default='', max_length=200, verbose_name='client : raison sociale'),
        ),
        migrations.AddField(
            model_name='invoice',
            name='buyer_name',
            field=models.CharField(blank=True, db_default='', max_length=200, verbose_name='client : nom'),
        ),
        migrations.AddField(
            model_name='invoice',
            name='buyer_postcode',
            field=models.CharField(blank=True, db_default='', max_length=5, verbose_name='client : code postal'),
        ),
        migrations.AddField(
            model_name='invoice',
            name='buyer_siret',
            field=models.CharField(blank=True, db_default='', max_length=14, verbose_name='client : SIRET'),
        ),
        migrations.AddField(
            model_name='invoice',
            name='seller_address',
            field=models.CharField(blank=True, db_default='', max_length=300, verbose_name='vendeur : adresse'),
        ),
        migrations.AddField(
            model_name='invoice',
            name='seller_commune',
            field=models.CharField(blank=True, db_default='', max_length=120, verbose_name='vendeur : commune'),
        ),
        migrations.AddField(
            model_name='invoice',
            name='seller_legal_name',
            field=models.CharField(blank=True, db_default='', max_length=200, verbose_name='vendeur : raison sociale'),
        ),
        migrations.AddField(
            model_name='invoice',
            name='seller_name',
            field=models.CharField(blank=True, db_default='', max_length=200, verbose_name='vendeur : nom'),
        ),
        migrations.AddField(
            model_name='invoice',
            name='seller_postcode',
            field=models.CharField(blank=True, db_default='', max_length=5, verbose_name='vendeur : code postal'),
        ),
        migrations.AddField(
            model_name='invoice',
            name='seller_siret',
            field=models.CharField(blank=True, db_default='', max_length=14, verbose_name='vendeur : SIRET'),
        ),
        migrations.RunPython(fill_snapshots, migrations.RunPython.noop),
        migrations.RunPython(forwards, backwards),
    ]
