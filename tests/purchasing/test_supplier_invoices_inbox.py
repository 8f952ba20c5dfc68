"""Suppliers' invoices from the platform's inbox (docs/supplier-invoices.md,
"Receiving"): recorded once with the source platform:<name>, a file fetched again not
recorded twice, a bad file set aside with the reason, the beat task scheduled."""

import threading

import pytest
from django.conf import settings as django_settings
from django.db import connections

from purchasing.models import SupplierInvoice
from purchasing.platform import IncomingInvoice
from purchasing.services import einvoicing
from purchasing.services.einvoicing import fetch_supplier_invoices, supplier_invoices_fetch
from tests.factories.supplier_einvoices import cii_xml, facturx_pdf, spec_for_supplier_order

from .supplier_invoice_helpers import two_product_round

pytestmark = pytest.mark.django_db


@pytest.fixture
def inbox(settings, tmp_path):
    settings.EINVOICE_PLATFORM = "folder"
    settings.EINVOICE_OUTBOX_DIR = tmp_path / "outbox"
    settings.EINVOICE_INBOX_DIR = tmp_path / "inbox"
    settings.EINVOICE_INBOX_DIR.mkdir()
    return settings.EINVOICE_INBOX_DIR


def test_invoices_in_the_inbox_are_received_once(inbox):
    supplier_order = two_product_round()[0]
    spec = spec_for_supplier_order(supplier_order, number="F-INBOX")
    (inbox / "f-inbox.pdf").write_bytes(facturx_pdf(spec))
    (inbox / "nothing.xml").write_bytes(b"<?xml version='1.0'?><nothing/>")
    (inbox / ".partial.xml").write_bytes(b"<half")
    assert supplier_invoices_fetch() == {"recorded": 1, "already": 0, "refused": 1, "failed": 0}
    invoice = SupplierInvoice.objects.get()
    assert (invoice.number, invoice.source, invoice.file_name, invoice.status) == (
        "F-INBOX",
        "platform:f-inbox.pdf",
        "f-inbox.pdf",
        "matched",
    )
    assert (inbox / "processed" / "f-inbox.pdf").is_file()
    reason = (inbox / "failed" / "nothing.xml.reason.txt").read_text("utf-8")
    assert "ni une facture CII ni une facture UBL" in reason
    assert (inbox / ".partial.xml").is_file()  # not whole yet: left alone
    # The same file dropped again (the platform sent it twice): recorded once.
    (inbox / "f-inbox.pdf").write_bytes((inbox / "processed" / "f-inbox.pdf").read_bytes())
    assert fetch_supplier_invoices.run() == {
        "recorded": 0,
        "already": 1,
        "refused": 0,
        "failed": 0,
    }
    assert SupplierInvoice.objects.count() == 1


def test_the_same_number_in_another_file_is_set_aside(inbox):
    supplier_order = two_product_round()[0]
    spec = spec_for_supplier_order(supplier_order, number="F-TWICE")
    (inbox / "a.xml").write_bytes(cii_xml(spec))
    (inbox / "b.pdf").write_bytes(facturx_pdf(spec))
    assert supplier_invoices_fetch()["refused"] == 1
    reason = (inbox / "failed" / "b.pdf.reason.txt").read_text("utf-8")
    assert "déjà enregistrée" in reason


def test_no_platform_no_fetch(settings):
    settings.EINVOICE_PLATFORM = ""
    assert supplier_invoices_fetch()["recorded"] == 0


def test_the_fetch_runs_every_minute():
    entry = django_settings.CELERY_BEAT_SCHEDULE["supplier-invoices-fetch"]
    assert (entry["task"], entry["schedule"]) == ("purchasing.supplier_invoices_fetch", 60.0)


def test_the_same_file_under_another_name_is_received_already(inbox):
    supplier_order = two_product_round()[0]
    data = cii_xml(spec_for_supplier_order(supplier_order, number="F-SAME"))
    (inbox / "a.xml").write_bytes(data)
    assert supplier_invoices_fetch()["recorded"] == 1
    (inbox / "copie de a.xml").write_bytes(data)
    assert supplier_invoices_fetch() == {"recorded": 0, "already": 1, "refused": 0, "failed": 0}
    assert (inbox / "processed" / "copie de a.xml").is_file()
    assert not (inbox / "failed").exists() or not any((inbox / "failed").iterdir())


class OnePlatform:
    """A platform with one file waiting, fetched again until told done."""

    def __init__(self, incoming):
        self.incoming, self.done, self.refused = incoming, [], []

    def fetch_invoices(self):
        return [self.incoming]

    def invoice_done(self, invoice):
        self.done.append(invoice.name)

    def invoice_refuse(self, invoice, reason):
        self.refused.append(reason)


def test_a_long_file_name_is_compared_as_recorded(db, monkeypatch):
    # A platform may name a file longer than the field keeps (255 characters).
    supplier_order = two_product_round()[0]
    data = cii_xml(spec_for_supplier_order(supplier_order, number="F-LONG"))
    platform = OnePlatform(IncomingInvoice(name="n" * 300 + ".xml", data=data, source="x"))
    monkeypatch.setattr(einvoicing, "platform_get", lambda: platform)
    assert supplier_invoices_fetch()["recorded"] == 1
    assert supplier_invoices_fetch() == {"recorded": 0, "already": 1, "refused": 0, "failed": 0}
    assert platform.refused == []


def test_one_fetch_at_a_time(inbox):
    # Another worker's run holds the lock (another connection): this run takes nothing;
    # the file waits for the next minute's fetch.
    supplier_order = two_product_round()[0]
    (inbox / "f.xml").write_bytes(cii_xml(spec_for_supplier_order(supplier_order, number="F-1")))
    held, release = threading.Event(), threading.Event()

    def other_run():
        try:
            with einvoicing._run_alone(einvoicing.SUPPLIER_INBOX_LOCK) as alone:
                assert alone
                held.set()
                release.wait(30)
        finally:
            held.set()
            connections.close_all()

    thread = threading.Thread(target=other_run)
    thread.start()
    try:
        assert held.wait(30)
        assert supplier_invoices_fetch() == {"recorded": 0, "already": 0, "refused": 0, "failed": 0}
        assert (inbox / "f.xml").is_file()
        assert not SupplierInvoice.objects.exists()
    finally:
        release.set()
        thread.join(30)
    assert supplier_invoices_fetch()["recorded"] == 1
