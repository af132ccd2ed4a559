from rest_framework.routers import SimpleRouter

from claims.api import ClaimViewSet

router = SimpleRouter()
router.register("claims", ClaimViewSet, basename="api-claims")
urlpatterns = router.urls
