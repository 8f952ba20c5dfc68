"""The traceability report of a recall, for the authorities (docs/recalls.md, "The
report"): the product, its supplier, the lot and the reason; for each shop what it
received and when, what it sold or lost before the recall, what it held, what it
withdrew and when it confirmed; the figures of today's traceability below. Drawn with
the project's PDF frame (mache/pdf.py)."""

from django.utils import timezone
from reportlab.lib.units import mm
from reportlab.platypus import Spacer

from mache.formats import format_date, format_quantity
from mache.pdf import PageFrame, data_table, info_blocks, notice, para, render
from mache.periods import PARIS
from shops.models import Cooperative

from .models import Recall
from .recalls import withdrawn
from .selectors import recall_shop_list
from .traceability import lot_trace

NBSP = "\u00a0"


def _moment(value) -> str:
    if value is None:
        return "—"
    local = value.astimezone(PARIS)
    return f"{format_date(local.date())} {local:%H:%M}"


def recall_pdf(recall: Recall, *, user) -> bytes:
    """The report of `recall`: every shop concerned for a coordinator, a shopkeeper's own
    shops only."""
    coop = Cooperative.current()
    product = recall.product
    lines = list(recall_shop_list(user=user).filter(recall=recall))
    trace = lot_trace(user=user, product=product, lot=recall.lot)
    traced = {shop.shop.pk: shop for shop in trace.shops}
    document = f"Rappel n°{NBSP}{recall.pk} — lot {recall.lot}"
    unconfirmed = sum(line.confirmed_at is None for line in lines)
    story = [
        para("Rapport de traçabilité", "title"),
        para(
            f"Rappel du {_moment(recall.created_at)} — édité le {_moment(timezone.now())}",
            "subtitle",
        ),
        info_blocks(
            [
                (
                    "Produit",
                    [product.name, f"Référence : {product.sku}", f"Unité : {product.unit_label}"],
                ),
                ("Fournisseur", [product.supplier.name, product.supplier.email]),
                ("Lot rappelé", [recall.lot, f"Motif : {recall.reason}"]),
            ]
        ),
        Spacer(0, 4 * mm),
    ]
    if unconfirmed:
        story.append(
            notice(
                f"Retrait non confirmé par {unconfirmed} commerce"
                f"{'s' if unconfirmed > 1 else ''} sur {len(lines)}."
            )
        )
    story += [
        para("Au moment du rappel", "heading"),
        data_table(
            [
                "Commerce",
                "Reçu le",
                "Reçues",
                # sold_or_lost: sales, losses, credit-note returns, count shortfalls
                "Sorties (ventes, pertes, retours)",
                "En stock",
                "Retirées",
                "Retrait confirmé le",
            ],
            [
                [
                    line.shop.name,
                    ", ".join(
                        format_date(entry.received_at.astimezone(PARIS).date())
                        for entry in traced[line.shop_id].entries
                    )
                    if line.shop_id in traced
                    else "—",
                    format_quantity(line.received),
                    format_quantity(line.sold_or_lost),
                    format_quantity(line.left),
                    format_quantity(withdrawn(line)) if line.confirmed_at else "—",
                    _moment(line.confirmed_at),
                ]
                for line in lines
            ]
            + [
                [
                    "Total",
                    "",
                    format_quantity(sum(line.received for line in lines)),
                    format_quantity(sum(line.sold_or_lost for line in lines)),
                    format_quantity(sum(line.left for line in lines)),
                    format_quantity(sum(withdrawn(line) for line in lines)),
                    "",
                ]
            ],
            widths=[30, 20, 12, 16, 12, 12, 22],
            right_columns={2, 3, 4, 5},
        ),
        para("Traçabilité à ce jour", "heading"),
        data_table(
            [
                "Commerce",
                "Date limite",
                "Reçues",
                "Vendues",
                "Perdues",
                "Autres",
                "Retirées",
                "Reste",
            ],
            [
                [
                    shop.shop.name,
                    ", ".join(
                        sorted(
                            {
                                format_date(entry.expires_on)
                                for entry in shop.entries
                                if entry.expires_on
                            }
                        )
                    )
                    or "—",
                    format_quantity(shop.received),
                    format_quantity(shop.sold),
                    format_quantity(shop.lost),
                    format_quantity(shop.returned + shop.adjusted),
                    format_quantity(shop.recalled),
                    format_quantity(shop.left),
                ]
                for shop in trace.shops
            ],
            widths=[30, 18, 11, 11, 11, 11, 11, 11],
            right_columns={2, 3, 4, 5, 6, 7},
        ),
        Spacer(0, 4 * mm),
        para(
            "Les sorties de stock consomment les lots dans l'ordre de leur date limite (premier "
            "périmé, premier sorti) : les unités vendues ou perdues de ce lot sont celles que "
            "les mouvements de stock lui ont prises, non une estimation. « Autres » : unités "
            "reprises par un avoir ou manquantes à un inventaire.",
            "small",
        ),
    ]
    frame = PageFrame(
        header_left=coop.name,
        header_right=document,
        footer_left=" · ".join(part for part in (coop.legal_name, coop.siret) if part),
    )
    return render(story, frame=frame, title=document, author=coop.name)
