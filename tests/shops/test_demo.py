import json

from django.core.management import call_command

from catalogue.models import PriceTier, Product, Supplier
from mache.roles import Role
from purchasing.models import Round
from shops.models import Cooperative, Shop, User
from wiring.management.commands.load_demo import DEMO_FILE


def test_the_demo_loads_once_and_prints_each_password_once(db, capsys):
    call_command("load_demo", months=1)
    first = capsys.readouterr().out
    data = json.loads(DEMO_FILE.read_text(encoding="utf-8"))
    assert Shop.objects.count() == len(data["shops"])
    assert Cooperative.get().siret == data["cooperative"]["siret"]
    assert set(User.objects.values_list("role", flat=True)) == {
        "coordinator",
        "shopkeeper",
        "accountant",
    }
    assert first.count("mot de passe :") == 3
    assert Supplier.objects.count() == len(data["suppliers"])
    assert Product.objects.count() == len(data["products"])
    assert Round.objects.filter(status="open").count() == 1
    tiered = next(p for p in data["products"] if p["price_tiers"])
    assert PriceTier.objects.filter(product__sku=tiered["sku"]).count() == len(
        tiered["price_tiers"]
    )

    call_command("load_demo", months=1)
    second = capsys.readouterr().out
    assert "mot de passe :" not in second
    assert Shop.objects.count() == len(data["shops"])
    assert User.objects.count() == 3
    assert Product.objects.count() == len(data["products"])
    assert Round.objects.filter(status="open").count() == 1


def test_the_demo_users_log_in_with_the_printed_passwords(db, api, capsys):
    call_command("load_demo", months=1)
    out = capsys.readouterr().out
    for line in out.splitlines():
        if "mot de passe :" in line:
            role, username, *_, password = line.split()
            response = api.post(
                "/api/auth/token/", {"username": username, "password": password}, format="json"
            )
            assert response.status_code == 200
            api.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
            assert Role(api.get("/api/me/").json()["role"]).label == role  # in French
