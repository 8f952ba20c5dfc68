"""What a bank line is (docs/bank.md, "Matching"): pure, given the line and what the
import service looked up. The rules, in order; the first that applies decides:

a. a credit naming an unsettled direct-debit batch (its message id in the batch
   reference or the text) and bringing its amount: the batch is settled;
b. an R-transaction: a line whose end-to-end id is a direct debit's not yet rejected,
   with a reason code or as a debit: that direct debit is rejected;
c. a credit naming invoice or credit-note numbers (of one shop): a payment of that
   shop allocated to those invoices (a credit note stands for its invoice);
d. a credit naming a shop's mandate reference: a payment of that shop, oldest first;
e. a credit whose payer or text names one shop (name or legal name, case and accents
   aside) and whose amount is exactly one open invoice of that shop: its payment;
f. a debit naming an unsettled credit-transfer batch, of its amount: settled.

Anything else waits for the coordinator.
"""

import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal

DOCUMENT_RE = re.compile(r"MACHE[\s-]*(AV[\s-]*)?(\d{4})[\s-]*(\d{6})(?!\d)", re.IGNORECASE)
# A shop's name shorter than this names nothing reliably ("Bar" is in every label).
MIN_NAME_CHARS = 4
# Letters NFKD leaves whole (French writes "œuf", banks "OEUF").
LIGATURES = str.maketrans({"œ": "oe", "æ": "ae"})


@dataclass(frozen=True)
class Batch:
    id: int
    amounts: frozenset  # what the bank may book for it: the total, or without rejected items


@dataclass
class Lookups:
    """What the rules need to know, keyed as the lines name it."""

    direct_debit_batches: dict = field(default_factory=dict)  # message id -> Batch
    direct_debit_items: dict = field(default_factory=dict)  # end-to-end id -> item id
    documents: dict = field(default_factory=dict)  # invoice/credit-note number -> (invoice, shop)
    mandates: dict = field(default_factory=dict)  # mandate reference -> shop id
    shop_names: dict = field(default_factory=dict)  # shop id -> normalised names
    open_items: dict = field(default_factory=dict)  # shop id -> [(invoice id, amount due)]
    credit_transfer_batches: dict = field(default_factory=dict)  # message id -> Batch


@dataclass(frozen=True)
class Decision:
    rule: str  # one of RULES
    batch_id: int | None = None
    item_id: int | None = None
    reason: str = ""
    shop_id: int | None = None
    invoice_ids: tuple = ()


DIRECT_DEBIT_BATCH = "direct_debit_batch"
DIRECT_DEBIT_RETURN = "direct_debit_return"
INVOICE = "invoice"
MANDATE = "mandate"
SHOP_AMOUNT = "shop_amount"
CREDIT_TRANSFER_BATCH = "credit_transfer_batch"
RULES = (
    DIRECT_DEBIT_BATCH,
    DIRECT_DEBIT_RETURN,
    INVOICE,
    MANDATE,
    SHOP_AMOUNT,
    CREDIT_TRANSFER_BATCH,
)


def normalised(text: str) -> str:
    """Lower case, no accents, words separated by one space, a space at each end (so
    that " name " finds whole words only)."""
    decomposed = unicodedata.normalize("NFKD", (text or "").casefold().translate(LIGATURES))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " " + " ".join(re.sub(r"[^0-9a-z]+", " ", bare).split()) + " "


def document_numbers(text: str) -> list[str]:
    """The invoice ("MACHE-2026-000012") and credit-note ("MACHE-AV-2026-000003")
    numbers a text names, in their canonical spelling, in order, once each (banks drop
    hyphens or put spaces)."""
    found = []
    for match in DOCUMENT_RE.finditer(text or ""):
        credit_note, year, sequence = match.groups()
        number = f"MACHE-{'AV-' if credit_note else ''}{year}-{sequence}"
        if number not in found:
            found.append(number)
    return found


def names_reference(text: str, reference: str) -> bool:
    """Whether `reference` (a message id, a mandate reference) stands in `text` as a
    whole token, case aside."""
    if not reference or not text:
        return False
    pattern = r"(?<![0-9A-Z])" + re.escape(reference.upper()) + r"(?![0-9A-Z])"
    return re.search(pattern, text.upper()) is not None


def shops_named(line, shop_names: dict) -> list[int]:
    """The shops whose name or legal name is in the line's payer or text."""
    haystack = normalised(f"{line.counterparty} {line.text}")
    return [
        shop_id
        for shop_id, names in shop_names.items()
        if any(len(name.strip()) >= MIN_NAME_CHARS and name in haystack for name in names)
    ]


def _batch_named(line, batches: dict) -> Batch | None:
    if line.batch_reference in batches:
        return batches[line.batch_reference]
    for message_id, batch in batches.items():
        if names_reference(line.text, message_id) or names_reference(
            line.end_to_end_id, message_id
        ):
            return batch
    return None


def decide(line, lookups: Lookups) -> Decision | None:
    """The rule that matches `line` (a BankLine or a ParsedLine) and what it acts on;
    None when none does."""
    credit = line.amount > 0
    if credit:
        batch = _batch_named(line, lookups.direct_debit_batches)
        if batch is not None and line.amount in batch.amounts:
            return Decision(DIRECT_DEBIT_BATCH, batch_id=batch.id)
    item_id = lookups.direct_debit_items.get(line.end_to_end_id) if line.end_to_end_id else None
    if item_id is not None and (line.return_reason or not credit):
        return Decision(DIRECT_DEBIT_RETURN, item_id=item_id, reason=line.return_reason)
    if credit:
        decision = _by_documents(line, lookups) or _by_mandate(line, lookups)
        if decision is None:
            decision = _by_shop_and_amount(line, lookups)
        if decision is not None:
            return decision
    else:
        batch = _batch_named(line, lookups.credit_transfer_batches)
        if batch is not None and -line.amount in batch.amounts:
            return Decision(CREDIT_TRANSFER_BATCH, batch_id=batch.id)
    return None


def _by_documents(line, lookups: Lookups) -> Decision | None:
    named = [
        lookups.documents[number]
        for number in document_numbers(f"{line.text} {line.end_to_end_id}")
        if number in lookups.documents
    ]
    shops = {shop_id for _, shop_id in named}
    if len(shops) != 1:
        return None  # none, or several shops' invoices in one transfer: by hand
    invoice_ids = tuple(dict.fromkeys(invoice_id for invoice_id, _ in named))
    return Decision(INVOICE, shop_id=shops.pop(), invoice_ids=invoice_ids)


def _by_mandate(line, lookups: Lookups) -> Decision | None:
    if line.mandate_reference in lookups.mandates:
        return Decision(MANDATE, shop_id=lookups.mandates[line.mandate_reference])
    shops = {
        shop_id
        for reference, shop_id in lookups.mandates.items()
        if names_reference(line.text, reference)
    }
    return Decision(MANDATE, shop_id=shops.pop()) if len(shops) == 1 else None


def _by_shop_and_amount(line, lookups: Lookups) -> Decision | None:
    candidates = [
        (shop_id, invoice_id)
        for shop_id in shops_named(line, lookups.shop_names)
        for invoice_id, amount_due in lookups.open_items.get(shop_id, [])
        if amount_due == line.amount
    ]
    if len(candidates) != 1:
        return None
    shop_id, invoice_id = candidates[0]
    return Decision(SHOP_AMOUNT, shop_id=shop_id, invoice_ids=(invoice_id,))


def amount_set(*amounts) -> frozenset:
    return frozenset(Decimal(a) for a in amounts if a is not None)
