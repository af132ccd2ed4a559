"""Where proofs are kept and how they are handed back: server-chosen names, downloads only."""

import logging
import unicodedata
import uuid
from pathlib import PurePosixPath
from urllib.parse import quote

from django.core.files import File
from django.http import FileResponse
from django.utils import timezone

from claims.uploads.checks import ACCEPTED_TYPES

logger = logging.getLogger(__name__)

_DOWNLOAD_SUFFIXES = {
    "text/plain": {".txt", ".log"},
    "application/pdf": {".pdf"},
    "image/png": {".png"},
    "image/jpeg": {".jpg", ".jpeg"},
}


def server_name(extension, *, now=None):
    """Where a proof is stored: the date and a random id, nothing taken from the customer."""
    if extension not in ACCEPTED_TYPES.values():
        raise ValueError(f"{extension!r} is not the extension of an accepted proof type")
    now = now or timezone.now()
    return f"proofs/{now:%Y/%m}/{uuid.uuid4().hex}{extension}"


def store(uploaded_file, inspected, storage):
    """Write the proof under a new server name and return the name the storage used."""
    name = server_name(inspected.extension)
    try:
        # A plain File, not the upload: FileSystemStorage would move a temporary upload into
        # place instead, keeping the temporary file's mode; this way every backend streams it.
        return storage.save(name, File(uploaded_file, name=name))
    except BaseException:
        try:
            storage.delete(name)
        except Exception:
            logger.exception("could not remove the partly written proof %s", name)
        raise
    finally:
        uploaded_file.seek(0)


def proof_download_response(storage, name, *, content_type, display_name):
    """Stream a stored proof as a download that no browser will render or sniff as a page."""
    if content_type not in ACCEPTED_TYPES:
        raise ValueError(f"{content_type!r} is not an accepted proof type")
    response = FileResponse(storage.open(name, "rb"), content_type=content_type)
    response["Content-Disposition"] = _attachment(_download_name(display_name, content_type))
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


def _download_name(display_name, content_type):
    """The customer's name, with the served type's extension added when the name's own one
    would open the file in the wrong program (a log uploaded as ping.pdf is ping.pdf.txt)."""
    if PurePosixPath(display_name).suffix.lower() in _DOWNLOAD_SUFFIXES[content_type]:
        return display_name
    return display_name + ACCEPTED_TYPES[content_type]


def _attachment(file_name):
    """RFC 6266: an ASCII fallback for old clients, and the exact name as UTF-8 in filename*."""
    fallback = unicodedata.normalize("NFKD", file_name).encode("ascii", "ignore").decode()
    fallback = fallback.replace('"', "_").replace("\\", "_")
    if not fallback or fallback.startswith("."):
        fallback = "proof" + fallback
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(file_name, safe='')}"
