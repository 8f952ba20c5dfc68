"""Stock pages of a shop: balances with their value, alerts, a product's lots and
minimum level, recording a loss (htmx: the page's stock panel is redrawn in place) and
a physical count. Each page reads through the inventory selectors and writes through
the inventory services, as the API does."""

from decimal import Decimal

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django_htmx.http import reswap

from mache.errors import InvalidInput
from mache.formats import format_date, plural
from mache.forms import add_service_errors, posted
from mache.periods import paris_today
from shops.models import User
from shops.views import role_required, shop_page

from . import selectors, services
from .forms import CountForm, LossForm, MinimumForm
from .models import StockMovement
from .recall_views import page_urlpatterns as recall_pages
from .services import InsufficientStock

RECENT_MOVEMENTS = 20
RECENT_COUNTS = 5


def _shop_url(name, shop, *args):
    # Forms post to the shop they show, whatever another tab chose since.
    return f"{reverse(name, args=args)}?shop={shop.pk}"


@role_required(User.Role.SHOPKEEPER)
def stock(request):
    """GET: the stock. POST: record a loss; from htmx, only the stock panel is redrawn."""
    context = shop_page(request)
    shop = context["shop"]
    balances = _balances(request, shop)
    form = LossForm(posted(request), balances=balances)
    recorded = request.method == "POST" and form.is_valid() and _loss_record(request, shop, form)
    if recorded:
        if not request.htmx:
            return redirect(_shop_url("shop-stock", shop))
        balances = _balances(request, shop)  # the new quantities, and a fresh form
        form = LossForm(balances=balances)
    context.update(_stock_figures(shop, balances), form=form, action=_shop_url("shop-stock", shop))
    if not request.htmx:
        return render(request, "inventory/stock.html", context)
    # After a loss the reader goes back to the top, where the message and the new
    # figures are; after an error, to the form and its messages.
    response = render(request, "inventory/_stock_panel.html", context)
    return reswap(
        response, "outerHTML show:window:top" if recorded else "outerHTML show:#perte:top"
    )


def _balances(request, shop) -> list:
    return list(selectors.balance_list(user=request.user).filter(shop=shop))


def _loss_record(request, shop, form) -> bool:
    """Record the loss of a valid form; False with the service's refusal on the form."""
    data = form.cleaned_data
    try:
        services.movement_create(
            shop=shop,
            product=data["product"],
            kind="loss",
            quantity=data["quantity"],
            reason=data["reason"],
            user=request.user,
        )
    except InvalidInput as exc:
        add_service_errors(form, exc)
        return False
    except InsufficientStock as exc:
        add_service_errors(form, exc, field="quantity")
        return False
    reason = StockMovement.Reason(data["reason"]).label.lower()
    messages.success(
        request, f"Perte enregistrée : {data['quantity']} × {data['product'].name} ({reason})."
    )
    return True


def _stock_figures(shop, balances) -> dict:
    alerts = selectors.alerts(shop=shop)
    return {
        "balances": balances,
        "alerts": alerts,
        "today": paris_today(),
        "low_ids": {balance.product_id for balance in alerts["low_stock"]},
        # The sum of the values shown, each already rounded to the cent.
        "total": sum((balance.value for balance in balances), start=Decimal("0.00")),
    }


@role_required(User.Role.SHOPKEEPER)
def product_stock(request, product_id):
    """One product: its lots, its recent movements, its minimum level (POST)."""
    context = shop_page(request)
    shop = context["shop"]
    balance = (
        selectors.balance_list(user=request.user).filter(shop=shop, product_id=product_id).first()
    )
    if balance is None:
        raise Http404
    form = MinimumForm(posted(request), initial={"minimum": balance.minimum})
    if request.method == "POST" and form.is_valid():
        minimum = form.cleaned_data["minimum"]
        services.minimum_set(shop=shop, product=balance.product, minimum=minimum)
        messages.success(
            request,
            f"Stock minimum de {balance.product.name} : {plural(minimum, 'unité', 'unités')}."
            if minimum is not None
            else f"{balance.product.name} n'a plus de stock minimum.",
        )
        return redirect(_shop_url("shop-stock-product", shop, product_id))
    context.update(
        {
            "balance": balance,
            "form": form,
            "action": _shop_url("shop-stock-product", shop, product_id),
            "lots": selectors.open_lot_list(user=request.user).filter(
                shop=shop, product_id=product_id
            ),
            "movements": selectors.movement_list(user=request.user).filter(
                shop=shop, product_id=product_id
            )[:RECENT_MOVEMENTS],
        }
    )
    return render(request, "inventory/product.html", context)


@role_required(User.Role.SHOPKEEPER)
def stock_count(request):
    """A physical count of some or all of the shop's products."""
    context = shop_page(request)
    shop = context["shop"]
    balances = selectors.balance_list(user=request.user).filter(shop=shop)
    form = CountForm(posted(request), balances=balances)
    if request.method == "POST" and form.is_valid():
        try:
            count = services.stock_count_record(
                shop=shop,
                counted_on=form.cleaned_data["counted_on"],
                lines=form.lines(),
                user=request.user,
            )
        except InvalidInput as exc:
            add_service_errors(form, exc)
        else:
            _, lines, gaps = _count_summary(count)
            messages.success(
                request,
                f"Inventaire du {format_date(count.counted_on)} "
                f"enregistré : {plural(lines, 'produit compté', 'produits comptés')}, "
                f"{plural(gaps, 'écart corrigé', 'écarts corrigés')} dans le stock.",
            )
            return redirect(_shop_url("shop-stock", shop))
    context.update(
        {
            "form": form,
            "action": _shop_url("shop-stock-count", shop),
            "counts": [
                _count_summary(count)
                for count in selectors.count_list(user=request.user).filter(shop=shop)[
                    :RECENT_COUNTS
                ]
            ],
        }
    )
    return render(request, "inventory/count.html", context)


def _count_summary(count) -> tuple:
    """(count, products counted, products whose count differed from the stock)."""
    lines = count.lines.all()  # prefetched by count_list
    return count, len(lines), sum(line.counted != line.expected for line in lines)


page_urlpatterns = [
    *recall_pages,
    path("stock/", stock, name="shop-stock"),
    path("stock/inventaire/", stock_count, name="shop-stock-count"),
    path("stock/produits/<int:product_id>/", product_stock, name="shop-stock-product"),
]
