"""Distribution of a received order (docs/distribution.md, docs/api.md):

    GET /api/supplier-orders/{id}/delivery-notes/?shop=    the delivery notes (PDF)
    GET /api/supplier-orders/{id}/picking-list/?format=pdf|csv   the hub's picking list
    GET /api/tours/{delivery_date}/?format=json|pdf&order=tour|route   the day's tour

Delivery notes: the coordinator (every shop, or `shop`) and the shops' people (their own
shop's only: another shop's answers 404, as a supplier order serving none of theirs).
They are issued documents, served as stored at the receipt (purchasing.documents,
docs/documents.md: ETag, 409 `document_altered`). The picking list and the tour are
working lists, drawn at each request: the coordinator only (403 otherwise).
"""

import datetime as dt
import re

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from accounting.apis.statements import FormatIsOurs
from mache.documents import document_response
from mache.errors import InvalidInput
from mache.permissions import COORDINATOR, COORDINATOR_ONLY, SHOPKEEPER, ActionRoles, sees_all_shops

from .. import selectors
from ..distribution import picking_csv
from ..documents import NotReceived, delivery_note_document, delivery_notes_document
from ..models import SupplierOrder
from ..pdf import picking_list_pdf, tour_pdf

SEVERAL_SHOPS = "Précisez le commerce : cette commande en sert plusieurs des vôtres."
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class DeliveryNotesQuery(serializers.Serializer):
    shop = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=2**31 - 1,
        error_messages={"invalid": "Un identifiant de commerce (nombre entier)."},
    )


class PickingListQuery(serializers.Serializer):
    format = serializers.ChoiceField(
        choices=["pdf", "csv"],
        default="pdf",
        error_messages={"invalid_choice": "Format : pdf ou csv."},
    )


class TourQuery(serializers.Serializer):
    format = serializers.ChoiceField(
        choices=["json", "pdf"],
        default="json",
        error_messages={"invalid_choice": "Format : json ou pdf."},
    )
    order = serializers.ChoiceField(
        choices=["tour", "route"],
        default="tour",
        error_messages={
            "invalid_choice": "Ordre : tour (ordre de la tournée) ou route (trajet le plus court)."
        },
    )


def _file(content: bytes, content_type: str, filename: str, *, inline: bool = True):
    response = HttpResponse(content, content_type=content_type)
    disposition = "inline" if inline else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    return response


class DeliveryNotesView(APIView):
    permission_classes = [ActionRoles]
    default_roles = frozenset({COORDINATOR, SHOPKEEPER})
    scoped_model = SupplierOrder
    shop_field = "allocations__shop"

    @extend_schema(
        parameters=[DeliveryNotesQuery],
        responses={(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY)},
    )
    def get(self, request, pk):
        """The coordinator: every shop's notes in one PDF, or `shop`'s. A shop's people:
        their shop's note (`shop` may name it; one who sees several shops of the order
        must name one: 400)."""
        supplier_order = get_object_or_404(
            selectors.supplier_orders_with_notes(user=request.user), pk=pk
        )
        query = DeliveryNotesQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        shop_id = query.validated_data.get("shop")
        shops = selectors.delivery_note_shop_ids(user=request.user, supplier_order=supplier_order)
        if shop_id is not None and shop_id not in shops:
            raise Http404  # a shop this order does not serve, or one the caller may not see
        if supplier_order.status != SupplierOrder.Status.RECEIVED:
            raise NotReceived()
        if shop_id is None and not sees_all_shops(request.user):
            if len(shops) != 1:
                raise InvalidInput({"shop": [SEVERAL_SHOPS]})
            shop_id = shops[0]
        if shop_id is None:
            document = delivery_notes_document(supplier_order)
        else:
            document = delivery_note_document(supplier_order, shop_id)
        return document_response(document, request)


class PickingListView(APIView):
    permission_classes = [ActionRoles]
    default_roles = COORDINATOR_ONLY
    renderer_classes = [JSONRenderer]
    content_negotiation_class = FormatIsOurs  # `format` is ours: pdf or csv
    scoped_model = SupplierOrder
    shop_field = "allocations__shop"

    @extend_schema(
        parameters=[PickingListQuery],
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY),
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY),
        },
    )
    def get(self, request, pk):
        supplier_order = get_object_or_404(
            selectors.supplier_order_list(user=request.user).prefetch_related(None), pk=pk
        )
        query = PickingListQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        matrix = selectors.picking_list(supplier_order=supplier_order)
        name = f"liste-de-preparation-{supplier_order.pk}"
        if query.validated_data["format"] == "csv":
            return _file(
                picking_csv(matrix), "text/csv; charset=utf-8", f"{name}.csv", inline=False
            )
        return _file(picking_list_pdf(supplier_order, matrix), "application/pdf", f"{name}.pdf")


class TourDropLine(serializers.Serializer):
    product = serializers.IntegerField()
    name = serializers.CharField()
    units = serializers.IntegerField()


class TourDropOutput(serializers.Serializer):
    round = serializers.IntegerField(source="round.pk")
    supplier_order = serializers.IntegerField(source="supplier_order.pk")
    supplier = serializers.CharField(source="round.supplier.name")
    received = serializers.SerializerMethodField()
    units = serializers.IntegerField()
    lines = serializers.SerializerMethodField()

    def get_received(self, drop) -> bool:
        return drop.supplier_order.status == SupplierOrder.Status.RECEIVED

    @extend_schema_field(TourDropLine(many=True))
    def get_lines(self, drop) -> list[dict]:
        return [
            {"product": product.pk, "name": product.name, "units": units}
            for product, units in drop.lines
        ]


class TourStopOutput(serializers.Serializer):
    stop = serializers.IntegerField()
    shop = serializers.IntegerField(source="shop.pk")
    name = serializers.CharField(source="shop.name")
    tour_position = serializers.IntegerField(source="shop.tour_position", allow_null=True)
    address = serializers.CharField(source="shop.address")
    postcode = serializers.CharField(source="shop.postcode")
    commune = serializers.CharField(source="shop.commune")
    phone = serializers.CharField(source="shop.phone")
    contact_name = serializers.CharField(source="shop.contact_name")
    opening_hours = serializers.CharField(source="shop.opening_hours")
    drops = TourDropOutput(many=True)


class TourOutput(serializers.Serializer):
    delivery_date = serializers.DateField()
    order = serializers.CharField()
    stops = TourStopOutput(many=True)


class TourView(APIView):
    permission_classes = [ActionRoles]
    default_roles = COORDINATOR_ONLY
    renderer_classes = [JSONRenderer]
    content_negotiation_class = FormatIsOurs  # `format` is ours: json or pdf

    @extend_schema(
        parameters=[TourQuery],
        responses={
            (200, "application/json"): TourOutput,
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY),
        },
    )
    def get(self, request, delivery_date):
        try:
            if not ISO_DATE.fullmatch(delivery_date):
                raise ValueError(delivery_date)
            day = dt.date.fromisoformat(delivery_date)
        except ValueError:
            raise serializers.ValidationError(
                {"delivery_date": ["Une date au format AAAA-MM-JJ (2026-11-26)."]}
            ) from None
        query = TourQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        order = query.validated_data["order"]
        stops = selectors.tour_of_day(user=request.user, delivery_date=day, order=order)
        if query.validated_data["format"] == "pdf":
            return _file(
                tour_pdf(day, stops, order=order),
                "application/pdf",
                f"tournee-{day.isoformat()}.pdf",
            )
        return Response(TourOutput({"delivery_date": day, "order": order, "stops": stops}).data)
