"""Upload handlers that keep proofs on disk while they arrive and drop oversized ones early."""

from django.conf import settings
from django.core.files.uploadhandler import SkipFile, StopUpload, TemporaryFileUploadHandler

from claims.uploads.checks import MB, ProofRejected, format_size, max_file_bytes


class StreamingUploadHandlers(list):
    """request.upload_handlers for proofs: every file goes to a temporary file on disk, a file
    over max_bytes is dropped as soon as it passes it (SkipFile: the other fields and files are
    still read), and a request over max_total_bytes stops there (StopUpload). What was dropped
    is a ProofRejected, with .file_name set, in rejected_uploads(request)."""

    def __init__(self, request=None, *, max_bytes=None, max_total_bytes=None):
        self.max_bytes = max_bytes or max_file_bytes()
        self.max_total_bytes = max_total_bytes or settings.PROOF_MAX_CLAIM_MB * MB
        self.rejected = []
        super().__init__([_DiskOnlyUploadHandler(self, request)])


def rejected_uploads(request):
    """The files StreamingUploadHandlers dropped while the body was read; call it after
    request.POST, request.FILES or DRF's request.data. Ask here rather than through
    request.upload_handlers.rejected: reading the body replaces request.upload_handlers with an
    immutable copy that keeps the handlers but not that attribute."""
    return [
        rejected
        for handler in request.upload_handlers
        if isinstance(handler, _DiskOnlyUploadHandler)
        for rejected in handler.handlers.rejected
    ]


class _DiskOnlyUploadHandler(TemporaryFileUploadHandler):
    def __init__(self, handlers, request=None):
        super().__init__(request)
        self.handlers = handlers
        self.received = 0  # bytes of every file in this request

    def new_file(self, field_name, file_name, *args, **kwargs):
        super().new_file(field_name, file_name, *args, **kwargs)
        # Only after super(): a SkipFile closes self.file, which must be this file's.
        if self.content_length is not None and self.content_length > self.handlers.max_bytes:
            self._reject("upload_too_large", self.handlers.max_bytes, SkipFile)

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > self.handlers.max_total_bytes:
            limit = self.handlers.max_total_bytes
            self._reject("request_too_large", limit, StopUpload(connection_reset=False))
        if start + len(raw_data) > self.handlers.max_bytes:
            self._reject("upload_too_large", self.handlers.max_bytes, SkipFile)
        return super().receive_data_chunk(raw_data, start)

    def _reject(self, code, limit, stop):
        rejected = ProofRejected(code, file_name=self.file_name, limit=format_size(limit))
        self.handlers.rejected.append(rejected)
        raise stop
