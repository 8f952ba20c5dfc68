from django.urls import path

from . import apis

urlpatterns = [path("tasks/<str:task_id>/", apis.TaskView.as_view(), name="task")]
