"""ReportLab documents of pooled purchasing: the purchase order sent to a supplier, the
cooperative's invoice to a shop, and its credit notes (avoirs) on them.

Each function loads what it shows in a fixed number of queries, whatever the number
of lines; an instance that arrives with its relations already fetched (the API's
selectors do it) costs only the cooperative's row, and an invoice nothing: it prints
both parties as they were when it was issued (its snapshot), never as they are now.

The invoice and the credit note are Factur-X PDFs (docs/e-invoicing.md): the page below
carries the mentions French law requires of an invoice, and purchasing.facturx.pdf
makes it a PDF/A-3 with its CII XML (purchasing.facturx.cii) embedded.
"""

from decimal import Decimal

from django.db.models import prefetch_related_objects
from django.utils import timezone
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, PageBreak, Spacer, Table

from mache.formats import (
    NBSP,
    format_date,
    format_eur,
    format_quantity,
    format_rate,
    format_unit_price,
    plural,
)
from mache.identifiers import rcs_mention
from mache.pdf import (
    MUTED,
    PageFrame,
    data_table,
    info_blocks,
    lines_para,
    notice,
    para,
    render,
    side_by_side,
    summary_table,
    table_style,
)
from shops.models import Cooperative

from .distribution import in_tour_order
from .facturx import credit_note_cii, invoice_cii
from .facturx.documents import supplement_note
from .facturx.pdf import facturx_pdf
from .models import Allocation, CreditNote, Invoice, InvoiceLine, Round, SupplierOrder

RECOVERY_INDEMNITY = f"40{NBSP}€"  # fixed by the Code de commerce (art. D441-5)
LATE_PAYMENT = (
    "Pénalités de retard : trois fois le taux d'intérêt légal ; indemnité forfaitaire "
    f"pour frais de recouvrement : {RECOVERY_INDEMNITY}."
)
LATE_PAYMENT_DETAIL = (
    "En cas de retard de paiement, des pénalités sont exigibles dès le lendemain de "
    "l'échéance, sans rappel, au taux de trois fois le taux d'intérêt légal, ainsi qu'une "
    f"indemnité forfaitaire de {RECOVERY_INDEMNITY} pour frais de recouvrement "
    "(art. L441-10 et D441-5 du Code de commerce)."
)
NATURE_GOODS_AND_FEE = (
    "Livraison de biens et prestation de services (frais de service de la coopérative)"
)
NATURE_GOODS = "Livraison de biens"
VAT_ON_DEBITS = "Option pour le paiement de la taxe d'après les débits"
# Every quantity on these documents is a whole count (UN/ECE code C62 in the XML): the
# units of a product, or the one lump sum of a shipping share or a fee.
UNIT_LABELS = {InvoiceLine.Kind.GOODS: "unité"}
LUMP_SUM = "forfait"


def _siret(siret: str) -> str:
    """'12345678900012' -> 'SIRET 123 456 789 00012', as printed on French documents."""
    if not siret:
        return ""
    spaced = (
        NBSP.join([siret[:3], siret[3:6], siret[6:9], siret[9:]]) if len(siret) == 14 else siret
    )
    return f"SIRET {spaced}"


def _postal_line(postcode: str, commune: str) -> str:
    return " ".join(part for part in (postcode, commune) if part)


def _spaced(code: str, size: int = 4) -> str:
    """'FR7630006000011234567890189' -> 'FR76 3000 6000 ...' (no-break spaces)."""
    return NBSP.join(code[i : i + size] for i in range(0, len(code), size))


def _legal_form_line(legal_form: str, share_capital) -> str:
    """'SCIC SAS à capital variable au capital de 12 000,00 €'."""
    capital = f"au capital de {format_eur(share_capital)}" if share_capital else ""
    if legal_form and capital:
        return f"{legal_form} {capital}"
    return legal_form or (f"Capital social : {format_eur(share_capital)}" if capital else "")


def _vat_number(vat_number: str) -> str:
    return f"N° TVA intracommunautaire : {vat_number}" if vat_number else ""


