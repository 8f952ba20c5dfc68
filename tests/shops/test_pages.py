"""Pages of members: the landing pages of shopkeepers and coordinators, the shop switcher,
the coordinator's members list (filters) and detail; roles, tenancy and query budgets.

`errors_beside` is shared with the other page tests (inventory, worker): it reads the
messages a page prints right after a form field, where field.html puts them.
"""

import datetime as dt
import html
import re
from decimal import Decimal

import pytest
from django.utils import timezone

from mache.formats import format_date, format_eur
from mache.periods import current_month, previous_month
from mache.templatetags.mache_format import frmonth
from purchasing.models import Round, SupplierOrder
from shops.models import Shop, User
from tests.factories import (
    CooperativeFactory,
    RoundFactory,
    ShopFactory,
    UserFactory,
    build_shop_world,
)
from tests.helpers import text_of
from worker.models import Report

PAGE_BUDGET = 20
FIELD_RE = re.compile(r"<(?:input|select|textarea)\b")
ERRORLIST_RE = re.compile(r'<ul class="errorlist">(.*?)</ul>', re.S)


def errors_beside(page: str, name: str) -> list[str]:
    """The error messages printed after the field `name` (the last input of that name: a
    group of checkboxes has its errors after the last box) and before the next field."""
    matches = list(
        re.finditer(rf'<(?:input|select|textarea)\b[^>]*\bname="{re.escape(name)}"', page)
    )
    assert matches, f"no field {name!r} in the page"
    match = matches[-1]
    following = FIELD_RE.search(page, match.end())
    chunk = page[match.end() : following.start() if following else len(page)]
    return [
        html.unescape(re.sub(r"<[^>]+>", "", item)).strip()
        for errors in ERRORLIST_RE.findall(chunk)
        for item in re.findall(r"<li>(.*?)</li>", errors, re.S)
    ]


@pytest.fixture
def world(db):
    CooperativeFactory()
    return build_shop_world(ShopFactory(name="Épicerie de Romazy", commune="Romazy"))


# --- Landing pages and roles -----------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "landing"),
    [(User.Role.SHOPKEEPER, "/commerce/"), (User.Role.COORDINATOR, "/coordination/")],
)
def test_each_role_lands_on_its_own_dashboard(client, shop, role, landing):
    client.force_login(UserFactory(role=role, shops=[shop]))
    response = client.get("/")
    assert response.status_code == 302 and response["Location"] == landing
    assert client.get(landing).status_code == 200


def test_an_empty_login_says_which_fields_are_missing(client, db):
    page = text_of(client.post("/connexion/", {}))
    assert errors_beside(page, "username") == ["Ce champ est obligatoire."]
    assert errors_beside(page, "password") == ["Ce champ est obligatoire."]


@pytest.mark.parametrize(
    "url", ["/coordination/", "/coordination/membres/", "/coordination/rapports/", "MEMBER"]
)
@pytest.mark.parametrize("role", [User.Role.SHOPKEEPER, User.Role.ACCOUNTANT])
def test_coordinator_pages_are_403_for_other_roles(client, shop, role, url):
    client.force_login(UserFactory(role=role, shops=[shop]))
    url = f"/coordination/membres/{shop.pk}/" if url == "MEMBER" else url
    assert client.get(url).status_code == 403


@pytest.mark.parametrize("role", [User.Role.COORDINATOR, User.Role.ACCOUNTANT])
def test_the_shopkeeper_dashboard_is_403_for_other_roles(client, shop, role):
    client.force_login(UserFactory(role=role, shops=[shop]))
    assert client.get("/commerce/").status_code == 403


def test_the_shopkeeper_dashboard_shows_rounds_alerts_invoices_and_the_last_report(client, world):
    shop, keeper = world["shop"], world["shopkeeper"]
    later = RoundFactory(
        supplier__name="Biscuiterie de Bréal",
        closes_at=timezone.now() + dt.timedelta(days=2, hours=3),
    )
    RoundFactory(supplier__name="Fermée", status=Round.Status.CANCELLED)
    # The world's product: 2 units left; a minimum of 5 makes one alert.
    from inventory.services import minimum_set

    minimum_set(shop=shop, product=world["sale"].product, minimum=5)
    client.force_login(keeper)
    response = client.get("/commerce/")
    assert response.status_code == 200
    page = text_of(response)
    assert "<h1>Épicerie de Romazy</h1>" in page
    assert later.supplier.name in page and "clôture dans 2 j 2 h" in page
    assert "commande passée" in page  # the world's order is in the other open round
    assert "Fermée" not in page
    assert "produit sous le minimum" in page
    [invoice] = world["invoices"]
    assert invoice.number in page and format_eur(invoice.total_incl_vat) in page
    assert format_date(invoice.issued_on) in page
    last_month = frmonth(previous_month(current_month())).capitalize()
    assert f'{last_month} <span class="badge">En attente' in page
    assert "Commande" in page and "Commerce :" not in page  # one shop: no switcher


