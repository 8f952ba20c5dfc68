"""Report pages: a shop's reports and their download, the coordinator's list, the form
that generates a month (bad input beside the fields, nothing written) and the progress
polled by htmx; tenancy of downloads; query budgets."""

import pytest
from django.utils import timezone

from mache.formats import format_month_name
from mache.periods import current_month, format_month, next_month, previous_month
from mache.templatetags.mache_format import frdatetime
from shops.models import Shop, User
from tests.factories import REPORT_PDF as PDF
from tests.factories import CooperativeFactory, ShopFactory, UserFactory, ready_report
from tests.helpers import text_of
from tests.shops.test_pages import PAGE_BUDGET, errors_beside
from worker.models import Report, TaskRun

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def last_month():
    """Read as the test starts, never at import: a run may cross midnight, and a month, in
    Paris."""
    return previous_month(current_month())


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


def body_of(response) -> bytes:
    return b"".join(response.streaming_content)


# --- A shop's reports -----------------------------------------------------------------


def test_a_shopkeeper_sees_the_reports_of_their_shop_by_month(
    client, shopkeeper, shop, other_shop, last_month
):
    ready = ready_report(shop)
    Report.objects.create(shop=shop, month=previous_month(last_month))
    Report.objects.create(
        shop=shop,
        month=previous_month(previous_month(last_month)),
        status=Report.Status.FAILED,
        error="figures",
    )
    ready_report(other_shop)
    ready_report(None)
    client.force_login(shopkeeper)
    page = text_of(client.get("/rapports/"))
    assert page.count("<tr><td>") == 3
    assert page.index("Prêt") < page.index("En attente") < page.index("Échec")
    assert f'href="/rapports/{ready.pk}/pdf/"' in page
    assert page.count("/pdf/") == 1  # only the ready one is offered
    assert frdatetime(ready.generated_at) in page


def test_a_ready_report_downloads_as_a_pdf(client, shopkeeper, shop, last_month):
    report = ready_report(shop)
    client.force_login(shopkeeper)
    response = client.get(f"/rapports/{report.pk}/pdf/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        f'attachment; filename="rapport-epicerie-de-romazy-{format_month(last_month)}.pdf"'
    )
    assert body_of(response) == PDF


def test_downloads_keep_to_the_reports_the_user_may_see(
    client, shopkeeper, accountant, shop, other_shop, coordinator
):
    theirs, foreign, coop = ready_report(shop), ready_report(other_shop), ready_report(None)
    client.force_login(shopkeeper)
    assert client.get(f"/rapports/{foreign.pk}/pdf/").status_code == 404
    assert client.get(f"/rapports/{coop.pk}/pdf/").status_code == 404
    assert client.get("/rapports/999999/pdf/").status_code == 404
    client.force_login(accountant)  # the shops they serve, as in the API
    assert client.get(f"/rapports/{theirs.pk}/pdf/").status_code == 200
    assert client.get(f"/rapports/{foreign.pk}/pdf/").status_code == 404
    client.force_login(coordinator)
    for report in (theirs, foreign, coop):
        assert client.get(f"/rapports/{report.pk}/pdf/").status_code == 200
    assert "cooperative" in client.get(f"/rapports/{coop.pk}/pdf/")["Content-Disposition"]
    client.logout()
    assert client.get(f"/rapports/{theirs.pk}/pdf/").status_code == 302


def test_a_report_not_ready_or_lost_is_not_served(client, shopkeeper, shop, media, last_month):
    pending = Report.objects.create(shop=shop, month=last_month)
    lost = ready_report(shop, month=previous_month(last_month))
    (media / lost.file.name).unlink()
    client.force_login(shopkeeper)
    response = client.get(f"/rapports/{pending.pk}/pdf/", follow=True)
    assert response.redirect_chain == [("/rapports/", 302)]
    assert "Ce rapport n&#x27;est pas encore prêt." in response.content.decode()
    assert client.get(f"/rapports/{lost.pk}/pdf/").status_code == 404


