"""ReportLab documents of the money after the invoice: the shop's account statement
(relevé de compte), in the style of purchasing.pdf (the cooperative's frame, the
parties' blocks, one table). A fixed number of queries: the account comes computed
(payments.selectors.shop_account), the cooperative is one row."""

from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Spacer

from mache.formats import NBSP, format_date, format_eur
from mache.pdf import (
    PageFrame,
    data_table,
    info_blocks,
    lines_para,
    para,
    render,
    summary_table,
)
from shops.models import Cooperative

from .selectors import ShopAccount

KINDS = {
    "invoice": "Facture",
    "credit_note": "Avoir",
    "payment": "Règlement",
    "opening": "À-nouveaux",
    "other": "Écriture",
}


def period_text(account: ShopAccount) -> str:
    if account.start and account.end:
        return f"Du {format_date(account.start)} au {format_date(account.end)}"
    if account.start:
        return f"Depuis le {format_date(account.start)}"
    if account.end:
        return f"Jusqu'au {format_date(account.end)}"
    return "Depuis l'origine"


def balance_text(amount) -> str:
    """Positive: the shop owes; negative: the cooperative owes it (its credit)."""
    if amount > 0:
        return f"{format_eur(amount)} dus à la coopérative"
    if amount < 0:
        return f"{format_eur(-amount)} en faveur du commerce"
    return format_eur(amount)


def shop_account_pdf(account: ShopAccount) -> bytes:
    """The shop's account statement as PDF bytes."""
    coop = Cooperative.current()
    shop = account.shop
    document = f"Relevé de compte — {shop.name}"
    story = [
        para(document, "title"),
        para(period_text(account), "subtitle"),
        info_blocks(
            [
                ("Coopérative", [coop.legal_name, coop.address, f"{coop.postcode} {coop.commune}"]),
                (
                    "Commerce",
                    [shop.legal_name or shop.name, shop.address, f"{shop.postcode} {shop.commune}"],
                ),
            ]
        ),
        Spacer(0, 3 * mm),
        lines_para([f"Solde d'ouverture : {balance_text(account.opening_balance)}"]),
        para("Mouvements", "heading"),
        data_table(
            ["Date", "Pièce", "Libellé", "Débit", "Crédit", "Solde", "Lettre"],
            [
                [
                    format_date(line.date),
                    line.ref,
                    line.label,
                    format_eur(line.debit) if line.debit else "",
                    format_eur(line.credit) if line.credit else "",
                    format_eur(line.balance),
                    line.letter,
                ]
                for line in account.lines
            ],
            widths=[16, 30, 48, 18, 18, 20, 10],
            right_columns={3, 4, 5},
            empty="Aucun mouvement sur la période.",
        ),
        Spacer(0, 4 * mm),
    ]
    closing = [
        summary_table(
            [
                ("Total débit", format_eur(account.total_debit)),
                ("Total crédit", format_eur(account.total_credit)),
                ("Solde de clôture", balance_text(account.closing_balance)),
            ],
            strong={2},
        ),
        para("Restant dû aujourd'hui", "heading"),
        data_table(
            ["Pièce", "Émise le", "Échéance", "Montant"],
            [
                [
                    item.ref,
                    format_date(item.date) if item.date else "",
                    format_date(item.due_on) if item.due_on else "",
                    format_eur(item.amount),
                ]
                for item in account.open_items
            ],
            widths=[40, 20, 20, 20],
            right_columns={3},
            empty=f"Rien n'est dû{NBSP}: le compte est soldé.",
        ),
        lines_para(
            ["Un solde positif est dû par le commerce ; négatif, c'est un crédit du commerce."],
            "small",
        ),
    ]
    story.append(KeepTogether(closing))
    frame = PageFrame(header_left=coop.name, header_right=document, footer_left=coop.legal_name)
    return render(story, frame=frame, title=document, author=coop.name)
