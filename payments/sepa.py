"""SEPA rules with no database in them (docs/sepa.md): masking an IBAN, the notice a
mandate needs, the sequence type, the texts a transaction carries, and the two files
the bank takes, pain.008.001.02 (direct debits) and pain.001.001.03 (credit transfers),
written by the `sepaxml` package and validated against the XSD it ships.

The services (payments.services.direct_debits, .credit_transfers) read the database and
hand plain data (the dataclasses below) to these functions.
"""

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import sepaxml
from lxml import etree
from schwifty import IBAN

from mache.money import to_cents

SCHEMAS = Path(sepaxml.__file__).resolve().parent / "schemas"
DIRECT_DEBIT_SCHEMA = "pain.008.001.02"
CREDIT_TRANSFER_SCHEMA = "pain.001.001.03"

# Days between the pre-notification and the collection when the mandate says nothing:
# the EPC rulebooks' default for each scheme (docs/sepa.md, "Pre-notification").
DEFAULT_NOTICE_DAYS = {"B2B": 2, "CORE": 14}

# What a mandate reference (RUM) may hold: the SEPA character set, 35 at most.
REFERENCE_RE = re.compile(r"^[A-Za-z0-9+?/:().,' -]{1,35}$")

FIRST = "FRST"
RECURRING = "RCUR"

# Remittance information: 140 characters (unstructured, in both files).
REMITTANCE_MAX = 140
# End-to-end identifiers and message ids: 35 characters.
ID_MAX = 35


class SepaFileError(Exception):
    """The file written does not validate against its schema (a value the bank would
    refuse slipped through): a bug, never shown as a user's error."""


def compact_iban(value: str) -> str:
    """The IBAN in its electronic form (no spaces, upper case), as the files need it."""
    return IBAN(value).compact


def mask_iban(value: str) -> str:
    """Every character but the last 4 replaced by `*` (spaces dropped): what people
    other than a coordinator see of a mandate's account."""
    compact = "".join(value.split()).upper()
    return "*" * max(len(compact) - 4, 0) + compact[-4:]


def notice_days(*, scheme: str, prenotification_days: int | None) -> int:
    """How many days ahead a shop must be told of a collection."""
    if prenotification_days is not None:
        return prenotification_days
    return DEFAULT_NOTICE_DAYS[scheme]


def sequence_type(*, first_collected_on: dt.date | None, pending_elsewhere: bool) -> str:
    """`FRST` for the first collection of a mandate's sequence, `RCUR` once one has been
    collected (or is on its way, in a batch not settled yet)."""
    return FIRST if first_collected_on is None and not pending_elsewhere else RECURRING


def numbers_text(prefix: str, numbers: list[str], limit: int = REMITTANCE_MAX) -> str:
    """ "Factures A, B, C" within `limit` characters; when they do not all fit, the
    first ones and "et N autres"."""
    full = f"{prefix} {', '.join(numbers)}"
    if len(full) <= limit:
        return full
    for shown in range(len(numbers) - 1, 0, -1):
        text = f"{prefix} {', '.join(numbers[:shown])} et {len(numbers) - shown} autres"
        if len(text) <= limit:
            return text
    return full[:limit]


def direct_debit_end_to_end_id(*, batch_id: int, numbers: list[str]) -> str:
    """Unique per transaction (an invoice collected again after a rejection gets a new
    one), naming the first invoice and how many more."""
    text = f"D{batch_id:06d}-{numbers[0]}"
    if len(numbers) > 1:
        text += f"+{len(numbers) - 1}"
    return text[:ID_MAX]


# --- The files ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Creditor:
    """The cooperative as the files name it."""

    name: str
    iban: str
    bic: str
    creditor_id: str = ""


@dataclass(frozen=True)
class DebitIn:
    """One shop's transaction of a direct-debit batch."""

    name: str
    iban: str
    bic: str
    amount: Decimal
    mandate_reference: str
    mandate_signed_on: dt.date
    scheme: str  # B2B | CORE
    sequence_type: str  # FRST | RCUR
    end_to_end_id: str
    remittance: str


@dataclass(frozen=True)
class TransferIn:
    """One transfer to a supplier."""

    name: str
    iban: str
    bic: str
    amount: Decimal
    end_to_end_id: str
    remittance: str


