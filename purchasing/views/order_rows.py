"""The order form's product rows, made once per request without a template per product
(issue 18: 300 products must render within twice a bare loop).

The catalogue part of a row (name, reference, case, VAT, prices, search text) depends
on the catalogue only: rendered once per supplier and catalogue version and then read
from the cache (catalogue.cache). The group's fill and the shop's line
(selectors.LineEstimate) change with every order: their sentences are written here, the
only place, for the page and for the estimate's out-of-band updates alike
(docs/consolidation.md, "What the order form shows").
"""

from django.template.loader import render_to_string
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe

from catalogue.cache import catalogue_version
from catalogue.local import product_is_organic, short_label
from mache.cache import cached
from mache.formats import format_eur, format_quantity, format_unit_price

from ..forms import search_text

CATALOGUE_TIMEOUT = 24 * 3600


def _s(count: int) -> str:
    """The plural mark of the sentences below: 0 and 1 take the singular."""
    return "s" if count > 1 else ""


def group_sentence(line) -> str:
    """The group's case in progress and what it would receive if the round closed now."""
    if line.case_size == 1:
        head = "Vendu à l'unité."
    elif line.missing < line.case_size:
        which = "un colis de plus" if line.cases else "un premier colis"
        head = (
            f"Il manque {format_quantity(line.missing)} unité{_s(line.missing)} "
            f"au groupe pour {which}."
        )
    elif line.cases:
        head = "Colis complet."
    else:
        head = "Aucun colis entamé."
    ordered = (
        f"Groupe : {format_quantity(line.ordered)} unité{_s(line.ordered)} "
        f"demandée{_s(line.ordered)}, "
    )
    if line.cases:
        tail = (
            f"{format_quantity(line.cases)} colis ({format_quantity(line.units)} "
            f"unité{_s(line.units)}) si la tournée fermait maintenant, à "
            f"{format_unit_price(line.unit_price)} HT."
        )
    elif line.ordered:
        tail = "aucun colis si la tournée fermait maintenant : le produit serait retiré."
    else:
        tail = "aucun colis."
    return f"{head} {ordered}{tail}"


def shop_sentence(line):
    """What the shop would receive of the product (safe HTML), or '' with no line."""
    if line.allocated:
        if line.extra:
            detail = f", dont {format_quantity(line.extra)} de votre tolérance"
        elif line.short:
            detail = (
                f" sur {format_quantity(line.quantity)} demandée{_s(line.quantity)} : "
                "le groupe ne remplit pas un colis de plus"
            )
        else:
            detail = ""
        return format_html(
            'Vous recevriez <strong class="allocated">{} unité{}</strong>{} ; '
            '<strong class="line-amount">{}</strong> HT.',
            format_quantity(line.allocated),
            _s(line.allocated),
            detail,
            format_eur(line.amount),
        )
    if line.quantity:
        return "Vous ne recevriez rien : le groupe ne remplit aucun colis de ce produit."
    if line.tolerance:
        return "Sans quantité, la tolérance seule n'est pas retenue."
    return ""


def fill_html(line, *, oob: bool = False) -> str:
    """One product's gauge and sentences (#fill-<product>), safe HTML; with `oob`, swapped
    in place by htmx when the estimate comes back. Only numbers and our own sentences go
    in: nothing to escape."""
    shop = shop_sentence(line)
    gauge = line.gauge
    return mark_safe(  # noqa: S308 - numbers and our own sentences (shop_sentence escapes)
        f'<div id="fill-{line.product.pk}" class="case-fill" data-gauge="{gauge}"'
        f'{OOB if oob else ""}><div class="gauge" role="img" aria-label="Colis en cours du '
        f'groupe rempli à {gauge} %"><span style="width: {gauge}%"></span></div>'
        f'<div class="muted">{group_sentence(line)}</div>'
        + (f'<div class="your-line">{shop}</div>' if shop else "")
        + "</div>"
    )


OOB = ' hx-swap-oob="true"'


