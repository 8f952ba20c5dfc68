"""What the cooperative holds on a person (RGPD article 15, docs/personal-data.md): the
export a user downloads (`personal_data_export`), and the shops whose contact fields
are the person's (`contact_shops`), which an anonymisation may clear too.

Reads only. The records a person wrote in the apps above shops (orders, entries, stock
movements...) are found through Django's registry of models, never imported: every
foreign key to the user, in any installed app, is listed with a count and references
(one query per key, whatever the number of rows), so that a model added later with a
`created_by` is in the export from its first day.
"""

import datetime as dt
from dataclasses import dataclass

from axes.models import AccessFailureLog, AccessLog
from django.apps import apps
from django.db.models import Q, QuerySet
from django.utils import timezone
from rest_framework.authtoken.models import Token

from mache.models import OutboxMessage

from .models import LoginThrottle, Shop, User
from .selectors import shop_list
from .twofactor import TOTPDevice

# The invitation e-mail's message in the outbox: ["user_invitation", <user id>]
# (mache.notifications.notify_on_commit, shops.notifications.user_invitation).
INVITATION_KIND = "user_invitation"

# Foreign keys to the user that the export lists in sections of their own (the token's
# key and the device's secret are never shown).
OWN_SECTIONS = {"authtoken.Token", "otp_totp.TOTPDevice"}

# What each kind of record is, in French; a model not named here shows its verbose name.
RECORD_NAMES = {
    "accounting.ClosedPeriod": "Mois clôturés",
    "accounting.Entry": "Écritures comptables",
    "accounting.FiscalYear": "Exercices comptables",
    "accounting.SalesDay": "Tickets Z",
    "admin.LogEntry": "Historique de l'administration",
    "inventory.Recall": "Rappels de lots",
    "inventory.RecallShop": "Retraits de lots rappelés",
    "inventory.StockCount": "Inventaires",
    "inventory.StockMovement": "Mouvements de stock",
    "payments.BankLine": "Lignes de relevé bancaire",
    "payments.BankStatement": "Relevés bancaires",
    "payments.CreditTransferBatch": "Lots de virements",
    "payments.DirectDebitBatch": "Lots de prélèvements",
    "payments.Payment": "Règlements",
    "purchasing.CreditNote": "Avoirs",
    "purchasing.Order": "Commandes",
    "purchasing.Round": "Tournées de commande",
    "purchasing.SupplierInvoice": "Factures fournisseurs",
}
FIELD_ROLES = {
    "closed_by": "clôturé par vous",
    "confirmed_by": "confirmé par vous",
    "counted_by": "compté par vous",
    "created_by": "enregistré par vous",
    "decided_by": "décidé par vous",
    "imported_by": "importé par vous",
    "matched_by": "rapproché par vous",
    "received_by": "reçu par vous",
    "user": "fait par vous",
}
# A record's reference and date: the first of these fields the model has (the date of
# the act when the key names one: closed_by -> closed_at).
REFERENCE_FIELDS = ("number", "reference", "message_id", "statement_id")
ACT_DATES = {
    "closed_by": "closed_at",
    "confirmed_by": "confirmed_at",
    "decided_by": "decided_at",
    "imported_by": "imported_at",
    "received_by": "received_at",
}
DATE_FIELDS = (
    "date",
    "issued_on",
    "counted_on",
    "occurred_at",
    "booked_on",
    "month",
    "collection_date",
    "execution_date",
    "delivery_date",
    "action_time",
    "created_at",
)

RETENTION = {
    "summary": (
        "La coopérative garde ces données tant que votre compte sert. Quand vous la "
        "quittez, un coordinateur peut anonymiser votre compte (RGPD, article 17) : vos "
        "nom, prénom, e-mail et téléphone sont effacés, votre identifiant devient "
        "« ancien-membre-<numéro> », le compte est désactivé et ses jetons d'accès, "
        "sessions, appareils de double authentification, invitations et traces de "
        "connexion sont supprimés."
    ),
    "kept": [
        {
            "what": "Factures, avoirs, écritures comptables et pièces justificatives",
            "duration": "dix ans",
            "basis": (
                "Code de commerce, article L123-22, et Livre des procédures fiscales, "
                "article L102 B. Ces documents nomment le commerce et la coopérative, "
                "pas la personne ; ils restent tels qu'ils ont été émis."
            ),
        },
        {
            "what": (
                "Commandes, mouvements de stock, inventaires, règlements et autres "
                "enregistrements que vous avez faits"
            ),
            "duration": "autant que les livres qu'ils justifient (dix ans)",
            "basis": (
                "Ils justifient les comptes du commerce ; après l'anonymisation, ils "
                "restent rattachés au compte anonyme, qui ne vous nomme plus."
            ),
        },
    ],
    "erased": [
        "nom, prénom, e-mail et téléphone",
        "identifiant (remplacé par un identifiant neutre) et mot de passe",
        "jetons d'accès à l'API et sessions ouvertes",
        "appareils de double authentification",
        "invitations et liens de réinitialisation en attente",
        "compteurs et journaux de connexion",
    ],
}


