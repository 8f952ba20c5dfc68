"""GET /api/tasks/{task_id}/: the state and progress of a task started through the API."""

from celery.result import AsyncResult
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from mache.celery import app
from mache.permissions import COORDINATOR_ONLY, ActionRoles


class TaskView(APIView):
    """Tasks are started by coordinators (consolidations, reports); so are they followed."""

    permission_classes = [ActionRoles]
    default_roles = COORDINATOR_ONLY

    @extend_schema(responses=inline_serializer("TaskState", {
        "state": serializers.CharField(), "progress": serializers.DictField(),
        "result": serializers.JSONField()}))
    def get(self, request, task_id):
        result = AsyncResult(task_id, app=app)
        state = result.state
        info = result.info
        progress = {"done": 0, "total": 0}
        payload = None
        if state == "PROGRESS" and isinstance(info, dict):
            progress = {"done": info.get("done", 0), "total": info.get("total", 0)}
        elif state == "SUCCESS":
            payload = result.result
            total = payload.get("total", 1) if isinstance(payload, dict) else 1
            progress = {"done": total, "total": total}
        elif state == "FAILURE":
            payload = {"error": type(info).__name__}
        return Response({"state": state, "progress": progress, "result": payload})
