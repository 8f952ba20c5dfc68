"""Writes of members: shops, users, logins."""

import datetime as dt
import math

from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.exceptions import ValidationError as ValidationError400

from mache.db import full_clean_or_invalid
from mache.errors import BusinessRuleError, InvalidInput, NotAllowed, Throttled
from mache.notifications import notify_on_commit

from . import hooks, notifications, throttle, twofactor
from .models import Cooperative, Shop, User
from .selectors import TOUR_POSITION_TAKEN, tour_position_error

BAD_CREDENTIALS = "Identifiant ou mot de passe incorrect."


def _tour_position_check(shop: Shop) -> None:
    """400 on tour_position when another shop holds that place (docs/distribution.md)."""
    if error := tour_position_error(position=shop.tour_position, shop_id=shop.pk):
        raise InvalidInput({"tour_position": [error]})


def _integrity_error(exc: IntegrityError) -> InvalidInput:
    """A concurrent write beat the checks: the SIRET, or the place in the tour."""
    if "one_shop_per_tour_position" in str(exc):
        return InvalidInput({"tour_position": [TOUR_POSITION_TAKEN]})
    return InvalidInput({"siret": ["Un commerce a déjà ce SIRET."]})


def shop_create(*, data: dict) -> Shop:
    shop = Shop(**data)
    _tour_position_check(shop)
    full_clean_or_invalid(shop)
    return shop_insert(shop=shop)


def shop_insert(*, shop: Shop) -> Shop:
    """Save a new, validated shop, and run what the apps above add to a new shop
    (`hooks.shop_created`: accounting opens its ledger), in the same transaction."""
    try:
        with transaction.atomic():
            shop.save()
            hooks.shop_created.run(shop)
    except IntegrityError as exc:  # a concurrent insert of the same SIRET or place
        raise _integrity_error(exc) from exc
    return shop


def shop_update(*, shop: Shop, user: User, data: dict) -> Shop:
    """Coordinators change anything; shopkeepers only the contact fields of their shop."""
    if not user.is_coordinator:
        if user.effective_role != User.Role.SHOPKEEPER:
            raise NotAllowed()
        forbidden = sorted(set(data) - set(Shop.CONTACT_FIELDS))
        if forbidden:
            raise NotAllowed(
                "Un commerçant ne peut modifier que les coordonnées de son commerce "
                f"(champs refusés : {', '.join(forbidden)})."
            )
    with transaction.atomic():
        shop = Shop.objects.select_for_update().get(pk=shop.pk)
        for field, value in data.items():
            setattr(shop, field, value)
        _tour_position_check(shop)
        full_clean_or_invalid(shop)
        try:
            shop.save()
        except IntegrityError as exc:
            raise _integrity_error(exc) from exc
    return shop


def user_create(
    *,
    username: str,
    password: str,
    role: str,
    shops=(),
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    phone: str = "",
) -> User:
    user = User(
        username=username,
        role=role,
        email=email,
        first_name=first_name,
        last_name=last_name,
        phone=phone,
    )
    user.staff_follows_role()
    full_clean_or_invalid(user, exclude=["password"])
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise InvalidInput({"password": list(exc.messages)}) from exc
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
            user.shops.set(shops)
    except IntegrityError as exc:  # a concurrent insert of the same username
        raise InvalidInput({"username": ["Ce nom d'utilisateur est déjà pris."]}) from exc
    return user


def user_update(*, user: User, data: dict) -> User:
    shops = data.pop("shops", None)
    password = data.pop("password", None)
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        if user.anonymised_at is not None:
            # Names, e-mail or a way back in would undo the erasure (docs/personal-data.md).
            raise BusinessRuleError(
                "Ce compte a été anonymisé : il ne peut plus être modifié ni réactivé.",
                code="user_anonymised",
            )
        was_active = user.is_active
        for field, value in data.items():
            setattr(user, field, value)
        user.staff_follows_role()
        full_clean_or_invalid(user, exclude=["password"])
        if password:
            try:
                validate_password(password, user)
            except ValidationError as exc:
                raise InvalidInput({"password": list(exc.messages)}) from exc
            user.set_password(password)
        user.save()  # a deactivation revokes the tokens there (User.save)
        if was_active and not user.is_active:
            twofactor.end_sessions(user)  # and ends the sessions at once
        if shops is not None:
            user.shops.set(shops)
    return user