def _iso(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime) and timezone.is_aware(value):
        return timezone.localtime(value).isoformat()
    return value.isoformat()


# --- The shops whose contact is the person -------------------------------------------


def contact_matches(person: User) -> Q | None:
    """The shops whose contact e-mail, phone or name is the person's (None: nothing of
    theirs to compare, so no shop)."""
    conditions = Q()
    if person.email:
        conditions |= Q(email__iexact=person.email)
    if person.phone:
        conditions |= Q(phone=person.phone)
    full_name = person.get_full_name().strip()
    if full_name:
        conditions |= Q(contact_name__iexact=full_name)
    return conditions or None


@dataclass(frozen=True)
class ContactShop:
    shop: Shop
    fields: tuple[str, ...]  # the contact fields that are the person's ("email"...)


def _matching_fields(shop: Shop, person: User) -> tuple[str, ...]:
    full_name = person.get_full_name().strip().casefold()
    found = []
    if full_name and shop.contact_name.strip().casefold() == full_name:
        found.append("contact_name")
    if person.email and shop.email.casefold() == person.email.casefold():
        found.append("email")
    if person.phone and shop.phone == person.phone:
        found.append("phone")
    return tuple(found)


def contact_shops(person: User, *, among: QuerySet[Shop] | None = None) -> list[ContactShop]:
    """The shops whose contact fields name the person, with the fields that do (one
    query). `among`: the shops to look in (all of them when None)."""
    conditions = contact_matches(person)
    if conditions is None:
        return []
    shops = (Shop.objects.all() if among is None else among).filter(conditions)
    return [ContactShop(shop, _matching_fields(shop, person)) for shop in shops.order_by("name")]


def anonymise_candidates(person: User) -> list[ContactShop]:
    """The shops an anonymisation may clear the contact fields of: those whose contact
    is the person's (`fields` says which), then the person's own shops, whose contact
    only the coordinator can recognise (`fields` empty). One query."""
    conditions = contact_matches(person) or Q(pk__in=[])
    shops = Shop.objects.filter(conditions | Q(pk__in=person.shops.values("pk"))).distinct()
    candidates = [ContactShop(shop, _matching_fields(shop, person)) for shop in shops]
    return sorted(candidates, key=lambda c: (not c.fields, c.shop.name, c.shop.pk))


# --- The export (article 15) -------------------------------------------------------------


def login_names(person: User) -> list[str]:
    """The names the login throttle and its logs know the person by: the username (the
    login's counters) and the e-mail (the reset's), lowercase as shops.throttle keeps
    them."""
    names = {person.username.strip().lower()[:150], person.email.strip().lower()[:150]}
    return sorted(name for name in names if name)


def access_logs_of(model, person: User) -> QuerySet:
    """django-axes' rows naming the person (by username or e-mail, any case)."""
    condition = Q(pk__in=[])
    for name in login_names(person):
        condition |= Q(username__iexact=name)
    return model.objects.filter(condition)


def user_foreign_keys():
    """(model, field) of every foreign key to the user in the installed apps, but those
    the export shows in their own sections; in a fixed order."""
    found = []
    for model in apps.get_models():
        meta = model._meta
        if meta.proxy or meta.label in OWN_SECTIONS:
            continue
        for field in meta.concrete_fields:
            if field.is_relation and field.related_model is User:
                found.append((model, field))
    return sorted(found, key=lambda pair: (pair[0]._meta.label, pair[1].name))


def _first_field(model, names) -> str | None:
    have = {field.name for field in model._meta.concrete_fields}
    return next((name for name in names if name in have), None)


