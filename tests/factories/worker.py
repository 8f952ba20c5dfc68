"""Monthly reports."""

import factory
from django.core.files.base import ContentFile
from django.utils import timezone

from mache.periods import current_month, previous_month
from worker.models import Report

REPORT_PDF = b"%PDF-1.4\n% rapport de test\n%%EOF\n"


class ReportFactory(factory.django.DjangoModelFactory):
    """A report of last month, pending (the pipeline has not run)."""

    class Meta:
        model = Report

    shop = None
    month = factory.LazyFunction(lambda: previous_month(current_month()))
    status = Report.Status.PENDING


def ready_report(shop, month=None, content=REPORT_PDF) -> Report:
    """A generated report of `shop` (None: the cooperative's) with its PDF stored."""
    report = ReportFactory(
        shop=shop,
        month=month or previous_month(current_month()),
        status=Report.Status.READY,
        generated_at=timezone.now(),
    )
    report.file.save(
        f"rapport-{shop.pk if shop else 'coop'}-{report.month:%Y-%m}.pdf", ContentFile(content)
    )
    return report
