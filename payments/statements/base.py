"""What both statement parsers return (docs/bank.md): one statement, its booked lines.

Pure: no ORM, no settings. The import service (payments.services.bank) stores them.
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

NOT_A_STATEMENT = "Ce fichier n'est ni un relevé CAMT.053 ni un CFONB 120."


class StatementFormatError(ValueError):
    """The file is not a statement we read, or a broken one. Its message is French, for
    the user; the import service answers it as a 400 naming `file`."""

    def __init__(self, message: str = NOT_A_STATEMENT):
        self.message = message
        super().__init__(message)


@dataclass(frozen=True)
class ParsedLine:
    booked_on: dt.date
    value_on: dt.date | None
    amount: Decimal  # signed: positive for a credit (money in), negative for a debit
    text: str = ""
    end_to_end_id: str = ""
    mandate_reference: str = ""
    # The batch it belongs to: the SEPA message id (or payment information id) of the
    # file the cooperative sent, as the bank reports it.
    batch_reference: str = ""
    # An R-transaction's reason code (ISO 20022 "AM04", "MD01"...; CFONB's own 2-character
    # codes in a CFONB 120 file).
    return_reason: str = ""
    # The other party: the payer of a credit, the payee of a debit.
    counterparty: str = ""


@dataclass(frozen=True)
class ParsedStatement:
    account_iban: str
    statement_id: str
    from_date: dt.date
    to_date: dt.date
    lines: list[ParsedLine] = field(default_factory=list)
    format: str = ""  # "camt053" | "cfonb120" (BankStatement.Format)
