"""Monthly reports end to end: the request, one task per shop on a real worker, the
stored files, progress, downloads within tenancy, e-mails, regeneration, bad input."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection, transaction
from django.utils import timezone

from mache.documents import document_bytes
from mache.models import OutboxMessage, StoredDocument
from mache.periods import current_month, format_month, previous_month
from shops.models import User
from tests.factories import CooperativeFactory, ShopFactory, UserFactory, ready_report
from worker.models import Report, TaskRun
from worker.reports.build import report_build
from worker.services import reports_generate
from worker.tasks import monthly_reports

# Stands for the last month in the parameters: read as the test runs, not at collection
# (a run may cross midnight, and a month, in Paris).
IN_LAST_MONTH = "<the last month>"


@pytest.fixture
def last_month() -> str:
    return format_month(previous_month(current_month()))


def wait_until(predicate, timeout=60.0, step=0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return False


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return Path(settings.MEDIA_ROOT)


def pdfs_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


def is_complete_pdf(path: Path) -> bool:
    data = path.read_bytes()
    return data.startswith(b"%PDF") and data.rstrip().endswith(b"%%EOF")


@pytest.mark.django_db(transaction=True)
def test_a_month_of_reports_on_a_real_worker(live_worker, api, media, last_month):
    CooperativeFactory()
    shops = [ShopFactory(name=f"Épicerie {n}") for n in range(3)]
    keeper = UserFactory(role=User.Role.SHOPKEEPER, shops=[shops[0]], email="e0@mache.example")
    coordinator = UserFactory(role=User.Role.COORDINATOR)
    response = api.as_user(coordinator).post(
        "/api/reports/generate/", {"month": last_month}, format="json"
    )
    assert response.status_code == 202
    task_id = response.json()["task_id"]

    def finished():
        return api.as_user(coordinator).get(f"/api/tasks/{task_id}/").json()["state"] in (
            "SUCCESS",
            "FAILURE",
        )

    assert wait_until(finished, timeout=120)
    task = api.as_user(coordinator).get(f"/api/tasks/{task_id}/").json()
    assert task["state"] == "SUCCESS", task
    assert task["progress"] == {"done": 4, "total": 4}  # three shops and the cooperative
    assert Report.objects.filter(status="ready").count() == 4
    assert all(is_complete_pdf(path) for path in pdfs_in(media))
    assert len(pdfs_in(media)) == 4

    client = api.as_user(keeper)
    listed = client.get("/api/reports/").json()["results"]
    assert [(r["shop"], r["month"], r["status"]) for r in listed] == [
        (shops[0].pk, last_month, "ready")
    ]
    download = client.get(f"/api/reports/{listed[0]['id']}/pdf/")
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert download.content.startswith(b"%PDF")
    # Served as stored (docs/documents.md): the document's bytes and their hash.
    report = Report.objects.get(pk=listed[0]["id"])
    assert download["ETag"] == f'"{report.document.sha256}"'
    assert download.content == (media / report.document.name).read_bytes()
    others = Report.objects.exclude(shop=shops[0])
    for report in others:
        assert client.get(f"/api/reports/{report.pk}/pdf/").status_code == 404

    assert wait_until(lambda: any(m.to == ["e0@mache.example"] for m in mail.outbox))
    message = next(m for m in mail.outbox if m.to == ["e0@mache.example"])
    assert f"/api/reports/{listed[0]['id']}/pdf/" in message.body


def test_progress_is_shown_while_reports_are_made(api, coordinator, media, db, last_month):
    CooperativeFactory()
    shops = [ShopFactory() for _ in range(2)]
    run = reports_generate(month=last_month, shop_ids=[s.pk for s in shops])
    client = api.as_user(coordinator)
    assert client.get(f"/api/tasks/{run.pk}/").json() == {
        "state": "PENDING",
        "progress": {"done": 0, "total": 2},
        "result": None,
    }
    first = Report.objects.get(run=run, shop=shops[0])
    report_build(report_id=first.pk)
    assert client.get(f"/api/tasks/{run.pk}/").json()["progress"] == {"done": 1, "total": 2}
    assert client.get(f"/api/tasks/{run.pk}/").json()["state"] == "PROGRESS"
    report_build(report_id=first.pk)  # a redelivered task counts once
    assert TaskRun.objects.get(pk=run.pk).done == 1
    report_build(report_id=Report.objects.get(run=run, shop=shops[1]).pk)
    done = client.get(f"/api/tasks/{run.pk}/").json()
    assert done["state"] == "SUCCESS" and done["progress"] == {"done": 2, "total": 2}


def test_regeneration_stores_a_new_document_and_keeps_the_one_before(
    media, db, django_capture_on_commit_callbacks, last_month
):
    CooperativeFactory()
    shop = ShopFactory()
    reports_generate(month=last_month, shop_ids=[shop.pk])
    with django_capture_on_commit_callbacks(execute=True):
        report = report_build(report_id=Report.objects.get(shop=shop).pk)
    first = report.document
    assert first.key == f"report:{report.pk}:1" and first.kind == "report"
    assert (first.shop_id, report.file.name) == (shop.pk, first.name)
    # A redelivered task finds it built: nothing rendered, nothing stored.
    assert report_build(report_id=report.pk).document_id == first.pk
    assert StoredDocument.objects.count() == 1
    reports_generate(month=last_month, shop_ids=[shop.pk])
    with django_capture_on_commit_callbacks(execute=True):
        again = report_build(report_id=report.pk)
    assert Report.objects.filter(shop=shop).count() == 1
    assert again.pk == report.pk and again.document.key == f"report:{report.pk}:2"
    assert again.file.name == again.document.name
    # The month built before is kept as it was issued, and still checks.
    assert document_bytes(first) == (media / first.name).read_bytes()
    assert pdfs_in(media) == sorted([media / first.name, media / again.document.name])


def test_a_report_built_before_documents_were_stored_is_replaced_by_a_document(
    media, db, django_capture_on_commit_callbacks, last_month
):
    CooperativeFactory()
    shop = ShopFactory()
    old = ready_report(shop)
    old_file = media / old.file.name
    assert old.document is None and old_file.exists()
    reports_generate(month=last_month, shop_ids=[shop.pk])
    with django_capture_on_commit_callbacks(execute=True):
        built = report_build(report_id=old.pk)
    assert built.document.key == f"report:{old.pk}:1"
    # No document named the old file: it goes once the row points to the new one.
    assert not old_file.exists()
    assert pdfs_in(media) == [media / built.document.name]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"month": "2999-01"}, "month"),
        ({"month": "2026-13"}, "month"),
        ({"month": "novembre"}, "month"),
        ({}, "month"),
        ({"month": IN_LAST_MONTH, "shops": [999999]}, "shops"),
        ({"month": IN_LAST_MONTH, "shops": ["x"]}, "shops"),
        ({"month": IN_LAST_MONTH, "shops": []}, "shops"),
    ],
)
def test_bad_requests_are_400_naming_the_field_and_start_nothing(
    api, coordinator, payload, field, last_month
):
    if payload.get("month") == IN_LAST_MONTH:
        payload = {**payload, "month": last_month}
    response = api.as_user(coordinator).post("/api/reports/generate/", payload, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not TaskRun.objects.exists() and not Report.objects.exists()


def test_a_month_before_the_shop_joined_is_400(api, coordinator, db, last_month):
    shop = ShopFactory(joined_on=current_month())
    response = api.as_user(coordinator).post(
        "/api/reports/generate/", {"month": last_month, "shops": [shop.pk]}, format="json"
    )
    assert response.status_code == 400 and "shops" in response.json()
    assert not Report.objects.exists()


def test_only_coordinators_generate(api, shopkeeper, shop, last_month):
    response = api.as_user(shopkeeper).post(
        "/api/reports/generate/", {"month": last_month, "shops": [shop.pk]}, format="json"
    )
    assert response.status_code == 403
    assert not Report.objects.exists()


def test_the_first_of_the_month_does_every_active_shop_and_the_cooperative(db):
    CooperativeFactory()
    ShopFactory(), ShopFactory(), ShopFactory(status="candidate", joined_on=None)
    run = TaskRun.objects.get(pk=monthly_reports.apply().get())
    assert run.total == 3
    assert Report.objects.filter(month=previous_month(current_month())).count() == 3
    assert Report.objects.filter(shop__isnull=True).count() == 1


def test_the_report_list_is_scoped_and_counted(
    api, coordinator, shopkeeper, shop, django_assert_num_queries, last_month
):
    others = [ShopFactory() for _ in range(6)]
    for target in [shop, *others]:
        Report.objects.create(shop=target, month=previous_month(current_month()))
    Report.objects.create(shop=None, month=previous_month(current_month()))
    assert api.as_user(shopkeeper).get("/api/reports/").json()["count"] == 1
    assert api.as_user(shopkeeper).get("/api/reports/?shop=coop").json()["count"] == 0
    client = api.as_user(coordinator)
    with django_assert_num_queries(3):  # token, count, page (shops joined)
        assert client.get(f"/api/reports/?month={last_month}").json()["count"] == 8
    assert client.get("/api/reports/?month=11-2026").status_code == 400


def children_of(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except FileNotFoundError:
        return []


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_report_is_retried_and_leaves_no_partial_file(tmp_path, last_month):
    from mache.celery import app
    from worker.reports.build import generate_report

    CooperativeFactory()
    shop = ShopFactory()
    with transaction.atomic():
        run = reports_generate(month=last_month, shop_ids=[shop.pk])
        # The test sends the report's task itself, to a worker of its own: the message
        # the service queued is marked sent before the commit, so that the session's
        # worker (running on the default queue since an earlier test) never takes it
        # and waits on the row in the place of the worker this test kills.
        OutboxMessage.objects.filter(
            sent_at__isnull=True, task_name="worker.generate_report"
        ).update(sent_at=timezone.now())
    report = Report.objects.get(run=run)
    media = tmp_path / "media"
    with app.connection_for_write() as conn:
        conn.default_channel.queue_purge("kill-reports")
    db = connection.settings_dict
    env = {
        **os.environ,
        "MEDIA_ROOT": str(media),
        "MACHE_VAR_DIR": str(tmp_path),
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "DJANGO_SETTINGS_MODULE": "mache.settings",
    }
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "mache",
            "worker",
            "-Q",
            "kill-reports",
            "-c",
            "1",
            "--pool",
            "prefork",
            "-n",
            "killreports@%h",
            "--without-mingle",
            "--without-gossip",
            "--loglevel",
            "INFO",
        ],
        env=env,
        cwd=settings.BASE_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            # Hold the report row: the task renders its PDF, then waits for the row to
            # store it as a document; it is killed there, between the rendering and
            # the database.
            cursor.execute("SELECT id FROM worker_report WHERE id = %s FOR UPDATE", [report.pk])
            result = generate_report.apply_async(args=[report.pk], queue="kill-reports")

            def waiting_for_the_row():
                cursor.execute("SELECT pg_stat_clear_snapshot()")
                cursor.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type ="
                    " 'Lock' AND query ILIKE '%%worker_report%%'"
                    " AND datname = current_database()"
                )
                return cursor.fetchone()[0] == 1

            assert wait_until(waiting_for_the_row, timeout=90), worker.stdout.read()[-2000:]
            [child] = children_of(worker.pid)
            os.kill(child, signal.SIGKILL)
            assert wait_until(lambda: children_of(worker.pid) not in ([], [child]), 30)
        assert result.get(timeout=90)["report"] == report.pk
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()
    report.refresh_from_db()
    assert report.status == "ready"
    files = pdfs_in(media)
    assert files and all(is_complete_pdf(path) for path in files)
    assert not [p for p in media.rglob("*.part")]
    assert (media / report.file.name).exists()
    assert TaskRun.objects.get(pk=run.pk).done == 1
