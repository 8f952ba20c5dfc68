"""Invitations (issue 12, point 5; docs/members.md): the coordinator invites someone by
e-mail; the link lets them choose their password once, in French, within Django's
PASSWORD_RESET_TIMEOUT; a re-sent invitation voids the earlier link."""

import re

import pytest
from django.core import mail
from django.test import Client, override_settings

from mache.models import OutboxMessage
from shops import notifications
from shops.models import User
from tests.helpers import page_text

NEW_PASSWORD = "un-secret-bien-choisi-58"


@pytest.fixture
def coord_client(client, coordinator, coop):
    client.force_login(coordinator)
    return client


def invite(coord_client, shop, **changes):
    return coord_client.post(
        "/coordination/personnes/inviter/",
        {
            "username": "nolwenn",
            "email": "nolwenn@example.org",
            "first_name": "Nolwenn",
            "last_name": "Riou",
            "role": "shopkeeper",
            "shops": [shop.pk],
            **changes,
        },
    )


def send_invitation(user) -> str:
    """The e-mail the worker sends (the outbox holds the task; SMTP is Django's test
    outbox), and the link in it."""
    assert OutboxMessage.objects.filter(args=["user_invitation", user.pk]).exists()
    mail.outbox.clear()
    assert notifications.user_invitation(user.pk) == 1
    [message] = mail.outbox
    assert message.to == [user.email]
    return re.search(r"https://mache\.example\.org(/connexion/invitation/\S+/)", message.body)[1]


@override_settings(SITE_URL="https://mache.example.org")
def test_an_invited_person_chooses_a_password_and_logs_in(
    coord_client, shop, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks():
        response = invite(coord_client, shop)
    user = User.objects.get(username="nolwenn")
    assert (
        response.status_code == 302
        and response["Location"] == f"/coordination/personnes/{user.pk}/"
    )
    assert not user.has_usable_password() and list(user.shops.all()) == [shop]
    assert user.role == User.Role.SHOPKEEPER and not user.is_staff

    link = send_invitation(user)
    assert "Votre identifiant : nolwenn" in mail.outbox[0].body
    assert mail.outbox[0].subject.startswith("[MACHE] Votre compte")

    visitor = Client()
    form_page = visitor.get(link, follow=True)
    assert "Choisissez votre mot de passe" in page_text(form_page)
    target = form_page.redirect_chain[-1][0]
    short = visitor.post(target, {"new_password1": "court", "new_password2": "court"})
    assert short.status_code == 200
    assert short.context["form"].errors["new_password2"]
    done = visitor.post(target, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302 and done["Location"] == "/connexion/invitation/bienvenue/"
    assert "Compte activé" in page_text(visitor.get(done["Location"]))

    login = Client().post("/connexion/", {"username": "nolwenn", "password": NEW_PASSWORD})
    assert login.status_code == 302 and login["Location"] == "/"

    # The link served once: it says so in French.
    again = Client().get(link, follow=True)
    assert "Ce lien d'invitation n'est plus valable" in page_text(again)


@override_settings(SITE_URL="https://mache.example.org", PASSWORD_RESET_TIMEOUT=60)
def test_an_expired_link_is_refused_in_french(coord_client, shop):
    invite(coord_client, shop)
    user = User.objects.get(username="nolwenn")
    link = send_invitation(user)
    from django.contrib.auth.tokens import default_token_generator

    # A token made 2 minutes ago, for a timeout of one minute.
    generator = default_token_generator
    old = generator._make_token_with_timestamp(
        user, generator._num_seconds(generator._now()) - 120, generator.secret
    )
    expired = link.rsplit("/", 2)[0] + f"/{old}/"
    page = page_text(Client().get(expired, follow=True))
    assert "Ce lien d'invitation n'est plus valable" in page
    user.refresh_from_db()
    assert not user.has_usable_password()


def test_bad_input_keeps_what_was_typed_and_invites_nobody(coord_client, shop, coordinator):
    response = invite(coord_client, shop, username="coord", email="pas-une-adresse", shops=[])
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["email"] == ["Saisissez une adresse e-mail valide."]
    html = response.content.decode()
    assert 'value="pas-une-adresse"' in html and 'value="Nolwenn"' in html
    response = invite(coord_client, shop, username="coord", shops=[])
    errors = response.context["form"].errors
    assert errors["username"] == ["Un utilisateur avec ce nom existe déjà."]
    assert errors["shops"] == ["Un commerçant ou un comptable doit avoir au moins un commerce."]
    assert not User.objects.filter(username="nolwenn").exists()
    assert not OutboxMessage.objects.filter(args__0="user_invitation").exists()
    response = invite(coord_client, shop, shops=[])
    assert response.context["form"].errors["shops"] == [
        "Un commerçant ou un comptable doit avoir au moins un commerce."
    ]
    assert not User.objects.filter(username="nolwenn").exists()


@override_settings(SITE_URL="https://mache.example.org")
def test_a_resent_invitation_voids_the_first_link(coord_client, shop):
    invite(coord_client, shop)
    user = User.objects.get(username="nolwenn")
    first = send_invitation(user)
    OutboxMessage.objects.all().delete()
    response = coord_client.post(f"/coordination/personnes/{user.pk}/renvoyer/", follow=True)
    assert "Invitation renvoyée" in page_text(response)
    second = send_invitation(user)
    assert first != second
    assert "n'est plus valable" in page_text(Client().get(first, follow=True))
    assert "Choisissez votre mot de passe" in page_text(Client().get(second, follow=True))


def test_no_invitation_is_resent_to_someone_who_chose_a_password(coord_client, shopkeeper):
    response = coord_client.post(f"/coordination/personnes/{shopkeeper.pk}/renvoyer/", follow=True)
    assert "a déjà choisi son mot de passe" in page_text(response)
    assert not OutboxMessage.objects.exists()


@override_settings(SITE_URL="https://mache.example.org")
def test_a_deactivated_person_cannot_use_their_invitation(coord_client, shop):
    invite(coord_client, shop)
    user = User.objects.get(username="nolwenn")
    link = send_invitation(user)
    coord_client.post(f"/coordination/personnes/{user.pk}/desactiver/")
    assert notifications.user_invitation(user.pk) == 0
    assert "n'est plus valable" in page_text(Client().get(link, follow=True))


def test_the_login_page_offers_the_forgotten_password(client, shopkeeper):
    page = client.get("/connexion/").content.decode()
    assert 'href="/connexion/mot-de-passe/oublie/"' in page and "Mot de passe oublié ?" in page
    assert client.get("/connexion/mot-de-passe/oublie/").status_code == 200