def _seller_lines(seller) -> list[str]:
    """The seller's block as an invoice or a credit note prints it: the cooperative as
    issued, with its legal mentions (form and capital, SIRET, RCS, VAT number)."""
    return [
        *_cooperative_lines(seller),
        _legal_form_line(getattr(seller, "legal_form", ""), getattr(seller, "share_capital", None)),
        rcs_mention(getattr(seller, "rcs", ""), seller.siret),
        _vat_number(getattr(seller, "vat_number", "")),
    ]


def _cooperative_lines(coop) -> list[str]:
    """The seller's block: the cooperative, live or as an invoice keeps it."""
    return [
        coop.legal_name,
        coop.name if coop.name != coop.legal_name else "",
        coop.address,
        _postal_line(coop.postcode, coop.commune),
        _siret(coop.siret),
    ]


def _delivery_address(coop) -> str:
    """Where suppliers deliver: the hub's address, a setting of the cooperative
    (`Cooperative.hub_address`, one line per line of the address); its registered
    address while the hub's is not recorded."""
    hub = [line.strip(" ,") for line in (coop.hub_address or "").splitlines() if line.strip(" ,")]
    if hub:
        return ", ".join(hub)
    return ", ".join(
        part for part in (coop.address, _postal_line(coop.postcode, coop.commune)) if part
    )


def _shop_address(shop) -> str:
    return ", ".join(
        part for part in (shop.address, _postal_line(shop.postcode, shop.commune)) if part
    )


def _purchase_order_delivery(supplier_order: SupplierOrder, coop) -> list[str]:
    """Where the supplier delivers (docs/distribution.md, "Where the supplier delivers"):
    the hub, or each shop of the order at its own address, in tour order (one more query,
    only then)."""
    if supplier_order.round.delivery != Round.Delivery.SHOPS:
        return [f"Livraison à la plateforme : {_delivery_address(coop)}"]
    shops = in_tour_order(
        {
            allocation.shop_id: allocation.shop
            for allocation in Allocation.objects.filter(
                supplier_order=supplier_order, allocated__gt=0
            ).select_related("shop")
        }.values()
    )
    return [
        "Livraison dans chaque commerce (adresses ci-dessous)",
        *(f"{shop.name} : {_shop_address(shop)}" for shop in shops),
    ]


def _frame(coop, document: str) -> PageFrame:
    return PageFrame(
        header_left=coop.name,
        header_right=document,
        footer_left=" · ".join(part for part in (coop.legal_name, _siret(coop.siret)) if part),
    )


# --- Purchase order -----------------------------------------------------------------


def purchase_order_pdf(supplier_order: SupplierOrder) -> bytes:
    """The purchase order (bon de commande) of a supplier order, as PDF bytes."""
    coop = Cooperative.current()
    prefetch_related_objects([supplier_order], "round__supplier", "lines__product")
    round_ = supplier_order.round
    supplier = round_.supplier
    # Suppliers pick by their own reference: lines follow it.
    lines = sorted(supplier_order.lines.all(), key=lambda line: (line.product.sku, line.pk))
    ordered_at = supplier_order.confirmed_at or supplier_order.created_at
    document = f"Bon de commande n°{NBSP}{supplier_order.pk}"

    story = [
        para(document, "title"),
        para(f"Date de commande : {format_date(timezone.localdate(ordered_at))}", "subtitle"),
    ]
    if supplier_order.status == SupplierOrder.Status.NEEDS_REVIEW:
        story.append(
            notice(
                "À valider : sous le minimum de commande "
                f"({format_eur(supplier.min_order_amount)} HT). Ne pas expédier avant notre "
                "confirmation."
            )
        )
    elif supplier_order.status == SupplierOrder.Status.CANCELLED:
        story.append(notice("Commande annulée : ne pas expédier."))

    story += [
        info_blocks(
            [
                ("Acheteur", _cooperative_lines(coop)),
                (
                    "Fournisseur",
                    [supplier.name, supplier.address, supplier.email, _siret(supplier.siret)],
                ),
            ]
        ),
        Spacer(0, 4 * mm),
        info_blocks(
            [
                (
                    "Livraison",
                    [
                        f"Date de livraison souhaitée : {format_date(round_.delivery_date)}",
                        *_purchase_order_delivery(supplier_order, coop),
                    ],
                ),
            ]
        ),
        para("Articles commandés", "heading"),
        data_table(
            ["Référence", "Désignation", "Colis", "Unités", "Prix unitaire HT", "Montant HT"],
            [
                [
                    line.product.sku,
                    line.product.name,
                    format_quantity(line.cases),
                    format_quantity(line.units),
                    format_unit_price(line.unit_price),
                    format_eur(line.amount),
                ]
                for line in lines
            ],
            widths=[22, 56, 12, 14, 24, 22],
            right_columns={2, 3, 4, 5},
            empty="Aucun article : aucun produit n'a atteint un colis complet.",
        ),
        Spacer(0, 4 * mm),
    ]

    if supplier_order.shipping == 0 and supplier.free_shipping_threshold is not None:
        shipping = "offerts"
    else:
        shipping = format_eur(supplier_order.shipping)
    totals = [
        ("Total HT", format_eur(supplier_order.total_excl_vat)),
        ("Frais de port HT", shipping),
        (
            "Total HT port compris",
            format_eur(supplier_order.total_excl_vat + supplier_order.shipping),
        ),
    ]
    story.append(
        KeepTogether(
            [
                summary_table(totals, strong={2}),
                Spacer(0, 5 * mm),
                para(
                    "Montants en euros hors taxes. Merci de rappeler le numéro de commande sur le "
                    "bon de livraison et sur la facture.",
                    "small",
                ),
            ]
        )
    )
    return render(story, frame=_frame(coop, document), title=document, author=coop.name)


