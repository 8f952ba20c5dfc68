"""Bank statements in, payments out (docs/bank.md).

`statement_import` reads a CAMT.053 or CFONB 120 file (payments.statements), keeps it
once (the unique constraint on account, statement id and dates decides, under a race
too), stores its lines and matches each one by the rules of
payments.statements.matching; `bank_line_match` is the coordinator's hand for the rest.

Matching a line is its own savepoint: a line the books refuse (a batch already settled
by another statement, an invoice paid meanwhile) stays unmatched and the import goes on.
"""

import hashlib
import logging
from collections import defaultdict

from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils import timezone

from mache.errors import BusinessRuleError, DomainError, InvalidInput
from purchasing.models import CreditNote, Invoice
from shops.models import Shop

from ..models import (
    BankLine,
    BankStatement,
    CreditTransferBatch,
    DirectDebitBatch,
    DirectDebitItem,
    Mandate,
    Payment,
)
from ..selectors import open_invoice_list
from ..statements import StatementFormatError, matching, parse
from ..statements.matching import Batch, Decision, Lookups, amount_set
from .payments import payment_record

logger = logging.getLogger(__name__)

# BankLine's columns, so that a long text from a bank never fails the insert.
TEXT_CHARS, REF_CHARS, REASON_CHARS, PARTY_CHARS, PAYMENT_REF_CHARS = 500, 35, 4, 140, 140


class StatementExists(BusinessRuleError):
    code = "statement_exists"
    default_detail = "Ce relevé a déjà été importé."


class LineNotCredit(BusinessRuleError):
    code = "line_not_credit"
    default_detail = "Seul un crédit (argent reçu) devient un règlement."


class LineAlreadyMatched(BusinessRuleError):
    code = "line_already_matched"
    default_detail = "Cette ligne est déjà rapprochée."


def statement_import(*, data: bytes, file_name: str = "", user=None) -> BankStatement:
    """Import a statement file once and match its lines; refused as a whole (400 on
    `file`, 409 `statement_exists`) with nothing written."""
    try:
        parsed = parse(data)
    except StatementFormatError as exc:
        raise InvalidInput({"file": [exc.message]}) from exc
    with transaction.atomic():
        if BankStatement.objects.filter(
            account_iban=parsed.account_iban[:34],
            statement_id=parsed.statement_id[:35],
            from_date=parsed.from_date,
            to_date=parsed.to_date,
        ).exists():
            raise StatementExists()
        try:
            # A savepoint: two imports of one file at once, the second waits on the
            # unique index and fails here, inside its own transaction.
            with transaction.atomic():
                statement = BankStatement.objects.create(
                    account_iban=parsed.account_iban[:34],
                    statement_id=parsed.statement_id[:35],
                    from_date=parsed.from_date,
                    to_date=parsed.to_date,
                    format=parsed.format,
                    file_sha256=hashlib.sha256(data).hexdigest(),
                    file_name=(file_name or "")[:200],
                    imported_by=user,
                )
        except IntegrityError as exc:
            raise StatementExists() from exc
        lines = BankLine.objects.bulk_create(
            BankLine(
                statement=statement,
                position=position,
                booked_on=line.booked_on,
                value_on=line.value_on,
                amount=line.amount,
                text=line.text[:TEXT_CHARS],
                end_to_end_id=line.end_to_end_id[:REF_CHARS],
                mandate_reference=line.mandate_reference[:REF_CHARS],
                batch_reference=line.batch_reference[:REF_CHARS],
                return_reason=line.return_reason[:REASON_CHARS],
                counterparty=line.counterparty[:PARTY_CHARS],
            )
            for position, line in enumerate(parsed.lines, 1)
        )
        lines_match(lines=lines, user=user)
    return statement


def lines_match(*, lines: list[BankLine], user=None) -> int:
    """Match `lines` (unmatched, of one statement) by the rules; the number matched."""
    lookups = matching_lookups(lines)
    matched = 0
    for line in lines:
        decision = matching.decide(line, lookups)
        if decision is None:
            continue
        try:
            with transaction.atomic():
                _apply(line, decision, user=user)
        except DomainError as exc:
            logger.info("bank line %s left unmatched (%s): %s", line.pk, decision.rule, exc)
            continue
        matched += 1
        _lookups_after(lookups, decision)
    return matched


def matching_lookups(lines: list[BankLine]) -> Lookups:
    """What the rules need, read once for the statement: the batches not settled, the
    direct debits and documents the lines name, mandates, shops' names and their open
    invoices."""
    lookups = Lookups()
    for batch in DirectDebitBatch.objects.exclude(status=DirectDebitBatch.Status.SETTLED).annotate(
        standing=Sum("items__amount", filter=~Q(items__status=DirectDebitItem.Status.REJECTED))
    ):
        lookups.direct_debit_batches[batch.message_id] = Batch(
            batch.id, amount_set(batch.total, batch.standing)
        )
    for batch in CreditTransferBatch.objects.exclude(status=CreditTransferBatch.Status.SETTLED):
        lookups.credit_transfer_batches[batch.message_id] = Batch(batch.id, amount_set(batch.total))
    references = {line.end_to_end_id for line in lines if line.end_to_end_id}
    lookups.direct_debit_items = dict(
        DirectDebitItem.objects.filter(end_to_end_id__in=references)
        .exclude(status=DirectDebitItem.Status.REJECTED)
        .values_list("end_to_end_id", "id")
    )
    credits = [line for line in lines if line.amount > 0]
    if not credits:
        return lookups
    numbers = {
        number
        for line in credits
        for number in matching.document_numbers(f"{line.text} {line.end_to_end_id}")
    }
    for number, invoice_id, shop_id in Invoice.objects.filter(number__in=numbers).values_list(
        "number", "id", "shop_id"
    ):
        lookups.documents[number] = (invoice_id, shop_id)
    for number, invoice_id, shop_id in CreditNote.objects.filter(number__in=numbers).values_list(
        "number", "invoice_id", "shop_id"
    ):
        lookups.documents[number] = (invoice_id, shop_id)
    lookups.mandates = dict(Mandate.objects.values_list("reference", "shop_id"))
    lookups.shop_names = {
        shop_id: {matching.normalised(name), matching.normalised(legal_name)}
        for shop_id, name, legal_name in Shop.objects.values_list("id", "name", "legal_name")
    }
    named = {
        shop_id for line in credits for shop_id in matching.shops_named(line, lookups.shop_names)
    }
    lookups.open_items = open_items(named)
    return lookups


