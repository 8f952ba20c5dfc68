"""Entries with balanced lines, posted through accounting's own service (numbers, periods
and checks as in the application), and Z tickets."""

from decimal import Decimal

from accounting.sales.services import sales_day_record
from accounting.services import LineIn, entry_post
from mache.periods import paris_today


def debit(account, amount, **kwargs) -> LineIn:
    return LineIn(account=account, debit=Decimal(amount), **kwargs)


def credit(account, amount, **kwargs) -> LineIn:
    return LineIn(account=account, credit=Decimal(amount), **kwargs)


def post_entry(ledger, journal, day, label, piece_ref, *lines, **more):
    """post_entry(ledger, "OD", day, "Frais", "PIECE-1", debit(...), credit(...))"""
    return entry_post(
        ledger=ledger,
        journal=journal,
        date=day,
        label=label,
        piece_ref=piece_ref,
        lines=list(lines),
        **more,
    )


def post_bank_charge(
    ledger,
    amount="12.30",
    *,
    day=None,
    journal="OD",
    label="Régularisation",
    piece_ref="PIECE-1",
    line_labels=("Charge", "Banque"),
):
    """A balanced two-line entry: a charge (658000) paid from the bank (512000)."""
    charge_label, bank_label = line_labels
    return post_entry(
        ledger,
        journal,
        day or paris_today(),
        label,
        piece_ref,
        debit("658000", amount, label=charge_label),
        credit("512000", amount, label=bank_label),
    )


def record_sales_day(
    shop, *, date=None, user=None, amount="10.00", vat_rate="5.50", lines=None, payments=None
):
    """A Z ticket: one line of `amount` incl. VAT at `vat_rate`, paid in cash, unless
    `lines` and `payments` say otherwise."""
    if lines is None:
        lines = [{"vat_rate": Decimal(vat_rate), "amount_incl_vat": Decimal(amount)}]
    return sales_day_record(
        shop=shop,
        date=date or paris_today(),
        user=user,
        lines=lines,
        payments=payments or {"cash": Decimal(amount)},
    )
