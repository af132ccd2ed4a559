from rest_framework.routers import SimpleRouter

from claims.api.claims import ClaimViewSet
from claims.api.review import ReviewQueueViewSet

router = SimpleRouter()
router.register("claims", ClaimViewSet, basename="api-claims")
router.register("review-queue", ReviewQueueViewSet, basename="api-review-queue")
urlpatterns = router.urls
