"""The purchasing rules of docs/consolidation.md, as pure functions (no ORM, no I/O).

Services feed them plain values read from the database and write back what they
return; tests run them alone, including the worked example and property tests.
"""

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

from mache.formats import format_rate
from mache.money import money, split, split_money


@dataclass(frozen=True)
class Tier:
    min_cases: int
    unit_price: Decimal


def cases_for(ordered: int, tolerance: int, case_size: int) -> int:
    """Rule 1: whole cases, plus one more if the group's tolerance can fill it."""
    cases, rest = divmod(ordered, case_size)
    if rest and case_size - rest <= tolerance:
        cases += 1
    return cases


def missing_for_next_case(ordered: int, case_size: int) -> int:
    """The fill: units missing to complete the case, before tolerances (docs/consolidation.md)."""
    return (case_size - ordered % case_size) % case_size


def missing_for_another_case(ordered: int, tolerance: int, case_size: int) -> int:
    """The order form: units the group must still ask for to get one case more than
    `cases_for(ordered, tolerance, case_size)`, its tolerances counted (docs/consolidation.md,
    "What the order form shows").

    cases_for is min((ordered + tolerance) div s, ceil(ordered / s)): one case more
    needs ordered + tolerance to reach it and ordered to start it."""
    cases = cases_for(ordered, tolerance, case_size)
    return max(1, (cases + 1) * case_size - tolerance - ordered, cases * case_size + 1 - ordered)


def group_price(base_price: Decimal, tiers: Sequence[Tier], cases: int) -> Decimal:
    """Rule 3: the tier with the largest min_cases <= cases, else the base price."""
    best = None
    for tier in tiers:
        if tier.min_cases <= cases and (best is None or tier.min_cases > best.min_cases):
            best = tier
    return best.unit_price if best else base_price


def allocate(units: int, quantities: Sequence[int], tolerances: Sequence[int]) -> list[int]:
    """Rule 2: share `units` over the lines of one product, given in tie-break order
    (order rank, then shop id).

    U >= Q: every line gets its quantity plus a share of the extra over tolerances;
    U < Q: every line gets a share of U in proportion to what it asked.
    Plain integer lists: this runs once per product over up to thousands of lines.
    """
    asked = sum(quantities)
    if units >= asked:
        extra = split(units - asked, tolerances)
        return [q + e for q, e in zip(quantities, extra, strict=True)]
    return split(units, quantities)


def reallocate(received: int, planned: Sequence[int]) -> list[int]:
    """Rule 5: a short delivery is shared in proportion to the planned allocations."""
    return split(received, list(planned))


def line_amount(units: int, unit_price: Decimal) -> Decimal:
    """Rule 3: amounts are rounded half-up to the cent per line."""
    return money(units * unit_price)


@dataclass(frozen=True)
class GroupLine:
    """What the group's orders of one product come to: whole cases, the units they hold,
    the group price for that many cases and the line's amount."""

    cases: int
    units: int
    unit_price: Decimal
    amount: Decimal


def group_line(
    *, ordered: int, tolerance: int, case_size: int, base_price: Decimal, tiers: Sequence[Tier]
) -> GroupLine:
    """Rules 1 and 3 together: cases -> group price -> line amount, as consolidation
    writes the supplier order's line and the fill and the order form estimate it."""
    cases = cases_for(ordered, tolerance, case_size)
    price = group_price(base_price, tiers, cases)
    units = cases * case_size
    return GroupLine(cases, units, price, line_amount(units, price))


@dataclass(frozen=True)
class ProductTerms:
    """What rules 1 to 3 need of a product."""

    case_size: int
    base_price: Decimal
    tiers: Sequence[Tier] = ()


@dataclass(frozen=True)
class RoundPlan:
    """A round's supplier order as rules 1 to 4 make it: per product its GroupLine, per
    order line (in the order given) its allocation, the total and the shipping."""

    products: dict
    allocated: list[int]
    total: Decimal
    shipping: Decimal
    ordered: Mapping = field(default_factory=dict)  # product -> units asked by the group
    tolerated: Mapping = field(default_factory=dict)  # product -> tolerances of the group


def round_plan(
    products: Mapping[object, ProductTerms],
    lines: Sequence[tuple[object, int, int]],
    *,
    shipping_fee: Decimal,
    free_shipping_threshold: Decimal | None,
) -> RoundPlan:
    """Rules 1 to 4 over every line of a round: `lines` are (product, quantity,
    tolerance) in tie-break order (order rank, then shop id). Consolidation writes what
    this returns; the order form shows it for the orders as they stand
    (docs/consolidation.md, "What the order form shows"). A round where no product fills
    a case owes no shipping."""
    ordered: dict = defaultdict(int)
    tolerated: dict = defaultdict(int)
    positions: dict = defaultdict(list)
    for index, (product, quantity, tolerance) in enumerate(lines):
        ordered[product] += quantity
        tolerated[product] += tolerance
        positions[product].append(index)
    plan = {}
    for product in sorted(positions):
        terms = products[product]
        plan[product] = group_line(
            ordered=ordered[product],
            tolerance=tolerated[product],
            case_size=terms.case_size,
            base_price=terms.base_price,
            tiers=terms.tiers,
        )
    allocated = [0] * len(lines)
    for product, indexes in positions.items():
        shares = allocate(
            plan[product].units, [lines[i][1] for i in indexes], [lines[i][2] for i in indexes]
        )
        for index, share in zip(indexes, shares, strict=True):
            allocated[index] = share
    total = sum((line.amount for line in plan.values()), Decimal("0.00"))
    shipping = (
        shipping_for(total, shipping_fee, free_shipping_threshold)
        if any(line.cases for line in plan.values())
        else Decimal("0.00")
    )
    return RoundPlan(plan, allocated, total, shipping, ordered, tolerated)


