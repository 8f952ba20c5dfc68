"""Report months (issue 10, point 8): a month of reports is over (not the current one,
not a later one: the whole request is refused, 400 on month) and after the shop joined;
every-shop runs take only the shops that had joined by the end of the month."""

import datetime as dt

import pytest

from mache.periods import current_month, format_month, next_month, previous_month
from shops.models import Shop
from tests.factories import CooperativeFactory, ShopFactory
from worker.models import Report, TaskRun

URL = "/api/reports/generate/"


@pytest.fixture
def last_month():
    """Read as the test starts, never at import: a run may cross midnight, and a month, in
    Paris."""
    return previous_month(current_month())


def generate(api, coordinator, payload):
    return api.as_user(coordinator).post(URL, payload, format="json")


@pytest.mark.parametrize("month", ["current", "next"])
@pytest.mark.parametrize("shops", [None, "listed"])
def test_a_month_not_over_is_400_and_starts_nothing(api, coordinator, shop, month, shops):
    # The month named, read as the test runs (not at collection).
    month = current_month() if month == "current" else next_month(current_month())
    payload = {"month": format_month(month)}
    if shops:
        payload["shops"] = [shop.pk]
    response = generate(api, coordinator, payload)
    assert response.status_code == 400, response.json()
    assert list(response.json()) == ["month"]
    assert "seul un mois terminé a un rapport" in response.json()["month"][0]
    assert not TaskRun.objects.exists() and not Report.objects.exists()


def test_a_month_before_a_named_shop_joined_is_400_naming_it(api, coordinator, db):
    early = ShopFactory(name="Épicerie ancienne", joined_on=dt.date(2009, 5, 1))
    late = ShopFactory(name="Épicerie récente", joined_on=dt.date(2010, 2, 1))
    response = generate(api, coordinator, {"month": "2010-01", "shops": [early.pk, late.pk]})
    assert response.status_code == 400
    assert response.json() == {"shops": ["Pas encore adhérent en janvier 2010 : Épicerie récente."]}
    assert not Report.objects.exists()
    # the month the shop joined, joined on its last day, has a report
    late.joined_on = dt.date(2010, 1, 31)
    late.save(update_fields=["joined_on"])
    assert (
        generate(api, coordinator, {"month": "2010-01", "shops": [early.pk, late.pk]}).status_code
        == 202
    )


def test_every_shop_means_those_that_had_joined_by_the_end_of_the_month(api, coordinator, db):
    CooperativeFactory(founded_on=dt.date(2009, 1, 1))
    ShopFactory(joined_on=dt.date(2009, 6, 1))
    ShopFactory(joined_on=dt.date(2010, 1, 31))
    for joined_on in (dt.date(2010, 2, 1), dt.date(2024, 3, 1), None):
        ShopFactory(joined_on=joined_on)
    ShopFactory(joined_on=dt.date(2009, 6, 1), status=Shop.Status.LEFT)

    response = generate(api, coordinator, {"month": "2010-01"})

    assert response.status_code == 202, response.json()
    assert Report.objects.filter(shop__isnull=False).count() == 2
    assert Report.objects.filter(shop__isnull=True).count() == 1
    assert TaskRun.objects.get().total == 3


def test_a_month_before_the_cooperative_existed_is_400(api, coordinator, db):
    CooperativeFactory(founded_on=dt.date(2015, 9, 15))
    ShopFactory(joined_on=dt.date(2009, 6, 1))  # a joining date typed wrong
    response = generate(api, coordinator, {"month": "2015-08"})
    assert response.status_code == 400
    assert response.json() == {
        "month": ["La coopérative n'existait pas encore en août 2015 (création le 15/09/2015)."]
    }
    assert generate(api, coordinator, {"month": "2015-09"}).status_code == 202


def test_the_reports_page_refuses_the_current_month_beside_the_field(client, coordinator, shop):
    client.force_login(coordinator)
    response = client.post("/coordination/rapports/", {"month": format_month(current_month())})
    assert "Ce mois n&#x27;est pas terminé" in response.content.decode()
    assert not Report.objects.exists()


def test_the_monthly_beat_still_does_last_month(db, last_month):
    from worker.tasks import monthly_reports

    CooperativeFactory()
    ShopFactory(), ShopFactory(joined_on=current_month())  # joined this month: not yet
    run = TaskRun.objects.get(pk=monthly_reports.apply().get())
    assert run.total == 2
    assert Report.objects.filter(month=last_month).count() == 2
