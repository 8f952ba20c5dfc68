"""The demo's past: months of a living cooperative, built through the services with the
clock set back to each moment (docs/demo.md).

Every write goes through the service a person or the worker would have called on that
day (rounds, orders, consolidation, review, receipt with lots and shortfalls, till
exports, Z tickets, losses, counts, monthly reports, the suppliers' e-invoices and their
payment), run in date order under
`clock_at`, which sets `django.utils.timezone.now` (every clock of the project, Paris
days included) to that moment: the services' date rules then judge the past as they
judged it then. The quantities come from a seeded `random.Random`, so two loads on the
same day give the same data.
"""

import contextlib
import datetime as dt
import heapq
import io
import itertools
import logging
import random
import time
from collections import defaultdict
from decimal import Decimal
from unittest import mock

from django.db import transaction

from accounting.sales.csv_import import RATE_COLUMNS
from accounting.sales.services import sales_days_import
from catalogue.models import Product, Supplier
from inventory.models import StockBalance, StockLot, StockMovement
from inventory.services import MovementIn, movement_create, movements_record, stock_count_record
from mache.errors import InvalidInput
from mache.formats import format_unit_price
from mache.models import OutboxMessage
from mache.money import money
from mache.periods import PARIS, format_month, next_month, paris_now, previous_month
from payments.models import CreditTransferBatch, DirectDebitBatch, Payment
from payments.services.credit_transfers import (
    credit_transfer_batch_file,
    credit_transfer_batch_prepare,
    credit_transfer_batch_settle,
)
from payments.services.direct_debits import direct_debit_batch_prepare, direct_debit_batch_settle
from payments.services.mandates import mandate_save
from payments.services.payments import payment_cancel, payment_record
from payments.services.reminders import payment_reminders_send
from purchasing.models import (
    CreditNote,
    Invoice,
    Order,
    Round,
    SupplierInvoice,
    SupplierOrder,
)
from purchasing.services.consolidation import round_consolidate
from purchasing.services.credit_notes import credit_note_issue
from purchasing.services.lifecycle import round_cancel, supplier_order_confirm
from purchasing.services.orders import order_place, round_create
from purchasing.services.receipt import supplier_order_receive
from purchasing.services.supplier_invoices import (
    supplier_invoice_approve,
    supplier_invoice_receive,
    supplier_invoice_record,
    supplier_invoice_reject,
)
from purchasing.supplier_invoices import cii
from purchasing.supplier_invoices.reading import parse_xml
from shops.models import Cooperative, Shop, User
from worker.models import Report
from worker.reports.build import report_build
from worker.services import reports_generate

from .supplier_einvoices import cii_xml, facturx_pdf, spec_for_supplier_order

SEED = 35  # Ille-et-Vilaine

# Per supplier: days between two rounds, day of the first deadline after the start,
# days from the deadline to the delivery.
SCHEDULE = {
    "Laiterie du Coglais": (14, 3, 2),
    "Maraîchers du Pays de Fougères": (14, 10, 2),
    "Biocoop Grossiste Ouest": (28, 6, 4),
    "Minoterie de la Vilaine": (28, 13, 3),
    "Brasserie des Marches de Bretagne": (28, 20, 3),
}
# Days a product keeps from its delivery (None: no date on the delivery note).
SHELF_LIFE = {
    "LC-LAIT1L": 21,
    "LC-BEUR250": 50,
    "LC-YAO4": 24,
    "LC-TOMME": 75,
    "MF-OEUFS6": 28,
    "MF-SALADE": 10,
    "MF-CAROT": 18,
    "MF-POMDT": 45,
    "BG-SAVON": None,
}
SHELF_LIFE_BY_SUPPLIER = {
    "Biocoop Grossiste Ouest": 300,
    "Minoterie de la Vilaine": 150,
    "Brasserie des Marches de Bretagne": 270,
}
# Units sold in a week by a shop of each kind (a shop's size scales it).
GROCERY_WEEK = {
    "LC-LAIT1L": 16,
    "LC-BEUR250": 9,
    "LC-YAO4": 8,
    "LC-TOMME": 2,
    "BG-PATES500": 9,
    "BG-RIZ1K": 5,
    "BG-HUILE1L": 4,
    "BG-CHOCO100": 9,
    "BG-CAFE250": 5,
    "BG-SAVON": 3,
    "BM-BLONDE33": 14,
    "BM-CIDRE75": 5,
    "BM-JUS1L": 5,
    "MF-POMDT": 2,
    "MF-CAROT": 6,
    "MF-OEUFS6": 11,
    "MF-SALADE": 7,
}
WEEK_SALES = {
    "epicerie": GROCERY_WEEK,
    "bar_epicerie": {**GROCERY_WEEK, "BM-BLONDE33": 40, "BM-CIDRE75": 10, "BM-JUS1L": 8},
    "boulangerie": {
        "MV-T65-25": 7,
        "MV-T80-25": 2,
        "MV-SARR-5": 2,
        "LC-BEUR250": 18,
        "LC-LAIT1L": 6,
        "MF-OEUFS6": 8,
    },
}
MARKUP = Decimal("1.35")  # the shops' retail price: the group price, plus a third or so
# Sales of goods bought elsewhere (bread, newspapers, local produce), per opening day.
OTHER_SALES = {Decimal("5.50"): (25, 90), Decimal("20.00"): (10, 45)}
WEEKDAY = (0.85, 0.9, 0.95, 1.0, 1.2, 1.5)  # Monday to Saturday; shops close on Sunday
SEASON = (0.9, 0.85, 0.9, 0.95, 1.0, 1.05, 1.25, 1.3, 1.0, 0.95, 0.95, 1.2)
SHORTFALL_ROUNDS = (4, 17)  # the rounds (in receipt order) whose delivery falls short

