from django.urls import path
from rest_framework.routers import SimpleRouter

from . import apis

router = SimpleRouter()
router.register("reports", apis.ReportViewSet, basename="report")

urlpatterns = [
    path("tasks/<str:task_id>/", apis.TaskView.as_view(), name="task"),
    path("exports/archive/", apis.ArchiveView.as_view(), name="export-archive"),
    path("impact/", apis.ImpactView.as_view(), name="api-impact"),
    path("impact/report/", apis.ImpactReportView.as_view(), name="api-impact-report"),
    *router.urls,
]
