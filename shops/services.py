"""Writes of members: shops, users, logins."""

from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from mache.db import full_clean_or_invalid
from mache.errors import InvalidInput, NotAllowed, Throttled

from . import hooks, throttle
from .models import Shop, User

BAD_CREDENTIALS = "Identifiant ou mot de passe incorrect."


def shop_create(*, data: dict) -> Shop:
    shop = Shop(**data)
    full_clean_or_invalid(shop)
    return shop_insert(shop=shop)


def shop_insert(*, shop: Shop) -> Shop:
    """Save a new, validated shop, and run what the apps above add to a new shop
    (`hooks.shop_created`: accounting opens its ledger), in the same transaction."""
    try:
        with transaction.atomic():
            shop.save()
            hooks.shop_created.run(shop)
    except IntegrityError as exc:  # a concurrent insert of the same SIRET
        raise InvalidInput({"siret": ["Un commerce a déjà ce SIRET."]}) from exc
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
        full_clean_or_invalid(shop)
        try:
            shop.save()
        except IntegrityError as exc:
            raise InvalidInput({"siret": ["Un commerce a déjà ce SIRET."]}) from exc
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
) -> User:
    user = User(
        username=username, role=role, email=email, first_name=first_name, last_name=last_name
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
        user.save()
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