# The money (docs/demo.md, "The money"): the cooperative's bank, the shops that pay by
# SEPA direct debit (their index among the active shops), the one that pays late, the
# receipt whose delivery has a broken unit credited, the cheque that comes back unpaid.
COOP_BANK = {
    "iban": "FR7630006000011234567890189",
    "bic": "AGRIFRPP",
    "sepa_creditor_id": "FR72ZZZ123456",
}
MANDATES = {
    0: ("FR7610278360000001234567855", "CMCIFR2A"),
    3: ("FR7614505000020412345678955", "CEPAFRPP"),
}
SLOW_PAYER = 2
CREDITED_RECEIPT = 3
RETURNED_CHEQUE = 2  # the second cheque of the demo

# The suppliers' invoices (docs/demo.md, "The suppliers' invoices"): e-invoices for the
# receipts of the last months, Factur-X PDFs from some suppliers, CII XML from the
# others; their banks, for the monthly credit transfers.
EINVOICE_MONTHS = 2
FACTURX_SUPPLIERS = {"Biocoop Grossiste Ouest", "Minoterie de la Vilaine"}
SUPPLIER_BANKS = {
    "Laiterie du Coglais": ("FR7616706050011234567890179", "AGRIFRPP867"),
    "Maraîchers du Pays de Fougères": ("FR7613807008122345678901273", "CCBPFRPPNAN"),
    "Biocoop Grossiste Ouest": ("FR7615589351013456789012387", "CMBRFR2BXXX"),
    "Minoterie de la Vilaine": ("FR7614445202004567890123490", "CEPAFRPP444"),
    "Brasserie des Marches de Bretagne": ("FR7610278360015678901234593", "CMCIFR2A"),
}
APPROVAL_DAYS = 8  # from an invoice's arrival to its approval
# The e-invoices (in arrival order, from 1) that differ from the order: one product billed
# cheaper (credit notes to the shops), more shipping billed and accepted (supplementary
# invoices), a product billed dearer, rejected (the supplier sends a corrected one).
VARIATIONS = {2: "cheaper", 4: "shipping", 6: "dearer"}
CHEAPER, DEARER, SHIPPING_ADDED = Decimal("0.95"), Decimal("1.08"), Decimal("6.50")
REJECTION = (
    "{product} facturé {billed} HT l'unité au lieu des {agreed} convenus à la commande "
    "{order} : merci de nous adresser une facture corrigée."
)
RECEIVED_AS_FILES_DAYS = 35  # older e-invoices are recorded from their parse (docs/demo.md)
TRANSFERS_DAY, TRANSFERS_EXECUTION = 5, 3  # the 5th, executed three days later
# The till of the grocers counts its sales; the boulangerie's does not (e-reporting).
BASKET = {"epicerie": (11.0, 17.0), "bar_epicerie": (6.0, 10.0)}

# The hours of a day's events, in the order they happen.
ROUND_OPENS, ORDER, DEADLINE = dt.time(8, 0), dt.time(9, 0), dt.time(11, 0)
REMINDERS, DIRECT_DEBIT, PAYMENT = dt.time(8, 0), dt.time(9, 15), dt.time(10, 30)
EINVOICE_IN, TRANSFERS, APPROVAL = dt.time(7, 30), dt.time(10, 0), dt.time(14, 0)
REPORTS = dt.time(6, 0)  # on the 1st, the month before's reports
RECEIPT, EXPIRY, SALES, LOSS, COUNT = (
    dt.time(9, 30),
    dt.time(19, 0),
    dt.time(19, 30),
    dt.time(20, 0),
    dt.time(20, 45),
)


@contextlib.contextmanager
def clock_at(moment: dt.datetime):
    """Every `timezone.now()` (hence every Paris day) answers `moment` inside the block."""
    utc = moment.astimezone(dt.UTC)
    with mock.patch("django.utils.timezone.now", new=lambda: utc):
        yield


def at(day: dt.date, time: dt.time) -> dt.datetime:
    return dt.datetime.combine(day, time, tzinfo=PARIS)


def weekday_from(day: dt.date) -> dt.date:
    """`day`, or the Monday after it when it falls on a weekend."""
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


def history_exists() -> bool:
    """The marker of a loaded history: a round delivered and invoiced."""
    return Round.objects.filter(status=Round.Status.INVOICED).exists()


def history_start(today: dt.date, months: int) -> dt.date:
    start = today.replace(day=1)
    for _ in range(months):
        start = previous_month(start)
    return start


