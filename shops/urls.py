from django.urls import path
from rest_framework.routers import SimpleRouter

from . import apis

router = SimpleRouter()
router.register("shops", apis.ShopViewSet, basename="shop")
router.register("users", apis.UserViewSet, basename="user")

urlpatterns = [
    path("auth/token/", apis.TokenView.as_view(), name="auth-token"),
    path("me/", apis.MeView.as_view(), name="me"),
    path("me/personal-data/", apis.PersonalDataView.as_view(), name="me-personal-data"),
    path("cooperative/", apis.CooperativeView.as_view(), name="cooperative-api"),
    *router.urls,
]
