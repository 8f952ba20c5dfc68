"""Pages of this app (server-rendered, French). Placeholders until each page lands."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import path


def _placeholder(title):
    @login_required
    def view(request):
        return render(request, "mache/placeholder.html", {"title": title})

    return view


page_urlpatterns = [
    path("rapports/", _placeholder("Rapports"), name="shop-reports"),
    path("coordination/rapports/", _placeholder("Rapports"), name="coord-reports"),
]