def test_a_shopkeeper_with_several_shops_switches_with_shop_in_the_query(client, shop, other_shop):
    foreign = ShopFactory(name="Fromagerie d'ailleurs")
    client.force_login(UserFactory(role=User.Role.SHOPKEEPER, shops=[shop, other_shop]))
    page = text_of(client.get("/commerce/"))
    assert "Commerce :" in page and f'href="?shop={shop.pk}"' in page
    assert "<h1>Boucherie Étrangère</h1>" in page  # the first by name
    assert "<h1>Épicerie de Romazy</h1>" in text_of(client.get(f"/commerce/?shop={shop.pk}"))
    # the choice is remembered by the other pages
    assert "<h1>Épicerie de Romazy</h1>" in text_of(client.get("/commerce/"))
    assert client.get(f"/commerce/?shop={foreign.pk}").status_code == 404
    assert client.get("/commerce/?shop=abc").status_code == 404
    assert "Fromagerie" not in text_of(client.get("/commerce/"))


def test_a_shopkeeper_without_a_shop_gets_404(client, db):
    client.force_login(UserFactory(role=User.Role.SHOPKEEPER))
    assert client.get("/commerce/").status_code == 404


def test_the_coordinator_dashboard_counts_rounds_orders_and_members(client, coordinator, shop):
    ShopFactory(status=Shop.Status.CANDIDATE)
    ShopFactory(status=Shop.Status.SUSPENDED, name="Bar-épicerie suspendue")
    RoundFactory(supplier__name="Laiterie ouverte")
    for status, name in [
        (SupplierOrder.Status.NEEDS_REVIEW, "Cidrerie à valider"),
        (SupplierOrder.Status.CONFIRMED, "Minoterie à recevoir"),
        (SupplierOrder.Status.RECEIVED, "Reçue déjà"),
    ]:
        round_ = RoundFactory(
            supplier__name=name,
            status=Round.Status.CONSOLIDATED,
            closes_at=timezone.now() - dt.timedelta(hours=1),
            opens_at=timezone.now() - dt.timedelta(days=3),
        )
        SupplierOrder.objects.create(
            round=round_,
            status=status,
            total_excl_vat=Decimal("1234.50"),
            shipping=Decimal(0),
            warnings=["minimum non atteint"],
        )
    client.force_login(coordinator)
    page = text_of(client.get("/coordination/"))
    assert "Laiterie ouverte" in page and 'Tournées ouvertes <span class="badge">1</span>' in page
    assert "Cidrerie à valider</strong> · 1\u00a0234,50\u00a0€ HT" in page
    assert "1 avertissement" in page
    assert "Minoterie à recevoir" in page and "Reçue déjà" not in page
    assert re.search(r'status=active">Actif</a></td>\s*<td class="num">1</td>', page)
    assert re.search(r'status=candidate">Candidat</a></td>\s*<td class="num">1</td>', page)
    assert re.search(r'status=suspended">Suspendu</a></td>\s*<td class="num">1</td>', page)


# --- Members --------------------------------------------------------------------------


@pytest.fixture
def members(db):
    return {
        "romazy": ShopFactory(name="Épicerie de Romazy", commune="Romazy"),
        "rimou": ShopFactory(
            name="Boulangerie du Coglais",
            commune="Rimou",
            kind=Shop.Kind.BOULANGERIE,
            zone=Shop.Zone.QPV,
        ),
        "candidate": ShopFactory(
            name="Bar-épicerie de Sens",
            commune="Sens-de-Bretagne",
            status=Shop.Status.CANDIDATE,
            joined_on=None,
            kind=Shop.Kind.BAR_EPICERIE,
        ),
        "left": ShopFactory(
            name="Boucherie partie",
            commune="Romazy",
            status=Shop.Status.LEFT,
            kind=Shop.Kind.BOUCHERIE,
            left_on=dt.date(2026, 6, 30),
        ),
    }


def listed(response) -> list[str]:
    return re.findall(r'<a href="/coordination/membres/\d+/">([^<]+)</a>', text_of(response))


@pytest.mark.parametrize(
    ("query", "names"),
    [
        (
            "",
            [
                "Bar-épicerie de Sens",
                "Boucherie partie",
                "Boulangerie du Coglais",
                "Épicerie de Romazy",
            ],
        ),
        ("status=active", ["Boulangerie du Coglais", "Épicerie de Romazy"]),
        ("zone=qpv", ["Boulangerie du Coglais"]),
        ("kind=boucherie", ["Boucherie partie"]),
        ("q=romazy", ["Boucherie partie", "Épicerie de Romazy"]),  # name or commune
        ("q=COGLAIS", ["Boulangerie du Coglais"]),
        ("q=romazy&status=active&zone=rural&kind=epicerie", ["Épicerie de Romazy"]),
        ("q=nulle+part", []),
    ],
)
def test_the_members_list_filters_by_status_zone_kind_and_name_or_commune(
    client, coordinator, members, query, names
):
    client.force_login(coordinator)
    response = client.get(f"/coordination/membres/?{query}")
    assert response.status_code == 200
    assert listed(response) == names
    page = text_of(response)
    assert f"<strong>{len(names)} commerce{'s' * (len(names) > 1)}</strong>" in page
    if not names:
        assert "Aucun commerce ne correspond" in page


