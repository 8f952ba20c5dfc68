"""CFONB 120, the French fixed-width account statement (docs/bank.md, "CFONB 120").

The layout is the CFONB brochure "Relevé de compte sur support informatique" (July 2004)
and its SEPA update (2008): records of 120 characters, one per line (or run together),
each opening with its code:

- `01` old balance, `07` new balance: the account and the balance's date and amount;
- `04` a movement: its dates, label, amount and, for a rejected operation, the reason;
- `05` a complement of the movement before it: a 3-letter qualifier and 70 characters
  (`LIB`/`LCC`/`LC2`/`LCS` labels, `NPY` payer, `NBE` payee, `RCN` the end-to-end
  reference, `REF` the remittance's reference, `RUM` the mandate reference).

Positions, 1-based as in the brochure: 1-2 code, 3-7 bank, 8-11 internal operation
code, 12-16 branch, 17-19 currency, 20 number of decimals, 22-32 account number, 33-34
interbank operation code, 35-40 date (DDMMYY: the balance's, or the movement's booking
date), 41-42 reject reason (04), 43-48 value date (04), 49-79 label (04), 82-88 entry
number, 91-104 amount, 105-120 reference (04); in a 05, 46-48 qualifier, 49-118 text.

An amount is 14 characters: 13 digits, then one character that is both the last digit
and the sign: `{` `A`..`I` for +0..+9, `}` `J`..`R` for -0..-9 (a credit is positive).

The format has no IBAN nor statement number: the account is named by its RIB without
the key (bank, branch, account number: 21 characters) and the statement by its dates.
A file may hold several daily statements of one account (01 ... 07, 01 ... 07): they
are read as one, from the first old balance to the last new balance; a file of several
accounts is refused (one account per import). Each 01-07 block is checked: the old
balance plus the movements is the new balance.
"""

import datetime as dt
import re
from decimal import Decimal

from .base import ParsedLine, ParsedStatement, StatementFormatError

RECORD = 120
CURRENCY = "EUR"
POSITIVE = "{ABCDEFGHI"
NEGATIVE = "}JKLMNOPQR"
FIRST_RECORD_RE = re.compile(r"^01\d{5}")
LABEL_QUALIFIERS = {"LIB", "LCC", "LC2", "LCS"}
MAX_AMOUNT = Decimal(10**10)  # the books' amounts: ten digits before the point


def looks_like(data: bytes) -> bool:
    text = data.lstrip(b"\xef\xbb\xbf\r\n ")[:RECORD]
    return FIRST_RECORD_RE.match(text.decode("latin-1")) is not None


def records(data: bytes) -> list[tuple[int, str]]:
    """The file's records, each 120 characters. Lines shorter than 120 characters are
    padded (some banks trim the blanks at the end); a file without line breaks is cut
    every 120 characters."""
    text = data.decode("latin-1").lstrip("\ufeff\xef\xbb\xbf")
    if "\n" not in text and "\r" not in text:
        if len(text) % RECORD:
            raise StatementFormatError(
                "Le relevé CFONB 120 doit être fait d'enregistrements de 120 caractères."
            )
        lines = [text[i : i + RECORD] for i in range(0, len(text), RECORD)]
    else:
        lines = text.splitlines()
    out = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        if len(line) > RECORD:
            raise StatementFormatError(
                f"Le relevé CFONB 120, ligne {number} : plus de 120 caractères."
            )
        out.append((number, line.ljust(RECORD)))
    return out


