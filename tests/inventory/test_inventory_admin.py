import pytest

from shops.models import User
from tests.factories import UserFactory

from .conftest import receive


@pytest.fixture
def coordinator(db):
    """The Django admin is for a superuser's maintenance (docs/security.md): its tests
    log in as one, who acts as a coordinator everywhere else."""
    return UserFactory(
        username="maintenance", role=User.Role.COORDINATOR, is_superuser=True, is_staff=True
    )


def test_a_coordinator_sees_stock_in_the_admin_but_cannot_edit_it(
    client, coordinator, shop, product
):
    movement = receive(shop, product, 5, "1.0000", lot="ADM1")
    client.force_login(coordinator)
    for url in (
        "/admin/inventory/stockbalance/",
        "/admin/inventory/stockmovement/",
        "/admin/inventory/stocklot/?q=ADM1",
        "/admin/inventory/stockcount/",
        f"/admin/inventory/stockmovement/{movement.pk}/change/",
    ):
        assert client.get(url).status_code == 200, url
    assert client.get("/admin/inventory/stockmovement/add/").status_code == 403
    response = client.post(
        f"/admin/inventory/stockmovement/{movement.pk}/change/", {"quantity": 500}
    )
    assert response.status_code == 403
    movement.refresh_from_db()
    assert movement.quantity == 5
