"""The data of the reports bench: a cooperative's year of books, stock and pooled
purchases, built in memory and loaded with COPY (see the package's doc)."""

import bisect
import datetime as dt
import random
from collections import defaultdict
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from mache.db import insert_rows
from mache.formats import format_date, format_rate
from mache.periods import (
    PARIS,
    last_day_of_month,
    next_month,
)

from .._db import (
    reset_sequences,
    sirets,
)

CHUNK_SHOPS = 20  # shops generated, then COPYed, at a time: insert_rows holds its rows
FEE_RATE = Decimal("0.0200")
COOP_AUX = ("COOP", "Coopérative MACHE")  # accounting.postings.COOP_AUX

# name, closing days of its rounds in a month, shipping fee, free shipping from,
# minimum order, kind of goods (shelf life).
SUPPLIERS = [
    ("Épicerie sèche du Grand Ouest", (4, 18), "60.00", "1500.00", "300.00", "dry"),
    ("Laiterie et frais de Bretagne", (7, 21), "45.00", "800.00", "200.00", "fresh"),
    ("Boissons des Coteaux", (11,), "150.00", None, "500.00", "drinks"),
    ("Droguerie Hygiène Maison", (14,), "35.00", "1000.00", "250.00", "household"),
]
# name, VAT rate, case size, price range in euros excl. VAT.
PRODUCTS = {
    "dry": [
        (name, "5.50", case, low, high)
        for name, case, low, high in (
            ("Pâtes torsades 500 g", 12, 0.8, 1.6),
            ("Riz long 1 kg", 12, 1.5, 2.8),
            ("Farine T65 1 kg", 10, 0.9, 1.6),
            ("Sucre en poudre 1 kg", 10, 1.0, 1.8),
            ("Huile de tournesol 1 L", 12, 1.8, 3.2),
            ("Café moulu 250 g", 12, 2.5, 4.5),
            ("Thé noir 25 sachets", 12, 1.5, 3.0),
            ("Confiture de fraises 370 g", 6, 2.0, 3.5),
            ("Chocolat noir 200 g", 20, 1.5, 3.0),
            ("Petits-beurre 200 g", 24, 1.0, 1.9),
            ("Haricots verts 4/4", 12, 1.2, 2.2),
            ("Thon au naturel 140 g", 12, 1.6, 2.9),
            ("Sauce tomate 500 g", 12, 0.9, 1.7),
            ("Lentilles vertes 500 g", 10, 1.4, 2.4),
            ("Sel fin 1 kg", 12, 0.4, 0.9),
            ("Céréales 375 g", 8, 2.0, 3.8),
            ("Compote de pommes 4x100 g", 12, 1.3, 2.3),
            ("Moutarde 370 g", 12, 1.0, 2.0),
            ("Vinaigre de vin 1 L", 6, 0.9, 1.8),
            ("Miel toutes fleurs 500 g", 6, 4.5, 7.5),
        )
    ],
    "fresh": [
        (name, "5.50", case, low, high)
        for name, case, low, high in (
            ("Lait demi-écrémé 1 L", 6, 0.8, 1.1),
            ("Beurre doux 250 g", 10, 1.8, 2.8),
            ("Yaourts nature x4", 6, 1.0, 1.8),
            ("Crème fraîche 20 cl", 6, 1.0, 1.6),
            ("Emmental râpé 200 g", 8, 1.6, 2.6),
            ("Camembert 250 g", 6, 1.7, 3.2),
            ("Œufs plein air x6", 10, 1.8, 2.8),
            ("Jambon blanc x4", 8, 2.5, 4.0),
            ("Lardons fumés 200 g", 8, 1.6, 2.6),
            ("Fromage blanc 500 g", 6, 1.3, 2.2),
            ("Comté 12 mois 250 g", 6, 3.8, 5.5),
            ("Saucisson sec 250 g", 6, 3.0, 5.0),
            ("Pâte feuilletée", 10, 1.0, 1.7),
            ("Galettes de sarrasin x6", 8, 1.8, 3.0),
            ("Far breton 500 g", 4, 3.0, 4.8),
        )
    ],
    "drinks": [
        ("Eau minérale 1,5 L", "5.50", 6, 0.25, 0.5),
        ("Jus d'orange 1 L", "5.50", 6, 1.2, 2.2),
        ("Limonade 1 L", "5.50", 6, 0.8, 1.4),
        ("Cola 1,5 L", "5.50", 6, 1.2, 1.9),
        ("Cidre brut 75 cl", "20.00", 6, 2.2, 3.8),
        ("Bière blonde 6x25 cl", "20.00", 4, 3.5, 5.5),
        ("Vin rouge AOP 75 cl", "20.00", 6, 3.5, 8.0),
        ("Vin blanc 75 cl", "20.00", 6, 3.2, 7.0),
        ("Rosé 75 cl", "20.00", 6, 3.0, 6.0),
        ("Sirop de menthe 75 cl", "5.50", 6, 2.0, 3.2),
        ("Eau gazeuse 1 L", "5.50", 6, 0.4, 0.8),
        ("Pommeau 70 cl", "20.00", 6, 9.0, 13.0),
    ],
    "household": [
        (name, "20.00", case, low, high)
        for name, case, low, high in (
            ("Liquide vaisselle 500 ml", 12, 0.9, 1.8),
            ("Lessive liquide 2 L", 4, 4.0, 7.0),
            ("Papier toilette x12", 4, 3.5, 6.0),
            ("Essuie-tout x4", 6, 2.0, 3.5),
            ("Éponges x3", 12, 0.8, 1.5),
            ("Savon de Marseille", 12, 1.2, 2.4),
            ("Shampoing 250 ml", 12, 1.5, 3.0),
            ("Dentifrice 75 ml", 12, 1.0, 2.2),
            ("Sacs poubelle 30 L x20", 12, 1.2, 2.4),
            ("Allumettes x10", 10, 0.8, 1.6),
            ("Piles AA x4", 10, 2.5, 4.5),
            ("Bougies x10", 12, 1.5, 2.8),
            ("Eau de Javel 1 L", 12, 0.6, 1.2),
        )
    ],
}
# Shelf life in days (None: no date) by kind of goods; drinks: wine and cider keep.
SHELF_LIFE = {"dry": (180, 540), "fresh": (12, 30), "drinks": (300, 720), "household": None}
COMMUNES = [
    ("Rimou", "35560"),
    ("Tremblay", "35460"),
    ("Bazouges-la-Pérouse", "35560"),
    ("Saint-Rémy-du-Plain", "35560"),
    ("Vieux-Vy-sur-Couesnon", "35490"),
    ("Mézières-sur-Couesnon", "35140"),
    ("Gosné", "35140"),
    ("Livré-sur-Changeon", "35450"),
    ("Saint-Ouen-des-Alleux", "35140"),
    ("Romazy", "35490"),
    ("Marcillé-Raoul", "35560"),
    ("Noyal-sous-Bazouges", "35560"),
    ("Cuguen", "35270"),
    ("Trans-la-Forêt", "35610"),
    ("La Fontenelle", "35560"),
    ("Sens-de-Bretagne", "35490"),
    ("Chauvigné", "35490"),
    ("Feins", "35440"),
    ("Aubigné", "35250"),
    ("Montreuil-sur-Ille", "35440"),
    ("Dingé", "35440"),
    ("Guipel", "35440"),
    ("Langouet", "35630"),
    ("Hédé-Bazouges", "35630"),
    ("Saint-Symphorien", "35630"),
    ("Vignoc", "35630"),
    ("Plesder", "56400"),
    ("Lanrigan", "35270"),
    ("Combourtillé", "35210"),
    ("Parcé", "35210"),
]
KIND_LABELS = {
    "epicerie": "Épicerie",
    "bar_epicerie": "Bar-épicerie",
    "boulangerie": "Boulangerie",
    "primeur": "Primeur",
    "fromagerie": "Fromagerie",
}
KINDS = ["epicerie"] * 6 + ["bar_epicerie"] * 3 + ["boulangerie", "primeur", "fromagerie"]