# --- Invoice --------------------------------------------------------------------------


def _buyer_lines(shop) -> list[str]:
    return [
        shop.legal_name,
        shop.name if shop.name != shop.legal_name else "",
        shop.address,
        _postal_line(shop.postcode, shop.commune),
        _siret(shop.siret),
        _vat_number(getattr(shop, "vat_number", "")),
    ]


def _party(invoice: Invoice, side: str):
    """The seller or the buyer as issued, with the e-invoicing fields (docs/e-invoicing.md)
    read from the snapshot when the invoice has them."""
    party = invoice.party(side)
    for field, default in (
        ("vat_number", ""),
        ("legal_form", ""),
        ("share_capital", None),
        ("rcs", ""),
        ("iban", ""),
        ("bic", ""),
        ("creditor_id", ""),
        ("vat_on_debits", False),
    ):
        if not hasattr(party, field):
            setattr(party, field, getattr(invoice, f"{side}_{field}", default))
    return party


def _delivery_lines(invoice: Invoice, buyer) -> list[str]:
    """Where and when the goods were delivered: the round's date, the shop's address as
    issued."""
    address = ", ".join(
        part for part in (buyer.address, _postal_line(buyer.postcode, buyer.commune)) if part
    )
    return [
        f"Date de livraison : {format_date(invoice.round.delivery_date)}",
        f"Adresse de livraison : {address}" if address else "",
    ]


def _nature_lines(lines, seller) -> list[str]:
    """The nature of the operations, and the VAT on debits option when the cooperative
    has taken it (CGI art. 242 nonies A)."""
    has_fee = any(line.kind == InvoiceLine.Kind.FEE for line in lines)
    return [
        f"Nature des opérations : {NATURE_GOODS_AND_FEE if has_fee else NATURE_GOODS}.",
        f"{VAT_ON_DEBITS}." if seller.vat_on_debits else "",
    ]


def _payment_means_lines(invoice: Invoice, seller) -> list[str]:
    """How the invoice is paid: by SEPA direct debit under the shop's mandate when it had
    one at issue, else by transfer to the cooperative's account."""
    if getattr(invoice, "payment_means", "transfer") == "direct_debit":
        mandate = getattr(invoice, "mandate_reference", "")
        return [
            "Règlement par prélèvement SEPA à l'échéance"
            + (f", mandat n°{NBSP}{mandate}" if mandate else "")
            + (f", identifiant créancier SEPA {seller.creditor_id}" if seller.creditor_id else "")
            + "."
        ]
    account = " — ".join(
        part
        for part in (
            f"IBAN {_spaced(seller.iban)}" if seller.iban else "",
            f"BIC {seller.bic}" if seller.bic else "",
        )
        if part
    )
    return [f"Règlement par virement SEPA{' : ' + account if account else ''}."]