def shipping_for(
    total_excl_vat: Decimal, shipping_fee: Decimal, free_shipping_threshold: Decimal | None
) -> Decimal:
    """Rule 4: free from the threshold on, else the supplier's fee."""
    if free_shipping_threshold is not None and total_excl_vat >= free_shipping_threshold:
        return Decimal("0.00")
    return money(shipping_fee)


def needs_review(total_excl_vat: Decimal, min_order_amount: Decimal) -> bool:
    return total_excl_vat < min_order_amount


# --- Rule 6: the cooperative's invoice to a shop ---------------------------------

FEE_VAT_RATE = Decimal("20.00")


class GoodsLine(NamedTuple):
    """A shop's goods of one product (rule 6): a named tuple, made by the thousand per
    request in the order form's estimate (issue 18)."""

    product: object
    label: str
    units: int
    unit_price: Decimal  # group price
    base_unit_price: Decimal
    vat_rate: Decimal


@dataclass
class InvoiceLineDraft:
    kind: str  # goods, shipping, fee
    label: str
    product: object
    quantity: int
    unit_price: Decimal
    amount: Decimal
    vat_rate: Decimal
    base_unit_price: Decimal | None = None


@dataclass
class InvoiceDraft:
    shop: object
    lines: list[InvoiceLineDraft] = field(default_factory=list)
    vat: list[tuple[Decimal, Decimal, Decimal]] = field(default_factory=list)  # rate, base, tax
    goods_excl_vat: Decimal = Decimal("0.00")
    shipping: Decimal = Decimal("0.00")
    fee: Decimal = Decimal("0.00")
    total_excl_vat: Decimal = Decimal("0.00")
    total_vat: Decimal = Decimal("0.00")
    total_incl_vat: Decimal = Decimal("0.00")
    savings: Decimal = Decimal("0.00")


def vat_label(rate: Decimal) -> str:
    return format_rate(rate)


def vat_amount(base: Decimal, rate: Decimal) -> Decimal:
    return money(base * rate / 100)


def split_by_rate(amount: Decimal, goods_by_rate: dict[Decimal, Decimal]) -> dict[Decimal, Decimal]:
    """Share an amount (shipping) over VAT rates in proportion to the goods at each rate;
    ties go to the lower rate (rule 6: shipping follows the VAT of the goods it carries).
    With no goods at all, the amount stands alone at the standard rate."""
    rates = sorted(goods_by_rate)
    if not rates or not any(goods_by_rate.values()):
        return {Decimal("20.00"): amount} if amount else {}
    parts = split_money(amount, [goods_by_rate[rate] for rate in rates])
    return {rate: part for rate, part in zip(rates, parts, strict=True) if part}


def amounts_by_rate(lines) -> dict[Decimal, Decimal]:
    """Sum of `.amount` per `.vat_rate`."""
    totals: dict[Decimal, Decimal] = {}
    for line in lines:
        totals[line.vat_rate] = totals.get(line.vat_rate, Decimal("0.00")) + line.amount
    return totals


DEFAULT_FEE_RATE = Decimal("0.02")


def fee_rate(setting: Decimal | None) -> Decimal:
    """The cooperative's service fee rate, 2 % when it has not set one (rule 6)."""
    return DEFAULT_FEE_RATE if setting is None else setting


def goods_by_shop(rows: Sequence[tuple[object, int, GoodsLine]]):
    """(shop, order rank, goods line) rows -> [(shop, its goods lines by product)], shops in
    tie-break order (rank, then shop): what `shop_invoices` takes. The receipt gives the
    units received; the order form's estimate the units allocated."""
    per_shop: dict = {}
    rank: dict = {}
    for shop, shop_rank, line in rows:
        rank.setdefault(shop, shop_rank)
        per_shop.setdefault(shop, []).append(line)
    return [
        (shop, sorted(per_shop[shop], key=lambda line: line.product))
        for shop in sorted(per_shop, key=lambda shop: (rank[shop], shop))
    ]