# Sales: the week (Monday first) and the seasons (village shops fill up in summer).
WEEKDAY = (0.85, 0.9, 0.95, 0.95, 1.15, 1.45, 0.9)
SEASON = (0.85, 0.85, 0.9, 0.95, 1.0, 1.05, 1.3, 1.35, 1.0, 0.95, 0.95, 1.25)

HOLIDAYS = ((1, 1), (5, 1), (5, 8), (7, 14), (8, 15), (11, 1), (11, 11), (12, 25))
RATES = {210: "2.10", 550: "5.50", 1000: "10.00", 2000: "20.00"}  # hundredths of a percent

# A shop's running costs: accounts a shop's accountant adds to the chart of the services.
EXTRA_ACCOUNTS = [
    ("421000", "Personnel, rémunérations dues", "liability"),
    ("606100", "Fournitures non stockables (eau, énergie)", "expense"),
    ("613200", "Locations immobilières", "expense"),
    ("616000", "Primes d'assurances", "expense"),
    ("626000", "Frais postaux et de télécommunications", "expense"),
    ("627000", "Services bancaires et assimilés", "expense"),
    ("641000", "Rémunérations du personnel", "expense"),
    ("645100", "Cotisations à l'URSSAF", "expense"),
]
LOSS_REASONS = ("damaged", "damaged", "theft", "other")

# Stock events of a day, in this order: the delivery in the morning, the till's export
# at closing, losses found in the evening, expired lots withdrawn last.
RECEIPT, SALE, LOSS, EXPIRED = 0, 1, 2, 3
HOURS = {
    RECEIPT: dt.time(8, 30),
    SALE: dt.time(19, 0),
    LOSS: dt.time(20, 0),
    EXPIRED: dt.time(20, 30),
}
POSTED = dt.time(21, 0)


def cents(value: int) -> str:
    """1234 -> "12.34" (COPY parses it as numeric, exactly)."""
    return f"{value // 100}.{value % 100:02d}"


def cost4(value: int) -> str:
    """Ten-thousandths of a euro: 12345 -> "1.2345"."""
    return f"{value // 10000}.{value % 10000:04d}"


def euros(value: int) -> Decimal:
    """Cents as an amount: 1234 -> Decimal("12.34")."""
    return Decimal(value).scaleb(-2)


def vat_on(base: int, rate: int) -> int:
    """purchasing.rules.vat_amount in cents: base * rate / 100, half-up."""
    return (2 * base * rate + 10000) // 20000


# --- The data -------------------------------------------------------------------------------


class Ids:
    """Explicit ids for the rows other rows point to (COPY gives no id back)."""

    def __init__(self):
        self.last = defaultdict(int)

    def next(self, kind: str) -> int:
        self.last[kind] += 1
        return self.last[kind]


class Books:
    """Entries of one ledger before they are numbered: (date, order, journal, label,
    piece, source, lines, sales day); lines (account, auxiliary, label, debit, credit,
    rate) with amounts as COPY text or Decimal."""

    def __init__(self, ledger_id: int, accounts: dict, journals: dict, auxiliaries: dict):
        self.ledger_id, self.accounts, self.journals = ledger_id, accounts, journals
        self.auxiliaries = auxiliaries
        self.entries = []

    def add(self, date, journal, label, piece, lines, source=None, sales_day=None):
        self.entries.append(
            (date, len(self.entries), journal, label, piece, source, lines, sales_day)
        )


class World:
    """What the generator carries between its steps: ids, numbering and the rows to COPY."""

    def __init__(self, rng: random.Random, first_month: dt.date, month: dt.date):
        self.rng = rng
        self.first_day, self.last_day = first_month, last_day_of_month(month)
        self.first_month = first_month
        self.ids = Ids()
        self.numbers = defaultdict(int)  # (journal id, year) -> last entry number
        self.rows = defaultdict(list)  # model -> rows
        self.fields = {}
        self.counts = defaultdict(int)
        self.invoice_numbers = defaultdict(int)  # year -> last invoice number
        day, self.moments = self.first_day - dt.timedelta(days=1), {}
        while day <= self.last_day + dt.timedelta(days=1):
            self.moments[day] = {
                slot: dt.datetime.combine(day, hour, tzinfo=PARIS)
                for slot, hour in (*HOURS.items(), ("posted", POSTED))
            }
            day += dt.timedelta(days=1)

    def add(self, model, fields: list[str], row: tuple) -> None:
        self.fields.setdefault(model, fields)
        self.rows[model].append(row)

    def flush(self) -> None:
        """COPY what is held, parents first (the triggers are off, foreign keys too, but
        the order keeps the load readable)."""
        order = sorted(self.rows, key=lambda model: LOAD_ORDER.index(model._meta.label))
        for model in order:
            rows = self.rows.pop(model)
            self.counts[model._meta.label] += insert_rows(model, self.fields[model], rows)

    def post(self, books: Books) -> None:
        """Number the ledger's entries per journal and year in date order (gap-free, as
        the posting engine), and turn them into rows."""
        from accounting.models import Entry, EntryLine, SalesDay, SalesDayLine

        books.entries.sort(key=lambda entry: (entry[0], entry[1]))
        accounts, auxiliaries, ledger_id = books.accounts, books.auxiliaries, books.ledger_id
        line_fields = [
            "entry_id",
            "ledger_id",
            "date",
            "account_id",
            "auxiliary_id",
            "label",
            "debit",
            "credit",
            "vat_rate",
        ]
        lines_out = self.rows[EntryLine]
        self.fields.setdefault(EntryLine, line_fields)
        for date, _, journal, label, piece, source, lines, sales_day in books.entries:
            journal_id = books.journals[journal]
            key = (journal_id, date.year)
            self.numbers[key] += 1
            entry_id = self.ids.next("entry")
            posted_at = self.moments[date]["posted"]
            self.add(
                Entry,
                [
                    "id",
                    "ledger_id",
                    "journal_id",
                    "fiscal_year",
                    "number",
                    "date",
                    "label",
                    "piece_ref",
                    "piece_date",
                    "source",
                    "posted_at",
                ],
                (
                    entry_id,
                    ledger_id,
                    journal_id,
                    date.year,
                    self.numbers[key],
                    date,
                    label,
                    piece,
                    date,
                    source,
                    posted_at,
                ),
            )
            for account, auxiliary, line_label, debit, credit, rate in lines:
                lines_out.append(
                    (
                        entry_id,
                        ledger_id,
                        date,
                        accounts[account],
                        auxiliaries[auxiliary] if auxiliary else None,
                        line_label or label,
                        debit,
                        credit,
                        rate,
                    )
                )
            if sales_day:
                shop_id, cash, card, other, amounts = sales_day
                day_id = self.ids.next("sales_day")
                self.add(
                    SalesDay,
                    ["id", "shop_id", "date", "cash", "card", "other", "entry_id", "created_at"],
                    (
                        day_id,
                        shop_id,
                        date,
                        cents(cash),
                        cents(card),
                        cents(other),
                        entry_id,
                        posted_at,
                    ),
                )
                for rate, amount in amounts:
                    self.add(
                        SalesDayLine,
                        ["sales_day_id", "vat_rate", "amount_incl_vat"],
                        (day_id, RATES[rate], cents(amount)),
                    )
        books.entries.clear()


