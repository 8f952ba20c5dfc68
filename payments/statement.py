"""The shop's account as the statements' neutral table (accounting.statements.table):
its CSV is written by the statements' own writer (accounting.renderers: `;`-separated,
French amounts and dates, UTF-8 with BOM, formula-safe cells), so it opens in a
French spreadsheet like every other statement of the books."""

from accounting.renderers import FORMATS
from accounting.statements.table import Column, ColumnKind, Row, RowKind, StatementTable
from mache.periods import paris_today

from .pdf import KINDS
from .selectors import ShopAccount


def shop_account_table(account: ShopAccount) -> StatementTable:
    start = account.start or (account.lines[0].date if account.lines else paris_today())
    end = account.end or (account.lines[-1].date if account.lines else start)
    rows = [
        Row(
            (start, "", "", "Solde d'ouverture", None, None, account.opening_balance, ""),
            RowKind.INFO,
        )
    ]
    rows += [
        Row(
            (
                line.date,
                KINDS[line.kind],
                line.ref,
                line.label,
                line.debit or None,
                line.credit or None,
                line.balance,
                line.letter,
            )
        )
        for line in account.lines
    ]
    return StatementTable(
        title="Relevé de compte",
        slug="compte",
        ledger_name=account.shop.name,
        date_from=start,
        date_to=end,
        columns=(
            Column("Date", ColumnKind.DATE, 11),
            Column("Nature", width=12),
            Column("Pièce", width=24),
            Column("Libellé", width=40, wraps=True),
            Column("Débit", ColumnKind.MONEY, 14),
            Column("Crédit", ColumnKind.MONEY, 14),
            Column("Solde", ColumnKind.MONEY, 14),
            Column("Lettre", width=8),
        ),
        rows=tuple(rows),
        totals=(
            Row(
                (
                    end,
                    "",
                    "",
                    "Solde de clôture",
                    account.total_debit,
                    account.total_credit,
                    account.closing_balance,
                    "",
                ),
                RowKind.TOTAL,
            ),
        ),
    )


def shop_account_csv(account: ShopAccount) -> bytes:
    return FORMATS["csv"].render(shop_account_table(account))


def shop_account_filename(account: ShopAccount, extension: str) -> str:
    parts = ["compte", f"C{account.shop.pk:06d}"]
    parts += [day.isoformat() for day in (account.start, account.end) if day]
    return "-".join(parts) + f".{extension}"
