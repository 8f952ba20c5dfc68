"""Orders of shops in rounds, and the shops' invoices."""

import django_filters
from django.shortcuts import get_object_or_404
from django.utils.functional import cached_property
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from mache.documents import document_response
from mache.errors import InvalidInput
from mache.periods import paris_today
from mache.permissions import COORDINATOR, SHOPKEEPER, ActionRoles
from shops.selectors import shop_list

from .. import einvoice_rules, selectors
from ..documents import invoice_pdf_document, invoice_xml_document
from ..models import Invoice, Order
from ..rules import INVOICE_STATUS_CHOICES
from ..services import orders
from .serializers import InvoiceSerializer, OrderInput, OrderLinesInput, OrderOutput

ORDERING_ROLES = frozenset({COORDINATOR, SHOPKEEPER})
WRITES = frozenset({"update", "partial_update", "destroy"})


class OrderViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = OrderOutput
    permission_classes = [ActionRoles]
    action_roles = {
        "create": ORDERING_ROLES,
        "update": ORDERING_ROLES,
        "partial_update": ORDERING_ROLES,
        "destroy": ORDERING_ROLES,
    }
    scoped_model = Order
    shop_field = "shop"
    filterset_fields = ["round", "shop"]

    def get_queryset(self):
        orders_seen = selectors.order_list(user=self.request.user)
        if self.action in WRITES:
            # A write needs the order and its shop, not its lines (read again after it):
            # the deadline rush's writes save a query and the prefetch (issue 18).
            return orders_seen.prefetch_related(None).select_related("shop")
        return orders_seen

    def filter_queryset(self, queryset):
        # A write names its order by id: the list's filters (?round=, ?shop=) have nothing
        # to narrow, and building them cost a write a millisecond (issue 18).
        if self.action in WRITES:
            return queryset
        return super().filter_queryset(queryset)

    @extend_schema(request=OrderInput, responses=OrderOutput)
    def create(self, request):
        serializer = OrderInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        round_ = get_object_or_404(selectors.round_list(user=request.user), pk=data["round"])
        shop = _ordering_shop(request.user, data.get("shop"))
        order = orders.order_place(
            round_id=round_.pk,
            shop=shop,
            lines=data["lines"],
            user=request.user,
            read_round=round_,
        )
        # The order as written, its lines with it: nothing to read again (issue 18).
        return Response(OrderOutput(order).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=OrderLinesInput, responses=OrderOutput)
    def update(self, request, pk=None, partial=False):
        order = self.get_object()
        serializer = OrderLinesInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        order = orders.order_replace_lines(order=order, lines=serializer.validated_data["lines"])
        return Response(OrderOutput(order).data)

    def partial_update(self, request, pk=None):
        return self.update(request, pk=pk, partial=True)

    def destroy(self, request, pk=None):
        orders.order_withdraw(order=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


def _ordering_shop(user, shop_id):
    """The shop named, among those the user sees; or the user's only shop if none named."""
    visible = shop_list(user=user)
    if shop_id is None:
        candidates = list(visible[:2])
        if len(candidates) != 1:
            raise InvalidInput({"shop": ["Précisez le commerce qui commande."]})
        return candidates[0]
    shop = visible.filter(pk=shop_id).first()
    if shop is None:
        raise InvalidInput({"shop": [f"Commerce {shop_id} inconnu."]})
    return shop


class InvoiceFilter(django_filters.FilterSet):
    # Filtered in the database on the status annotated by selectors.invoices_with_due;
    # a value outside the five is a 400 naming `status`, as for the other filters.
    status = django_filters.ChoiceFilter(field_name="due_status", choices=INVOICE_STATUS_CHOICES)
    # The e-invoicing lifecycle, annotated by selectors.with_einvoice_status (issue 15).
    einvoice_status = django_filters.ChoiceFilter(choices=einvoice_rules.STATUS_CHOICES)

    class Meta:
        model = Invoice
        fields = ["shop", "round", "status", "einvoice_status"]


class InvoiceViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = InvoiceSerializer
    permission_classes = [ActionRoles]
    scoped_model = Invoice
    shop_field = "shop"
    filterset_class = InvoiceFilter

    @cached_property
    def today(self):
        # One business day (Paris) for the whole answer: the filter and every status agree.
        return paris_today()

    def get_queryset(self):
        return selectors.invoices_with_due(
            selectors.invoice_list(user=self.request.user), today=self.today
        )

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "today": self.today}

    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def pdf(self, request, pk=None):
        """The Factur-X PDF as issued (docs/documents.md): the same bytes every time."""
        return document_response(invoice_pdf_document(self.get_object()), request)

    @extend_schema(responses={(200, "application/xml"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def xml(self, request, pk=None):
        """The CII XML alone (Factur-X EN 16931), the same as the PDF embeds, as issued."""
        return document_response(invoice_xml_document(self.get_object()), request)