def login_check(*, request, username: str, password: str) -> User:
    """The user behind these credentials, or a 400 that does not say which part was wrong.

    `request` is Django's HttpRequest (not DRF's): authenticate() passes it to
    django-axes, whose handler (shops.throttle) counts the attempt before the password
    is checked and refuses it (429 here) once the account, or the account from this
    address, has used LOGIN_FAILURE_LIMIT attempts in LOGIN_FAILURE_WINDOW seconds.
    """
    user = authenticate(request, username=username, password=password)
    if user is None:
        if getattr(request, "axes_locked_out", False):
            raise Throttled(wait=throttle.retry_after(request))
        raise InvalidInput({"non_field_errors": [BAD_CREDENTIALS]})
    throttle.release(
        scope=throttle.LOGIN,
        name=username,
        ip=getattr(request, "axes_ip_address", None) or throttle.client_ip(request),
    )
    return user


# --- A member's life: admission, suspension, departure (docs/members.md) ----------------


class ShopStatusRefused(BusinessRuleError):
    code = "shop_status"


# What each change of status needs the shop to be in, and what it makes it.
_STATUS_MOVES = {
    "admit": ({Shop.Status.CANDIDATE}, Shop.Status.ACTIVE),
    "suspend": ({Shop.Status.ACTIVE}, Shop.Status.SUSPENDED),
    "reactivate": ({Shop.Status.SUSPENDED}, Shop.Status.ACTIVE),
    "leave": ({Shop.Status.CANDIDATE, Shop.Status.ACTIVE, Shop.Status.SUSPENDED}, Shop.Status.LEFT),
}
_STATUS_REFUSALS = {
    "admit": "Seul un commerce candidat peut être admis.",
    "suspend": "Seul un commerce actif peut être suspendu.",
    "reactivate": "Seul un commerce suspendu peut être réactivé.",
    "leave": "Ce commerce a déjà quitté la coopérative.",
}


def _shop_move(*, shop_id: int, move: str, **fields) -> Shop:
    allowed, target = _STATUS_MOVES[move]
    with transaction.atomic():
        shop = Shop.objects.select_for_update().get(pk=shop_id)
        if shop.status not in allowed:
            raise ShopStatusRefused(_STATUS_REFUSALS[move])
        shop.status = target
        for name, value in fields.items():
            setattr(shop, name, value)
        full_clean_or_invalid(shop)
        shop.save()
    return shop


def _a_date(value, field: str) -> dt.date:
    if not isinstance(value, dt.date):
        raise InvalidInput({field: ["Indiquez une date."]})
    return value


def shop_admit(*, shop_id: int, joined_on: dt.date) -> Shop:
    """A candidate becomes a member: active from `joined_on`. Its ledger was opened when
    it was recorded (`hooks.shop_created`), so it may order and be invoiced at once."""
    joined_on = _a_date(joined_on, "joined_on")
    return _shop_move(shop_id=shop_id, move="admit", joined_on=joined_on, left_on=None)


def shop_suspend(*, shop_id: int) -> Shop:
    """A suspended shop keeps its data but may not order (purchasing refuses orders of a
    shop that is not active: 409 shop_not_active)."""
    return _shop_move(shop_id=shop_id, move="suspend")


def shop_reactivate(*, shop_id: int) -> Shop:
    return _shop_move(shop_id=shop_id, move="reactivate")


def shop_leave(*, shop_id: int, left_on: dt.date) -> Shop:
    """The shop leaves the cooperative on `left_on`: it may no longer order; its orders,
    invoices and books stay (history). Leaving is final: a shop that comes back is
    recorded again as a candidate."""
    left_on = _a_date(left_on, "left_on")
    shop = Shop.objects.only("joined_on").get(pk=shop_id)
    if shop.joined_on and left_on < shop.joined_on:
        raise InvalidInput({"left_on": ["Le départ ne peut pas précéder l'adhésion."]})
    return _shop_move(shop_id=shop_id, move="leave", left_on=left_on)