def _unit(line) -> str:
    if not line.quantity:
        return ""
    return UNIT_LABELS.get(line.kind, LUMP_SUM)


def _as_facturx(pdf: bytes, xml: bytes, *, document: str, seller, buyer, day) -> bytes:
    return facturx_pdf(
        pdf,
        xml,
        title=document,
        author=seller.legal_name or seller.name,
        subject=(
            f"{document} du {format_date(day)} de {seller.legal_name or seller.name} "
            f"à {buyer.legal_name or buyer.name}"
        ),
    )


def vat_and_totals(vat_lines, document, *, total_label: str):
    """The VAT per rate beside the totals (HT, TVA, TTC) of an invoice or a credit note."""
    vat_table = data_table(
        ["Taux de TVA", "Base HT", "Montant TVA"],
        [
            [format_rate(vat.rate), format_eur(vat.base), format_eur(vat.amount)]
            for vat in vat_lines
        ],
        widths=[1, 1, 1],
        right_columns={0, 1, 2},
        width=80 * mm,
    )
    totals = summary_table(
        [
            ("Total HT", format_eur(document.total_excl_vat)),
            ("Total TVA", format_eur(document.total_vat)),
            (total_label, format_eur(document.total_incl_vat)),
        ],
        strong={2},
    )
    return side_by_side([vat_table, totals], widths=[1, 1])


def _lines_table(rows):
    return data_table(
        ["Désignation", "Quantité", "Unité", "Prix unitaire HT", "Montant HT", "TVA"],
        rows,
        widths=[81, 18, 14, 24, 24, 13],  # mm of the 174 between the margins
        right_columns={1, 3, 4, 5},
    )


def invoice_pdf(invoice: Invoice) -> bytes:
    """The cooperative's invoice (facture) to a shop: a Factur-X PDF (docs/e-invoicing.md)."""
    prefetch_related_objects([invoice], "round__supplier", "lines__product", "vat_lines")
    # The parties as issued, not the shop or the cooperative as they are now.
    coop, shop, round_ = _party(invoice, "seller"), _party(invoice, "buyer"), invoice.round
    lines = sorted(invoice.lines.all(), key=lambda line: line.position)
    vat_lines = sorted(invoice.vat_lines.all(), key=lambda vat: vat.rate)
    term_days = (invoice.due_on - invoice.issued_on).days
    document = f"Facture n°{NBSP}{invoice.number}"

    story = [
        para(document, "title"),
        para(
            f"Date d'émission : {format_date(invoice.issued_on)} — "
            f"date de livraison : {format_date(round_.delivery_date)}",
            "subtitle",
        ),
        info_blocks([("Vendeur", _seller_lines(coop)), ("Client", _buyer_lines(shop))]),
        Spacer(0, 3 * mm),
        info_blocks([("Livraison", _delivery_lines(invoice, shop))]),
        Spacer(0, 3 * mm),
        lines_para(
            [
                f"Achat groupé auprès de {round_.supplier.name}, livré le "
                f"{format_date(round_.delivery_date)} "
                f"(commande fournisseur n°{NBSP}{invoice.supplier_order_id}).",
                # A supplementary invoice names the invoice it adds to (as its BT-25).
                *([supplement_note(invoice.supplements)] if invoice.supplements_id else []),
                *_nature_lines(lines, coop),
            ]
        ),
        para("Détail", "heading"),
        _lines_table(
            [
                [
                    line.label,
                    format_quantity(line.quantity),
                    _unit(line),
                    format_unit_price(line.unit_price),
                    format_eur(line.amount),
                    format_rate(line.vat_rate),
                ]
                for line in lines
            ]
        ),
        Spacer(0, 5 * mm),
    ]

    closing = [
        vat_and_totals(vat_lines, invoice, total_label="Total TTC — net à payer"),
        Spacer(0, 5 * mm),
    ]
    if invoice.savings > Decimal("0"):
        closing.append(
            para(
                f"Économie réalisée grâce aux achats groupés : {format_eur(invoice.savings)}",
                "heading",
            )
        )
    closing += [
        para("Conditions de paiement", "heading"),
        lines_para(
            [
                f"Paiement à {term_days} jours, au plus tard le {format_date(invoice.due_on)}.",
                *_payment_means_lines(invoice, coop),
                "Pas d'escompte pour paiement anticipé.",
                LATE_PAYMENT,
                LATE_PAYMENT_DETAIL,
            ],
            "small",
        ),
    ]
    # The totals, the VAT and the legal mentions stay together, after the last line.
    story.append(KeepTogether(closing))
    pdf = render(story, frame=_frame(coop, document), title=document, author=coop.name)
    xml = invoice_cii(invoice)
    return _as_facturx(pdf, xml, document=document, seller=coop, buyer=shop, day=invoice.issued_on)


