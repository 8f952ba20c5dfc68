"""The order form's product rows, made once per request without a template per product
(issue 18: 300 products must render within twice a bare loop).

The catalogue part of a row (name, reference, case, VAT, prices, search text) depends
on the catalogue only: rendered once per supplier and catalogue version and then read
from the cache (catalogue.cache). The group's fill and the shop's line
(selectors.LineEstimate) change with every order: their sentences are written here, the
only place, for the page and for the estimate's out-of-band updates alike
(docs/consolidation.md, "What the order form shows").
"""

from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe

from catalogue.cache import catalogue_version
from catalogue.local import product_is_organic, short_label
from mache.cache import ProcessCopies
from mache.formats import format_eur, format_quantity, format_rate, format_unit_price

from ..forms import folded
from ..selectors import product_terms

CATALOGUE_TIMEOUT = 24 * 3600
# The catalogues last read in this process: a few suppliers have a round open at once.
CATALOGUES = ProcessCopies(size=16)


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


def fill_html(line, *, oob: bool = False, detail: bool = False) -> str:
    """One product's fill (#f<product>), safe HTML: by default its short form
    (`compact_fill`), with `detail` the gauge and the whole sentences. With `oob`, swapped
    in place by htmx when the estimate comes back. Only numbers and our own sentences go
    in: nothing to escape."""
    if not detail:
        return compact_fill(line, oob=oob)
    shop = shop_sentence(line)
    gauge = line.gauge
    return mark_safe(  # noqa: S308 - numbers and our own sentences (shop_sentence escapes)
        f'<div id="f{line.product.pk}" class="case-fill" data-gauge="{gauge}"'
        f'{OOB if oob else ""}><div class="gauge" role="img" aria-label="Colis en cours du '
        f'groupe rempli à {gauge} %"><span style="width: {gauge}%"></span></div>'
        f'<div class="muted">{group_sentence(line)}</div>'
        + (f'<div class="your-line">{shop}</div>' if shop else "")
        + "</div>"
    )


OOB = ' hx-swap-oob="true"'


def compact_words(line) -> tuple[str, str]:
    """The short form of the two sentences (docs/consolidation.md, "What the order form
    shows"): the group's cases if the round closed now, the units it lacks for one case
    more, its price when the volumes lower it; and what the shop would receive. Plain
    text, ("", "") when there is nothing to say."""
    group = []
    if line.case_size == 1:
        if line.units:
            group.append(f"{format_quantity(line.units)} u.")
    else:
        if line.cases:
            group.append(f"{format_quantity(line.cases)} colis")
        if line.missing < line.case_size:
            group.append(f"manque {format_quantity(line.missing)}")
    if line.cases and line.unit_price != line.product.unit_price:
        group.append(format_unit_price(line.unit_price, symbol=False))
    if line.allocated:
        shop = f"vous {format_quantity(line.allocated)} u. · {format_eur(line.amount)}"
    elif line.quantity:
        shop = "vous : rien"
    elif line.tolerance:
        shop = "tolérance seule : non retenue"
    else:
        shop = ""
    return " · ".join(group), shop


def compact_fill(line, *, oob: bool = False) -> str:
    """`compact_words` over a gauge drawn by app.css from --g (the group's case in
    progress, 0 to 100): a few dozen bytes a product (issue 18: the page for 300 products
    under 60 kB)."""
    group, shop = compact_words(line)
    gauge = f" style=--g:{line.gauge}%" if line.gauge else ""
    shop = f"<b>{shop}</b>" if shop else ""
    return mark_safe(  # noqa: S308 - numbers and our own words
        f"<i id=f{line.product.pk}{gauge}{OOB if oob else ''}>{group}{shop}</i>"
    )


def product_tags(product) -> str:
    """The product's own origin and labels, short ("Vergers de Guichen · AB · HVE"), or
    "" when it has none: its supplier's are said once at the top of the form
    (docs/local-producers.md; a few bytes a product, issue 18)."""
    return " · ".join(
        [product.origin] * bool(product.origin) + list(map(short_label, product.labels))
    )


DEFAULT_UNIT = "unité"  # catalogue.models.Product.unit_label's default: "colis de 6"


