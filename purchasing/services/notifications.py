"""E-mails about rounds. Sent by worker tasks enqueued after commit, so that a slow or
failing mail server never holds or undoes a consolidation or a receipt: a service
calls `mache.notifications.notify_on_commit(round_consolidated, pk)`."""

from django.conf import settings
from django.core.mail import send_mail

from mache.formats import format_date, format_eur
from mache.notifications import notification
from shops.models import User

from ..models import Round, SupplierOrder


def _coordinator_emails() -> list[str]:
    return list(
        User.objects.filter(is_active=True, role=User.Role.COORDINATOR)
        .exclude(email="")
        .values_list("email", flat=True)
    )


@notification("round_consolidated")
def round_consolidated(supplier_order_id: int) -> int:
    supplier_order = SupplierOrder.objects.select_related("round__supplier").get(
        pk=supplier_order_id
    )
    round_ = supplier_order.round
    review = supplier_order.status == SupplierOrder.Status.NEEDS_REVIEW
    subject = f"[MACHE] Tournée {round_.supplier.name} : " + (
        "commande à valider" if review else "commande consolidée"
    )
    lines = [
        f"La tournée {round_.supplier.name} (livraison le {format_date(round_.delivery_date)}) "
        "est consolidée.",
        f"Total HT : {format_eur(supplier_order.total_excl_vat)} ; "
        f"port : {format_eur(supplier_order.shipping)}.",
    ]
    if review:
        lines.append(
            "Le minimum de commande n'est pas atteint : confirmez la commande ou "
            "annulez la tournée."
        )
    lines += [f"- {warning}" for warning in supplier_order.warnings]
    lines.append(f"{settings.SITE_URL}/api/rounds/{round_.pk}/consolidation/")
    recipients = _coordinator_emails()
    if not recipients:
        return 0
    return send_mail(subject, "\n".join(lines), None, recipients)


@notification("round_cancelled")
def round_cancelled(round_id: int) -> int:
    round_ = Round.objects.select_related("supplier").get(pk=round_id)
    recipients = sorted(
        set(
            User.objects.filter(
                is_active=True, role=User.Role.SHOPKEEPER, shops__orders__round=round_
            )
            .exclude(email="")
            .values_list("email", flat=True)
        )
    )
    if not recipients:
        return 0
    body = (
        f"La tournée {round_.supplier.name} prévue pour le {format_date(round_.delivery_date)} "
        "est annulée par la coopérative. Votre commande est conservée pour mémoire ; "
        "rien ne vous sera livré ni facturé pour cette tournée."
    )
    return send_mail(f"[MACHE] Tournée {round_.supplier.name} annulée", body, None, recipients)