LOAD_ORDER = [
    "purchasing.Round",
    "purchasing.SupplierOrder",
    "purchasing.SupplierOrderLine",
    "purchasing.Order",
    "purchasing.OrderLine",
    "purchasing.Allocation",
    "purchasing.Invoice",
    "purchasing.InvoiceLine",
    "purchasing.InvoiceVat",
    "accounting.Entry",
    "accounting.EntryLine",
    "accounting.SalesDay",
    "accounting.SalesDayLine",
    "accounting.EntrySequence",
    "purchasing.InvoiceSequence",
    "inventory.StockMovement",
    "inventory.StockLot",
    "inventory.MovementLot",
    "inventory.StockBalance",
]


def generate(
    rng: random.Random, shop_count: int, first_month: dt.date, month: dt.date
) -> dict[str, int]:
    """Build the cooperative's year; returns how many rows of each model were loaded."""
    from accounting.models import Entry, SalesDay
    from inventory.models import StockLot, StockMovement
    from purchasing.models import Allocation, Invoice, Order, Round, SupplierOrder

    world = World(rng, first_month, month)
    catalogue = build_catalogue(rng)
    shops, coop = build_shops(rng, shop_count, month)
    with transaction.atomic(), connection.cursor() as cursor:
        # Hundreds of thousands of entry lines checked at COMMIT one by one (the deferred
        # balance triggers of accounting migration 0002) would cost minutes for entries
        # balanced by construction; session_replication_role = replica (superuser only,
        # and only for this transaction: SET LOCAL) skips every trigger, foreign-key
        # checks included. One set-based query checks the balances below instead.
        cursor.execute("SET LOCAL session_replication_role = replica")
        purchases(world, catalogue, shops, coop)
        world.flush()
        for start in range(0, len(shops), CHUNK_SHOPS):
            for shop in shops[start : start + CHUNK_SHOPS]:
                shop_year(world, shop)
            world.flush()
        cooperative_year(world, coop, shops)
        sequences(world)
        world.flush()
    reset_sequences(
        Entry, SalesDay, StockMovement, StockLot, Round, SupplierOrder, Order, Allocation, Invoice
    )
    return world.counts


