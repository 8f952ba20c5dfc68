"""Monthly reports kept as issued (docs/documents.md): the download serves the report's
stored document (API and page) with its ETag, 304 to a client holding it, and refuses
altered bytes (409 `document_altered` on the API, the French page, the coordinator's
alarm); a report built before documents were stored is served from its file."""

import logging
from pathlib import Path

import pytest

from mache.documents import sha256_hex
from tests.factories import REPORT_PDF, issued_report, ready_report

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return Path(settings.MEDIA_ROOT)


def test_a_report_downloads_its_stored_document(api, client, shopkeeper, shop):
    report = issued_report(shop)
    etag = f'"{sha256_hex(REPORT_PDF)}"'
    response = api.as_user(shopkeeper).get(f"/api/reports/{report.pk}/pdf/")
    assert (response.status_code, response.content, response["ETag"]) == (200, REPORT_PDF, etag)
    again = api.as_user(shopkeeper).get(f"/api/reports/{report.pk}/pdf/", HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    client.force_login(shopkeeper)
    page = client.get(f"/rapports/{report.pk}/pdf/")
    assert (page.status_code, page.content, page["ETag"]) == (200, REPORT_PDF, etag)
    assert page["Content-Disposition"].startswith("attachment; ")
    assert page["Content-Disposition"].endswith(f'filename="{report.document.filename}"')


def test_a_report_built_before_is_served_from_its_file(api, shopkeeper, shop):
    report = ready_report(shop)
    assert report.document is None
    response = api.as_user(shopkeeper).get(f"/api/reports/{report.pk}/pdf/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == REPORT_PDF


def test_an_altered_report_is_refused_and_shown_to_the_coordinator(
    api, client, shopkeeper, coordinator, shop, media, caplog
):
    report = issued_report(shop)
    (media / report.document.name).write_bytes(b"%PDF-forged")
    with caplog.at_level(logging.ERROR, logger="mache.documents"):
        response = api.as_user(shopkeeper).get(f"/api/reports/{report.pk}/pdf/")
    assert response.status_code == 409 and response.json()["code"] == "document_altered"
    assert any(report.document.key in record.getMessage() for record in caplog.records)
    client.force_login(shopkeeper)
    page = client.get(f"/rapports/{report.pk}/pdf/")
    assert page.status_code == 409 and "Document altéré" in page.content.decode()
    client.force_login(coordinator)
    home = client.get("/coordination/").content.decode()
    assert "Documents altérés : 1" in home and report.document.filename in home
