import datetime as dt
from decimal import Decimal

from accounting.models import Entry, EntryLine
from inventory.services import MovementIn, movements_record
from mache.periods import PARIS, current_month, format_month, previous_month
from tests.factories import ProductFactory, ShopFactory
from worker.tasks import post_stock_variations


def test_the_monthly_task_posts_each_shops_variation_once(db):
    month = previous_month(current_month())
    moment = dt.datetime.combine(month.replace(day=3), dt.time(10), tzinfo=PARIS)
    shops = [ShopFactory() for _ in range(3)]
    for n, shop in enumerate(shops[:2], start=1):
        movements_record(
            movements=[
                MovementIn(
                    shop_id=shop.pk,
                    product_id=ProductFactory().pk,
                    kind="receipt",
                    quantity=n,
                    unit_cost=Decimal("3.0000"),
                    occurred_at=moment,
                )
            ]
        )
    result = post_stock_variations.apply().get()
    assert result == {"month": format_month(month), "shops": 2, "entries": 2}
    debits = EntryLine.objects.filter(
        entry__source=f"stock:{month:%Y-%m}", debit__gt=0, account__number="370000"
    )
    assert sorted(debits.values_list("debit", flat=True)) == [Decimal("3.00"), Decimal("6.00")]
    post_stock_variations.apply().get()
    assert Entry.objects.filter(source=f"stock:{month:%Y-%m}").count() == 2


def test_a_admin_user_reads_the_books_in_the_admin(client, admin_user, db):
    shop = ShopFactory()
    from accounting.services import LineIn, entry_post

    entry = entry_post(
        ledger=shop.ledger,
        journal="OD",
        date=dt.date(2026, 10, 1),
        label="x",
        piece_ref="x",
        lines=[LineIn("658000", debit=Decimal("2.00")), LineIn("512000", credit=Decimal("2.00"))],
    )
    client.force_login(admin_user)
    assert client.get("/admin/accounting/entry/").status_code == 200
    assert client.get(f"/admin/accounting/entry/{entry.pk}/change/").status_code == 200
    assert client.post(f"/admin/accounting/entry/{entry.pk}/delete/").status_code == 403
