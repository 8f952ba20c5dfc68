"""E-mails about stock: a recalled lot, to each shop concerned (docs/recalls.md). Sent by
the worker after commit (mache.notifications), once per shop: the line's `notified_at`
says it went."""

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from mache.formats import plural
from mache.notifications import notification
from shops.models import User

from .models import RecallShop


def _shop_emails(shop) -> list[str]:
    """The shop's address and those of its active shopkeepers."""
    people = User.objects.filter(is_active=True, role=User.Role.SHOPKEEPER, shops=shop).exclude(
        email=""
    )
    return sorted({shop.email, *people.values_list("email", flat=True)} - {""})


@notification("recall_notice")
def recall_notice(recall_shop_id: int) -> int:
    with transaction.atomic():
        line = (
            RecallShop.objects.select_for_update(of=("self",))
            .select_related("recall__product__supplier", "shop")
            .filter(pk=recall_shop_id)
            .first()
        )
        if line is None or line.notified_at is not None:
            return 0  # gone, or already told (a task delivered twice)
        recipients = _shop_emails(line.shop)
        if not recipients:
            return 0
        recall, product = line.recall, line.recall.product
        url = f"{settings.SITE_URL}{reverse('recall', args=[recall.pk])}?shop={line.shop_id}"
        body = "\n".join(
            [
                "Bonjour,",
                "",
                f"La coopérative rappelle le lot {recall.lot} de « {product.name} » "
                f"({product.supplier.name}, réf. {product.sku}).",
                f"Motif : {recall.reason}",
                "",
                f"{line.shop.name} a reçu {plural(line.received, 'unité', 'unités')} de ce lot ; "
                f"{plural(line.left, 'unité reste', 'unités restent')} en stock, à retirer.",
                "Retirez-les de la vente dès maintenant : le lot ne peut plus être vendu ni "
                "sorti en perte. Confirmez ensuite le retrait sur votre page :",
                url,
            ]
        )
        sent = send_mail(
            f"[MACHE] Rappel du lot {recall.lot} : {product.name}", body, None, recipients
        )
        line.notified_at = timezone.now()
        line.save(update_fields=["notified_at"])
    return sent
