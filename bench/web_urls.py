"""The benchmark's own URLconf (bench.web_settings): the portal's, plus an endpoint that reads
a request's body and throws it away, the yardstick of upload speed. It is never shipped in
portal.urls."""

from django.http import JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from portal.urls import urlpatterns as portal_urlpatterns


@csrf_exempt
def discard(request):
    """Read the raw body in 64 KB pieces and keep nothing: what an upload costs at the least."""
    size = 0
    while chunk := request.read(65536):
        size += len(chunk)
    return JsonResponse({"read": size})


urlpatterns = [path("bench/discard/", discard), *portal_urlpatterns]
