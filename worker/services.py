"""Monthly management reports: what to generate, and storing each one safely.

`reports_generate` checks the request, records a TaskRun (the progress the API shows)
and one Report row per shop and month (kept and reused: regeneration replaces the file),
then, after commit, sends one task per report so that workers share the load (the task
and the building of one report: worker.reports.build).
"""

import uuid

from django.db import transaction
from django.db.models import Q

from mache.errors import InvalidInput
from mache.formats import format_date, format_month_name
from mache.outbox import enqueue_many_on_commit
from mache.periods import last_day_of_month, parse_month
from shops.dates import cooperative_founded_on, member_by_month_end, report_month_error
from shops.models import Shop

from .models import Report, TaskRun
from .reports.build import generate_report


def _check_request(*, month: str, shop_ids) -> tuple:
    """The month (over: shops.dates.report_month_error, or the whole request is refused)
    and the shops: those named, each a member by the end of the month (400 naming the
    others), or every active shop that had joined by then, with the cooperative."""
    errors = {}
    try:
        first_day = parse_month(month)
    except (TypeError, ValueError):
        raise InvalidInput({"month": ["Mois attendu au format AAAA-MM."]}) from None
    if error := report_month_error(first_day):
        raise InvalidInput({"month": [error]})
    if shop_ids is None:
        if not member_by_month_end(None, first_day):
            raise InvalidInput(
                {
                    "month": [
                        f"La coopérative n'existait pas encore en {format_month_name(first_day)} "
                        f"(création le {format_date(cooperative_founded_on())})."
                    ]
                }
            )
        shops = list(
            Shop.objects.filter(
                status=Shop.Status.ACTIVE,
                joined_on__isnull=False,
                joined_on__lte=last_day_of_month(first_day),
            ).order_by("pk")
        )
        with_cooperative = True
    else:
        found = Shop.objects.in_bulk(list(shop_ids))
        missing = [str(i) for i in shop_ids if i not in found]
        if missing:
            errors["shops"] = [
                f"{'Commerces inconnus' if len(missing) > 1 else 'Commerce inconnu'} : "
                f"{', '.join(missing)}."
            ]
        shops = [found[i] for i in dict.fromkeys(shop_ids) if i in found]
        late = [s.name for s in shops if not member_by_month_end(s, first_day)]
        if late:
            errors.setdefault("shops", []).append(
                f"{'Pas encore adhérents' if len(late) > 1 else 'Pas encore adhérent'} en "
                f"{format_month_name(first_day)} : {', '.join(late)}."
            )
        with_cooperative = False
    if errors:
        raise InvalidInput(errors)
    return first_day, shops, with_cooperative


def reports_generate(*, month: str, shop_ids: list[int] | None) -> TaskRun:
    """Generate the reports of a month: the shops named, or every active shop and the
    cooperative when `shop_ids` is None. Returns the run whose id the API gives out."""
    first_day, shops, with_cooperative = _check_request(month=month, shop_ids=shop_ids)
    with transaction.atomic():
        run = TaskRun.objects.create(
            id=str(uuid.uuid4()), kind="reports", total=len(shops) + with_cooperative
        )
        targets = [*(s.pk for s in shops), *([None] if with_cooperative else [])]
        Report.objects.bulk_create(
            [Report(shop_id=shop_id, month=first_day) for shop_id in targets], ignore_conflicts=True
        )
        wanted = Q(shop_id__in=[s.pk for s in shops])
        if with_cooperative:
            wanted |= Q(shop__isnull=True)
        reports = list(
            Report.objects.select_for_update().filter(wanted, month=first_day).order_by("pk")
        )
        for report in reports:
            report.status, report.run, report.error = Report.Status.PENDING, run, ""
        Report.objects.bulk_update(reports, ["status", "run", "error"])
        # Through the outbox: a broker down now delays the reports, it loses none.
        enqueue_many_on_commit(generate_report, [(r.pk,) for r in reports])
    return run
