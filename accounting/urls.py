from django.urls import include, path

urlpatterns = [
    path("", include("accounting.apis.books")),
    path("", include("accounting.apis.statements")),
    path("", include("accounting.apis.fec")),
    path("", include("accounting.apis.sales")),
    path("", include("accounting.apis.years")),
    path("", include("accounting.apis.ereporting")),
]