def product_tags(product) -> str:
    """The product's own origin and labels, short ("Vergers de Guichen · AB · HVE"), or
    "" when it has none: its supplier's are said once at the top of the form
    (docs/local-producers.md; a few bytes a product, issue 18)."""
    return " · ".join(
        [product.origin] * bool(product.origin) + list(map(short_label, product.labels))
    )


def product_head(product, tiers) -> dict:
    """The catalogue part of a product's card, escaped: its opening tag's class (bio:
    what the organic filter reads, docs/local-producers.md) and attributes, and its name,
    reference, case, VAT, origin and labels, prices. Its labels are its own or its
    supplier's: a change to either gives a new catalogue version."""
    return {
        "classes": " bio" if product_is_organic(product) else "",
        "attrs": format_html(
            ' data-search="{}" data-category="{}"', search_text(product), product.category
        ),
        "html": render_to_string(
            "purchasing/_order_product.html",
            {"p": product, "tiers": tiers, "tags": product_tags(product)},
        ),
    }


def catalogue(supplier_id: int, queryset) -> dict:
    """The supplier's active products (`queryset`, read with their price tiers) and the
    catalogue part of each one's card, for the supplier's current catalogue version: a
    change to the catalogue changes the key (catalogue.cache), so the entry is never
    stale. Whether the supplier is local is not in it: that depends on the cooperative's
    hub and radius too, and `cards` writes it for each request.
    {"products": [Product], "heads": {product id: head}}."""

    def read():
        products = list(queryset)
        heads = {p.pk: product_head(p, list(p.price_tiers.all())) for p in products}
        return {"products": products, "heads": heads}

    # "cards": the heads gained their class (local producers); the entries made before,
    # under "catalogue", are never read again.
    key = f"order-form-cards:{supplier_id}:{catalogue_version(supplier_id)}"
    return cached(key, read, timeout=CATALOGUE_TIMEOUT)


def _input(prefix: str, label: str, pk: int, field, with_errors: bool) -> str:
    """A plain input as mache/field.html would show the form's field: its label, what
    was typed (escaped), its errors beside it."""
    value = field.value()
    value = "" if value is None else escape(value)
    errors = field.errors if with_errors else ()
    wrapper, invalid, listed = "<div>", "", ""
    if errors:
        wrapper, invalid = '<div class="field-error">', ' aria-invalid="true"'
        items = "".join(f"<li>{escape(error)}</li>" for error in errors)
        listed = f'<ul class="errorlist">{items}</ul>'
    return (
        # The attributes in the order of Django's NumberInput.
        f'{wrapper}<label for="id_{prefix}{pk}">{label}</label><input type="number" '
        f'name="{prefix}{pk}" value="{value}" min="0" inputmode="numeric" placeholder="0"'
        f'{invalid} id="id_{prefix}{pk}">{listed}</div>'
    )


def cards(
    heads: dict, lines, fields: dict, hidden: set, *, with_errors: bool, local: bool = False
) -> list[str]:
    """Each product's card of the order form (safe HTML), in the estimate's order: the
    catalogue part from `heads` (`catalogue`), the two fields as plain inputs, the fill.
    `with_errors`: the form has errors (else no field's are looked up). `local`: the
    supplier is local now (catalogue.local), what the local filter reads."""
    local_class = " local" if local else ""
    result = []
    for line in lines:
        pk = line.product.pk
        head = heads.get(pk) or product_head(line.product, line.tiers)
        quantity, tolerance = fields[pk]
        result.append(
            mark_safe(  # noqa: S308 - cached parts escaped by format_html and the template,
                # the typed values and the errors by _input
                f'<div class="card product-card{local_class}{head["classes"]}" id="product-{pk}"'
                f"{head['attrs']}"
                f'{" hidden" if pk in hidden else ""}>{head["html"]}<div class="inline">'
                f"{_input('q', 'Quantité', pk, quantity, with_errors)}"
                f"{_input('t', 'Tolérance', pk, tolerance, with_errors)}</div>"
                f"{fill_html(line)}</div>"
            )
        )
    return result