def test_the_shop_reports_page_is_for_shopkeepers_and_their_shops(
    client, shop, other_shop, shopkeeper
):
    client.force_login(shopkeeper)
    assert client.get(f"/rapports/?shop={other_shop.pk}").status_code == 404
    for role in (User.Role.COORDINATOR, User.Role.ACCOUNTANT):
        client.force_login(UserFactory(role=role, shops=[shop]))
        assert client.get("/rapports/").status_code == 403


# --- The coordinator's reports -----------------------------------------------------------


@pytest.fixture
def coord_client(client, coordinator):
    CooperativeFactory()
    client.force_login(coordinator)
    return client


def test_the_coordinator_sees_a_months_reports_cooperative_first(
    coord_client, shop, other_shop, last_month
):
    ready_report(shop)
    Report.objects.create(shop=other_shop, month=last_month)
    coop = ready_report(None)
    older = previous_month(last_month)
    ready_report(shop, month=older)
    page = text_of(coord_client.get("/coordination/rapports/"))
    listed = page[page.index("<h2>Rapports ·") :]
    assert (
        listed.index("Coopérative")
        < listed.index("Boucherie Étrangère")
        < listed.index("Épicerie de Romazy")
    )
    assert f'href="/rapports/{coop.pk}/pdf/"' in listed
    assert f'href="?mois={format_month(older)}"' in listed  # the other months
    page = text_of(coord_client.get(f"/coordination/rapports/?mois={format_month(older)}"))
    listed = page[page.index("<h2>Rapports ·") :]
    assert "Épicerie de Romazy" in listed and "Coopérative" not in listed
    # a malformed month in the link shows the latest
    page = text_of(coord_client.get("/coordination/rapports/?mois=n'importe"))
    assert "Coopérative" in page[page.index("<h2>Rapports ·") :]
    form = page[page.index('<form method="post" class="card') :]
    assert f'value="{format_month(last_month)}"' in form  # last month by default


def test_generating_every_shop_starts_a_run_and_shows_its_progress(
    coord_client, shop, other_shop, last_month
):
    ShopFactory(status=Shop.Status.CANDIDATE, joined_on=None)
    response = coord_client.post("/coordination/rapports/", {"month": format_month(last_month)})
    run = TaskRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == (
        f"/coordination/rapports/?mois={format_month(last_month)}&suivi={run.pk}"
    )
    assert run.total == 3  # the two active shops and the cooperative
    assert set(Report.objects.values_list("shop_id", "status")) == {
        (shop.pk, "pending"),
        (other_shop.pk, "pending"),
        (None, "pending"),
    }
    page = text_of(coord_client.get(response["Location"]))
    assert "Génération lancée : 3 rapports pour" in page
    assert f'hx-get="/coordination/rapports/suivi/{run.pk}/"' in page
    assert 'hx-trigger="every 2s"' in page
    assert "0 rapport prêt sur 3" in page


def test_generating_chosen_shops_only(coord_client, shop, other_shop, last_month):
    ShopFactory()
    coord_client.post(
        "/coordination/rapports/",
        {"month": format_month(last_month), "shops": [shop.pk, other_shop.pk]},
    )
    assert TaskRun.objects.get().total == 2
    assert set(Report.objects.values_list("shop_id", flat=True)) == {shop.pk, other_shop.pk}


def test_the_progress_partial_polls_until_the_run_has_finished(coord_client, shop, last_month):
    coord_client.post(
        "/coordination/rapports/", {"month": format_month(last_month), "shops": [shop.pk]}
    )
    run = TaskRun.objects.get()
    url = f"/coordination/rapports/suivi/{run.pk}/"
    response = coord_client.get(url, **HTMX)
    page = text_of(response)
    assert "<html" not in page and "Génération en cours" in page and "hx-trigger" in page
    TaskRun.objects.filter(pk=run.pk).update(done=1, finished_at=timezone.now())
    response = coord_client.get(url, **HTMX)
    assert response["HX-Refresh"] == "true"  # the page reloads once, with the new states
    page = text_of(coord_client.get(f"/coordination/rapports/?suivi={run.pk}"))
    assert "Génération terminée" in page and "1 rapport prêt sur 1" in page
    assert "hx-trigger" not in page
    assert coord_client.get("/coordination/rapports/suivi/inconnu/").status_code == 404


