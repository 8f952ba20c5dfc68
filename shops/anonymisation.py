"""Anonymising a person who leaves (RGPD article 17, docs/personal-data.md).

The account stays, so that every record naming it (entries, orders, stock movements,
credit notes...) keeps its author: only what names the person goes. The legal records
name the shop, never the person, and are not touched (docs/personal-data.md, "What
stays").
"""

import logging
import secrets

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from mache.errors import BusinessRuleError, InvalidInput
from mache.models import OutboxMessage

from . import twofactor
from .models import LoginThrottle, Shop, User
from .personal_data import INVITATION_KIND, access_logs_of, anonymise_candidates, login_names

log = logging.getLogger("mache.auth")

NEUTRAL_USERNAME = "ancien-membre-{pk}"
AUDIT_MESSAGE = "Anonymisé (RGPD, article 17) : nom, e-mail et téléphone effacés."


def neutral_username(pk: int) -> str:
    """`ancien-membre-<id>`, or with a random suffix if someone already has that name."""
    name = NEUTRAL_USERNAME.format(pk=pk)
    if User.objects.filter(username=name).exclude(pk=pk).exists():
        name = f"{name}-{secrets.token_hex(3)}"
    return name


def _refusal(person: User | None, *, by: User, coordinators: list[int]) -> None:
    if person is None:
        raise Http404  # superusers run the installation: out of sight, as in user_list
    if person.pk == by.pk:
        raise BusinessRuleError("Vous ne pouvez pas anonymiser votre propre compte.", code="self")
    if person.anonymised_at is not None:
        raise BusinessRuleError("Ce compte est déjà anonymisé.", code="already_anonymised")
    if coordinators == [person.pk]:
        raise BusinessRuleError(
            "C'est le dernier coordinateur actif : nommez-en un autre avant de l'anonymiser.",
            code="last_coordinator",
        )


def _shops_to_clear(person: User, shop_ids) -> list[int]:
    """The shops whose contact fields the coordinator chose to clear: each must be one
    whose contact is the person's or one of the person's shops (400 otherwise)."""
    wanted = sorted(set(shop_ids))
    if not wanted:
        return []
    allowed = {candidate.shop.pk for candidate in anonymise_candidates(person)}
    refused = [pk for pk in wanted if pk not in allowed]
    if refused:
        raise InvalidInput(
            {
                "clear_shop_contacts": [
                    "Ce commerce n'a pas cette personne pour contact et n'est pas l'un de "
                    f"ses commerces : n° {', '.join(str(pk) for pk in refused)}."
                ]
            }
        )
    return wanted


def user_anonymise(*, user_id: int, by: User, clear_shop_contacts=()) -> User:
    """Erase what names the person `user_id` and close every way into their account.

    Refused, with nothing written: a superuser (404), oneself, an account already
    anonymised, the last active coordinator (409); a shop to clear that is not the
    person's (400). `clear_shop_contacts`: ids of shops whose contact name, e-mail and
    phone are cleared too (the coordinator's explicit choice).
    """
    with transaction.atomic():
        # The active coordinators' rows are locked first, in pk order: two coordinators
        # anonymising each other at once cannot leave the cooperative without one (the
        # second waits, then sees the first gone).
        coordinators = list(
            User.objects.select_for_update()
            .filter(
                role=User.Role.COORDINATOR,
                is_active=True,
                is_superuser=False,
                anonymised_at__isnull=True,
            )
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        person = User.objects.select_for_update().filter(pk=user_id, is_superuser=False).first()
        _refusal(person, by=by, coordinators=coordinators)
        shop_ids = _shops_to_clear(person, clear_shop_contacts)
        names = login_names(person)
        _traces_delete(person, names)
        person.username = neutral_username(person.pk)
        person.first_name = person.last_name = person.email = person.phone = ""
        person.is_active = False
        person.set_unusable_password()  # and the invitation or reset links die with it
        person.last_login = None
        person.anonymised_at = timezone.now()
        person.save()  # a deactivated account: its API tokens go (User.save)
        twofactor.end_sessions(person)
        if shop_ids:
            Shop.objects.filter(pk__in=shop_ids).update(contact_name="", email="", phone="")
        _audit(person, by=by, shop_ids=shop_ids)
    return person


def _traces_delete(person: User, names: list[str]) -> None:
    """What names the person outside their row: devices, login counters and logs,
    invitations waiting to be sent (before the name and e-mail are erased)."""
    twofactor.TOTPDevice.objects.filter(user=person).delete()
    LoginThrottle.objects.filter(name__in=names).delete()
    for model in (AccessLog, AccessFailureLog, AccessAttempt):
        access_logs_of(model, person).delete()
    OutboxMessage.objects.filter(sent_at__isnull=True, args=[INVITATION_KIND, person.pk]).delete()


def _audit(person: User, *, by: User, shop_ids: list[int]) -> None:
    """Who anonymised whom and when: a row of the admin's history on the account (whose
    earlier rows are renamed: they carried the old username) and a log line; neither
    keeps anything of what was erased."""
    content_type = ContentType.objects.get_for_model(User)
    LogEntry.objects.filter(content_type=content_type, object_id=str(person.pk)).update(
        object_repr=person.username
    )
    message = AUDIT_MESSAGE
    if shop_ids:
        message += f" Contact effacé des commerces n° {', '.join(map(str, shop_ids))}."
    LogEntry.objects.log_actions(
        user_id=by.pk,
        queryset=[person],
        action_flag=CHANGE,
        change_message=message,
        single_object=True,
    )
    log.info(
        "User anonymised: id=%s now %r by id=%s (%r) at %s; shop contacts cleared: %s",
        person.pk,
        person.username,
        by.pk,
        by.username,
        person.anonymised_at.isoformat(),
        shop_ids or "none",
    )
