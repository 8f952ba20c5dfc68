from shops.models import User
from tests.factories import DEFAULT_PASSWORD, UserFactory

from .conftest import log_in, screenshot


def test_each_role_lands_on_its_own_page_on_a_phone(live_server, phone, shop):
    for username, role, landing in (
        ("epiciere", User.Role.SHOPKEEPER, "/commerce/"),
        ("coordo", User.Role.COORDINATOR, "/coordination/"),
        ("compta", User.Role.ACCOUNTANT, "/comptable/"),
    ):
        UserFactory(username=username, role=role, shops=[shop])
        log_in(phone, live_server, username, DEFAULT_PASSWORD)
        assert phone.url == f"{live_server.url}{landing}"
        screenshot(phone, f"login-{role}")
        phone.click("text=Se déconnecter")
        phone.wait_for_url(f"{live_server.url}/connexion/")


def test_a_wrong_password_is_said_beside_the_form_and_keeps_the_name(
    live_server, phone, shopkeeper
):
    log_in(phone, live_server, "epicier", "pas-le-bon")
    assert "Identifiant ou mot de passe incorrect." in phone.inner_text("main")
    assert phone.input_value("input[name=username]") == "epicier"
    assert phone.url.endswith("/connexion/")


def test_the_pages_and_the_api_docs_work_under_the_content_security_policy(
    live_server, laptop, shopkeeper
):
    refused = []
    laptop.on(
        "console",
        lambda message: (
            refused.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    log_in(laptop, live_server, "epicier", DEFAULT_PASSWORD)
    assert laptop.url == f"{live_server.url}/commerce/"
    laptop.goto(f"{live_server.url}/api/docs/")
    laptop.wait_for_selector(".swagger-ui .info .title")
    assert "MACHE API" in laptop.inner_text(".swagger-ui .info .title")
    laptop.wait_for_selector(".opblock")  # the operations, read from /api/schema/
    screenshot(laptop, "api-docs")
    assert refused == []
