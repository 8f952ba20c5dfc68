from rest_framework.routers import SimpleRouter

from . import apis

router = SimpleRouter()
router.register("suppliers", apis.SupplierViewSet, basename="supplier")
router.register("products", apis.ProductViewSet, basename="product")

urlpatterns = router.urls