def shop_invoices(
    shops: Sequence[tuple[object, Sequence[GoodsLine]]],
    *,
    shipping: Decimal,
    fee_rate: Decimal,
    fee_label: str = "Frais de service de la coopérative",
    only=None,
) -> list[InvoiceDraft]:
    """Rule 6 for every shop of a round, in tie-break order (order rank, then shop id).

    Shops with no goods received get no invoice and no share of shipping. When no shop
    received anything, there is nothing to invoice (the shipping stays with the
    cooperative).

    `only`: the one shop whose draft is wanted (the order form's estimate, issue 18): the
    others' goods totals are still summed, since the shipping is shared by them, but
    their drafts are neither finished nor returned. The wanted draft is the very one the
    whole computation gives (tests/purchasing/test_rules.py).
    """
    drafts = []
    for shop, goods in shops:
        draft = InvoiceDraft(shop=shop)
        if only is not None and shop != only:
            received = [line for line in goods if line.units]
            draft.goods_excl_vat = sum(
                (line_amount(line.units, line.unit_price) for line in received),
                Decimal("0.00"),
            )
            if received:
                drafts.append(draft)
            continue
        for line in goods:
            if line.units == 0:
                continue
            amount = line_amount(line.units, line.unit_price)
            draft.lines.append(
                InvoiceLineDraft(
                    "goods",
                    line.label,
                    line.product,
                    line.units,
                    line.unit_price,
                    amount,
                    line.vat_rate,
                    line.base_unit_price,
                )
            )
            draft.savings += money(line.units * (line.base_unit_price - line.unit_price))
        draft.goods_excl_vat = sum((ln.amount for ln in draft.lines), Decimal("0.00"))
        if draft.lines:
            drafts.append(draft)
    if not drafts:
        return []

    shares = split_money(shipping, [d.goods_excl_vat for d in drafts])
    if only is not None:
        pairs = [(d, share) for d, share in zip(drafts, shares, strict=True) if d.shop == only]
        drafts = [draft for draft, _ in pairs]
    else:
        pairs = zip(drafts, shares, strict=True)
    for draft, share in pairs:
        draft.shipping = share
        for rate, part in split_by_rate(share, amounts_by_rate(draft.lines)).items():
            draft.lines.append(
                InvoiceLineDraft(
                    "shipping",
                    f"Quote-part des frais de port (TVA {vat_label(rate)})",
                    None,
                    1,
                    part,
                    part,
                    rate,
                )
            )
        draft.fee = money(fee_rate * draft.goods_excl_vat)
        if draft.fee:
            draft.lines.append(
                InvoiceLineDraft(
                    "fee",
                    f"{fee_label} ({vat_label(fee_rate * 100)})",
                    None,
                    1,
                    draft.fee,
                    draft.fee,
                    FEE_VAT_RATE,
                )
            )

        draft_totals(draft)
    return drafts


def draft_totals(draft: InvoiceDraft) -> None:
    """An invoice's VAT per rate on its lines' bases (half-up, per rate) and its totals,
    set on `draft`."""
    bases = amounts_by_rate(draft.lines)
    draft.vat = [(rate, bases[rate], vat_amount(bases[rate], rate)) for rate in sorted(bases)]
    draft.total_excl_vat = sum((base for _, base, _ in draft.vat), Decimal("0.00"))
    draft.total_vat = sum((tax for _, _, tax in draft.vat), Decimal("0.00"))
    draft.total_incl_vat = draft.total_excl_vat + draft.total_vat


def goods_full_costs(draft: InvoiceDraft) -> dict[object, Decimal]:
    """The full cost excl. VAT of each goods line of a shop's invoice, by product: its
    amount plus its share of the invoice's shipping share and fee, `split` over the goods
    lines by amount, to the cent (ties: the line that comes first, by product). The full
    costs sum to goods + shipping + fee exactly: what the goods enter the shop's stock at
    (PCG art. 213-31, docs/inventory.md, "Stock at its full cost")."""
    goods = [line for line in draft.lines if line.kind == "goods"]
    if not goods:
        return {}
    extra = split_money(draft.shipping + draft.fee, [line.amount for line in goods])
    return {line.product: line.amount + share for line, share in zip(goods, extra, strict=True)}


# The statuses of an invoice (docs/invoices-due.md) and their French labels on
# the pages; the API answers the codes (the OpenAPI enum InvoiceStatusEnum).
INVOICE_STATUS_CHOICES = (
    ("open", "À payer"),
    ("partially_paid", "Partiellement payée"),
    ("paid", "Payée"),
    ("overdue", "En retard"),
    ("credited", "Avoir total"),
)
INVOICE_STATUS_LABELS = dict(INVOICE_STATUS_CHOICES)


def invoice_status(*, total: Decimal, paid: Decimal, credited: Decimal, due_on, today) -> str:
    """An invoice's status (docs/settlement.md): `paid` when nothing is due
    and money came in, `credited` when credit notes alone cover it, `overdue` when still
    due after its due date, `partially_paid` when some was paid, else `open`."""
    due = total - paid - credited
    if due <= 0:
        return "credited" if paid == 0 and credited > 0 else "paid"
    if today > due_on:
        return "overdue"
    if paid > 0:
        return "partially_paid"
    return "open"
