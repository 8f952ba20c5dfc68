"""E-mails to members, sent after commit by the worker (mache.notifications)."""

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from mache.notifications import notification

from .models import Cooperative, User


@notification("user_invitation")
def user_invitation(user_id: int) -> int:
    """The link to choose one's password: Django's reset token (valid
    PASSWORD_RESET_TIMEOUT seconds, spent once the password is chosen), built on
    SITE_URL. Nothing goes to an account that was deactivated or has its password."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or user.has_usable_password() or not user.email:
        return 0
    path = reverse(
        "invitation-confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    context = {
        "user": user,
        "cooperative": Cooperative.current(),
        "link": settings.SITE_URL.rstrip("/") + path,
        "days": max(settings.PASSWORD_RESET_TIMEOUT // 86400, 1),
    }
    subject = render_to_string("shops/invitation_subject.txt", context).strip()
    body = render_to_string("shops/invitation_email.txt", context)
    return send_mail(subject, body, None, [user.email])