def open_items(shop_ids) -> dict[int, list]:
    """shop id -> [(invoice id, amount due)] of its invoices not settled, oldest first."""
    items = defaultdict(list)
    rows = open_invoice_list(shop_ids).values_list("shop_id", "id", "due")
    for shop_id, invoice_id, amount_due in rows:
        items[shop_id].append((invoice_id, amount_due))
    return dict(items)


def _lookups_after(lookups: Lookups, decision: Decision) -> None:
    """What a matched line changed, for the next lines of the statement."""
    if decision.rule == matching.DIRECT_DEBIT_BATCH:
        lookups.direct_debit_batches = {
            k: v for k, v in lookups.direct_debit_batches.items() if v.id != decision.batch_id
        }
    elif decision.rule == matching.CREDIT_TRANSFER_BATCH:
        lookups.credit_transfer_batches = {
            k: v for k, v in lookups.credit_transfer_batches.items() if v.id != decision.batch_id
        }
    elif decision.rule == matching.DIRECT_DEBIT_RETURN:
        lookups.direct_debit_items = {
            k: v for k, v in lookups.direct_debit_items.items() if v != decision.item_id
        }
    elif decision.shop_id in lookups.open_items:
        # The shop's invoices were just paid: what is still due, read again.
        lookups.open_items[decision.shop_id] = open_items([decision.shop_id]).get(
            decision.shop_id, []
        )


def _apply(line: BankLine, decision: Decision, *, user) -> None:
    """Do what the decision says and mark the line matched (inside the caller's
    savepoint)."""
    payments = []
    if decision.rule == matching.DIRECT_DEBIT_BATCH:
        from .direct_debits import direct_debit_batch_settle

        batch = DirectDebitBatch.objects.select_for_update().get(pk=decision.batch_id)
        direct_debit_batch_settle(batch=batch, date=line.booked_on)
        line.direct_debit_batch = batch
        payments = list(Payment.objects.filter(direct_debit_item__batch=batch))
    elif decision.rule == matching.DIRECT_DEBIT_RETURN:
        from .direct_debits import direct_debit_item_reject

        item = DirectDebitItem.objects.select_for_update().get(pk=decision.item_id)
        direct_debit_item_reject(item=item, reason=decision.reason, date=line.booked_on)
        item.refresh_from_db()
        payments = [item.payment] if item.payment_id else []
    elif decision.rule == matching.CREDIT_TRANSFER_BATCH:
        from .credit_transfers import credit_transfer_batch_settle

        batch = CreditTransferBatch.objects.select_for_update().get(pk=decision.batch_id)
        credit_transfer_batch_settle(batch=batch, date=line.booked_on)
        line.credit_transfer_batch = batch
    else:
        payments = [
            _payment_of(
                line,
                shop=Shop.objects.get(pk=decision.shop_id),
                invoice_ids=list(decision.invoice_ids) or None,
                method=(
                    Payment.Method.DIRECT_DEBIT
                    if decision.rule == matching.MANDATE
                    else Payment.Method.TRANSFER
                ),
                user=user,
            )
        ]
    _mark_matched(line, payments, user=None)


def _payment_of(line: BankLine, *, shop, invoice_ids, method, user) -> Payment:
    reference = (
        line.text or line.end_to_end_id or line.counterparty or f"Relevé, ligne {line.position}"
    )
    return payment_record(
        shop=shop,
        date=line.booked_on,
        amount=line.amount,
        method=method,
        reference=reference[:PAYMENT_REF_CHARS],
        invoices=invoice_ids,
        user=user,
    )


def _mark_matched(line: BankLine, payments: list[Payment], *, user) -> None:
    line.status = BankLine.Status.MATCHED
    line.matched_by = user
    line.matched_at = timezone.now()
    line.save(
        update_fields=[
            "status",
            "matched_by",
            "matched_at",
            "direct_debit_batch",
            "credit_transfer_batch",
        ]
    )
    if payments:
        line.payments.add(*payments)


def bank_line_match(*, line_id: int, shop: Shop, invoices: list[int], user) -> BankLine:
    """The coordinator matches a credit by hand: a payment of `shop` for the line's
    amount, allocated to `invoices` (the shop's, not settled) or, none named, to its
    oldest open invoices. A debit or a line already matched: 409."""
    with transaction.atomic():
        line = BankLine.objects.select_for_update().get(pk=line_id)
        if line.status == BankLine.Status.MATCHED:
            raise LineAlreadyMatched()
        if line.amount <= 0:
            raise LineNotCredit()
        # payment_record refuses another shop's invoices (400 on `invoices`).
        invoice_ids = list(dict.fromkeys(invoices))
        payment = _payment_of(
            line,
            shop=shop,
            invoice_ids=invoice_ids or None,
            method=Payment.Method.TRANSFER,
            user=user,
        )
        _mark_matched(line, [payment], user=user)
    return line
