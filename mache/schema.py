"""The OpenAPI schema says what the API answers, errors included: drf-spectacular lists
only the successes, and a client (or schemathesis) then meets 400s, 404s and 409s the
schema never promised."""

from drf_spectacular import openapi
from rest_framework import serializers

# DRF's shapes: {"detail": "...", "code"?: "..."} or {"<field>": ["..."]}.
ERROR_SCHEMA = {"type": "object", "additionalProperties": {}}

ERRORS = {
    "400": "Requête invalide : les messages, par champ.",
    "401": "Non authentifié.",
    "403": "Le rôle ne permet pas cette action.",
    "404": "Introuvable (ou hors de portée de l'utilisateur).",
    "409": "Refusé par une règle métier : {detail, code}.",
}
BODY_ERRORS = {
    "413": "Corps de requête trop volumineux.",
    "415": "Type de contenu non pris en charge.",
}


class AutoSchema(openapi.AutoSchema):
    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if isinstance(field, serializers.EmailField) and field.allow_blank:
            # An optional e-mail is "" when absent: not an e-mail format.
            return {"anyOf": [schema, {"type": "string", "maxLength": 0}]}
        return schema

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        errors = dict(ERRORS)
        if self.method in ("POST", "PUT", "PATCH"):
            errors.update(BODY_ERRORS)
        if not self.view.get_authenticators():
            # The login: no one is authenticated there, and failures are throttled.
            errors.pop("401")
            errors["429"] = "Trop de tentatives."
        # Errors come in the view's renderers' types that are not files (JSON, and the
        # FEC's text/plain, whose errors are JSON text).
        content = {
            media_type: {"schema": ERROR_SCHEMA}
            for media_type in {r.media_type for r in self.view.get_renderers()}
            if media_type in ("application/json", "text/plain")
        }
        for code, description in errors.items():
            responses.setdefault(
                code,
                {
                    "description": description,
                    "content": content or {"application/json": {"schema": ERROR_SCHEMA}},
                },
            )
        return responses
