"""Bank statement files written by the tests: CAMT.053 and CFONB 120 from a list of
lines, valid in the formats' own terms (namespace and elements of camt.053.001.02 or
later, 120-character CFONB records with their signed amounts and balances).

A line is a `Line`: signed amount (positive = credit), booked date, texts and the
references the bank reports.
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from xml.sax.saxutils import escape

CAMT_NS = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.{version}"


@dataclass
class Line:
    amount: Decimal
    booked_on: dt.date = dt.date(2026, 3, 10)
    text: str = ""
    end_to_end_id: str = ""
    mandate_reference: str = ""
    batch_reference: str = ""
    return_reason: str = ""
    counterparty: str = ""
    reversal: bool = False
    # CAMT: transactions booked under this one entry (each a Line), for batches or
    # several returns together.
    transactions: list = field(default_factory=list)


def camt053(
    lines,
    *,
    iban="FR7630006000011234567890189",
    statement_id="STMT-2026-03",
    from_date=dt.date(2026, 3, 1),
    to_date=dt.date(2026, 3, 31),
    version="02",
    opening=Decimal("1000.00"),
    with_period=True,
) -> bytes:
    ns = CAMT_NS.format(version=version)
    closing = opening + sum((line.amount for line in lines), Decimal("0"))
    entries = "".join(_camt_entry(line, version) for line in lines)
    period = (
        f"<FrToDt><FrDtTm>{from_date}T00:00:00</FrDtTm><ToDtTm>{to_date}T23:59:59</ToDtTm></FrToDt>"
        if with_period
        else ""
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="{ns}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <BkToCstmrStmt>
    <GrpHdr><MsgId>MSG-{escape(statement_id)}</MsgId><CreDtTm>{to_date}T23:59:59</CreDtTm></GrpHdr>
    <Stmt>
      <Id>{escape(statement_id)}</Id>
      <CreDtTm>{to_date}T23:59:59</CreDtTm>
      {period}
      <Acct><Id><IBAN>{iban}</IBAN></Id><Ccy>EUR</Ccy></Acct>
      {_camt_balance("OPBD", opening, from_date)}
      {_camt_balance("CLBD", closing, to_date)}
      {entries}
    </Stmt>
  </BkToCstmrStmt>
</Document>""".encode()


def _camt_balance(code, amount, day):
    indicator = "CRDT" if amount >= 0 else "DBIT"
    return (
        f"<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp>"
        f'<Amt Ccy="EUR">{abs(amount):.2f}</Amt><CdtDbtInd>{indicator}</CdtDbtInd>'
        f"<Dt><Dt>{day}</Dt></Dt></Bal>"
    )


def _camt_entry(line: Line, version: str) -> str:
    indicator = "CRDT" if line.amount > 0 else "DBIT"
    status = "<Sts>BOOK</Sts>" if int(version) < 8 else "<Sts><Cd>BOOK</Cd></Sts>"
    reversal = "<RvslInd>true</RvslInd>" if line.reversal else ""
    if line.transactions:
        batch = (
            f"<Btch><MsgId>{escape(line.batch_reference)}</MsgId>"
            f"<NbOfTxs>{len(line.transactions)}</NbOfTxs></Btch>"
            if line.batch_reference
            else ""
        )
        details = batch + "".join(
            _camt_tx(tx, version, with_amount=True) for tx in line.transactions
        )
    else:
        details = _camt_tx(line, version, with_amount=False)
    return (
        f'<Ntry><Amt Ccy="EUR">{abs(line.amount):.2f}</Amt><CdtDbtInd>{indicator}</CdtDbtInd>'
        f"{reversal}{status}<BookgDt><Dt>{line.booked_on}</Dt></BookgDt>"
        f"<ValDt><Dt>{line.booked_on}</Dt></ValDt>"
        f"<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>"
        f"<NtryDtls>{details}</NtryDtls></Ntry>"
    )