def parse(data: bytes) -> ParsedStatement:
    account = None
    from_date = to_date = None
    lines: list[dict] = []
    block_open = False
    balance = Decimal("0")
    for number, record in records(data):
        code = record[0:2]
        where = f"Le relevé CFONB 120, ligne {number}"
        if code not in {"01", "04", "05", "07"}:
            raise StatementFormatError(f"{where} : enregistrement « {code} » inconnu.")
        if code in {"01", "04", "07"}:
            rib = record[2:7] + record[11:16] + record[21:32]
            if not rib.strip():
                raise StatementFormatError(f"{where} : compte manquant.")
            if account is None:
                account = rib
            elif rib != account:
                raise StatementFormatError(
                    "Le fichier contient les relevés de plusieurs comptes : importez-les un par un."
                )
            currency = record[16:19]
            if currency.strip() and currency != CURRENCY:
                raise StatementFormatError(
                    f"{where} : compte en {currency}, seul l'euro est pris en charge."
                )
        if code == "01":
            if block_open:
                raise StatementFormatError(
                    f"{where} : ancien solde avant le nouveau solde du relevé précédent."
                )
            block_open = True
            balance = _amount(record, where)
            from_date = from_date or _date(record[34:40], where)
        elif code == "04":
            if not block_open:
                raise StatementFormatError(f"{where} : mouvement hors d'un relevé (01 ... 07).")
            amount = _amount(record, where)
            balance += amount
            reason = record[40:42].strip()
            lines.append(
                {
                    "booked_on": _date(record[34:40], where),
                    "value_on": _date(record[42:48], where, optional=True),
                    "amount": amount,
                    "texts": [record[48:79].strip()],
                    "return_reason": "" if reason in {"", "00"} else reason,
                    "batch_reference": record[104:120].strip(),
                    "end_to_end_id": "",
                    "mandate_reference": "",
                    "payer": "",
                    "payee": "",
                }
            )
        elif code == "05":
            if not block_open or not lines:
                raise StatementFormatError(f"{where} : complément sans mouvement avant lui.")
            _complement(lines[-1], record[45:48], record[48:118].strip())
        else:  # 07
            if not block_open:
                raise StatementFormatError(f"{where} : nouveau solde sans ancien solde.")
            block_open = False
            if _amount(record, where) != balance:
                raise StatementFormatError(
                    f"{where} : le nouveau solde n'est pas l'ancien solde plus les mouvements."
                )
            to_date = _date(record[34:40], where)
    if account is None or from_date is None:
        raise StatementFormatError("Le relevé CFONB 120 n'a pas d'ancien solde (01).")
    if block_open or to_date is None:
        raise StatementFormatError("Le relevé CFONB 120 n'a pas de nouveau solde (07) à la fin.")
    if from_date > to_date:
        raise StatementFormatError("Le relevé CFONB 120 finit avant de commencer.")
    return ParsedStatement(
        account_iban=account,
        statement_id=f"{from_date:%Y%m%d}-{to_date:%Y%m%d}",
        from_date=from_date,
        to_date=to_date,
        lines=[_line(line) for line in lines],
        format="cfonb120",
    )


def _complement(line: dict, qualifier: str, text: str) -> None:
    if not text:
        return
    if qualifier in LABEL_QUALIFIERS:
        line["texts"].append(text)
    elif qualifier == "NPY":
        line["payer"] = line["payer"] or text
    elif qualifier == "NBE":
        line["payee"] = line["payee"] or text
    elif qualifier == "RCN":
        # 35 characters of the originator's reference (the SEPA end-to-end id), then the
        # purpose.
        line["end_to_end_id"] = text[:35].strip()
    elif qualifier == "REF":
        line["batch_reference"] = text[:35].strip()
    elif qualifier == "RUM":
        line["mandate_reference"] = text[:35].strip()


def _line(line: dict) -> ParsedLine:
    credit = line["amount"] > 0
    return ParsedLine(
        booked_on=line["booked_on"],
        value_on=line["value_on"],
        amount=line["amount"],
        text=" ".join(t for t in line["texts"] if t),
        end_to_end_id=line["end_to_end_id"],
        mandate_reference=line["mandate_reference"],
        batch_reference=line["batch_reference"],
        return_reason=line["return_reason"],
        # A rejected collection is a debit whose other party is still the payer.
        counterparty=(
            (line["payer"] or line["payee"])
            if credit or line["return_reason"]
            else (line["payee"] or line["payer"])
        ),
    )


def _amount(record: str, where: str) -> Decimal:
    """Positions 91-104, scaled by the number of decimals in position 20."""
    field = record[90:104]
    digits, last = field[:13], field[13]
    scale = record[19]
    if not digits.isdigit() or not scale.isdigit() or last not in POSITIVE + NEGATIVE:
        raise StatementFormatError(f"{where} : montant illisible « {field.strip()} ».")
    if last in POSITIVE:
        sign, unit = 1, POSITIVE.index(last)
    else:
        sign, unit = -1, NEGATIVE.index(last)
    value = Decimal(int(digits) * 10 + unit).scaleb(-int(scale))
    if value >= MAX_AMOUNT:
        raise StatementFormatError(f"{where} : montant hors limites « {field.strip()} ».")
    return (sign * value).quantize(Decimal("0.01"))


def _date(text: str, where: str, *, optional: bool = False) -> dt.date | None:
    """DDMMYY, in this century (the format has two digits for the year)."""
    if optional and not text.strip():
        return None
    try:
        if not text.isdigit():
            raise ValueError(text)
        return dt.date(2000 + int(text[4:6]), int(text[2:4]), int(text[0:2]))
    except ValueError as exc:
        raise StatementFormatError(f"{where} : date illisible « {text.strip()} ».") from exc