class History:
    """The events of the demo's past, run in date order (see the module doc)."""

    def __init__(self, *, months: int, now: dt.datetime):
        self.now = now
        self.today = now.date()
        self.start = history_start(self.today, months)
        self.rng = random.Random(SEED)
        self.coordinator = User.objects.filter(role=User.Role.COORDINATOR).order_by("pk").first()
        self.shopkeepers = {
            shop.pk: user
            for user in User.objects.filter(role=User.Role.SHOPKEEPER).order_by("pk")
            for shop in user.shops.all()
        }
        self.shops = list(
            Shop.objects.filter(status=Shop.Status.ACTIVE, joined_on__isnull=False).order_by("pk")
        )
        self.products = {p.sku: p for p in Product.objects.select_related("supplier")}
        self.by_id = {p.pk: p for p in self.products.values()}
        self.retail = {
            p.pk: money(p.unit_price * MARKUP * (1 + p.vat_rate / 100)) for p in self.by_id.values()
        }
        self.events = []
        self.sequence = itertools.count()
        self.receipts = 0
        self.counts = defaultdict(int)
        self.timings = defaultdict(float)
        self.tickets = defaultdict(list)  # shop id -> Z tickets not yet sent
        self.sold_until = self.start - dt.timedelta(days=1)
        self.cheques = 0
        self.mandated = {self.shops[index].pk for index in MANDATES if index < len(self.shops)}
        # The suppliers' e-invoices: from this day's receipts on; their own random draws,
        # so the rest of the history is the same with or without them.
        self.einvoices_from = history_start(self.today, EINVOICE_MONTHS)
        self.einvoice_rng = random.Random(SEED + 16)
        self.einvoices = 0
        self.supplier_numbers = {}  # supplier id -> its last invoice number
        self.left_to_approve = 0
        self.variations_due = []
        self.till_rng = random.Random(SEED + 5)

    # -- the calendar --------------------------------------------------------------

    def add(self, moment: dt.datetime, action, *args) -> None:
        if moment < self.now:
            heapq.heappush(self.events, (moment, next(self.sequence), action, args))

    def plan(self) -> None:
        for name, (period, offset, lead) in SCHEDULE.items():
            supplier = Supplier.objects.filter(name=name).first()
            if supplier is None:
                continue
            deadline = self.start + dt.timedelta(days=offset)
            while at(deadline, DEADLINE) < self.now:
                self.add(
                    at(deadline - dt.timedelta(days=5), ROUND_OPENS),
                    self.round_open,
                    supplier,
                    deadline,
                    period,
                    lead,
                )
                deadline += dt.timedelta(days=period)
        # Business still pending today: a delivery awaited, an order under its supplier's
        # minimum waiting for the coordinator's review (their deadline was yesterday).
        yesterday = self.today - dt.timedelta(days=1)
        for name, lead, small in (
            ("Biocoop Grossiste Ouest", 2, False),
            ("Brasserie des Marches de Bretagne", 3, True),
        ):
            supplier = Supplier.objects.filter(name=name).first()
            if supplier is not None:
                opens = at(yesterday - dt.timedelta(days=5), ROUND_OPENS)
                self.add(opens, self.round_open, supplier, yesterday, 28, lead, small)
        self.add(at(self.start, dt.time(7, 0)), self.bank_details)
        day = self.start
        while day < self.today:
            self.add(at(day, REMINDERS), self.reminders, day)
            if day.weekday() == 0:
                self.add(at(day, DIRECT_DEBIT), self.direct_debits, day)
            if day.weekday() < 6:
                self.add(at(day, LOSS), self.losses_of_day, day)
            if day.weekday() == 5:
                self.add(at(day, EXPIRY), self.expired_withdraw, day)
                self.add(at(day, SALES), self.week_sales)
            if next_month(day.replace(day=1)) - day == dt.timedelta(days=1):
                self.add(at(day, COUNT), self.counts_of_month, day)
            day += dt.timedelta(days=1)
        month = self.start
        while next_month(month) <= self.today.replace(day=1):
            self.add(at(next_month(month), REPORTS), self.reports_of_month, month)
            month = next_month(month)
        month = next_month(max(self.start, self.einvoices_from))
        while month <= self.today:
            self.add(at(weekday_from(month.replace(day=TRANSFERS_DAY)), TRANSFERS), self.transfers)
            month = next_month(month)

    def run(self) -> dict:
        self.plan()
        while self.events:
            moment, _, action, args = heapq.heappop(self.events)
            started = time.perf_counter()
            with clock_at(moment):
                action(*args)
            self.timings[action.__name__] += time.perf_counter() - started
        with clock_at(self.now):
            self.week_sales()
        return dict(self.counts)

    # -- pooled purchasing -----------------------------------------------------------

    def round_open(self, supplier, deadline, period, lead, small=False) -> None:
        """A round and what follows: the shops' orders, the consolidation, the receipt
        (each at its own moment, if it has come). A `small` round: one shop's two cases,
        under the supplier's minimum, left for the coordinator to review."""
        opens_at = at(deadline - dt.timedelta(days=5), ROUND_OPENS)
        delivery = deadline + dt.timedelta(days=lead)
        if delivery.weekday() == 6:
            delivery += dt.timedelta(days=1)
        round_ = round_create(
            supplier=supplier,
            opens_at=opens_at,
            closes_at=at(deadline, DEADLINE),
            delivery_date=delivery,
            user=self.coordinator,
        )
        self.counts["rounds"] += 1
        if small:
            products = sorted(
                (p for p in self.by_id.values() if p.supplier_id == supplier.pk),
                key=lambda p: p.case_size * p.unit_price,
            )[:2]
            lines = [{"product": p.pk, "quantity": p.case_size} for p in products]
            self.add(
                at(deadline - dt.timedelta(days=1), ORDER),
                self.order,
                round_,
                self.shops[0],
                0,
                lines,
            )
        else:
            for index, shop in enumerate(self.shops):
                placed = at(deadline - dt.timedelta(days=self.rng.randint(1, 4)), ORDER)
                self.add(
                    placed + dt.timedelta(minutes=37 * index), self.order, round_, shop, period
                )
        self.add(
            at(deadline, DEADLINE) + dt.timedelta(minutes=1), self.consolidate, round_, not small
        )
        self.add(at(delivery, RECEIPT), self.receive, round_)

    def order_lines(self, shop, supplier_id: int, days: int) -> list[dict]:
        """What a shop orders: enough for the days until the next round and a few more,
        less what it has (the quantities the order form suggests, give or take)."""
        week = WEEK_SALES.get(shop.kind, GROCERY_WEEK)
        size = 0.6 + 0.15 * shop.shares
        stock = dict(
            StockBalance.objects.filter(shop=shop, product__supplier_id=supplier_id).values_list(
                "product_id", "quantity"
            )
        )
        lines = []
        for sku, per_week in week.items():
            product = self.products.get(sku)
            if product is None or product.supplier_id != supplier_id or not product.active:
                continue
            wanted = per_week * size * (days + 4) / 7 * self.rng.uniform(0.8, 1.25)
            quantity = round(wanted) - stock.get(product.pk, 0)
            if quantity > 0:
                tolerance = product.case_size // 2 if self.rng.random() < 0.4 else 0
                lines.append({"product": product.pk, "quantity": quantity, "tolerance": tolerance})
        return lines

    def order(self, round_, shop, period, lines=None) -> None:
        if shop.joined_on > self.clock_day():
            return
        lines = lines or self.order_lines(shop, round_.supplier_id, period)
        if lines:
            order_place(
                round_id=round_.pk, shop=shop, lines=lines, user=self.shopkeepers.get(shop.pk)
            )
            self.counts["orders"] += 1

    def consolidate(self, round_, review: bool) -> None:
        supplier_order = round_consolidate(round_id=round_.pk)
        if supplier_order is None:
            return
        if not supplier_order.lines.exists():
            round_cancel(round_id=round_.pk)
        elif supplier_order.status == SupplierOrder.Status.NEEDS_REVIEW and review:
            # The coordinator validates the order under the minimum within the hour.
            with clock_at(paris_now() + dt.timedelta(minutes=50)):
                supplier_order_confirm(supplier_order_id=supplier_order.pk)

    def receive(self, round_) -> None:
        supplier_order = (
            SupplierOrder.objects.filter(round=round_, status=SupplierOrder.Status.CONFIRMED)
            .prefetch_related("lines")
            .first()
        )
        if supplier_order is None:
            return
        day = self.clock_day()
        lines = list(supplier_order.lines.all())
        received = {}
        self.receipts += 1
        if self.receipts in SHORTFALL_ROUNDS:
            short = max(lines, key=lambda line: line.units)
            received[short.product_id] = short.units - max(1, short.units // 4)
        lots = {}
        for line in lines:
            product = self.by_id[line.product_id]
            keeps = SHELF_LIFE.get(product.sku, SHELF_LIFE_BY_SUPPLIER.get(product.supplier.name))
            if keeps is None:
                continue
            lots[line.product_id] = (
                f"{product.sku.split('-', 1)[1]}-{day:%y%m%d}",
                day + dt.timedelta(days=keeps),
            )
        invoices = supplier_order_receive(
            supplier_order_id=supplier_order.pk, received=received, lots=lots, received_on=day
        )
        self.counts["invoices"] += len(invoices)
        self.invoices_followed(invoices)
        if day >= self.einvoices_from:
            arrives = at(day + dt.timedelta(days=1), EINVOICE_IN)
            self.add(arrives, self.einvoice_send, supplier_order.pk)

    # -- the shops' days ---------------------------------------------------------------

    def clock_day(self) -> dt.date:
        return paris_now().date()

    def members(self, day: dt.date) -> list[Shop]:
        return [shop for shop in self.shops if shop.joined_on <= day]

    def week_sales(self) -> None:
        """Saturday evening: each shop's till export of the week (the units sold, booked
        that evening: one call for every shop) and its daily Z tickets (those sales at
        retail prices, and what it sold from other suppliers), sent as a CSV."""
        until = min(self.clock_day(), self.today - dt.timedelta(days=1))
        days = []
        day = self.sold_until + dt.timedelta(days=1)
        while day <= until:
            if day.weekday() < 6:
                days.append(day)
            day += dt.timedelta(days=1)
        self.sold_until = max(self.sold_until, until)
        if not days:
            return
        stock = defaultdict(dict)
        for shop_id, product_id, quantity in StockBalance.objects.filter(
            quantity__gt=0
        ).values_list("shop_id", "product_id", "quantity"):
            stock[shop_id][product_id] = quantity
        moment = paris_now()
        movements = []
        for shop in self.shops:
            shop_days = [d for d in days if d >= shop.joined_on]
            if not shop_days:
                continue
            week = WEEK_SALES.get(shop.kind, GROCERY_WEEK)
            size = 0.6 + 0.15 * shop.shares
            takings = {d: defaultdict(Decimal) for d in shop_days}
            for product_id, on_hand in sorted(stock[shop.pk].items()):
                per_day = week.get(self.by_id[product_id].sku, 1) * size / 6
                left = on_hand
                for d in shop_days:
                    wanted = per_day * WEEKDAY[d.weekday()] * SEASON[d.month - 1]
                    sold = min(left, round(wanted * self.rng.uniform(0.5, 1.5)))
                    left -= sold
                    vat_rate = self.by_id[product_id].vat_rate
                    takings[d][vat_rate] += sold * self.retail[product_id]
                if left < on_hand:
                    movements.append(
                        MovementIn(
                            shop_id=shop.pk,
                            product_id=product_id,
                            kind=StockMovement.Kind.SALE,
                            quantity=left - on_hand,
                            occurred_at=moment,
                        )
                    )
            for d in shop_days:
                factor = WEEKDAY[d.weekday()] * SEASON[d.month - 1]
                for rate, (low, high) in OTHER_SALES.items():
                    takings[d][rate] += money(Decimal(self.rng.uniform(low, high) * factor))
                total = sum(takings[d].values(), Decimal(0))
                card = money(total * Decimal(self.rng.uniform(0.55, 0.8)))
                sales = None
                if basket := BASKET.get(shop.kind):
                    sales = max(1, round(float(total) / self.till_rng.uniform(*basket)))
                self.tickets[shop.pk].append((d, takings[d], total - card, card, sales))
        movements_record(movements=movements)
        self.tickets_send()

    def tickets_send(self) -> None:
        """Each shop sends the Z tickets of its week, as the CSV its till makes (with the
        number of sales when its till counts them)."""
        for shop in self.shops:
            days = self.tickets.pop(shop.pk, [])
            if not days:
                continue
            rates = {rate: column for column, rate in RATE_COLUMNS.items()}
            rows = [f"date;{';'.join(RATE_COLUMNS)};cash;card;other;transactions"]
            for day, takings, cash, card, sales in days:
                cells = {rates[rate]: amount for rate, amount in takings.items()}
                rows.append(
                    ";".join(
                        [
                            day.isoformat(),
                            *(str(cells.get(column, "")) for column in RATE_COLUMNS),
                            str(cash),
                            str(card),
                            "",
                            "" if sales is None else str(sales),
                        ]
                    )
                )
            file = io.BytesIO("\n".join(rows).encode())
            sales_days_import(shop=shop, file=file, user=self.shopkeepers.get(shop.pk))
            self.counts["z"] += len(days)

    def losses_of_day(self, day: dt.date) -> None:
        """Now and then a broken jar or a bottle gone: a loss of one or two units."""
        for shop in self.members(day):
            if self.rng.random() > 0.05:
                continue
            in_stock = list(
                StockBalance.objects.filter(shop=shop, quantity__gt=1)
                .order_by("product_id")
                .values_list("product_id", flat=True)
            )
            if not in_stock:
                continue
            movement_create(
                shop=shop,
                product=self.by_id[self.rng.choice(in_stock)],
                kind=StockMovement.Kind.LOSS,
                quantity=1,
                reason=self.rng.choice(
                    [StockMovement.Reason.DAMAGED] * 3 + [StockMovement.Reason.THEFT]
                ),
                user=self.shopkeepers.get(shop.pk, self.coordinator),
                occurred_on=day,
            )
            self.counts["losses"] += 1

    def expired_withdraw(self, day: dt.date) -> None:
        """On Saturday evening, before the week's sales are booked, each shop takes out of
        its shelves the lots past their date."""
        expired = defaultdict(int)
        for shop_id, product_id, remaining in StockLot.objects.filter(
            expires_on__lt=day, remaining__gt=0
        ).values_list("shop_id", "product_id", "remaining"):
            expired[(shop_id, product_id)] += remaining
        shops = {shop.pk: shop for shop in self.shops}
        for (shop_id, product_id), quantity in sorted(expired.items()):
            movement_create(
                shop=shops[shop_id],
                product=self.by_id[product_id],
                kind=StockMovement.Kind.LOSS,
                quantity=quantity,
                reason=StockMovement.Reason.EXPIRED,
                user=self.shopkeepers.get(shop_id, self.coordinator),
                occurred_on=day,
            )
            self.counts["losses"] += 1

    def counts_of_month(self, day: dt.date) -> None:
        """The monthly count of each shop: what is on the shelves, one or two units short."""
        for shop in self.members(day):
            balances = list(
                StockBalance.objects.filter(shop=shop)
                .select_related("product")
                .order_by("product_id")
            )
            if not balances:
                continue
            lines = []
            for balance in balances:
                counted = balance.quantity
                if counted and self.rng.random() < 0.2:
                    counted -= self.rng.randint(1, min(2, counted))
                lines.append({"product": balance.product, "quantity": counted})
            stock_count_record(
                shop=shop,
                counted_on=day,
                lines=lines,
                user=self.shopkeepers.get(shop.pk, self.coordinator),
            )
            self.counts["stock_counts"] += 1

    # -- the money ------------------------------------------------------------------

    def bank_details(self) -> None:
        """The coordinator fills in the cooperative's bank account and SEPA creditor
        identifier and its suppliers' IBAN and BIC, and records the direct-debit mandates
        two shops signed."""
        coop = Cooperative.get()
        for field, value in COOP_BANK.items():
            if not getattr(coop, field):
                setattr(coop, field, value)
        coop.save(update_fields=list(COOP_BANK))
        for supplier in Supplier.objects.filter(name__in=SUPPLIER_BANKS, iban=""):
            supplier.iban, supplier.bic = SUPPLIER_BANKS[supplier.name]
            supplier.save(update_fields=["iban", "bic"])
        for index, (iban, bic) in MANDATES.items():
            if index < len(self.shops):
                shop = self.shops[index]
                mandate_save(
                    shop=shop,
                    iban=iban,
                    bic=bic,
                    reference=f"MACHE-RUM-{shop.pk:04d}",
                    signed_on=max(self.start, shop.joined_on),
                    scheme="B2B",
                )
        self.counts["mandates"] = len(self.mandated)

    def invoices_followed(self, invoices, *, receipt: bool = True) -> None:
        """What follows an invoice: a shop with a mandate is collected at the month's
        batch; the others pay by transfer (the bar-épicerie by cheque) two to four weeks
        later, the slow payer after its due date; one delivery has a broken unit
        credited the next day. (`receipt` False: supplementary invoices, paid the same
        way.)"""
        for invoice in invoices:
            first_shop = invoice.shop_id == self.shops[0].pk
            if receipt and self.receipts == CREDITED_RECEIPT and first_shop:
                moment = at(invoice.issued_on + dt.timedelta(days=1), PAYMENT)
                self.add(moment - dt.timedelta(hours=1), self.credit_note, invoice.pk)
            if invoice.shop_id in self.mandated:
                continue
            slow = len(self.shops) > SLOW_PAYER and invoice.shop_id == self.shops[SLOW_PAYER].pk
            delay = self.rng.randint(38, 60) if slow else self.rng.randint(12, 28)
            self.add(
                at(invoice.issued_on + dt.timedelta(days=delay), PAYMENT), self.pay, invoice.pk
            )

    def credit_note(self, invoice_id: int) -> None:
        invoice = Invoice.objects.get(pk=invoice_id)
        goods = invoice.lines.filter(kind="goods").order_by("position").first()
        if goods is None:
            return
        credit_note_issue(
            invoice_id=invoice.pk,
            reason="Un article arrivé cassé, constaté au déballage",
            lines=[{"invoice_line": goods.pk, "quantity": 1, "return_to_supplier": True}],
            user=self.coordinator,
        )
        self.counts["credit_notes"] += 1

    def pay(self, invoice_id: int, method: str | None = None) -> None:
        invoice = Invoice.objects.select_related("shop").get(pk=invoice_id)
        if invoice.amount_due <= 0:
            return
        shop = invoice.shop
        method = method or ("cheque" if shop.kind == Shop.Kind.BAR_EPICERIE else "transfer")
        if method == "cheque":
            self.cheques += 1
            reference = f"Chèque n° {4_180_000 + self.cheques}"
        else:
            reference = f"VIR {shop.legal_name} {invoice.number}"
        payment = payment_record(
            shop=shop,
            date=self.clock_day(),
            amount=invoice.amount_due,
            method=method,
            reference=reference,
            invoices=[invoice.pk],
            user=self.coordinator,
        )
        self.counts["payments"] += 1
        if method == "cheque" and self.cheques == RETURNED_CHEQUE:
            # The bank returns it unpaid a week later; the shop pays again by transfer.
            later = paris_now() + dt.timedelta(days=7)
            self.add(later, self.cheque_returned, payment.pk)
            self.add(later + dt.timedelta(days=5), self.pay, invoice.pk, "transfer")

    def cheque_returned(self, payment_id: int) -> None:
        payment_cancel(
            payment=Payment.objects.get(pk=payment_id),
            date=self.clock_day(),
            reason="Chèque impayé (provision insuffisante)",
            user=self.coordinator,
        )
        self.counts["payments_cancelled"] += 1

    def direct_debits(self, day: dt.date) -> None:
        """The week's direct-debit batch, prepared on Monday for Thursday (B2B: two days'
        notice at least), collected on Thursday (the bank statement shows it)."""
        collection = day + dt.timedelta(days=3)
        if not self.mandated:
            return
        try:
            batch = direct_debit_batch_prepare(
                collection_date=collection, invoice_ids=None, user=self.coordinator
            )
        except InvalidInput:
            return  # nothing due by then
        self.counts["direct_debit_batches"] += 1
        self.add(at(collection, DIRECT_DEBIT), self.direct_debit_settle, batch.pk, collection)

    def direct_debit_settle(self, batch_id: int, day: dt.date) -> None:
        direct_debit_batch_settle(batch=DirectDebitBatch.objects.get(pk=batch_id), date=day)

    def reminders(self, day: dt.date) -> None:
        self.counts["reminders"] += len(payment_reminders_send(today=day))

    # -- the suppliers' invoices ----------------------------------------------------------

    def supplier_number(self, supplier) -> str:
        """The supplier's next invoice number, in its own series."""
        number = self.supplier_numbers.get(supplier.pk, 100 + 37 * len(self.supplier_numbers)) + 1
        self.supplier_numbers[supplier.pk] = number
        prefix = next(
            (p.sku.split("-", 1)[0] for p in self.by_id.values() if p.supplier_id == supplier.pk),
            "F",
        )
        return f"{prefix}{self.clock_day():%y}-{number:05d}"

    def variation(self, supplier_order, lines, pending: bool) -> str | None:
        """How this e-invoice differs from the order (VARIATIONS), if it does: the first
        one left to approve misses a line; the others are due at their rank, the extra
        shipping waiting for an order that has shipping."""
        if pending:
            self.left_to_approve += 1
            if self.left_to_approve == 1:
                return "missing" if len(lines) > 1 else "dearer"
            return None
        if self.einvoices in VARIATIONS:
            self.variations_due.append(VARIATIONS[self.einvoices])
        for due in self.variations_due:
            if due != "shipping" or supplier_order.shipping > 0:
                self.variations_due.remove(due)
                return due
        return None

    def einvoice_send(self, supplier_order_id: int, corrected: bool = False) -> None:
        """The supplier's e-invoice of a received order, the day after the delivery (or
        a corrected one, after a rejection): written from the order as received
        (wiring/demo/supplier_einvoices.py), changed by its variation, received from the
        platform's inbox, then approved a few days later, or rejected (a product billed
        dearer), or left to approve when that day has not come yet."""
        supplier_order = SupplierOrder.objects.select_related("round__supplier").get(
            pk=supplier_order_id
        )
        supplier = supplier_order.round.supplier
        day = self.clock_day()
        approval = at(day + dt.timedelta(days=APPROVAL_DAYS), APPROVAL)
        lines = sorted(
            (line for line in supplier_order.lines.all() if line.received_units),
            key=lambda line: (line.received_units * line.unit_price, line.product_id),
        )
        variation = None
        if not corrected:
            self.einvoices += 1
            variation = self.variation(supplier_order, lines, approval >= self.now)
        changes = {}
        if variation in ("cheaper", "dearer"):
            line = lines[-1]
            factor = CHEAPER if variation == "cheaper" else DEARER
            price = money(line.unit_price * factor)
            changes["unit_prices"] = {self.by_id[line.product_id].sku: price}
        elif variation == "shipping":
            changes["shipping"] = supplier_order.shipping + SHIPPING_ADDED
        elif variation == "missing":
            changes["without"] = {self.by_id[lines[0].product_id].sku}
        spec = spec_for_supplier_order(
            supplier_order, number=self.supplier_number(supplier), issued_on=day, **changes
        )
        facturx = supplier.name in FACTURX_SUPPLIERS
        data = facturx_pdf(spec) if facturx else cii_xml(spec)
        name = f"{spec.number}.{'pdf' if facturx else 'xml'}"
        source = f"platform:{name}"
        if variation or corrected or day >= self.today - dt.timedelta(RECEIVED_AS_FILES_DAYS):
            invoice = supplier_invoice_receive(data=data, filename=name, source=source)
        else:
            # Older ones: recorded from their XML as read, without the XSD and schematron
            # (docs/demo.md: the same writer's invoices, the validation is the dear part).
            xml = cii_xml(spec)
            received = cii.parse(parse_xml(xml), xml, format="facturx" if facturx else "cii")
            invoice = supplier_invoice_record(
                received=received, data=data, filename=name, source=source
            )
        self.counts["supplier_invoices"] += 1
        if variation == "dearer" and approval < self.now:
            line = lines[-1]
            reason = REJECTION.format(
                product=self.by_id[line.product_id].name,
                billed=format_unit_price(price),
                agreed=format_unit_price(line.unit_price),
                order=spec.order_reference,
            )
            decided = at(day + dt.timedelta(days=1), APPROVAL)
            self.add(decided, self.einvoice_reject, invoice.pk, reason)
            self.add(decided + dt.timedelta(days=2), self.einvoice_send, supplier_order.pk, True)
        else:
            self.add(approval, self.einvoice_approve, invoice.pk)

    def einvoice_approve(self, supplier_invoice_id: int) -> None:
        """The coordinator approves the invoice: the purchase is booked from it, and
        what it bills less or more than the shops were invoiced goes back to them
        (credit notes, supplementary invoices, paid like the others)."""
        invoice = supplier_invoice_approve(
            supplier_invoice_id=supplier_invoice_id, user=self.coordinator
        )
        self.counts["supplier_invoices_approved"] += 1
        if invoice.differences:
            self.counts["credit_notes"] += CreditNote.objects.filter(
                invoice__supplier_order=invoice.supplier_order_id,
                reason__contains=invoice.number,
            ).count()
            supplements = list(
                Invoice.objects.filter(
                    supplier_order=invoice.supplier_order_id, supplements__isnull=False
                ).order_by("pk")
            )
            self.counts["invoices"] += len(supplements)
            self.invoices_followed(supplements, receipt=False)

    def einvoice_reject(self, supplier_invoice_id: int, reason: str) -> None:
        supplier_invoice_reject(
            supplier_invoice_id=supplier_invoice_id, reason=reason, user=self.coordinator
        )

    def transfers(self) -> None:
        """Early in the month the coordinator pays the suppliers' invoices approved
        before it began, by one SEPA credit-transfer batch executed three days later:
        the file goes to the bank, and the statement shows the transfers that day."""
        day = self.clock_day()
        began = at(day.replace(day=1), dt.time(0, 0))
        ids = list(
            SupplierInvoice.objects.filter(
                status=SupplierInvoice.Status.APPROVED,
                decided_at__lt=began,
                credit_transfers__isnull=True,
            )
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        if not ids:
            return
        execution = weekday_from(day + dt.timedelta(days=TRANSFERS_EXECUTION))
        batch = credit_transfer_batch_prepare(
            execution_date=execution, supplier_invoice_ids=ids, user=self.coordinator
        )
        credit_transfer_batch_file(batch=batch)
        self.counts["credit_transfer_batches"] += 1
        self.add(at(execution, DIRECT_DEBIT), self.transfers_settle, batch.pk, execution)

    def transfers_settle(self, batch_id: int, day: dt.date) -> None:
        credit_transfer_batch_settle(batch=CreditTransferBatch.objects.get(pk=batch_id), date=day)

    # -- the month's reports ------------------------------------------------------------

    def reports_of_month(self, month: dt.date) -> None:
        """What the beat does on the 1st: the reports of the month before, built here
        one after the other rather than by the workers."""
        run = reports_generate(month=format_month(month), shop_ids=None)
        for report_id in Report.objects.filter(run=run).order_by("pk").values_list("pk", flat=True):
            report_build(report_id=report_id)
            self.counts["reports"] += 1


def demo_history_load(*, months: int) -> dict | None:
    """Build the demo's past (module doc) unless it is there already; returns what was
    made, or None when there was nothing to do. The e-mails of the past (rounds
    consolidated, reports ready) are not sent: they would arrive months late."""
    if history_exists():
        return None
    now = paris_now()
    start = history_start(now.date(), months)
    founded = previous_month(start)
    with transaction.atomic():
        Cooperative.objects.filter(founded_on__isnull=True).update(founded_on=founded)
        Cooperative.objects.filter(founded_on__gt=founded).update(founded_on=founded)
        last_message = OutboxMessage.objects.order_by("-pk").values_list("pk", flat=True).first()
        history = History(months=months, now=now)
        # A line per round consolidated is the worker's log, and factur-x's lines per PDF
        # made or read the package's: not the demo's output.
        quiet = [logging.getLogger(name) for name in ("purchasing", "factur-x")]
        levels = [logger.level for logger in quiet]
        for logger in quiet:
            logger.setLevel(logging.WARNING)
        try:
            made = history.run()
        finally:
            for logger, level in zip(quiet, levels, strict=True):
                logger.setLevel(level)
        made["timings"] = dict(history.timings)
        OutboxMessage.objects.filter(pk__gt=last_message or 0).delete()
    return made


def demo_open_round_fill() -> int:
    """The shops' orders in the open rounds that have none yet (the order form and the
    live fill then show something). Returns the number of orders placed."""
    rng = random.Random(SEED)
    now = paris_now()
    shops = list(Shop.objects.filter(status=Shop.Status.ACTIVE).order_by("pk"))
    shopkeepers = {
        shop.pk: user
        for user in User.objects.filter(role=User.Role.SHOPKEEPER).order_by("pk")
        for shop in user.shops.all()
    }
    placed = 0
    for round_ in Round.objects.filter(status=Round.Status.OPEN, opens_at__lte=now).order_by("pk"):
        if Order.objects.filter(round=round_).exists() or round_.closes_at <= now:
            continue
        products = list(
            Product.objects.filter(supplier_id=round_.supplier_id, active=True).order_by("pk")
        )
        for shop in shops[:-1]:  # the last one has not ordered yet: the fill shows it
            lines = [
                {"product": p.pk, "quantity": rng.randint(1, 2) * p.case_size // 2 or 1}
                for p in products
                if rng.random() < 0.6
            ]
            if lines:
                order_place(
                    round_id=round_.pk, shop=shop, lines=lines, user=shopkeepers.get(shop.pk)
                )
                placed += 1
    return placed