def _records(person: User) -> list[dict]:
    """Every record naming the person through a foreign key: its kind, how many, and
    their references (id, number, date, shop). One query per key."""
    sections = []
    for model, field in user_foreign_keys():
        label = model._meta.label
        reference = _first_field(model, REFERENCE_FIELDS)
        date = _first_field(model, (ACT_DATES.get(field.name, ""), *DATE_FIELDS))
        shop = "shop_id" if _first_field(model, ("shop",)) else None
        columns = ["pk", *(name for name in (reference, date, shop) if name)]
        rows = model.objects.filter(**{field.attname: person.pk}).order_by("pk")
        references = [
            {
                "id": row["pk"],
                "reference": str(row[reference]) if reference and row[reference] else None,
                "date": _iso(row[date]) if date else None,
                "shop": row[shop] if shop else None,
            }
            for row in rows.values(*columns)
        ]
        sections.append(
            {
                "table": label,
                "name": RECORD_NAMES.get(label, str(model._meta.verbose_name_plural)),
                "field": field.name,
                "role": FIELD_ROLES.get(field.name, str(field.verbose_name)),
                "count": len(references),
                "references": references,
            }
        )
    return sections


def personal_data_export(*, user: User) -> dict:
    """Everything the cooperative holds that names `user`, for `user` alone: their
    account, its means of access, their traces of login, the shops whose contact they
    are (among the shops they see) and the records they wrote, plus what is kept after
    they leave and why. A fixed number of queries, whatever the number of records."""
    person = user
    shops = list(person.shops.order_by("name", "pk").values("id", "name"))
    token = Token.objects.select_related("activity").filter(user=person).first()
    tokens = []
    if token is not None:
        activity = getattr(token, "activity", None)
        tokens.append(
            {
                "created": _iso(token.created),
                "last_used_at": _iso(activity.last_used_at if activity else None),
            }
        )
    devices = [
        {
            "name": device.name,
            "confirmed": device.confirmed,
            "created_at": _iso(device.created_at),
            "last_used_at": _iso(device.last_used_at),
        }
        for device in TOTPDevice.objects.filter(user=person).order_by("pk")
    ]
    throttle = [
        {
            "scope": row.scope,
            "ip_address": row.ip_address,
            "failures": row.failures,
            "window_started_at": _iso(row.window_started_at),
        }
        for row in LoginThrottle.objects.filter(name__in=login_names(person)).order_by("pk")
    ]
    logins = [
        {
            "at": _iso(row.attempt_time),
            "logout_at": _iso(row.logout_time),
            "ip_address": row.ip_address,
            "user_agent": row.user_agent,
        }
        for row in access_logs_of(AccessLog, person).order_by("attempt_time", "pk")
    ]
    failures = [
        {"at": _iso(row.attempt_time), "ip_address": row.ip_address, "user_agent": row.user_agent}
        for row in access_logs_of(AccessFailureLog, person).order_by("attempt_time", "pk")
    ]
    invitations_waiting = OutboxMessage.objects.filter(
        sent_at__isnull=True, args=[INVITATION_KIND, person.pk]
    ).count()
    contacts = [
        {"shop": found.shop.pk, "name": found.shop.name, "matching_fields": list(found.fields)}
        for found in contact_shops(person, among=shop_list(user=person))
    ]
    return {
        "generated_at": _iso(timezone.now()),
        "identity": {
            "id": person.pk,
            "username": person.username,
            "first_name": person.first_name,
            "last_name": person.last_name,
            "email": person.email,
            "phone": person.phone,
            "role": person.effective_role,
            "role_label": User.Role(person.effective_role).label,
            "shops": shops,
            "is_active": person.is_active,
            "date_joined": _iso(person.date_joined),
            "last_login": _iso(person.last_login),
        },
        "api_tokens": tokens,
        "two_factor_devices": devices,
        "login_throttle": throttle,
        "logins": logins,
        "login_failures": failures,
        "invitation": {
            "pending": person.is_active and not person.has_usable_password(),
            "emails_waiting": invitations_waiting,
        },
        "shop_contacts": contacts,
        "records": _records(person),
        "retention": RETENTION,
    }


def export_filename(user: User) -> str:
    return f"donnees-personnelles-{user.username}.json"
