"""CAMT.053, the ISO 20022 bank-to-customer statement (docs/bank.md, "CAMT.053").

Version 001.02 is what French banks send most; later versions (001.04 to 001.13) move a
few elements (the status becomes `Sts/Cd`, a party's name `Pty/Nm`, a transaction's
amount `Amt` beside `AmtDtls`), which are read in both places. Any
`urn:iso:std:iso:20022:tech:xsd:camt.053.001.*` namespace is accepted.

The XML is read without a DTD, entities or the network (lxml's parser so configured):
a file that declares a DOCTYPE is refused, which closes XXE and entity expansion.
"""

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

from lxml import etree

from .base import NOT_A_STATEMENT, ParsedLine, ParsedStatement, StatementFormatError

NAMESPACE_PREFIX = "urn:iso:std:iso:20022:tech:xsd:camt.053.001."
AMOUNT_RE = re.compile(r"^\d{1,10}(\.\d{1,2})?$")
CURRENCY = "EUR"
# The start of the file, after a BOM and blanks: an XML document.
XML_START_RE = re.compile(rb"^(\xef\xbb\xbf)?\s*<")


def looks_like(data: bytes) -> bool:
    return XML_START_RE.match(data[:64]) is not None


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


class _Reader:
    """XPath in the document's own namespace (whatever the version)."""

    def __init__(self, namespace: str):
        self.ns = {"c": namespace}

    def all(self, node, path: str) -> list:
        return node.xpath(self._q(path), namespaces=self.ns)

    def one(self, node, path: str):
        found = self.all(node, path)
        return found[0] if found else None

    def text(self, node, path: str) -> str:
        found = self.one(node, path)
        if found is None or found.text is None:
            return ""
        return " ".join(found.text.split())

    def texts(self, node, path: str) -> list[str]:
        return [" ".join(n.text.split()) for n in self.all(node, path) if n.text and n.text.strip()]

    @staticmethod
    def _q(path: str) -> str:
        # "A/B" -> "c:A/c:B" (every step in the document's namespace).
        return "/".join(
            step if step in {".", ".."} or step.startswith("c:") else f"c:{step}"
            for step in path.split("/")
        )


def parse(data: bytes) -> ParsedStatement:
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        raise StatementFormatError(
            "Le relevé CAMT.053 est illisible (XML mal formé) : " + _short(str(exc))
        ) from exc
    tree = root.getroottree()
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        # No statement needs a DTD; one here can only be an attempt at entities (XXE).
        raise StatementFormatError("Le relevé CAMT.053 ne doit pas déclarer de DOCTYPE.")
    namespace = etree.QName(root).namespace or ""
    if not namespace.startswith(NAMESPACE_PREFIX):
        raise StatementFormatError(NOT_A_STATEMENT)
    read = _Reader(namespace)
    statements = read.all(root, "BkToCstmrStmt/Stmt")
    if not statements:
        raise StatementFormatError("Le relevé CAMT.053 ne contient aucun relevé (Stmt).")
    if len(statements) > 1:
        raise StatementFormatError(
            "Le fichier contient plusieurs relevés (Stmt) : importez-les un par un."
        )
    return _statement(read, root, statements[0])


def _statement(read: _Reader, root, stmt) -> ParsedStatement:
    statement_id = read.text(stmt, "Id")
    if not statement_id:
        raise StatementFormatError("Le relevé CAMT.053 n'a pas d'identifiant (Stmt/Id).")
    account = read.text(stmt, "Acct/Id/IBAN") or read.text(stmt, "Acct/Id/Othr/Id")
    if not account:
        raise StatementFormatError("Le relevé CAMT.053 ne nomme pas son compte (Acct/Id).")
    currency = read.text(stmt, "Acct/Ccy")
    if currency and currency != CURRENCY:
        raise StatementFormatError(
            f"Le compte est tenu en {currency} : seul l'euro est pris en charge."
        )
    lines = []
    for number, entry in enumerate(read.all(stmt, "Ntry"), 1):
        lines.extend(_entry_lines(read, entry, number))
    from_date, to_date = _period(read, root, stmt, lines)
    return ParsedStatement(
        account_iban=account.replace(" ", "").upper(),
        statement_id=statement_id,
        from_date=from_date,
        to_date=to_date,
        lines=lines,
        format="camt053",
    )


