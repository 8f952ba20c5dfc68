"""Issue 15 (docs/e-invoicing.md, "Identities"): an invoice keeps, as issued, the rest of
what a Factur-X invoice says of its parties (the seller's VAT number, legal form, share
capital, RCS, bank account, SEPA creditor identifier, VAT-on-debits option; the buyer's
VAT number) and how it is paid (transfer, or direct debit with the mandate's reference).

Every column has a database default (the benchmarks load invoices by COPY). Existing
invoices take them from the cooperative and the shop as they are now, and from the
shop's mandate when it was signed by the invoice's date. The immutability trigger
refuses that update: it is disabled for the time of it, as 0008 does (PostgreSQL only).
"""

from django.db import migrations, models

from mache.identifiers import vat_number_for

SELLER_FIELDS = {
    "vat_number": None,  # the cooperative's, else derived from its SIREN
    "legal_form": "legal_form",
    "share_capital": "share_capital",
    "rcs": "rcs",
    "iban": "iban",
    "bic": "bic",
    "creditor_id": "sepa_creditor_id",
    "vat_on_debits": "vat_on_debits",
}


def fill_snapshots(apps, schema_editor):
    Invoice = apps.get_model("purchasing", "Invoice")
    Cooperative = apps.get_model("shops", "Cooperative")
    Mandate = apps.get_model("payments", "Mandate")
    coop = Cooperative.objects.first()
    if coop is None or not Invoice.objects.exists():
        return
    seller = {
        f"seller_{field}": getattr(coop, source) if source else ""
        for field, source in SELLER_FIELDS.items()
    }
    seller["seller_vat_number"] = coop.vat_number or vat_number_for(coop.siret)
    seller = {key: ("" if value is None and key != "seller_share_capital" else value)
              for key, value in seller.items()}
    mandates = {
        mandate.shop_id: mandate for mandate in Mandate.objects.all()
    }
    postgres = schema_editor.connection.vendor == "postgresql"
    if postgres:
        schema_editor.execute("ALTER TABLE purchasing_invoice DISABLE TRIGGER invoice_is_immutable")
    invoices = list(Invoice.objects.select_related("shop"))
    for invoice in invoices:
        for name, value in seller.items():
            setattr(invoice, name, value)
        invoice.buyer_vat_number = invoice.shop.vat_number or ""
        mandate = mandates.get(invoice.shop_id)
        if mandate is not None and mandate.signed_on <= invoice.issued_on:
            invoice.payment_means, invoice.mandate_reference = "direct_debit", mandate.reference
    Invoice.objects.bulk_update(
        invoices,
        [*seller, "buyer_vat_number", "payment_means", "mandate_reference"],
        batch_size=1000,
    )
    if postgres:
        schema_editor.execute("ALTER TABLE purchasing_invoice ENABLE TRIGGER invoice_is_immutable")


class Migration(migrations.Migration):

    dependencies = [
        ('purchasing', '0009_invoice_due_on_required'),
        ('shops', '0008_fx_shop_vat_number'),
        # Read only, to know which existing invoices were collected by direct debit.
        ('payments', '0001_initial'),
    ]

    operations = [
        migrations.AddField(
            model_name='invoice',
            name='buyer_vat_number',
            field=models.CharField(blank=True, db_default='', max_length=20, verbose_name='client : n° de TVA'),
        ),
        migrations.AddField(
            model_name='invoice',
            name='mandate_reference',
            field=models.CharField(blank=True, db_default='', max_length=35, verbose_name='référence du mandat (RUM)'),
        ),
        migrations.AddField(
            model_name='invoice',
            name='payment_means',
            field=models.CharField(choices=[('transfer', 'Virement SEPA'), ('direct_debit', 'Prélèvement SEPA')], db_default='transfer', default='transfer', max_length=12, verbose_name='moyen de paiement'),
        ),
        migrations.AddField(
            model_name='invoice',
            name='seller_bic',
            field=models.CharField(blank=True, db_default='', max_length=11, verbose_name='vendeur : BIC'),
        ),
        migrations.AddField(
            model_name='invoice',
            name='seller_creditor_id',
            field=models.CharField(blank=True, db_default='', max_length=35, verbose_name='vendeur : identifiant de créancier SEPA'),
        ),
        migrations.AddField(
            model_name='invoice',
            name='seller_iban',
            field=models.CharField(blank=True, db_default='', max_length=34, verbose_name='vendeur : IBAN'),
        ),
        migrations.AddField(
            model_name='invoice',
            name='seller_legal_form',
            field=models.CharField(blank=True, db_default='', max_length=60, verbose_name='vendeur : forme juridique'),
        ),
        migrations.AddField(
            model_name='invoice',
            name='seller_rcs',
            field=models.CharField(blank=True, db_default='', max_length=80, verbose_name='vendeur : RCS'),
        ),
        migrations.AddField(
            model_name='invoice',
            name='seller_share_capital',
            field=models.DecimalField(blank=True, decimal_places=2, max_digits=14, null=True, verbose_name='vendeur : capital social'),
        ),
        migrations.AddField(
            model_name='invoice',
            name='seller_vat_number',
            field=models.CharField(blank=True, db_default='', max_length=20, verbose_name='vendeur : n° de TVA'),
        ),
        migrations.AddField(
            model_name='invoice',
            name='seller_vat_on_debits',
            field=models.BooleanField(db_default=False, default=False, verbose_name='vendeur : TVA sur les débits'),
        ),
        migrations.RunPython(fill_snapshots, migrations.RunPython.noop),
    ]