# --- People: invitations, deactivation (docs/members.md, docs/security.md) ---------------


def user_invite(
    *,
    username: str,
    email: str,
    role: str,
    shops=(),
    first_name: str = "",
    last_name: str = "",
) -> User:
    """A new user with no password yet: an e-mail (after commit) brings them a link to
    choose it (shops.notifications.user_invitation)."""
    shops = list(shops)
    user = User(
        username=username, role=role, email=email, first_name=first_name, last_name=last_name
    )
    user.staff_follows_role()
    user.set_unusable_password()
    # Every wrong field is said at once.
    errors = {}
    try:
        full_clean_or_invalid(user, exclude=["password"])
    except InvalidInput as exc:
        errors.update(exc.errors)
    if not email:
        errors.setdefault("email", ["Indiquez l'adresse où envoyer l'invitation."])
    if role in (User.Role.SHOPKEEPER, User.Role.ACCOUNTANT) and not shops:
        errors["shops"] = ["Un commerçant ou un comptable doit avoir au moins un commerce."]
    if errors:
        raise InvalidInput(errors)
    try:
        with transaction.atomic():
            user.save()
            user.shops.set(shops)
            notify_on_commit(notifications.user_invitation, user.pk)
    except IntegrityError as exc:  # a concurrent insert of the same username
        raise InvalidInput({"username": ["Ce nom d'utilisateur est déjà pris."]}) from exc
    return user


def user_change(*, user_id: int, by: User, data: dict) -> User:
    """A coordinator's change of someone's names, e-mail, phone, role and shops (the people
    page). Shopkeepers and accountants keep at least one shop; nobody changes their own
    role (a coordinator could lock the cooperative out of its pages)."""
    data = dict(data)
    user = User.objects.get(pk=user_id)
    role = data.get("role", user.role)
    if user.pk == by.pk and role != user.role:
        raise InvalidInput({"role": ["Vous ne pouvez pas changer votre propre rôle."]})
    if role in (User.Role.SHOPKEEPER, User.Role.ACCOUNTANT) and "shops" in data:
        if not list(data["shops"]):
            raise InvalidInput(
                {"shops": ["Un commerçant ou un comptable doit avoir au moins un commerce."]}
            )
    data.pop("password", None)  # a password is the person's own: the reset link
    return user_update(user=user, data=data)


def user_invitation_resend(*, user_id: int) -> User:
    """A new invitation link; the links sent before stop working (the token generator
    hashes the password, which a new unusable one changes)."""
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user_id)
        if not user.is_active:
            raise BusinessRuleError(
                "Ce compte est désactivé : réactivez-le d'abord.", code="user_inactive"
            )
        if user.has_usable_password():
            raise BusinessRuleError(
                "Cette personne a déjà choisi son mot de passe : elle peut utiliser « Mot de "
                "passe oublié ».",
                code="invitation_accepted",
            )
        if not user.email:
            raise InvalidInput({"email": ["Indiquez l'adresse où envoyer l'invitation."]})
        user.set_unusable_password()
        user.save(update_fields=["password"])
        notify_on_commit(notifications.user_invitation, user.pk)
    return user


def user_set_active(*, user_id: int, active: bool, by: User) -> User:
    """Deactivating a user revokes their API tokens (User.save) and ends their sessions
    at once (user_update: a reactivated account does not find its old sessions alive)."""
    if user_id == by.pk and not active:
        raise BusinessRuleError("Vous ne pouvez pas désactiver votre propre compte.", code="self")
    return user_update(user=User(pk=user_id), data={"is_active": active})


def cooperative_update(*, data: dict) -> Cooperative:
    """The cooperative's record changed (created on a new installation). Documents
    already issued keep the identity they were issued with (their own snapshot)."""
    with transaction.atomic():
        cooperative = Cooperative.objects.select_for_update().first() or Cooperative()
        for field, value in data.items():
            setattr(cooperative, field, value)
        full_clean_or_invalid(cooperative)
        cooperative.save()
    return cooperative