def build_catalogue(rng: random.Random) -> list[dict]:
    """The suppliers, their products and volume prices, through the ORM (60 rows)."""
    from catalogue.models import PriceTier, Product, Supplier

    catalogue = []
    codes = sirets(len(SUPPLIERS), start=80_000_000)
    for index, (name, _, fee, threshold, minimum, kind) in enumerate(SUPPLIERS):
        supplier = Supplier.objects.create(
            name=name,
            siret=codes[index],
            email=f"commandes{index}@fournisseur.example",
            min_order_amount=Decimal(minimum),
            shipping_fee=Decimal(fee),
            free_shipping_threshold=Decimal(threshold) if threshold else None,
        )
        for number, (label, rate, case, low, high) in enumerate(PRODUCTS[kind]):
            price = rng.randint(int(low * 10_000), int(high * 10_000))
            product = Product.objects.create(
                supplier=supplier,
                sku=f"{kind[:3].upper()}-{number:03d}",
                name=label,
                case_size=case,
                unit_price=Decimal(price).scaleb(-4),
                vat_rate=Decimal(rate),
            )
            tiers = [(10, price * 94 // 100), (30, price * 90 // 100)]
            PriceTier.objects.bulk_create(
                PriceTier(product=product, min_cases=cases, unit_price=Decimal(p).scaleb(-4))
                for cases, p in tiers
            )
            catalogue.append(
                {
                    "id": product.pk,
                    "supplier": index,
                    "name": label,
                    "case": case,
                    "price": price,
                    "tiers": tiers,
                    "rate": Decimal(rate),
                    "life": SHELF_LIFE[kind],
                    "kind": kind,
                }
            )
    return catalogue


def build_shops(rng: random.Random, count: int, month: dt.date):
    """Active shops (COPY) and a few others for the members' table, every active shop
    with its books (the services' chart and journals) and the auxiliary account COOP;
    the cooperative and its books. Returns the shops as dicts and the cooperative's."""
    from accounting.models import Account, AuxiliaryAccount, Journal, Ledger
    from accounting.services import cooperative_ledger, ledger_for_shop
    from catalogue.models import Supplier
    from shops.models import Cooperative, Shop

    Cooperative.objects.create(
        name="Coopérative MACHE",
        legal_name="MACHE SCIC",
        siret=sirets(1, start=70_000_000)[0],
        postcode="35000",
        commune="Rennes",
        service_fee_rate=FEE_RATE,
    )
    now = timezone.now()
    others = [
        (Shop.Status.CANDIDATE, None, None),
        (Shop.Status.CANDIDATE, None, None),
        (Shop.Status.SUSPENDED, dt.date(2024, 5, 1), None),
        (Shop.Status.LEFT, dt.date(2023, 9, 1), month.replace(day=12)),
    ]
    statuses = [
        (Shop.Status.ACTIVE, dt.date(2023, 1, 1) + dt.timedelta(days=n * 3), None)
        for n in range(count)
    ] + others
    zones = ["rural"] * 8 + ["qpv", "urban"]
    rows = []
    for n, ((status, joined_on, left_on), siret) in enumerate(
        zip(statuses, sirets(len(statuses)), strict=True)
    ):
        kind = KINDS[n % len(KINDS)]
        commune, postcode = COMMUNES[n % len(COMMUNES)]
        suffix = f" {n // len(COMMUNES) + 1}" if n >= len(COMMUNES) else ""
        name = f"{KIND_LABELS[kind]} de {commune}{suffix}"
        rows.append(
            (
                name,
                name.upper(),
                siret,
                kind,
                f"{n % 40 + 1} place de l'Église",
                postcode,
                commune,
                zones[n % len(zones)],
                status,
                joined_on,
                left_on,
                1 + n % 4,
                f"shop{n}@bench.example",
                "",
                now,
                3,
            )
        )
    insert_rows(
        Shop,
        [
            "name",
            "legal_name",
            "siret",
            "kind",
            "address",
            "postcode",
            "commune",
            "zone",
            "status",
            "joined_on",
            "left_on",
            "shares",
            "email",
            "phone",
            "created_at",
            "expiry_alert_days",
        ],
        rows,
    )
    shops = []
    for shop in Shop.objects.filter(status=Shop.Status.ACTIVE).order_by("pk"):
        ledger_for_shop(shop)  # the chart of accounts and the five journals
        shops.append(
            {
                "id": shop.pk,
                "name": shop.name,
                "kind": shop.kind,
                "size": rng.uniform(0.5, 2.0),
                "closed": rng.choice((0, 0, 0, 6)),
                "holiday": rng.choice((None, 2, 11, 1)) if rng.random() < 0.6 else None,
                "joins": rng.uniform(0.75, 0.95),
            }
        )
    coop_ledger = cooperative_ledger()
    ledgers = dict(Ledger.objects.filter(kind=Ledger.Kind.SHOP).values_list("shop_id", "pk"))
    insert_rows(
        Account,
        ["ledger_id", "number", "label", "kind"],
        [(ledger_id, *account) for ledger_id in ledgers.values() for account in EXTRA_ACCOUNTS],
    )
    accounts = defaultdict(dict)
    for ledger_id, number, account_id in Account.objects.values_list("ledger_id", "number", "pk"):
        accounts[ledger_id][number] = account_id
    journals = defaultdict(dict)
    for ledger_id, code, journal_id in Journal.objects.values_list("ledger_id", "code", "pk"):
        journals[ledger_id][code] = journal_id
    coop_id = coop_ledger.pk
    auxiliaries = [
        (ledgers[shop["id"]], accounts[ledgers[shop["id"]]]["401000"], *COOP_AUX) for shop in shops
    ]
    auxiliaries += [
        (coop_id, accounts[coop_id]["411000"], f"C{shop['id']:06d}", shop["name"]) for shop in shops
    ]
    auxiliaries += [
        (coop_id, accounts[coop_id]["401000"], f"F{pk:06d}", name)
        for pk, name in Supplier.objects.values_list("pk", "name")
    ]
    insert_rows(AuxiliaryAccount, ["ledger_id", "account_id", "code", "label"], auxiliaries)
    aux = defaultdict(dict)
    for ledger_id, code, aux_id in AuxiliaryAccount.objects.values_list("ledger_id", "code", "pk"):
        aux[ledger_id][code] = aux_id
    for shop in shops:
        ledger_id = ledgers[shop["id"]]
        shop["books"] = Books(ledger_id, accounts[ledger_id], journals[ledger_id], aux[ledger_id])
    coop = {
        "books": Books(coop_id, accounts[coop_id], journals[coop_id], aux[coop_id]),
        "suppliers": dict(enumerate(Supplier.objects.order_by("pk").values_list("pk", flat=True))),
    }
    return shops, coop


def purchases(world: World, catalogue: list[dict], shops: list[dict], coop: dict) -> None:
    """Every round of the year, in order: the shops' orders, the consolidation (cases,
    volume price, allocations: purchasing.rules), the delivery received in full, the
    invoices (rules.shop_invoices) and the cooperative's postings. What each shop
    receives and is invoiced waits in its dict for its own year."""
    from purchasing import rules
    from purchasing.models import (
        Allocation,
        Invoice,
        InvoiceLine,
        InvoiceVat,
        Order,
        OrderLine,
        Round,
        SupplierOrder,
        SupplierOrderLine,
    )

    rng = world.rng
    by_supplier = defaultdict(list)
    for product in catalogue:
        by_supplier[product["supplier"]].append(product)
    for shop in shops:
        # Its assortment, and how much of each product it orders a round: a share of its
        # sales (a shop of size 1 sells about 9,000 euros excl. VAT a month) to spend.
        shop["usual"] = {}
        budget = 4000 * shop["size"] / 45
        for products in by_supplier.values():
            chosen = [p for p in products if rng.random() < 0.55] or products[:3]
            for product in chosen:
                units = budget * rng.uniform(0.5, 1.5) / (product["price"] / 10_000)
                # What stays on the shelf when the next delivery comes: little of the fresh.
                safety = units * (
                    rng.uniform(0.1, 0.3) if product["kind"] == "fresh" else rng.uniform(0.4, 1.0)
                )
                shop["usual"][product["id"]] = (product, max(1, round(units)), safety)
        shop["receipts"] = defaultdict(list)  # product id -> [(day, units, cost, allocation)]
        shop["invoices"] = []
    products = {p["id"]: p for p in catalogue}
    rounds = []
    month = world.first_month
    while month <= world.last_day:
        rounds += [
            (month.replace(day=day), index)
            for index, (_, closing_days, *_) in enumerate(SUPPLIERS)
            for day in closing_days
        ]
        month = next_month(month)
    rounds.sort()
    suppliers = [
        (Decimal(fee), Decimal(threshold) if threshold else None)
        for _, _, fee, threshold, _, _ in SUPPLIERS
    ]
    invoice_numbers = world.invoice_numbers
    coop_books = coop["books"]
    for closes_on, supplier in rounds:
        round_id = world.ids.next("round")
        closes_at = dt.datetime.combine(closes_on, dt.time(12, 0), tzinfo=PARIS)
        delivered = closes_on + dt.timedelta(days=3)
        received_at = world.moments[delivered][RECEIPT]
        world.add(
            Round,
            ["id", "supplier_id", "opens_at", "closes_at", "delivery_date", "status", "created_at"],
            (
                round_id,
                coop["suppliers"][supplier],
                closes_at - dt.timedelta(days=7),
                closes_at,
                delivered,
                Round.Status.INVOICED,
                closes_at - dt.timedelta(days=8),
            ),
        )
        supplier_order_id = world.ids.next("supplier_order")
        lines = defaultdict(list)  # product id -> [(rank, shop, order, quantity, tolerance)]
        joining = [shop for shop in shops if rng.random() < shop["joins"]]
        rng.shuffle(joining)
        rank = 0
        for shop in joining:
            wanted = [
                (product, usual)
                for product, usual, _ in shop["usual"].values()
                if product["supplier"] == supplier and rng.random() < 0.9
            ]
            if not wanted:
                continue
            rank += 1
            order_id = world.ids.next("order")
            created = closes_at - dt.timedelta(minutes=rng.randint(10, 9000))
            world.add(
                Order,
                ["id", "round_id", "shop_id", "created_at", "updated_at"],
                (order_id, round_id, shop["id"], created, created),
            )
            for product, usual in wanted:
                quantity = max(1, round(usual * rng.uniform(0.7, 1.3)))
                tolerance = (
                    0 if rng.random() < 0.6 else rng.randint(1, max(1, product["case"] // 2))
                )
                world.add(
                    OrderLine,
                    ["order_id", "product_id", "quantity", "tolerance"],
                    (order_id, product["id"], quantity, tolerance),
                )
                lines[product["id"]].append((rank, shop, order_id, quantity, tolerance))
        goods = defaultdict(list)  # shop id -> [GoodsLine]
        shop_of, total = {}, Decimal("0.00")
        bought = defaultdict(lambda: Decimal("0.00"))  # the supplier's goods by VAT rate
        for product_id, ordered in sorted(lines.items()):
            product = products[product_id]
            quantities = [q for *_, q, _ in ordered]
            tolerances = [t for *_, t in ordered]
            base = Decimal(product["price"]).scaleb(-4)
            line = rules.group_line(
                ordered=sum(quantities),
                tolerance=sum(tolerances),
                case_size=product["case"],
                base_price=base,
                tiers=[
                    rules.Tier(min_cases, Decimal(price).scaleb(-4))
                    for min_cases, price in product["tiers"]
                ],
            )
            cases, units, unit_price, amount = line.cases, line.units, line.unit_price, line.amount
            shares = rules.allocate(units, quantities, tolerances)
            total += amount
            bought[product["rate"]] += amount
            world.add(
                SupplierOrderLine,
                [
                    "supplier_order_id",
                    "product_id",
                    "cases",
                    "units",
                    "unit_price",
                    "base_unit_price",
                    "amount",
                    "received_units",
                ],
                (supplier_order_id, product_id, cases, units, unit_price, base, amount, units),
            )
            for (rank_, shop, order, quantity, tolerance), share in zip(
                ordered, shares, strict=True
            ):
                allocation_id = world.ids.next("allocation")
                world.add(
                    Allocation,
                    [
                        "id",
                        "supplier_order_id",
                        "order_id",
                        "shop_id",
                        "product_id",
                        "rank",
                        "quantity",
                        "tolerance",
                        "allocated",
                        "received",
                    ],
                    (
                        allocation_id,
                        supplier_order_id,
                        order,
                        shop["id"],
                        product_id,
                        rank_,
                        quantity,
                        tolerance,
                        share,
                        share,
                    ),
                )
                if share:
                    cost = int(unit_price.scaleb(4))  # ten-thousandths, as the shelf counts
                    shop["receipts"][product_id].append((delivered, share, cost, allocation_id))
                    goods[shop["id"]].append(
                        rules.GoodsLine(
                            product=product_id,
                            label=product["name"],
                            units=share,
                            unit_price=unit_price,
                            base_unit_price=base,
                            vat_rate=product["rate"],
                        )
                    )
                    shop_of[shop["id"]] = (rank_, shop)
        fee, threshold = suppliers[supplier]
        shipping = rules.shipping_for(total, fee, threshold)
        world.add(
            SupplierOrder,
            [
                "id",
                "round_id",
                "status",
                "total_excl_vat",
                "shipping",
                "warnings",
                "created_at",
                "confirmed_at",
                "received_at",
            ],
            (
                supplier_order_id,
                round_id,
                SupplierOrder.Status.RECEIVED,
                total,
                shipping,
                "[]",
                closes_at,
                closes_at,
                received_at,
            ),
        )
        ordered_shops = sorted(shop_of.values(), key=lambda item: (item[0], item[1]["id"]))
        drafts = rules.shop_invoices(
            [(shop["id"], goods[shop["id"]]) for _, shop in ordered_shops],
            shipping=shipping,
            fee_rate=FEE_RATE,
        )
        for draft in drafts:
            shop = shop_of[draft.shop][1]
            year = delivered.year
            invoice_numbers[year] += 1
            number = f"MACHE-{year}-{invoice_numbers[year]:06d}"
            invoice_id = world.ids.next("invoice")
            world.add(
                Invoice,
                [
                    "id",
                    "number",
                    "year",
                    "sequence",
                    "shop_id",
                    "round_id",
                    "supplier_order_id",
                    "issued_on",
                    "due_on",
                    "goods_excl_vat",
                    "shipping",
                    "fee",
                    "total_excl_vat",
                    "total_vat",
                    "total_incl_vat",
                    "savings",
                    "created_at",
                ],
                (
                    invoice_id,
                    number,
                    year,
                    invoice_numbers[year],
                    draft.shop,
                    round_id,
                    supplier_order_id,
                    delivered,
                    delivered + dt.timedelta(days=30),
                    draft.goods_excl_vat,
                    draft.shipping,
                    draft.fee,
                    draft.total_excl_vat,
                    draft.total_vat,
                    draft.total_incl_vat,
                    draft.savings,
                    received_at,
                ),
            )
            for position, line in enumerate(draft.lines, start=1):
                world.add(
                    InvoiceLine,
                    [
                        "invoice_id",
                        "position",
                        "kind",
                        "label",
                        "product_id",
                        "quantity",
                        "unit_price",
                        "amount",
                        "vat_rate",
                        "base_unit_price",
                    ],
                    (
                        invoice_id,
                        position,
                        line.kind,
                        line.label,
                        line.product,
                        line.quantity,
                        line.unit_price,
                        line.amount,
                        line.vat_rate,
                        line.base_unit_price,
                    ),
                )
            for rate, base, tax in draft.vat:
                world.add(
                    InvoiceVat,
                    ["invoice_id", "rate", "base", "amount"],
                    (invoice_id, rate, base, tax),
                )
            shop["invoices"].append((delivered, number, draft))
            coop_books.add(
                delivered,
                "VTE",
                f"Facture {number}",
                number,
                invoice_lines(draft, number, delivered, shop, for_shop=False),
                source=f"invoice:{number}",
            )
        supplier_entry(world, coop, supplier, supplier_order_id, delivered, bought, shipping)


def line_rows(lines) -> list[tuple]:
    """The lines of a posting builder (`accounting.services.LineIn`) as the rows `Books`
    holds: (account, auxiliary code, label, debit, credit, rate)."""
    return [
        (
            line.account,
            line.auxiliary[0] if line.auxiliary else None,
            line.label,
            line.debit,
            line.credit,
            line.vat_rate,
        )
        for line in lines
    ]


def invoice_lines(
    draft, number: str, delivered: dt.date, shop: dict, *, for_shop: bool
) -> list[tuple]:
    """The lines of one invoice's entry, the shop's ACH one or the cooperative's VTE one,
    by the builder the receipt posts them with (accounting.postings.invoice_lines)."""
    from accounting import accounts
    from accounting.postings import invoice_lines as posting_lines
    from purchasing.services.invoicing import invoice_to_post

    invoice = invoice_to_post(
        number=number,
        date=delivered,
        shop_id=shop["id"],
        shop_name=shop["name"],
        lines=draft.lines,
        vat=[(rate, tax) for rate, _, tax in draft.vat],
        total_incl_vat=draft.total_incl_vat,
    )
    shop_lines, coop_lines = posting_lines(invoice, fee_account=accounts.INTERMEDIARIES)
    return line_rows(shop_lines if for_shop else coop_lines)


def supplier_entry(
    world: World,
    coop: dict,
    supplier: int,
    supplier_order_id: int,
    delivered: dt.date,
    goods: dict,
    shipping: Decimal,
) -> None:
    """The supplier's invoice in the cooperative's books, by the builders the receipt
    posts it with (accounting.postings.supplier_order_entry); and its payment thirty
    days later."""
    from accounting.postings import supplier_order_label, supplier_order_lines
    from purchasing.services.receipt import supplier_order_to_post

    name = SUPPLIERS[supplier][0]
    order = supplier_order_to_post(
        supplier_order_id=supplier_order_id,
        date=delivered,
        supplier_id=coop["suppliers"][supplier],
        supplier_name=name,
        goods=dict(goods),
        shipping=shipping,
    )
    reference, total = order.reference, order.total_incl_vat
    aux = f"F{coop['suppliers'][supplier]:06d}"
    books = coop["books"]
    books.add(
        delivered,
        "ACH",
        supplier_order_label(order),
        reference,
        line_rows(supplier_order_lines(order)),
        source=f"supplier-order:{supplier_order_id}",
    )
    paid = delivered + dt.timedelta(days=30)
    if paid <= world.last_day:
        books.add(
            paid,
            "BQ",
            f"Règlement {reference} {name}",
            f"VIR-{reference}",
            [("401000", aux, "", total, "0", None), ("512000", None, "", "0", total, None)],
        )


def open_days(world: World, shop: dict) -> list[dt.date]:
    """The days the shop opens: not its weekly closing day, not a public holiday, not
    during its week of holidays (first week of its month off, if it takes one)."""
    days, day = [], world.first_day
    while day <= world.last_day:
        if (
            day.weekday() != shop["closed"]
            and (day.month, day.day) not in HOLIDAYS
            and not (shop["holiday"] == day.month and day.day <= 7)
        ):
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def shop_year(world: World, shop: dict) -> None:
    rng = random.Random(world.rng.random())
    books = shop["books"]
    days = open_days(world, shop)
    sales = z_tickets(world, rng, shop, days, books)
    month_values = stock_year(world, rng, shop, days)
    monthly_entries(world, rng, shop, books, sales, month_values)
    world.post(books)


def z_tickets(
    world: World, rng: random.Random, shop: dict, days: list[dt.date], books: Books
) -> dict:
    """A Z ticket a day the shop opens and its VTE entry (the lines by
    accounting.sales.rules.sales_entry_lines); cash deposited at the bank every
    Saturday. Returns the sales excl. VAT per month, in cents."""
    from accounting import accounts
    from accounting.sales.rules import sales_entry_lines

    bar = shop["kind"] == "bar_epicerie"
    daily = 380 * shop["size"] * (1.15 if bar else 1.0)
    sales = defaultdict(int)
    cash_box, till_float = 0, 15_000
    for day in days:
        total = int(
            daily * WEEKDAY[day.weekday()] * SEASON[day.month - 1] * rng.uniform(0.7, 1.3) * 100
        )
        press = int(total * rng.uniform(0.01, 0.03)) if day.weekday() != 6 else 0
        bar_sales = int(total * rng.uniform(0.05, 0.12)) if bar else 0
        standard = int(total * rng.uniform(0.16, 0.28))
        amounts = [
            (210, press),
            (550, total - press - bar_sales - standard),
            (1000, bar_sales),
            (2000, standard),
        ]
        amounts = [(rate, amount) for rate, amount in amounts if amount]
        other = int(total * rng.uniform(0.02, 0.08)) if rng.random() < 0.25 else 0
        cash = int((total - other) * rng.uniform(0.2, 0.45))
        card = total - other - cash
        lines = sales_entry_lines(
            lines=[(Decimal(RATES[rate]), euros(amount)) for rate, amount in amounts],
            cash=euros(cash),
            card=euros(card),
            other=euros(other),
        )
        sales[(day.year, day.month)] += sum(
            int(line.credit * 100) for line in lines if line.account == accounts.SALES
        )
        lines = line_rows(lines)
        books.add(
            day,
            "VTE",
            f"Ventes du {format_date(day)}",
            f"Z-{day:%Y%m%d}",
            lines,
            source=f"z:{shop['id']}:{day.isoformat()}",
            sales_day=(shop["id"], cash, card, other, amounts),
        )
        cash_box += cash
        if day.weekday() == 5 and cash_box > till_float:
            deposit = cash_box - till_float
            books.add(
                day,
                "CAI",
                "Remise d'espèces en banque",
                f"REM-{day:%Y%m%d}",
                [
                    ("512000", None, "", cents(deposit), "0", None),
                    ("530000", None, "", "0", cents(deposit), None),
                ],
            )
            cash_box = till_float
    return sales


class Shelf:
    """One product in one shop while its year is generated: the running state (integers:
    cents, ten-thousandths of a euro for costs, as inventory.costing rounds them), its
    lots, and the rows of its movements."""

    def __init__(self, world: World, shop_id: int, product_id: int, months: int):
        from inventory.models import MovementLot, StockLot, StockMovement

        self.world, self.shop_id, self.product_id = world, shop_id, product_id
        self.movements = world.rows[StockMovement]
        self.parts, self.lot_rows = world.rows[MovementLot], world.rows[StockLot]
        self.quantity = self.average = self.value = 0
        self.open, self.lots = [], []  # [fefo key, lot id, remaining, row]
        self.values = [None] * months  # value at the end of each month with a movement

    def move(
        self,
        kind: str,
        reason: str,
        delta: int,
        unit_cost: int,
        day: dt.date,
        slot: int,
        allocation_id: int | None = None,
    ) -> int:
        world = self.world
        self.quantity += delta
        self.value = (self.quantity * self.average + 50) // 100
        movement_id = world.ids.next("movement")
        moment = world.moments[day][slot]
        self.movements.append(
            (
                movement_id,
                self.shop_id,
                self.product_id,
                kind,
                reason,
                delta,
                cost4(unit_cost),
                moment,
                self.quantity,
                cost4(self.average),
                cents(self.value),
                f"allocation:{allocation_id}" if allocation_id else "",
                "",
                moment,
            )
        )
        first = world.first_month
        self.values[(day.year - first.year) * 12 + day.month - first.month] = self.value
        return movement_id

    def receive(
        self, day: dt.date, units: int, cost: int, allocation_id: int, expires_on: dt.date | None
    ) -> None:
        quantity = self.quantity
        if quantity <= 0:
            self.average = cost
        else:  # cost_round((q x avg + units x cost) / (q + units)), half-up
            total = quantity * self.average + units * cost
            self.average = (2 * total + quantity + units) // (2 * (quantity + units))
        movement_id = self.move("receipt", "", units, cost, day, RECEIPT, allocation_id)
        lot_id = self.world.ids.next("lot")
        row = [
            lot_id,
            self.shop_id,
            self.product_id,
            f"L{day:%y%m%d}-{self.product_id}" if expires_on else "",
            expires_on,
            self.world.moments[day][RECEIPT],
            units,
            units,
            movement_id,
        ]
        lot = [(expires_on is None, expires_on or dt.date.max, day, lot_id), lot_id, units, row]
        self.open.append(lot)
        self.lots.append(lot)
        self.lot_rows.append(row)

    def exit(self, kind: str, reason: str, units: int, day: dt.date, slot: int) -> None:
        """A sale or a loss, lots taken first-expiry-first-out."""
        units = min(units, self.quantity)
        if not units:
            return
        movement_id = self.move(kind, reason, -units, self.average, day, slot)
        self.open.sort(key=lambda lot: lot[0])
        for lot in self.open:
            taken = min(units, lot[2])
            lot[2] -= taken
            units -= taken
            self.parts.append((movement_id, lot[1], taken))
            if not units:
                break
        self.open = [lot for lot in self.open if lot[2]]

    def expire(self, before: dt.date) -> None:
        """Lots whose date is past before `before`: withdrawn the evening of their date."""
        expired = sorted(lot for lot in self.open if not lot[0][0] and lot[0][1] < before)
        for lot in expired:
            units = lot[2]
            movement_id = self.move("loss", "expired", -units, self.average, lot[0][1], EXPIRED)
            lot[2] = 0
            self.parts.append((movement_id, lot[1], units))
        if expired:
            self.open = [lot for lot in self.open if lot[2]]

    def close(self) -> None:
        for lot in self.lots:
            lot[3][7] = lot[2]  # remaining


def stock_year(world: World, rng: random.Random, shop: dict, days: list[dt.date]) -> list[int]:
    """Every product's receipts (the rounds' deliveries), then sales on a few days until
    the next delivery (down to about what the shop keeps on the shelf, never more than
    there is), now and then a loss, and the lots that expire withdrawn that evening
    ("expired"). Returns the stock value at the end of each month (what
    inventory.selectors.stock_value_at reads)."""
    from inventory.models import MovementLot, StockBalance, StockLot, StockMovement

    first = world.first_month
    months = (world.last_day.year - first.year) * 12 + world.last_day.month - first.month + 1
    totals = [0] * months
    world.fields.setdefault(
        StockMovement,
        [
            "id",
            "shop_id",
            "product_id",
            "kind",
            "reason",
            "quantity",
            "unit_cost",
            "occurred_at",
            "quantity_after",
            "average_cost_after",
            "value_after",
            "source",
            "note",
            "created_at",
        ],
    )
    world.fields.setdefault(MovementLot, ["movement_id", "lot_id", "quantity"])
    world.fields.setdefault(
        StockLot,
        [
            "id",
            "shop_id",
            "product_id",
            "code",
            "expires_on",
            "received_at",
            "initial",
            "remaining",
            "movement_id",
        ],
    )
    end = world.last_day + dt.timedelta(days=1)
    now = timezone.now()
    for product_id, receipts in sorted(shop["receipts"].items()):
        product, _, safety = shop["usual"][product_id]
        life = product["life"]
        shelf = Shelf(world, shop["id"], product_id, months)
        for index, (day, units, cost, allocation_id) in enumerate(receipts):
            if life:
                shelf.expire(day)
            shelf.receive(
                day,
                units,
                cost,
                allocation_id,
                day + dt.timedelta(days=rng.randint(*life)) if life else None,
            )
            until = receipts[index + 1][0] if index + 1 < len(receipts) else end
            selling = days[bisect.bisect_left(days, day) : bisect.bisect_left(days, until)]
            if not selling:
                continue
            sale_days = sorted(rng.sample(selling, min(len(selling), rng.randint(2, 5))))
            to_sell = max(0, int(shelf.quantity - safety * rng.uniform(0.5, 1.3)))
            cuts = sorted(rng.randint(0, to_sell) for _ in range(len(sale_days) - 1))
            plan = [
                (d, SALE, b - a, "")
                for d, a, b in zip(sale_days, [0, *cuts], [*cuts, to_sell], strict=True)
            ]
            if rng.random() < 0.2:
                plan.append(
                    (rng.choice(selling), LOSS, rng.randint(1, 3), rng.choice(LOSS_REASONS))
                )
            for d, slot, wanted, reason in sorted(plan):
                if life:
                    shelf.expire(d)
                shelf.exit("sale" if slot == SALE else "loss", reason, wanted, d, slot)
        if life:  # lots past their date by the last days are off the shelf; others wait
            shelf.expire(world.last_day - dt.timedelta(days=2))
        shelf.close()
        world.add(
            StockBalance,
            ["shop_id", "product_id", "quantity", "average_cost", "value", "minimum", "updated_at"],
            (
                shop["id"],
                product_id,
                shelf.quantity,
                cost4(shelf.average),
                cents(shelf.value),
                rng.choice((None, None, 5, 10)),
                now,
            ),
        )
        carried = 0
        for month_index, value in enumerate(shelf.values):
            if value is not None:
                carried = value
            totals[month_index] += carried
    return totals


def monthly_entries(
    world: World, rng: random.Random, shop: dict, books: Books, sales: dict, stock_values: list[int]
) -> None:
    """The cooperative's invoices (ACH, accounting.postings.invoice_entries), a local
    wholesaler's invoice a month (the purchases the cooperative does not make), the
    payments of both the next month, sundry charges, and the month's stock variation
    (OD on its last day, accounting.postings.stock_variation_lines)."""
    from accounting.postings import stock_variation_lines

    invoiced = defaultdict(lambda: Decimal("0.00"))
    for delivered, number, draft in shop["invoices"]:
        books.add(
            delivered,
            "ACH",
            f"Facture {number}",
            number,
            invoice_lines(draft, number, delivered, shop, for_shop=True),
            source=f"invoice:{number}",
        )
        invoiced[(delivered.year, delivered.month)] += draft.total_incl_vat
    shop["paid"] = []
    month, index, opening = world.first_month, 0, 0
    while month <= world.last_day:
        key, following = (month.year, month.month), next_month(month)
        base = int(sales[key] * rng.uniform(0.22, 0.32))
        vat = vat_on(base, 550)
        label = f"Facture Grossiste local {month:%m/%Y}"
        books.add(
            month.replace(day=25),
            "ACH",
            label,
            f"GL-{month:%Y%m}",
            [
                ("607000", None, "Marchandises TVA 5,5\u00a0%", cents(base), "0", "5.50"),
                ("445660", None, "TVA déductible 5,5\u00a0%", cents(vat), "0", "5.50"),
                ("401000", None, label, "0", cents(base + vat), None),
            ],
        )
        running_costs(rng, shop, books, month)
        if following <= world.last_day:
            books.add(
                following.replace(day=5),
                "BQ",
                f"Règlement Grossiste local {month:%m/%Y}",
                f"VIR-GL-{month:%Y%m}",
                [
                    ("401000", None, "", cents(base + vat), "0", None),
                    ("512000", None, "", "0", cents(base + vat), None),
                ],
            )
            if invoiced[key]:
                paid_on, amount = following.replace(day=10), invoiced[key]
                books.add(
                    paid_on,
                    "BQ",
                    f"Règlement coopérative {month:%m/%Y}",
                    f"VIR-COOP-{month:%Y%m}",
                    [
                        ("401000", COOP_AUX[0], "", amount, "0", None),
                        ("512000", None, "", "0", amount, None),
                    ],
                )
                shop["paid"].append((paid_on, month, amount))
        closing = stock_values[index]
        variation = stock_variation_lines(
            month=month, opening=euros(opening), closing=euros(closing)
        )
        if variation:
            label, lines = variation
            books.add(
                last_day_of_month(month),
                "OD",
                label,
                f"STOCK-{month:%Y%m}",
                line_rows(lines),
                source=f"stock:{month:%Y-%m}",
            )
        month, index, opening = following, index + 1, closing


def running_costs(rng: random.Random, shop: dict, books: Books, month: dt.date) -> None:
    """A month's rent, insurance, energy, telephone, bank fees, sundry charges, paid from
    the bank (VAT deductible where there is some); wages in the larger shops."""
    size = shop["size"]
    for day, account, label, low, high, rate in (
        (1, "613200", "Loyer", 40_000, 90_000, 0),
        (3, "616000", "Assurance", 8_000, 15_000, 0),
        (12, "626000", "Téléphone et internet", 3_500, 6_000, 2000),
        (15, "658000", "Charges diverses", 5_000, 20_000, 0),
        (20, "606100", "Électricité", 12_000, 40_000, 2000),
        (28, "627000", "Frais bancaires et commissions carte", 3_000, 9_000, 0),
    ):
        base = int(rng.randint(low, high) * (size if account != "613200" else 1))
        vat = vat_on(base, rate) if rate else 0
        lines = [(account, None, label, cents(base), "0", RATES[rate] if rate else None)]
        if vat:
            lines.append(
                (
                    "445660",
                    None,
                    f"TVA déductible {format_rate(RATES[rate])}",
                    cents(vat),
                    "0",
                    RATES[rate],
                )
            )
        lines.append(("512000", None, label, "0", cents(base + vat), None))
        books.add(
            month.replace(day=day),
            "BQ",
            f"{label} {month:%m/%Y}",
            f"PRLV-{account}-{month:%Y%m}",
            lines,
        )
    if size > 1.2:  # an employee: wages due, paid, and the contributions
        gross = int(rng.uniform(180_000, 230_000) * min(size - 0.2, 1.5))
        contributions = gross * 42 // 100
        payday = month.replace(day=28)
        books.add(
            payday,
            "OD",
            f"Salaires {month:%m/%Y}",
            f"PAIE-{month:%Y%m}",
            [
                ("641000", None, "", cents(gross), "0", None),
                ("421000", None, "", "0", cents(gross), None),
            ],
        )
        books.add(
            payday,
            "BQ",
            f"Virement des salaires {month:%m/%Y}",
            f"VIR-PAIE-{month:%Y%m}",
            [
                ("421000", None, "", cents(gross), "0", None),
                ("512000", None, "", "0", cents(gross), None),
            ],
        )
        books.add(
            payday,
            "BQ",
            f"URSSAF {month:%m/%Y}",
            f"PRLV-URSSAF-{month:%Y%m}",
            [
                ("645100", None, "", cents(contributions), "0", None),
                ("512000", None, "", "0", cents(contributions), None),
            ],
        )


def cooperative_year(world: World, coop: dict, shops: list[dict]) -> None:
    """The shops' payments in the cooperative's books, then its entries numbered."""
    books = coop["books"]
    for shop in shops:
        aux = f"C{shop['id']:06d}"
        for paid_on, month, amount in shop["paid"]:
            books.add(
                paid_on,
                "BQ",
                f"Règlement {shop['name']} {month:%m/%Y}",
                f"VIR-{aux}-{month:%Y%m}",
                [("512000", None, "", amount, "0", None), ("411000", aux, "", "0", amount, None)],
            )
    world.post(books)


def sequences(world: World) -> None:
    """The counters the services lock to number the next entry and the next invoice."""
    from accounting.models import EntrySequence
    from purchasing.models import InvoiceSequence

    for (journal_id, year), last in sorted(world.numbers.items()):
        world.add(
            EntrySequence, ["journal_id", "fiscal_year", "last_number"], (journal_id, year, last)
        )
    for year, last in sorted(world.invoice_numbers.items()):
        world.add(InvoiceSequence, ["year", "last_number"], (year, last))
