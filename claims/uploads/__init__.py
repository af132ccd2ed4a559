"""Proof files: what a customer may attach to a claim, and how it is checked, stored and served.

A proof is judged by its content, never by its name: plain text (ping, DNS or telnet output), PDF,
PNG or JPEG. It is stored under a name the server chooses and served only as a download, with
headers that stop a browser from rendering it, so a file that slips past the checks still cannot
run in the portal's origin.

Uploads stream to a temporary file on disk, never to memory, and a file over the limit is dropped
as soon as it passes it. The handlers must be installed before anything reads request.POST or
request.FILES, and CsrfViewMiddleware reads request.POST to find the token, so a view exempts
itself from the middleware and runs the same CSRF check itself once the handlers are in place::

    from django.core.files.storage import storages
    from django.views.decorators.csrf import csrf_exempt, csrf_protect

    from claims.uploads import (
        ProofRejected,
        StreamingUploadHandlers,
        inspect_upload,
        max_file_bytes,
        rejected_uploads,
        store,
    )


    @csrf_exempt
    def add_proof(request, pk):
        request.upload_handlers = StreamingUploadHandlers(request)
        return _add_proof(request, pk)


    @csrf_protect
    def _add_proof(request, pk):
        form = ProofForm(request.POST, request.FILES)
        for rejected in rejected_uploads(request):  # too large: dropped while uploading
            form.add_error("file", rejected.message)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                inspected = inspect_upload(upload, max_bytes=max_file_bytes())
            except ProofRejected as rejected:
                form.add_error("file", rejected.message)
            else:
                name = store(upload, inspected, storages["proofs"])
                ...

A DRF view installs them in ``initialize_request``, before authentication reads the body, and
asks rejected_uploads(request) after request.data::

    def initialize_request(self, request, *args, **kwargs):
        request.upload_handlers = StreamingUploadHandlers(request)
        return super().initialize_request(request, *args, **kwargs)
"""

from claims.uploads.checks import (
    ACCEPTED_TYPES,
    MESSAGES,
    Inspected,
    ProofRejected,
    clean_display_name,
    inspect_upload,
    max_file_bytes,
)
from claims.uploads.handlers import StreamingUploadHandlers, rejected_uploads
from claims.uploads.storage import proof_download_response, server_name, store

__all__ = [
    "ACCEPTED_TYPES",
    "MESSAGES",
    "Inspected",
    "ProofRejected",
    "StreamingUploadHandlers",
    "clean_display_name",
    "inspect_upload",
    "max_file_bytes",
    "proof_download_response",
    "rejected_uploads",
    "server_name",
    "store",
]