# --- Credit note ------------------------------------------------------------------------


def credit_note_pdf(credit_note: CreditNote) -> bytes:
    """A credit note (avoir) on one invoice: a Factur-X PDF (docs/credit-notes.md,
    docs/e-invoicing.md). The parties are the invoice's, as issued: a credit note corrects
    that document."""
    prefetch_related_objects([credit_note], "invoice__round", "lines", "vat_lines")
    invoice = credit_note.invoice
    coop, shop = _party(invoice, "seller"), _party(invoice, "buyer")
    lines = sorted(credit_note.lines.all(), key=lambda line: line.position)
    vat_lines = sorted(credit_note.vat_lines.all(), key=lambda vat: vat.rate)
    document = f"Avoir n°{NBSP}{credit_note.number}"
    excess = credit_note.total_incl_vat - credit_note.applied

    story = [
        para(document, "title"),
        para(
            f"Date d'émission : {format_date(credit_note.issued_on)} — sur la facture "
            f"n°{NBSP}{invoice.number} du {format_date(invoice.issued_on)}",
            "subtitle",
        ),
        info_blocks([("Vendeur", _seller_lines(coop)), ("Client", _buyer_lines(shop))]),
        Spacer(0, 3 * mm),
        info_blocks([("Livraison", _delivery_lines(invoice, shop))]),
        Spacer(0, 3 * mm),
        lines_para([f"Motif : {credit_note.reason}", *_nature_lines(lines, coop)]),
        para("Détail", "heading"),
        _lines_table(
            [
                [
                    line.label + (" (renvoyé au fournisseur)" if line.return_to_supplier else ""),
                    format_quantity(line.quantity) if line.quantity else "",
                    _unit(line),
                    format_unit_price(line.unit_price) if line.unit_price is not None else "",
                    format_eur(line.amount),
                    format_rate(line.vat_rate),
                ]
                for line in lines
            ]
        ),
        Spacer(0, 5 * mm),
    ]
    settled = [
        f"Imputé sur la facture n°{NBSP}{invoice.number} : {format_eur(credit_note.applied)}."
    ]
    if excess:
        settled.append(
            f"Le solde de {format_eur(excess)} est porté au crédit du commerce et imputé sur "
            "ses prochaines factures."
        )
    story.append(
        KeepTogether(
            [
                vat_and_totals(vat_lines, credit_note, total_label="Total TTC de l'avoir"),
                Spacer(0, 5 * mm),
                para("Imputation", "heading"),
                lines_para(settled, "small"),
            ]
        )
    )
    pdf = render(story, frame=_frame(coop, document), title=document, author=coop.name)
    xml = credit_note_cii(credit_note)
    return _as_facturx(
        pdf, xml, document=document, seller=coop, buyer=shop, day=credit_note.issued_on
    )


# --- Distribution: delivery notes, picking list, the day's tour (docs/distribution.md) ---


