"""Lettering (lettrage): lines of one auxiliary account that balance to zero share a
letter and its date (docs/lettering.md). The FEC carries them in `EcritureLet` and
`DateLet`, the general ledger beside each line.

Posted lines never change: a letter is a `Lettering` row and the lines it joins are
`LetteredLine` rows. Which lines make a set is the caller's business (an invoice and
what settles it: purchasing.services.settlement); this module checks that the set
balances, names it and undoes it.
"""

import datetime as dt
from decimal import Decimal
from string import ascii_uppercase

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from mache.money import ZERO

from .models import AuxiliaryAccount, EntryLine, LetteredLine, Lettering


def letter_code(index: int) -> str:
    """The `index`-th letter code (0-based) of an account: `AA` ... `ZZ` (676 codes), then
    `AAA` ... `ZZZ`, then four letters."""
    width, size = 2, 26 * 26
    while index >= size:
        index -= size
        width += 1
        size *= 26
    code = []
    for _ in range(width):
        index, rest = divmod(index, 26)
        code.append(ascii_uppercase[rest])
    return "".join(reversed(code))


class LetteringRefused(ValueError):
    """The lines cannot be lettered together (a programming error of the caller)."""


def lines_letter(*, line_ids, date: dt.date) -> Lettering:
    """Letter the lines `line_ids` together on `date`: they must be of one auxiliary
    account and one account, balance to zero and carry no letter yet. The next code of
    the auxiliary account is taken under its row lock (codes are never reused)."""
    line_ids = sorted(set(line_ids))
    with transaction.atomic():
        lines = list(
            EntryLine.objects.filter(pk__in=line_ids).only(
                "pk", "ledger_id", "account_id", "auxiliary_id", "debit", "credit"
            )
        )
        if len(lines) != len(line_ids) or len(lines) < 2:
            raise LetteringRefused("unknown lines, or fewer than two")
        if (
            len({(line.auxiliary_id, line.account_id) for line in lines}) != 1
            or not lines[0].auxiliary_id
        ):
            raise LetteringRefused("the lines are not of one auxiliary account")
        if sum((line.debit - line.credit for line in lines), ZERO) != 0:
            raise LetteringRefused("the lines do not balance")
        auxiliary = AuxiliaryAccount.objects.select_for_update().get(pk=lines[0].auxiliary_id)
        if LetteredLine.objects.filter(line_id__in=line_ids).exists():
            raise LetteringRefused("a line is lettered already")
        taken = Lettering.objects.filter(auxiliary=auxiliary).count()
        lettering = Lettering.objects.create(
            ledger_id=auxiliary.ledger_id, auxiliary=auxiliary, code=letter_code(taken), date=date
        )
        LetteredLine.objects.bulk_create(
            LetteredLine(line_id=line_id, lettering=lettering) for line_id in line_ids
        )
    return lettering


def letters_remove(*, line_ids) -> None:
    """Remove the letters that join any of `line_ids` (all their lines are freed); the
    codes stay taken."""
    with transaction.atomic():
        ids = set(
            LetteredLine.objects.filter(line_id__in=list(line_ids)).values_list(
                "lettering_id", flat=True
            )
        )
        if not ids:
            return
        LetteredLine.objects.filter(lettering_id__in=ids).delete()
        Lettering.objects.filter(pk__in=ids).update(removed_at=timezone.now())


def letters_of(line_ids) -> dict[int, tuple[str, dt.date]]:
    """The letter code and date of each lettered line among `line_ids`."""
    return {
        line_id: (code, date)
        for line_id, code, date in LetteredLine.objects.filter(
            line_id__in=list(line_ids)
        ).values_list("line_id", "lettering__code", "lettering__date")
    }


def balance(line_ids) -> Decimal:
    """Debit minus credit of the lines `line_ids`."""
    totals = EntryLine.objects.filter(pk__in=list(line_ids)).aggregate(
        debit=Sum("debit"), credit=Sum("credit")
    )
    return (totals["debit"] or ZERO) - (totals["credit"] or ZERO)
