"""Request-wide middleware of the portal."""


class UploadCleanupMiddleware:
    """Close every upload handler's file when the request ends, so an upload cut off half-way
    (a client that stopped sending, a body read that timed out) removes its temporary file now.

    Django closes only the files of a body it finished reading (request.FILES); a partial one
    stays referenced by its handler, in a reference cycle with the request, until the garbage
    collector happens to run, and a worker killed meanwhile leaves it on disk for good.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            return self.get_response(request)
        finally:
            # Only handlers that were built: reading request.upload_handlers would build them.
            for handler in request.__dict__.get("_upload_handlers", ()):
                file = getattr(handler, "file", None)
                if file is not None and not file.closed:
                    file.close()