def _signature_boxes(titles: list[str]) -> Table:
    """Boxes side by side for a name, a date and a signature ("Livré par", "Reçu par")."""
    cells = [
        [
            para(title.upper(), "label"),
            lines_para(["Nom :", "Date et heure :", "Signature :"], "small"),
        ]
        for title in titles
    ]
    table = Table([cells], colWidths=[174 * mm / len(titles)] * len(titles), rowHeights=[32 * mm])
    table.setStyle(
        table_style(
            [
                ("BOX", (0, 0), (-1, -1), 0.75, MUTED),
                ("INNERGRID", (0, 0), (-1, -1), 0.75, MUTED),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 2 * mm),
                ("LEFTPADDING", (0, 0), (-1, -1), 2 * mm),
            ]
        )
    )
    return table


def _lot_cells(line) -> tuple[str, str]:
    if not line.received:
        return "", ""
    return (line.lot or "—", format_date(line.expires_on) if line.expires_on else "—")


def delivery_notes_pdf(supplier_order: SupplierOrder, notes) -> bytes:
    """The delivery notes (bons de livraison) of a received supplier order: one per shop
    (`notes`: purchasing.selectors.delivery_notes, in tour order), each on its own
    page(s): the products, the units allocated and received (those invoiced and put into
    the shop's stock), the shortfall, the lot and use-by date recorded at receipt, and the
    signature boxes. The cooperative's row is its only query."""
    coop = Cooperative.current()
    round_ = supplier_order.round
    document = f"Bons de livraison — commande n°{NBSP}{supplier_order.pk}"
    delivered = (
        "Livraison directe par le fournisseur"
        if round_.delivery == Round.Delivery.SHOPS
        else f"Depuis la plateforme : {_delivery_address(coop)}"
    )
    story = []
    for index, note in enumerate(notes):
        if index:
            story.append(PageBreak())
        shop = note.shop
        title = f"Bon de livraison n°{NBSP}{supplier_order.pk}-{shop.pk}"
        story += [
            para(title, "title"),
            para(
                f"{round_.supplier.name} — livraison du {format_date(round_.delivery_date)} "
                f"(commande fournisseur n°{NBSP}{supplier_order.pk})",
                "subtitle",
            ),
            info_blocks(
                [
                    ("Expéditeur", [*_cooperative_lines(coop), delivered]),
                    (
                        "Commerce livré",
                        [
                            shop.name,
                            shop.address,
                            _postal_line(shop.postcode, shop.commune),
                            f"Tél. {shop.phone}" if shop.phone else "",
                            f"Horaires : {shop.opening_hours}" if shop.opening_hours else "",
                        ],
                    ),
                ]
            ),
            para("Articles livrés", "heading"),
            data_table(
                ["Désignation", "Unité", "Attribué", "Livré", "Manquant", "Lot", "DLC / DDM"],
                [
                    [
                        line.product.name,
                        line.product.unit_label,
                        format_quantity(line.allocated),
                        format_quantity(line.received),
                        format_quantity(line.shortfall) if line.shortfall else "",
                        *_lot_cells(line),
                    ]
                    for line in note.lines
                ],
                widths=[50, 14, 16, 13, 19, 32, 22],
                right_columns={2, 3, 4},
            ),
            Spacer(0, 3 * mm),
            summary_table(
                [
                    ("Unités livrées", format_quantity(note.received)),
                    ("Unités manquantes", format_quantity(note.shortfall)),
                ]
            ),
            Spacer(0, 3 * mm),
        ]
        closing = []
        if note.shortfall:
            closing.append(
                para(
                    "Les unités manquantes ne sont pas facturées : la facture reprend les "
                    "unités livrées.",
                    "small",
                )
            )
        closing += [
            para("Réserves à la livraison :", "small"),
            Spacer(0, 10 * mm),
            _signature_boxes(["Livré par", "Reçu par"]),
        ]
        story.append(KeepTogether(closing))
    if not notes:
        story.append(para("Aucun commerce servi par cette commande.", "body"))
    return render(story, frame=_frame(coop, document), title=document, author=coop.name)


PICKING_SHOPS_PER_TABLE = 7  # columns of shops beside the product, per table (A4 portrait)


