"""Issue 15: the e-invoicing lifecycle of invoices and credit notes, in a table of its own
(invoices and credit notes never change: migration 0008). docs/e-invoicing.md."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("purchasing", "0010_fx_invoice_snapshot"),
    ]

    operations = [
        migrations.CreateModel(
            name="EInvoiceEvent",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("deposited", "Déposé"),
                            ("rejected", "Rejeté par la plateforme"),
                            ("refused", "Refusé par le commerce"),
                            ("approved", "Approuvé"),
                        ],
                        max_length=10,
                        verbose_name="statut",
                    ),
                ),
                ("at", models.DateTimeField(verbose_name="le")),
                (
                    "detail",
                    models.CharField(
                        blank=True, db_default="", max_length=500, verbose_name="détail"
                    ),
                ),
                ("source", models.CharField(max_length=300, unique=True, verbose_name="origine")),
                (
                    "credit_note",
                    models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="einvoice_events",
                        to="purchasing.creditnote",
                    ),
                ),
                (
                    "invoice",
                    models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="einvoice_events",
                        to="purchasing.invoice",
                    ),
                ),
            ],
            options={
                "verbose_name": "statut de facture électronique",
                "verbose_name_plural": "statuts de factures électroniques",
                "ordering": ["at", "id"],
                "indexes": [
                    models.Index(fields=["invoice", "at", "id"], name="einvoice_event_invoice"),
                    models.Index(
                        fields=["credit_note", "at", "id"], name="einvoice_event_credit_note"
                    ),
                ],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(
                            models.Q(("invoice__isnull", False), ("credit_note__isnull", True)),
                            models.Q(("invoice__isnull", True), ("credit_note__isnull", False)),
                            _connector="OR",
                        ),
                        name="einvoice_event_one_document",
                    )
                ],
            },
        ),
    ]