def product_head(product, tiers) -> dict:
    """The catalogue part of a product's row, escaped: "bio" (what the organic filter
    reads, docs/local-producers.md), its category, and its text in two forms: "short"
    (name, reference, case, unit price excluding VAT, volume prices, origin and labels,
    as few bytes as can be read: the list's head says what they are) and "detail" (the
    same in words, with the VAT rate). Its labels are its own or its supplier's: a
    change to either gives a new catalogue version. The reference comes first in the
    small print: order_form.js searches the name, the reference and the category."""
    # Short: "par 6" (sold by the case of 6), the prices without "€"; detail: words.
    short_case = f"par {format_quantity(product.case_size)}"
    case = f"colis de {format_quantity(product.case_size)}"
    if product.unit_label != DEFAULT_UNIT:
        short_case += f" × {escape(product.unit_label)}"
        case += f" × {escape(product.unit_label)}"

    def prices(symbol: bool) -> str:
        return "".join(
            f"<br>dès {format_quantity(tier.min_cases)} colis : "
            f"{format_unit_price(tier.unit_price, symbol=symbol)}"
            for tier in tiers
        )

    tags = product_tags(product)
    name = f"<b>{escape(product.name)}</b><small>{escape(product.sku)} · "
    tags = f"</small><em class=tags>{escape(tags)}</em>" if tags else "</small>"
    return {
        "bio": product_is_organic(product),
        "category": product.category,
        "short": (
            f"{name}{short_case} · {format_unit_price(product.unit_price, symbol=False)}"
            f"{prices(False)}{tags}"
        ),
        "detail": (
            f"{name}{case} · TVA {format_rate(product.vat_rate)} · "
            f"{format_unit_price(product.unit_price)} HT l'unité{prices(True)}{tags}"
        ),
    }


def catalogue(supplier_id: int, queryset) -> dict:
    """The supplier's active products (`queryset`, read with their price tiers) and the
    catalogue part of each one's row, for the supplier's current catalogue version: a
    change to the catalogue changes the key (catalogue.cache), so the entry is never
    stale. Whether the supplier is local is not in it: that depends on the cooperative's
    hub and radius too, and `sections` writes it for each request.
    {"products": [Product], "heads": {product id: head}, "terms": {product id:
    rules.ProductTerms}} (the estimate's terms, selectors.product_terms)."""

    def read():
        products = list(queryset)
        heads = {p.pk: product_head(p, list(p.price_tiers.all())) for p in products}
        return {"products": products, "heads": heads, "terms": product_terms(products)}

    # "rows": the compact rows of issue 18; the entries made before, under other names,
    # are never read again.
    key = f"order-form-rows:{supplier_id}:{catalogue_version(supplier_id)}"
    return CATALOGUES.get(key, read, timeout=CATALOGUE_TIMEOUT)


def _input(prefix: str, label: str, pk: int, form, product_name: str = "") -> str:
    """A product's field: a bare input (order_form.js gives it its label, keyboard and
    placeholder; the list's head names the columns), or, when it is in error, the field
    as mache/field.html shows it: its label (with the product's name for a screen
    reader, where the cursor lands after a refused save), what was typed, its errors
    beside it. What was typed and the name are escaped."""
    name = f"{prefix}{pk}"
    errors = form.errors.get(name) if form.errors else None
    if not errors:
        value = form.shown(name)
        value = "" if value in (None, "") else f' value="{escape(value)}"'
        return f"<input name={name}{value}>"
    value = form[name].value()
    items = "".join(f"<li>{escape(error)}</li>" for error in errors)
    return (
        f'<div class="field-error"><label for="id_{name}">{label}<span class="visually-hidden">'
        f" : {escape(product_name)}</span></label>"
        f'<input type="number" name="{name}" value="{escape("" if value is None else value)}" '
        f'min="0" inputmode="numeric" aria-invalid="true" id="id_{name}">'
        f'<ul class="errorlist">{items}</ul></div>'
    )


def sections(heads: dict, lines, form, hidden: set, *, detail: bool = False) -> list[dict]:
    """The order form's products by category (the categories in alphabetical order,
    then the products without one), each a row (safe HTML): the catalogue part from
    `heads` (`catalogue`), the two fields of `form` (purchasing.forms.OrderForm, validated
    first), the fill (`fill_html`, whole sentences with `detail`). `hidden`: the products
    the filters hide. [{"category", "rows": safe HTML, "hidden"}]."""
    text = "detail" if detail else "short"
    by_category: dict[str, dict] = {}
    for line in lines:
        product = line.product
        pk = product.id
        head = heads.get(pk) or product_head(product, line.tiers)
        shown = pk not in hidden
        attrs = (" class=bio" if head["bio"] else "") + ("" if shown else " hidden")
        section = by_category.get(head["category"])
        if section is None:
            section = by_category[head["category"]] = {
                "category": head["category"],
                "rows": [],
                "hidden": True,
            }
        section["hidden"] = section["hidden"] and not shown
        section["rows"].append(
            f"<li{attrs}>{head[text]}{_input('q', 'Quantité', pk, form, product.name)}"
            f"{_input('t', 'Tolérance', pk, form, product.name)}"
            # </li> left out, as HTML allows: 5 bytes a product.
            f"{fill_html(line, detail=detail)}"
        )
    result = sorted(by_category.values(), key=lambda s: (not s["category"], folded(s["category"])))
    for section in result:
        # One string a category, not a template loop over 300 rows.
        section["rows"] = mark_safe("".join(section["rows"]))  # noqa: S308 - the cached part
        # escaped by product_head, the typed values and the errors by _input
    return result
