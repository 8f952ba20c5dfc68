"""A shop's SEPA direct-debit mandate (docs/sepa.md, "Mandates"): one per shop, created
or replaced by the coordinator."""

import datetime as dt

from django.db import IntegrityError, transaction

from mache.db import full_clean_or_invalid
from mache.errors import BusinessRuleError, InvalidInput
from mache.periods import paris_today
from shops.models import Shop

from ..models import DirectDebitItem, Mandate
from ..sepa import REFERENCE_RE


class MandateInCollection(BusinessRuleError):
    code = "mandate_in_collection"
    default_detail = (
        "Un prélèvement en cours utilise ce mandat : son IBAN et sa référence ne changent "
        "qu'une fois le lot réglé ou le prélèvement rejeté."
    )


def mandate_save(
    *,
    shop: Shop,
    iban: str,
    bic: str,
    reference: str,
    signed_on: dt.date,
    scheme: str,
    prenotification_days: int | None = None,
) -> Mandate:
    """Create or replace the shop's mandate.

    A new IBAN or a new reference (RUM) is a new mandate for the bank: its sequence
    starts again (`first_collected_on` cleared, the next collection is `FRST`); that is
    refused while a collection of the old one is pending (409 mandate_in_collection).
    Other changes (BIC, signature date, scheme, notice) keep the sequence.
    """
    if not REFERENCE_RE.match(reference or ""):
        raise InvalidInput(
            {
                "reference": [
                    "Une référence de 35 caractères au plus : lettres sans accent, chiffres, "
                    "espaces et + ? / : ( ) . , ' -"
                ]
            }
        )
    if signed_on > paris_today():
        raise InvalidInput({"signed_on": ["Un mandat ne peut être signé dans le futur."]})
    with transaction.atomic():
        # The shop's row serialises two saves of its mandate, the mandate's a save and a
        # batch being prepared (direct_debit_batch_prepare locks the mandates it uses).
        Shop.objects.select_for_update().only("pk").get(pk=shop.pk)
        mandate = Mandate.objects.select_for_update().filter(shop=shop).first() or Mandate(
            shop=shop
        )
        new_sequence = mandate.pk is None or (
            _compact(iban) != _compact(mandate.iban) or reference != mandate.reference
        )
        if mandate.pk and new_sequence:
            pending = DirectDebitItem.objects.filter(
                mandate=mandate, status=DirectDebitItem.Status.PENDING
            ).exists()
            if pending:
                raise MandateInCollection()
        mandate.iban = iban
        mandate.bic = bic
        mandate.reference = reference
        mandate.signed_on = signed_on
        mandate.scheme = scheme
        mandate.prenotification_days = prenotification_days
        if new_sequence:
            mandate.first_collected_on = None
        full_clean_or_invalid(mandate)
        try:
            with transaction.atomic():
                mandate.save()
        except IntegrityError as exc:  # the same reference saved meanwhile for another shop
            raise InvalidInput(
                {"reference": ["Un autre mandat porte déjà cette référence."]}
            ) from exc
    return mandate


def _compact(iban: str) -> str:
    return "".join((iban or "").split()).upper()