def _period(read: _Reader, root, stmt, lines) -> tuple[dt.date, dt.date]:
    """FrToDt when given; else the opening and closing balances' dates; else the booked
    lines' first and last dates; else the statement's creation date."""
    start = _date_of(read.text(stmt, "FrToDt/FrDtTm"), "FrToDt/FrDtTm")
    end = _date_of(read.text(stmt, "FrToDt/ToDtTm"), "FrToDt/ToDtTm")
    balances = {}
    for balance in read.all(stmt, "Bal"):
        code = read.text(balance, "Tp/CdOrPrtry/Cd")
        day = read.text(balance, "Dt/Dt") or read.text(balance, "Dt/DtTm")
        if code and day:
            balances.setdefault(code, _date_of(day, "Bal/Dt"))
    start = start or balances.get("OPBD") or balances.get("PRCD")
    end = end or balances.get("CLBD")
    if lines:
        start = start or min(line.booked_on for line in lines)
        end = end or max(line.booked_on for line in lines)
    created = _date_of(
        read.text(stmt, "CreDtTm") or read.text(root, "BkToCstmrStmt/GrpHdr/CreDtTm"), "CreDtTm"
    )
    start, end = start or created, end or created
    if start is None or end is None:
        raise StatementFormatError("Le relevé CAMT.053 ne dit pas quelle période il couvre.")
    if start > end:
        raise StatementFormatError("Le relevé CAMT.053 finit avant de commencer (FrToDt).")
    return start, end


def _entry_lines(read: _Reader, entry, number: int) -> list[ParsedLine]:
    """The lines of one entry (Ntry): booked entries only (pending or informative ones
    are not on the account yet). One line per entry, except an entry without batch
    details whose transactions each carry their amount (several returned direct debits
    booked together): one line per transaction, so that each is matched on its own."""
    status = read.text(entry, "Sts/Cd") or read.text(entry, "Sts")
    if status and status != "BOOK":
        return []
    where = f"écriture {number}"
    amount = _amount(read, entry, "Amt", where)
    indicator = read.text(entry, "CdtDbtInd")
    if indicator not in {"CRDT", "DBIT"}:
        raise StatementFormatError(f"Le relevé CAMT.053 ({where}) : sens CdtDbtInd inconnu.")
    # The sign follows CdtDbtInd even on a reversal (RvslInd): ISO 20022 books a
    # reversed credit as a DBIT entry, which is the money leaving the account.
    sign = 1 if indicator == "CRDT" else -1
    booked_on = _date_of(
        read.text(entry, "BookgDt/Dt") or read.text(entry, "BookgDt/DtTm"), "BookgDt"
    )
    if booked_on is None:
        raise StatementFormatError(
            f"Le relevé CAMT.053 ({where}) : date de comptabilisation manquante."
        )
    value_on = _date_of(read.text(entry, "ValDt/Dt") or read.text(entry, "ValDt/DtTm"), "ValDt")
    batch = read.one(entry, "NtryDtls/Btch")
    batch_reference = (
        read.text(batch, "MsgId") or read.text(batch, "PmtInfId") if batch is not None else ""
    )
    transactions = read.all(entry, "NtryDtls/TxDtls")
    entry_text = read.text(entry, "AddtlNtryInf")
    common = {"booked_on": booked_on, "value_on": value_on}
    if batch is None and len(transactions) > 1:
        amounts = [_transaction_amount(read, tx, where) for tx in transactions]
        if all(a is not None for a in amounts) and sum(amounts) == amount:
            return [
                _line(read, tx, sign * tx_amount, sign, "", entry_text, **common)
                for tx, tx_amount in zip(transactions, amounts, strict=True)
            ]
    if len(transactions) == 1:
        return [
            _line(read, transactions[0], sign * amount, sign, batch_reference, entry_text, **common)
        ]
    # A batch (or an entry without details): the entry as a whole, its texts together.
    texts = [text for tx in transactions for text in _remittance(read, tx)]
    if entry_text:
        texts.append(entry_text)
    references = [
        read.text(tx, "Refs/PmtInfId") or read.text(tx, "Refs/MsgId") for tx in transactions
    ]
    shared = {ref for ref in references if ref}
    if not batch_reference and len(shared) == 1:
        batch_reference = shared.pop()
    return [
        ParsedLine(
            amount=sign * amount,
            text=_joined(texts),
            batch_reference=batch_reference,
            **common,
        )
    ]