def validate(xml: bytes, schema: str) -> None:
    """Raise SepaFileError unless `xml` is valid against `schema` (an XSD of sepaxml)."""
    xsd = etree.XMLSchema(etree.parse(str(SCHEMAS / f"{schema}.xsd")))
    document = etree.fromstring(xml)
    if not xsd.validate(document):
        raise SepaFileError(str(xsd.error_log))


def _renamed(xml: bytes, *, message_id: str, merge: list[bytes] = ()) -> bytes:
    """`xml` with our message id (sepaxml draws a random one) and numbered payment
    information ids (the bank statement names them); the payment blocks of `merge` (the
    same kind of file, another scheme) appended, the group totals recomputed."""
    root = etree.fromstring(xml)
    ns = {"p": root.nsmap[None]}
    initiation = root[0]
    for other in merge:
        for block in etree.fromstring(other)[0].findall("p:PmtInf", ns):
            initiation.append(block)
    blocks = initiation.findall("p:PmtInf", ns)
    header = initiation.find("p:GrpHdr", ns)
    header.find("p:MsgId", ns).text = message_id
    count, cents = 0, 0
    for number, block in enumerate(blocks, start=1):
        block.find("p:PmtInfId", ns).text = f"{message_id}-{number}"[:ID_MAX]
        count += int(block.find("p:NbOfTxs", ns).text)
        cents += to_cents(Decimal(block.find("p:CtrlSum", ns).text))
    header.find("p:NbOfTxs", ns).text = str(count)
    header.find("p:CtrlSum", ns).text = f"{Decimal(cents) / 100:.2f}"
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def direct_debit_xml(
    *, creditor: Creditor, message_id: str, collection_date: dt.date, debits: list[DebitIn]
) -> bytes:
    """The pain.008.001.02 file of a batch: one payment block per scheme (B2B, CORE) and
    sequence type (FRST, RCUR), as the schemes require; validated before it is given."""
    from sepaxml import SepaDD

    files = []
    for scheme in sorted({debit.scheme for debit in debits}):
        sepa = SepaDD(
            {
                "name": creditor.name,
                "IBAN": compact_iban(creditor.iban),
                "BIC": creditor.bic.upper(),
                "batch": True,
                "creditor_id": creditor.creditor_id.replace(" ", "").upper(),
                "currency": "EUR",
                "instrument": scheme,
            },
            schema=DIRECT_DEBIT_SCHEMA,
        )
        for debit in debits:
            if debit.scheme != scheme:
                continue
            sepa.add_payment(
                {
                    "name": debit.name,
                    "IBAN": compact_iban(debit.iban),
                    "BIC": debit.bic.upper(),
                    "amount": to_cents(debit.amount),
                    "type": debit.sequence_type,
                    "collection_date": collection_date,
                    "mandate_id": debit.mandate_reference,
                    "mandate_date": debit.mandate_signed_on,
                    "description": debit.remittance,
                    "endtoend_id": debit.end_to_end_id,
                }
            )
        files.append(sepa.export(validate=False))
    xml = _renamed(files[0], message_id=message_id, merge=files[1:])
    validate(xml, DIRECT_DEBIT_SCHEMA)
    return xml


def credit_transfer_xml(
    *, debtor: Creditor, message_id: str, execution_date: dt.date, transfers: list[TransferIn]
) -> bytes:
    """The pain.001.001.03 file of a batch of transfers; validated before it is given."""
    from sepaxml import SepaTransfer

    sepa = SepaTransfer(
        {
            "name": debtor.name,
            "IBAN": compact_iban(debtor.iban),
            "BIC": debtor.bic.upper(),
            "batch": True,
            "currency": "EUR",
        },
        schema=CREDIT_TRANSFER_SCHEMA,
    )
    for transfer in transfers:
        sepa.add_payment(
            {
                "name": transfer.name,
                "IBAN": compact_iban(transfer.iban),
                "BIC": transfer.bic.upper(),
                "amount": to_cents(transfer.amount),
                "execution_date": execution_date,
                "description": transfer.remittance,
                "endtoend_id": transfer.end_to_end_id,
            }
        )
    xml = _renamed(sepa.export(validate=False), message_id=message_id)
    validate(xml, CREDIT_TRANSFER_SCHEMA)
    return xml