# --- Two-factor login (TOTP, django-otp; docs/security.md) -----------------------------


def _code_throttled(device) -> Throttled | None:
    allowed, info = device.verify_is_allowed()
    if allowed:
        return None
    wait = (info or {}).get("locked_until")
    seconds = math.ceil((wait - timezone.now()).total_seconds()) if wait else 1
    return Throttled(wait=max(seconds, 1))


def two_factor_check(*, user: User, code: str, field: str = "code"):
    """The user's confirmed device if `code` is its current code, else 400 on `field`
    (429 while django-otp's throttle holds the device after wrong codes)."""
    device = twofactor.confirmed_device(user)
    if device is None:
        raise InvalidInput({field: ["La double authentification n'est pas activée."]})
    return _verify(device, code, field)


def _verify(device, code: str, field: str):
    # The wrong code's count must be kept: the refusal is raised after the commit.
    with transaction.atomic():
        device = type(device).objects.select_for_update().get(pk=device.pk)
        throttled = _code_throttled(device)
        if throttled is None:
            verified = device.verify_token(twofactor.clean_code(code))
    if throttled is not None:
        raise throttled
    if not verified:
        raise InvalidInput({field: [twofactor.BAD_CODE]})
    return device


class SecondFactorMissing(ValidationError400):
    """400 {"otp": [...], "code": "otp_required" | "otp_invalid"}: DRF's shape of a
    field's error, with a code a client can test (docs/security.md)."""

    def __init__(self, message: str, code: str):
        super().__init__({"otp": [message], "code": code})


def token_second_factor(*, user: User, otp: str) -> None:
    """An API token for a user with two-factor login needs their current code too: the
    password alone would skip the second factor the pages ask. Users without a device
    keep the contract's {"username", "password"}."""
    device = twofactor.confirmed_device(user)
    if device is None:
        return
    if not twofactor.clean_code(otp):
        raise SecondFactorMissing(
            "Ce compte utilise la double authentification : ajoutez « otp », le code à "
            "6 chiffres de votre application.",
            "otp_required",
        )
    try:
        _verify(device, otp, "otp")
    except InvalidInput:
        raise SecondFactorMissing(twofactor.BAD_CODE, "otp_invalid") from None


def two_factor_start(*, user: User):
    """A new, unconfirmed device (its secret shown once on the security page); one at a
    time: an earlier unconfirmed one is replaced."""
    if twofactor.confirmed_device(user) is not None:
        raise BusinessRuleError(
            "La double authentification est déjà activée.", code="two_factor_on"
        )
    with transaction.atomic():
        twofactor.TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        return twofactor.TOTPDevice.objects.create(user=user, name="Application", confirmed=False)


def two_factor_confirm(*, user: User, code: str):
    """The first code from the app confirms the device: from now on, logging in asks it."""
    device = twofactor.pending_device(user)
    if device is None:
        raise BusinessRuleError(
            "Commencez par activer la double authentification.", code="two_factor_off"
        )
    device = _verify(device, code, "code")  # commits its own count of wrong codes
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return device


def two_factor_disable(*, user: User, code: str) -> None:
    """Turned off by its owner with a current code, unless the cooperative requires it
    of coordinators."""
    if user.is_coordinator and twofactor.required_for(user):
        raise BusinessRuleError(
            "La coopérative exige la double authentification des coordinateurs.",
            code="two_factor_required",
        )
    two_factor_check(user=user, code=code)
    twofactor.TOTPDevice.objects.filter(user=user).delete()


def two_factor_reset_pending(*, user) -> None:
    """An enrolment given up before its first code."""
    twofactor.TOTPDevice.objects.filter(user=user, confirmed=False).delete()


def two_factor_reset(*, user_id: int) -> None:
    """A coordinator removes someone's devices (a lost phone): they log in with their
    password alone, and enrol again."""
    twofactor.TOTPDevice.objects.filter(user_id=user_id).delete()
