"""Login throttling: one atomic counter per account and per (account, address), in the
database, behind django-axes.

django-axes hooks every `authenticate()` (the API token, the login page, the Django admin)
through its backend, and records failures and logins. Its own flow (check the count,
check the password, then count the failure) lets concurrent attempts all pass the check
before any is counted, so `LoginThrottleHandler.is_allowed` replaces the check with a
reservation: under the counters' row locks, an attempt is counted *before* the password
is checked, and refused when the account or the (account, address) has used its attempts
within the window. A successful login releases the counters. Nothing here reads the
cache: logins do not depend on Redis.

Never a whole address: behind the production proxy every client may share one, and one
person's mistakes must not lock out a village.
"""

import hashlib
import ipaddress
import logging
from dataclasses import dataclass
from datetime import timedelta

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessFailureLog
from axes.signals import user_locked_out
from django.conf import settings
from django.db import transaction
from django.shortcuts import render
from django.utils import timezone

from .models import LoginThrottle

log = logging.getLogger("mache.auth")

LOGIN = "login"
PASSWORD_RESET = "reset"  # noqa: S105 (a counter scope, not a password)
LOCKED_MESSAGE = "Trop de tentatives. Réessayez plus tard."


def client_ip(request) -> str:
    """The client's address: REMOTE_ADDR, unless TRUSTED_PROXY_COUNT proxies stand in
    front of the server, in which case the address the outermost trusted proxy saw.

    Each proxy appends the address of its peer to X-Forwarded-For, so with n trusted
    proxies the client is the n-th entry from the right; whatever is left of it was
    written by the client and proves nothing.
    """
    remote = request.META.get("REMOTE_ADDR") or ""
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote
    forwarded = [
        part.strip()
        for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if part.strip()
    ]
    if len(forwarded) < count:
        return remote  # not through the proxies: the peer is the client
    candidate = forwarded[-count]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote


@dataclass(frozen=True)
class Reservation:
    allowed: bool
    wait: int = 0  # seconds until the window of the counter that refused ends


def _counters(scope: str, name: str, ip: str) -> list[tuple[str, str, str, int]]:
    """(key, name, address, limit) of the account's counter and the pair's counter."""
    name = (name or "").strip().lower()
    limits = [("", settings.LOGIN_ACCOUNT_FAILURE_LIMIT), (ip or "", settings.LOGIN_FAILURE_LIMIT)]
    return [
        (
            hashlib.sha256(f"{scope}\0{name}\0{address}".encode()).hexdigest(),
            name[:150],
            address,
            limit,
        )
        for address, limit in limits
    ]


def reserve(*, scope: str, name: str, ip: str) -> Reservation:
    """Count one attempt for `name` (and for `name` from `ip`), unless either counter has
    reached its limit within LOGIN_FAILURE_WINDOW: then count nothing and refuse.

    Atomic: the counters' rows are created if missing, then locked (in key order), so
    concurrent attempts queue on the locks and at most `limit` of them are allowed.
    """
    counters = _counters(scope, name, ip)
    now = timezone.now()
    window = timedelta(seconds=settings.LOGIN_FAILURE_WINDOW)
    with transaction.atomic():
        LoginThrottle.objects.bulk_create(
            [
                LoginThrottle(
                    key=key,
                    scope=scope,
                    name=short,
                    ip_address=address,
                    failures=0,
                    window_started_at=now,
                )
                for key, short, address, _ in counters
            ],
            ignore_conflicts=True,
        )
        rows = {
            row.key: row
            for row in LoginThrottle.objects.select_for_update()
            .filter(key__in=[key for key, *_ in counters])
            .order_by("key")
        }
        wait = 0
        for key, _, _, limit in counters:
            row = rows[key]
            if row.window_started_at <= now - window:  # a new window
                row.failures, row.window_started_at = 0, now
            if row.failures >= limit:
                ends = row.window_started_at + window
                wait = max(wait, int((ends - now).total_seconds()) + 1)
        if wait:
            return Reservation(allowed=False, wait=wait)
        for row in rows.values():
            row.failures += 1
        LoginThrottle.objects.bulk_update(list(rows.values()), ["failures", "window_started_at"])
    return Reservation(allowed=True)


def release(*, scope: str, name: str, ip: str) -> None:
    """A successful login: the account's and the pair's counters start again."""
    LoginThrottle.objects.filter(key__in=[key for key, *_ in _counters(scope, name, ip)]).delete()


class LoginThrottleHandler(AxesDatabaseHandler):
    """django-axes' database handler with an atomic check (see the module docstring)."""

    def is_allowed(self, request, credentials=None) -> bool:
        username = get_client_username(request, credentials)
        if username is None:
            return True  # no name, no password check (the backends refuse it)
        reservation = reserve(scope=LOGIN, name=username, ip=request.axes_ip_address)
        if not reservation.allowed:
            # axes' middleware turns a page into 429 (lockout_response); our own views
            # read these to answer in their own words.
            request.axes_locked_out = True
            request.login_retry_after = reservation.wait
        return reservation.allowed

    def is_locked(self, request, credentials=None) -> bool:
        return getattr(request, "axes_locked_out", False)

    def get_failures(self, request, credentials=None) -> int:
        username = get_client_username(request, credentials)
        keys = [key for key, *_ in _counters(LOGIN, username, request.axes_ip_address)]
        return max(
            LoginThrottle.objects.filter(key__in=keys).values_list("failures", flat=True), default=0
        )

    def user_login_failed(self, sender, credentials, request=None, **kwargs):
        if request is None:
            log.error("Login failure without a request: not throttled.")
            return
        username = str(get_client_username(request, credentials) or "")
        locked = getattr(request, "axes_locked_out", False)
        if locked:
            # Refused before any password check: logged, not stored (a flood of refusals
            # must not fill the database).
            log.warning(
                "Login refused (too many failures): user=%r ip=%s path=%s",
                username[:150],
                request.axes_ip_address,
                request.axes_path_info,
            )
            request.axes_credentials = credentials
            user_locked_out.send(
                "axes", request=request, username=username, ip_address=request.axes_ip_address
            )
            return
        log.warning(
            "Login failed: user=%r ip=%s path=%s",
            username[:150],
            request.axes_ip_address,
            request.axes_path_info,
        )
        AccessFailureLog.objects.create(
            username=username[:255],
            ip_address=request.axes_ip_address or None,
            user_agent=request.axes_user_agent,
            http_accept=request.axes_http_accept,
            path_info=request.axes_path_info,
            attempt_time=request.axes_attempt_time,
            locked_out=False,
        )

    def user_logged_in(self, sender, request, user, **kwargs):
        super().user_logged_in(sender, request, user, **kwargs)  # axes' access log
        release(scope=LOGIN, name=user.get_username(), ip=request.axes_ip_address)


def retry_after(request) -> int:
    return getattr(request, "login_retry_after", 0) or settings.LOGIN_FAILURE_WINDOW


def lockout_response(request, original_response=None, credentials=None):
    """What axes answers when a login was refused: our own views already answered 429
    in their words (kept); the Django admin's login gets a French page."""
    if original_response is not None and original_response.status_code == 429:
        return original_response
    response = render(request, "shops/locked.html", {"message": LOCKED_MESSAGE}, status=429)
    response["Retry-After"] = str(retry_after(request))
    return response
