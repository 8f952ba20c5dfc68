from rest_framework.views import APIView

from mache.errors import BusinessRuleError, InvalidInput, exception_handler


def test_business_rules_answer_409_with_detail_and_code():
    response = exception_handler(
        BusinessRuleError("La tournée est close.", code="round_closed"), {"view": APIView()}
    )
    assert response.status_code == 409
    assert response.data == {"detail": "La tournée est close.", "code": "round_closed"}


def test_extra_fields_ride_along_with_the_code():
    response = exception_handler(
        BusinessRuleError("Commande existante.", code="order_exists", id=12), {}
    )
    assert response.data == {"detail": "Commande existante.", "code": "order_exists", "id": 12}


def test_invalid_input_answers_400_in_drf_shape():
    response = exception_handler(InvalidInput({"siret": "SIRET invalide."}), {})
    assert response.status_code == 400
    assert response.data == {"siret": ["SIRET invalide."]}


def test_the_openapi_schema_and_its_viewer_are_served(client, db):
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    text = schema.content.decode()
    for path in ("/api/shops/", "/api/users/", "/api/me/", "/api/auth/token/"):
        assert path in text
    assert client.get("/api/docs/").status_code == 200


def test_unknown_ids_are_404_in_french(api, coordinator):
    response = api.as_user(coordinator).get("/api/shops/987654/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Introuvable."}