def _line(read, tx, amount, sign, batch_reference, entry_text, **common) -> ParsedLine:
    texts = _remittance(read, tx)
    if entry_text:
        texts.append(entry_text)
    # The other party: who paid a credit, who was paid by a debit. In a returned direct
    # debit (a debit) the debtor is still the shop: its name stays the counterparty.
    parties = (
        ("Dbtr", "UltmtDbtr", "Cdtr")
        if sign > 0 or read.one(tx, "RtrInf") is not None
        else ("Cdtr", "UltmtCdtr", "Dbtr")
    )
    counterparty = ""
    for party in parties:
        counterparty = read.text(tx, f"RltdPties/{party}/Nm") or read.text(
            tx, f"RltdPties/{party}/Pty/Nm"
        )
        if counterparty:
            break
    return ParsedLine(
        amount=amount,
        text=_joined(texts),
        end_to_end_id=_no_placeholder(read.text(tx, "Refs/EndToEndId")),
        mandate_reference=read.text(tx, "Refs/MndtId"),
        batch_reference=batch_reference
        or read.text(tx, "Refs/PmtInfId")
        or read.text(tx, "Refs/MsgId"),
        return_reason=read.text(tx, "RtrInf/Rsn/Cd") or read.text(tx, "RtrInf/Rsn/Prtry"),
        counterparty=counterparty,
        **common,
    )


def _remittance(read: _Reader, tx) -> list[str]:
    return [
        *read.texts(tx, "RmtInf/Ustrd"),
        *read.texts(tx, "RmtInf/Strd/CdtrRefInf/Ref"),
        *read.texts(tx, "AddtlTxInf"),
    ]


def _transaction_amount(read: _Reader, tx, where: str) -> Decimal | None:
    for path in ("Amt", "AmtDtls/TxAmt/Amt"):
        if read.one(tx, path) is not None:
            return _amount(read, tx, path, where)
    return None


def _amount(read: _Reader, node, path: str, where: str) -> Decimal:
    element = read.one(node, path)
    text = (element.text or "").strip() if element is not None else ""
    if not AMOUNT_RE.match(text):
        raise StatementFormatError(
            f"Le relevé CAMT.053 ({where}) : montant illisible « {text[:20]} »."
        )
    currency = element.get("Ccy", CURRENCY)
    if currency != CURRENCY:
        raise StatementFormatError(
            f"Le relevé CAMT.053 ({where}) : montant en {currency[:3]}, "
            "seul l'euro est pris en charge."
        )
    try:
        return Decimal(text).quantize(Decimal("0.01"))
    except InvalidOperation as exc:  # pragma: no cover - the pattern above rules it out
        raise StatementFormatError(f"Le relevé CAMT.053 ({where}) : montant illisible.") from exc


def _date_of(text: str, where: str) -> dt.date | None:
    """An ISODate or ISODateTime's day ("2026-03-14", "2026-03-14T10:00:00+01:00")."""
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError as exc:
        raise StatementFormatError(f"Le relevé CAMT.053 : date illisible dans {where}.") from exc


def _joined(texts: list[str]) -> str:
    seen = []
    for text in texts:
        if text and text not in seen:
            seen.append(text)
    return " ".join(seen)


def _no_placeholder(reference: str) -> str:
    # SEPA's "not provided" end-to-end id is no reference at all.
    return "" if reference.upper() == "NOTPROVIDED" else reference


def _short(message: str) -> str:
    return message[:200]