def test_the_progress_is_for_coordinators(client, shopkeeper):
    run = TaskRun.objects.create(id="run-1", kind="reports", total=2)
    client.force_login(shopkeeper)
    assert client.get(f"/coordination/rapports/suivi/{run.pk}/").status_code == 403
    assert client.post("/coordination/rapports/", {"month": "2026-01"}).status_code == 403
    assert not Report.objects.exists()


@pytest.mark.parametrize(
    ("post", "field", "message"),
    [
        ({"month": ""}, "month", "Ce champ est obligatoire."),
        ({"month": "2026-13"}, "month", "Mois attendu au format AAAA-MM."),
        ({"month": "nov."}, "month", "Mois attendu au format AAAA-MM."),
        (
            {"month": "NEXT"},
            "month",
            "Ce mois n'a pas encore commencé : seul un mois terminé a un rapport.",
        ),
        ({"shops": ["LATE"]}, "shops", "Pas encore adhérent en {month} : Épicerie récente."),
        (
            {"shops": ["999999"]},
            "shops",
            "Sélectionnez un choix valide. 999999 n’en fait pas partie.",
        ),
        ({"shops": ["abc"]}, "shops", "«\u00a0abc\u00a0» n’est pas une valeur correcte."),
    ],
)
def test_a_bad_request_is_said_beside_the_field_keeps_the_input_and_writes_nothing(
    coord_client, shop, post, field, message, last_month
):
    late = ShopFactory(name="Épicerie récente", joined_on=timezone.localdate())
    data = {"month": format_month(last_month), "shops": [str(shop.pk)]}
    for key, value in post.items():
        if value == "NEXT":
            value = format_month(next_month(current_month()))
        elif value == ["LATE"]:
            value = [str(late.pk)]
        data[key] = value
    response = coord_client.post("/coordination/rapports/", data)
    assert response.status_code == 200
    page = text_of(response)
    assert errors_beside(page, field) == [message.format(month=format_month_name(last_month))]
    if data["month"]:
        assert f'name="month" value="{data["month"]}"' in page
    if field == "month":
        assert f'name="shops" value="{shop.pk}" id="id_shops_0" checked' in page
    assert not TaskRun.objects.exists() and not Report.objects.exists()


# --- Query budgets ----------------------------------------------------------------------


@pytest.mark.parametrize("size", [3, 30])
def test_report_pages_stay_within_a_fixed_query_budget(
    client, coordinator, shop, django_assert_max_num_queries, size, last_month
):
    CooperativeFactory()
    keeper = UserFactory(role=User.Role.SHOPKEEPER, shops=[shop])
    month = last_month
    for _ in range(size):
        ready_report(ShopFactory())
        ready_report(shop, month=month)
        month = previous_month(month)
    ready_report(None)
    client.force_login(coordinator)
    with django_assert_max_num_queries(PAGE_BUDGET):
        assert client.get("/coordination/rapports/").status_code == 200
    with django_assert_max_num_queries(PAGE_BUDGET):
        response = client.post("/coordination/rapports/", {"month": format_month(last_month)})
    run = TaskRun.objects.get()
    assert response.status_code == 302 and run.total == size + 2  # every shop and the cooperative
    with django_assert_max_num_queries(PAGE_BUDGET):
        assert client.get(response["Location"]).status_code == 200
    with django_assert_max_num_queries(PAGE_BUDGET):
        assert client.get(f"/coordination/rapports/suivi/{run.pk}/", **HTMX).status_code == 200
    client.force_login(keeper)
    with django_assert_max_num_queries(PAGE_BUDGET):
        assert client.get("/rapports/").status_code == 200