def test_the_members_filters_keep_their_values_and_count_by_status(client, coordinator, members):
    client.force_login(coordinator)
    page = text_of(client.get("/coordination/membres/?q=Romazy&status=&zone=rural"))
    assert 'name="q" value="Romazy"' in page
    assert '<option value="rural" selected>' in page
    assert "candidat : 0 · actif : 1 · suspendu : 0 · parti : 1" in page
    assert "Boucherie partie" in page and format_date(dt.date(2015, 1, 1)) in page


def test_a_bad_filter_value_is_said_beside_its_field_and_filters_nothing(
    client, coordinator, members
):
    client.force_login(coordinator)
    response = client.get("/coordination/membres/?status=ferme&zone=qpv")
    assert response.status_code == 200
    assert errors_beside(text_of(response), "status") == [
        "Sélectionnez un choix valide. ferme n’en fait pas partie."
    ]
    assert errors_beside(text_of(response), "zone") == []
    assert listed(response) == ["Boulangerie du Coglais"]  # the valid filter still applies


def test_the_members_list_pages_with_the_filters_kept(client, coordinator, db):
    for n in range(55):
        ShopFactory(name=f"Épicerie {n:02d}", zone=Shop.Zone.QPV)
    ShopFactory(name="Rurale")
    client.force_login(coordinator)
    first = client.get("/coordination/membres/?zone=qpv")
    assert len(listed(first)) == 50 and "<strong>55 commerces</strong>" in text_of(first)
    assert 'href="?zone=qpv&amp;page=2"' in first.content.decode()
    second = client.get("/coordination/membres/?zone=qpv&page=2")
    assert listed(second) == [f"Épicerie {n}" for n in range(50, 55)]


def test_a_member_detail_shows_identity_membership_users_invoices_and_reports(
    client, coordinator, world
):
    shop = world["shop"]
    shop.left_on, shop.shares = dt.date(2026, 10, 31), 7
    shop.save()
    UserFactory(username="ancien", role=User.Role.SHOPKEEPER, shops=[shop], is_active=False)
    client.force_login(coordinator)
    response = client.get(f"/coordination/membres/{shop.pk}/")
    assert response.status_code == 200
    page = text_of(response)
    assert shop.siret in page and "Parts souscrites : 7" in page
    assert "Adhésion le : 01/01/2015" in page and "Départ le : 31/10/2026" in page
    assert f'href="/coordination/membres/{shop.pk}/modifier/"' in page  # not the admin
    assert world["shopkeeper"].username in page and world["accountant"].username in page
    assert "Expert-comptable" in page and "désactivé" in page
    [invoice] = world["invoices"]
    assert invoice.number in page and format_eur(invoice.total_excl_vat) in page
    assert "En attente" in page  # the world's report, not generated yet


def test_a_member_detail_is_404_for_an_unknown_shop(client, coordinator, db):
    client.force_login(coordinator)
    assert client.get("/coordination/membres/999999/").status_code == 404


# --- Query budgets ----------------------------------------------------------------------


def populate(n: int, shop: Shop):
    """n shops, rounds (open and to review), users and reports, and n reports of `shop`."""
    month = previous_month(current_month())  # the world has a report of last month
    for _ in range(n):
        other = ShopFactory()
        UserFactory(role=User.Role.SHOPKEEPER, shops=[other, shop])
        RoundFactory()
        round_ = RoundFactory(status=Round.Status.CONSOLIDATED)
        SupplierOrder.objects.create(
            round=round_,
            status=SupplierOrder.Status.NEEDS_REVIEW,
            total_excl_vat=Decimal("10.00"),
            shipping=Decimal(0),
        )
        month = previous_month(month)
        Report.objects.create(shop=shop, month=month, status=Report.Status.FAILED)
        Report.objects.create(shop=other, month=month)


@pytest.mark.parametrize("size", [3, 30])
def test_the_members_pages_stay_within_a_fixed_query_budget(
    client, world, coordinator, django_assert_max_num_queries, size
):
    populate(size, world["shop"])
    client.force_login(coordinator)
    for url in [
        "/coordination/",
        "/coordination/membres/",
        "/coordination/membres/?q=pic&status=active",
        f"/coordination/membres/{world['shop'].pk}/",
    ]:
        with django_assert_max_num_queries(PAGE_BUDGET):
            assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("size", [3, 30])
def test_the_shopkeeper_dashboard_stays_within_a_fixed_query_budget(
    client, world, django_assert_max_num_queries, size
):
    populate(size, world["shop"])
    keeper = world["shopkeeper"]
    keeper.shops.add(*Shop.objects.all()[:size])
    client.force_login(keeper)
    with django_assert_max_num_queries(PAGE_BUDGET):
        response = client.get(f"/commerce/?shop={world['shop'].pk}")
    assert response.status_code == 200


def test_an_htmx_request_after_the_session_ended_redirects_the_whole_page(client, db):
    response = client.get("/stock/", HTTP_HX_REQUEST="true")
    assert response.status_code == 204
    assert response["HX-Redirect"] == "/connexion/?next=/stock/"
    assert client.get("/stock/").status_code == 302