def _camt_tx(line: Line, version: str, *, with_amount: bool) -> str:
    refs = ""
    if line.batch_reference and not line.transactions:
        refs += f"<PmtInfId>{escape(line.batch_reference)}</PmtInfId>"
    refs += f"<EndToEndId>{escape(line.end_to_end_id or 'NOTPROVIDED')}</EndToEndId>"
    if line.mandate_reference:
        refs += f"<MndtId>{escape(line.mandate_reference)}</MndtId>"
    amount = ""
    if with_amount:
        amount = f'<AmtDtls><TxAmt><Amt Ccy="EUR">{abs(line.amount):.2f}</Amt></TxAmt></AmtDtls>'
    parties = ""
    if line.counterparty:
        name = escape(line.counterparty)
        party = f"<Pty><Nm>{name}</Nm></Pty>" if int(version) >= 8 else f"<Nm>{name}</Nm>"
        role = "Dbtr" if line.amount > 0 or line.return_reason else "Cdtr"
        parties = f"<RltdPties><{role}>{party}</{role}></RltdPties>"
    remittance = f"<RmtInf><Ustrd>{escape(line.text)}</Ustrd></RmtInf>" if line.text else ""
    returned = (
        f"<RtrInf><Rsn><Cd>{escape(line.return_reason)}</Cd></Rsn></RtrInf>"
        if line.return_reason
        else ""
    )
    return f"<TxDtls><Refs>{refs}</Refs>{amount}{parties}{remittance}{returned}</TxDtls>"


# --- CFONB 120 ---


def cfonb_amount(amount: Decimal) -> str:
    """14 characters: 13 digits and the last digit with the sign ({A-I positive, }J-R
    negative), in cents."""
    cents = int(abs(amount) * 100)
    digits = f"{cents:014d}"
    table = "{ABCDEFGHI" if amount >= 0 else "}JKLMNOPQR"
    return digits[:13] + table[int(digits[13])]


def _ddmmyy(day: dt.date) -> str:
    return day.strftime("%d%m%y")


def _head(code, bank, branch, account, *, operation="    ", interbank="  ") -> str:
    return f"{code}{bank}{operation}{branch}EUR2 {account}{interbank}"


def _record(text: str) -> str:
    assert len(text) <= 120, (len(text), text)
    return text.ljust(120)


def cfonb120(
    lines,
    *,
    bank="30006",
    branch="00001",
    account="12345678901",
    from_date=dt.date(2026, 3, 1),
    to_date=dt.date(2026, 3, 31),
    opening=Decimal("1000.00"),
    newline="\r\n",
    closing=None,
) -> bytes:
    records = []
    head = _head("01", bank, branch, account)
    records.append(_record(f"{head}{_ddmmyy(from_date)}{' ' * 50}{cfonb_amount(opening)}"))
    total = opening
    for line in lines:
        total += line.amount
        interbank = "05" if line.amount > 0 else "01"
        head = _head("04", bank, branch, account, operation="0158", interbank=interbank)
        reason = (line.return_reason or "  ")[:2]
        label = (line.text[:31]).ljust(31)
        reference = line.batch_reference[:16].ljust(16) if not line.end_to_end_id else " " * 16
        records.append(
            _record(
                f"{head}{_ddmmyy(line.booked_on)}{reason}{_ddmmyy(line.booked_on)}{label}"
                f"  0000001  {cfonb_amount(line.amount)}{reference}"
            )
        )
        complements = []
        rest = line.text[31:]
        while rest:
            complements.append(("LIB", rest[:70]))
            rest = rest[70:]
        if line.counterparty:
            complements.append(
                ("NPY" if line.amount > 0 or line.return_reason else "NBE", line.counterparty)
            )
        if line.end_to_end_id:
            complements.append(("RCN", line.end_to_end_id.ljust(35)))
        if line.batch_reference:
            complements.append(("REF", line.batch_reference))
        if line.mandate_reference:
            complements.append(("RUM", line.mandate_reference))
        for qualifier, text in complements:
            head = _head("05", bank, branch, account, operation="0158", interbank=interbank)
            records.append(
                _record(f"{head}{_ddmmyy(line.booked_on)}     {qualifier}{text[:70].ljust(70)}")
            )
    head = _head("07", bank, branch, account)
    final = total if closing is None else closing
    records.append(_record(f"{head}{_ddmmyy(to_date)}{' ' * 50}{cfonb_amount(final)}"))
    return (newline.join(records) + newline).encode("latin-1")
