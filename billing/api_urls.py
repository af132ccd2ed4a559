from rest_framework.routers import SimpleRouter

from billing.api import CreditViewSet, InvoiceViewSet

router = SimpleRouter()
router.register("credits", CreditViewSet, basename="api-credits")
router.register("invoices", InvoiceViewSet, basename="api-invoices")
urlpatterns = router.urls
