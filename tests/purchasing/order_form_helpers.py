"""The shopkeeper's order form read back, as purchasing/views/order_rows.py writes it
(issue 18: one compact row per product, by category). Shared by the order form's tests.

A product's row is `<li[ class=bio][ hidden]>` (no `</li>`: it ends where the next row
or the list does), inside `<section class="products[ local]" data-category="…"[ hidden]>`;
its fields are bare `<input name=q12>` or, in error, the whole field with `name="q12"`;
its fill is `<i id=f12[ style=--g:66%]>group<b>shop</b></i>`, or with `?detail=1`
`<div id="f12" class="case-fill" data-gauge="66">` and the whole sentences."""

import html
import re
from dataclasses import dataclass

SECTION = re.compile(r'<section class="products[^"]*"[^>]*>')
ROW_END = re.compile(r"<li[ >]|</ol>")
COMPACT = re.compile(
    r"<i id=f(?P<pk>\d+)(?: style=--g:(?P<gauge>\d+)%)?(?P<oob> hx-swap-oob=\"true\")?>"
    r"(?P<group>[^<]*)(?:<b>(?P<shop>[^<]*)</b>)?</i>"
)
DETAIL = re.compile(r'<div id="f(?P<pk>\d+)" class="case-fill" data-gauge="(?P<gauge>\d+)"')


def content(response_or_html) -> str:
    if isinstance(response_or_html, str):
        return response_or_html
    return response_or_html.content.decode()


def _field(name: str) -> re.Pattern:
    """A product's input, bare (`<input name=q12>`) or in error (`name="q12"`)."""
    return re.compile(rf'<input\b[^>]*\bname="?{name}(?=[" >])[^>]*>')


@dataclass
class Row:
    html: str  # from <li to the next row or the end of the list, as sent
    section: str  # the opening tag of its category's section

    @property
    def tag(self) -> str:
        return self.html[: self.html.index(">") + 1]

    @property
    def classes(self) -> set[str]:
        found = re.match(r"<li(?: class=(\w+))?", self.html).group(1)
        return {found} if found else set()

    @property
    def hidden(self) -> bool:
        return self.tag.endswith(" hidden>")

    @property
    def section_classes(self) -> set[str]:
        return set(re.match(r'<section class="([^"]*)"', self.section).group(1).split())

    @property
    def section_hidden(self) -> bool:
        return self.section.endswith(" hidden>")

    @property
    def category(self) -> str:
        return html.unescape(re.search(r'data-category="([^"]*)"', self.section).group(1))

    @property
    def visible(self) -> bool:
        """Shown without JavaScript: neither the row nor its section hidden."""
        return not self.hidden and not self.section_hidden

    @property
    def flags(self) -> set[str]:
        """What the local and organic filters read (order_form.js): the row's classes
        (bio) and its section's (local)."""
        return self.classes | (self.section_classes - {"products"})

    @property
    def text(self) -> str:
        """Its HTML with the entities read and the whitespace collapsed."""
        return re.sub(r"[ \t\r\n]+", " ", html.unescape(self.html))

    @property
    def small(self) -> str:
        """Its small print (reference, case, prices), tags and entities read."""
        small = re.search(r"<small>(.*?)</small>", self.html).group(1)
        return html.unescape(small.replace("<br>", "\n"))


def row(response_or_html, product) -> Row:
    """The product's row on the order form."""
    page = content(response_or_html)
    field = _field(f"q{product.pk}").search(page)
    assert field, f"no quantity field for {product}"
    start = [m.start() for m in ROW_END.finditer(page, 0, field.start()) if m[0] != "</ol>"][-1]
    fill = re.compile(rf'id="?f{product.pk}[" >]').search(page, field.end())
    assert fill, f"no fill for {product}"
    end = ROW_END.search(page, fill.end()).start()
    sections = list(SECTION.finditer(page, 0, start))
    assert sections, f"{product} outside any section"
    return Row(html=page[start:end], section=sections[-1].group(0))


def row_ids(response_or_html) -> list[int]:
    """The products of the form, in the page's order."""
    return [
        int(pk)
        for pk in re.findall(r'<input\b[^>]*\bname="?q(\d+)[" >]', content(response_or_html))
    ]


def products_part(response_or_html) -> str:
    """The rows and their sections: from the first section of products to the last's end."""
    page = content(response_or_html)
    start = SECTION.search(page).start()
    return page[start : page.rindex("</section>") + len("</section>")]


def sections(response_or_html) -> list[tuple[str, str | None, list[int]]]:
    """Each section of products in the page's order: its category, its title (None
    without one) and its products, entities read."""
    page = content(response_or_html)
    found = []
    for match in SECTION.finditer(page):
        head, rows = page[match.end() :].split("</section>", 1)[0].split("<ol>", 1)
        title = re.search(r"<h2>(.*?)</h2>", head)
        category = re.search(r'data-category="([^"]*)"', match.group(0)).group(1)
        found.append(
            (
                html.unescape(category),
                html.unescape(title.group(1)) if title else None,
                row_ids(rows),
            )
        )
    return found


def typed(response_or_html, name: str) -> str | None:
    """What the form's field `name` ("q12", "t12") holds (its value read), "" when empty,
    None when the page has no such field; only one field of that name."""
    found = _field(name).findall(content(response_or_html))
    assert len(found) <= 1, found
    if not found:
        return None
    value = re.search(r'\bvalue="([^"]*)"', found[0])
    return html.unescape(value.group(1)) if value else ""


def compact_fill(response_or_html, product) -> re.Match:
    fills = [m for m in COMPACT.finditer(content(response_or_html)) if m["pk"] == str(product.pk)]
    assert len(fills) == 1, f"{len(fills)} compact fills for {product}"
    return fills[0]


def words(response_or_html, product) -> tuple[str, str]:
    """The product's fill in short: (the group's words, the shop's), entities read."""
    fill = compact_fill(response_or_html, product)
    return html.unescape(fill["group"]), html.unescape(fill["shop"] or "")


def detail_fill(response_or_html, product) -> str:
    """The product's fill in whole sentences (?detail=1), up to the end of its row or
    the next fill of the estimate."""
    page = content(response_or_html)
    fills = [m for m in DETAIL.finditer(page) if m["pk"] == str(product.pk)]
    assert len(fills) == 1, f"{len(fills)} detail fills for {product}"
    end = re.compile(r'<li[ >]|</ol>|<div id="f\d+" class="case-fill"').search(page, fills[0].end())
    return page[fills[0].start() : end.start() if end else len(page)]


def sentences(response_or_html, product) -> str:
    """The text of the product's detail fill, entities read, whitespace collapsed."""
    return re.sub(r"[ \t\r\n]+", " ", html.unescape(detail_fill(response_or_html, product)))


def gauge(response_or_html, product) -> int:
    """How full the group's case in progress is (0 to 100), in either form: the detail
    fill's data-gauge, the short fill's --g (none at 0)."""
    page = content(response_or_html)
    details = [m for m in DETAIL.finditer(page) if m["pk"] == str(product.pk)]
    if details:
        return int(details[0]["gauge"])
    return int(compact_fill(page, product)["gauge"] or 0)