def picking_list_pdf(supplier_order: SupplierOrder, matrix) -> bytes:
    """The hub's picking list (liste de préparation) of a supplier order: per product the
    units for each shop, the shops in tour order and a total per product and per shop
    (`matrix`: purchasing.distribution.picking_matrix). More shops than fit on a page's
    width make several tables, each with the products again."""
    coop = Cooperative.current()
    round_ = supplier_order.round
    document = f"Liste de préparation — commande n°{NBSP}{supplier_order.pk}"
    received = supplier_order.status == SupplierOrder.Status.RECEIVED
    story = [
        para(document, "title"),
        para(
            f"{round_.supplier.name} — livraison du {format_date(round_.delivery_date)}",
            "subtitle",
        ),
    ]
    if not received:
        story.append(notice("Prévisionnel : commande non réceptionnée, quantités attribuées."))
    if matrix.shops:
        story.append(
            para(
                "Ordre de la tournée : "
                + " · ".join(f"{n}. {shop.name}" for n, shop in enumerate(matrix.shops, start=1)),
                "small",
            )
        )
    chunks = [
        list(range(start, min(start + PICKING_SHOPS_PER_TABLE, len(matrix.shops))))
        for start in range(0, len(matrix.shops), PICKING_SHOPS_PER_TABLE)
    ] or [[]]
    last = len(chunks) - 1
    for number, columns in enumerate(chunks):
        with_total = number == last
        header = [
            "Produit",
            *(f"{index + 1}. {matrix.shops[index].name}" for index in columns),
            *(["Total"] if with_total else []),
        ]
        rows = [
            [
                f"{row.product.name} ({row.product.sku})",
                *(
                    format_quantity(row.units[index]) if row.units[index] else ""
                    for index in columns
                ),
                *([format_quantity(row.total)] if with_total else []),
            ]
            for row in matrix.rows
        ]
        if matrix.rows:
            rows.append(
                [
                    "Total",
                    *(format_quantity(matrix.shop_totals[index]) for index in columns),
                    *([format_quantity(matrix.total)] if with_total else []),
                ]
            )
        width_count = len(header) - 1
        story += [
            data_table(
                header,
                rows,
                widths=[40, *([14] * width_count)],
                right_columns=set(range(1, len(header))),
                empty="Rien à préparer.",
            ),
            Spacer(0, 4 * mm),
        ]
    return render(story, frame=_frame(coop, document), title=document, author=coop.name)


def tour_pdf(delivery_date, stops, *, order: str = "tour") -> bytes:
    """The day's tour sheet (feuille de tournée): the stops in order, each shop's address,
    phone, contact and opening hours, and per round what to drop (`stops`:
    purchasing.selectors.tour_of_day)."""
    coop = Cooperative.current()
    document = f"Feuille de tournée du {format_date(delivery_date)}"
    story = [
        para(document, "title"),
        para(
            f"Départ : {_delivery_address(coop)} — "
            + plural(len(stops), "arrêt", "arrêts")
            + (" — ordre : trajet le plus court" if order == "route" else ""),
            "subtitle",
        ),
    ]
    if not stops:
        story.append(para("Aucune livraison depuis la plateforme ce jour-là.", "body"))
    for number, stop in enumerate(stops, start=1):
        shop = stop.shop
        block = [
            para(f"{number}. {shop.name}", "heading"),
            lines_para(
                [
                    _shop_address(shop),
                    " — ".join(
                        part
                        for part in (
                            f"Tél. {shop.phone}" if shop.phone else "",
                            shop.contact_name,
                        )
                        if part
                    ),
                    f"Horaires : {shop.opening_hours}" if shop.opening_hours else "",
                ]
            ),
            Spacer(0, 2 * mm),
            data_table(
                ["Commande (fournisseur)", "Produit", "Unités"],
                [
                    [
                        f"{drop.round.supplier.name} (commande n°{NBSP}{drop.supplier_order.pk})",
                        product.name,
                        format_quantity(units),
                    ]
                    for drop in stop.drops
                    for product, units in drop.lines
                ],
                widths=[60, 90, 24],
                right_columns={2},
            ),
            Spacer(0, 2 * mm),
            para("Déposé à : ______  Signature : ____________________", "small"),
        ]
        story.append(KeepTogether(block))
    return render(story, frame=_frame(coop, document), title=document, author=coop.name)
