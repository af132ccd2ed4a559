"""What a proof really is: its name made safe, its type judged by content, never by name."""

import codecs
import hashlib
import unicodedata
from dataclasses import dataclass

import filetype
from django.conf import settings
from PIL import Image

MB = 1024 * 1024
ACCEPTED_TYPES = {
    "text/plain": ".txt",
    "application/pdf": ".pdf",
    "image/png": ".png",
    "image/jpeg": ".jpg",
}
MAX_NAME_LENGTH = 200
MAX_IMAGE_PIXELS = 50_000_000  # far above any screen; decoding is where image bombs hurt
HEAD_BYTES = 64 * 1024
CHUNK_BYTES = 64 * 1024
TAIL_BYTES = 4 * 1024  # %%EOF sits in the last 1024 bytes; leave room for trailing junk
MARKUP_WINDOW = 1024  # characters: a browser sniffing for HTML looks at about the first 512 bytes

MESSAGES = {
    "too_large": "This file is {size}; the limit is {limit} per file.",
    "upload_too_large": "This file is too large: the limit is {limit} per file.",
    "request_too_large": (
        "These files are too large together: the limit is {limit} per claim. "
        "Attach fewer or smaller files."
    ),
    "empty": "This file is empty: check that you picked the right file and attach it again.",
    "executable": (
        "This file is a program, not a proof: attach ping, DNS or telnet output as text, "
        "a PDF or a screenshot."
    ),
    "archive": "Archives are not accepted: attach each log, PDF or screenshot on its own.",
    "markup": "HTML and other markup is not accepted: save the test output as plain text (.txt).",
    "pdf_damaged": (
        "This PDF is incomplete or damaged: save or print it as PDF again and attach the new file."
    ),
    "image_damaged": (
        "This image is damaged or is not really a PNG or JPEG: save the screenshot again as PNG "
        "or JPEG and attach the new file."
    ),
    "image_too_big": (
        "This image has more than 50 million pixels: attach a screenshot at the screen's own size."
    ),
    "unsupported": "This kind of file is not accepted: attach plain text, PDF, PNG or JPEG.",
    "name_empty": "The file has no name: give it a name and attach it again.",
    "name_too_long": (
        "The file name is {length} characters long; the limit is 200: shorten it and attach it "
        "again."
    ),
    "name_path": (
        'The file name contains a folder path ("/", "\\" or ".."): attach the file under its '
        "own name only."
    ),
    "name_control": (
        "The file name contains invisible control characters: rename the file and attach it again."
    ),
}

_BIDI_CONTROLS = set("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_EXECUTABLE_MAGIC = (
    b"\x7fELF",
    b"MZ",
    b"\xfe\xed\xfa\xce",
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",  # Mach-O universal binary (also a Java class)
)
_EXECUTABLE_TYPES = {"application/x-msdownload", "application/x-executable", "application/wasm"}
_ARCHIVE_TYPES = {
    "application/zip",
    "application/x-tar",
    "application/x-rar-compressed",
    "application/gzip",
    "application/x-bzip2",
    "application/x-7z-compressed",
    "application/x-xz",
    "application/zstd",
    "application/x-lzip",
    "application/x-lz4",
    "application/x-lzop",
    "application/x-compress",
    "application/x-brotli",
    "application/vnd.ms-cab-compressed",
    "application/x-unix-archive",
    "application/x-deb",
    "application/x-rpm",
}
_IMAGE_FORMATS = {"image/png": "PNG", "image/apng": "PNG", "image/jpeg": "JPEG"}
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_MARKUP = ("<!doctype html", "<html", "<head", "<body", "<script", "<iframe", "<svg", "<?xml")
_HARMLESS_CONTROLS = set("\t\n\r\f\v\b\a\x1b")  # layout, backspace, bell, terminal colours


class ProofRejected(Exception):
    """A proof the portal will not keep; .message tells the customer what to do instead."""

    def __init__(self, code, *, file_name=None, **params):
        self.code = code
        self.message = MESSAGES[code].format(**params)
        if file_name:  # dropped while the request streamed in: say which file
            self.message = f"{file_name}: {self.message}"
        self.file_name = file_name
        super().__init__(self.message)


@dataclass(frozen=True)
class Inspected:
    """What inspect_upload found: the type by content, and the name to show the customer."""

    content_type: str
    extension: str
    size: int
    sha256: str
    display_name: str


def max_file_bytes():
    return settings.PROOF_MAX_FILE_MB * MB


def format_size(size):
    """Sizes the way the limit is stated; rounded up, so a file over the limit never reads as
    equal to it."""
    for unit, scale in (("MB", MB), ("KB", 1024)):
        if size >= scale:
            tenths = -(-size * 10 // scale)
            return f"{tenths // 10}{f'.{tenths % 10}' if tenths % 10 else ''} {unit}"
    return f"{size} bytes"


def clean_display_name(name):
    """The customer's file name, safe to show and to put in a Content-Disposition header."""
    name = unicodedata.normalize("NFC", (name or "").strip())
    if not name:
        raise ProofRejected("name_empty")
    if any(unicodedata.category(ch) in {"Cc", "Cs", "Zl", "Zp"} for ch in name) or (
        _BIDI_CONTROLS & set(name)  # right-to-left override makes "gnp.exe" look like "exe.png"
    ):
        raise ProofRejected("name_control")
    if "/" in name or "\\" in name or name in {".", ".."}:
        raise ProofRejected("name_path")
    if len(name) > MAX_NAME_LENGTH:
        raise ProofRejected("name_too_long", length=len(name))
    return name


def inspect_upload(uploaded_file, *, max_bytes):
    """What the upload really is, or ProofRejected saying what to attach instead.

    Reads the first 64 KB and the last 4 KB, then streams the file once for its size and SHA-256;
    a picture is also parsed by Pillow. Leaves the file at position 0.
    """
    display_name = clean_display_name(uploaded_file.name)
    try:
        uploaded_file.seek(0, 2)
        size = uploaded_file.tell()
        if size > max_bytes:
            raise ProofRejected("too_large", size=format_size(size), limit=format_size(max_bytes))
        if size == 0:
            raise ProofRejected("empty")
        uploaded_file.seek(0)
        head = uploaded_file.read(HEAD_BYTES)
        uploaded_file.seek(max(0, size - TAIL_BYTES))
        tail = uploaded_file.read(TAIL_BYTES)
        content_type, text_encoding = _classify(head, tail)
        sha256, size = _digest(uploaded_file, text_encoding)
        if size > max_bytes:  # grew since the first look
            raise ProofRejected("too_large", size=format_size(size), limit=format_size(max_bytes))
        if content_type in _IMAGE_FORMATS:
            _verify_image(uploaded_file, _IMAGE_FORMATS[content_type])
            content_type = "image/png" if content_type == "image/apng" else content_type
    finally:
        uploaded_file.seek(0)
    return Inspected(content_type, ACCEPTED_TYPES[content_type], size, sha256, display_name)


def _classify(head, tail):
    """The accepted content type, and for text how to check the rest of it ("utf-16", "8-bit")."""
    if head.startswith(_EXECUTABLE_MAGIC):
        raise ProofRejected("executable")
    if head.startswith(_UTF16_BOMS):  # what Windows PowerShell writes with > or Out-File
        try:
            text = codecs.getincrementaldecoder("utf-16")().decode(head, final=False)
        except UnicodeDecodeError:
            raise ProofRejected("unsupported") from None
        return _check_text(text), "utf-16"
    kind = filetype.guess(head)
    mime = kind.mime if kind else None
    if mime in _EXECUTABLE_TYPES:
        raise ProofRejected("executable")
    if mime in _ARCHIVE_TYPES:
        raise ProofRejected("archive")
    if mime == "application/pdf":
        if not head.startswith(b"%PDF-") or b"%%EOF" not in tail:
            raise ProofRejected("pdf_damaged")
        return mime, None
    if mime in _IMAGE_FORMATS:
        return mime, None
    # Other signatures ("BM", "%!", "ID3", ...) can start a text log: refused only if not text.
    if b"\x00" in head:
        raise ProofRejected("unsupported")
    try:
        text = codecs.getincrementaldecoder("utf-8-sig")().decode(head, final=False)
    except UnicodeDecodeError:
        text = head.decode("latin-1")  # old logs; every byte is some character
    return _check_text(text), "8-bit"


def _check_text(text):
    controls = sum(1 for ch in text if ch < " " and ch not in _HARMLESS_CONTROLS)
    if "\x00" in text or controls > len(text) // 100:
        raise ProofRejected("unsupported")
    if any(marker in text[:MARKUP_WINDOW].lower() for marker in _MARKUP):
        raise ProofRejected("markup")
    if text.startswith("#!"):
        raise ProofRejected("executable")
    return "text/plain"


def _digest(uploaded_file, text_encoding):
    """SHA-256 and size from one streaming pass; text is also checked for NULs past the head."""
    sha256 = hashlib.sha256()
    size = 0
    utf16 = codecs.getincrementaldecoder("utf-16")() if text_encoding == "utf-16" else None
    uploaded_file.seek(0)
    try:
        # Not uploaded_file.chunks(): for an InMemoryUploadedFile that is one read of everything.
        while chunk := uploaded_file.read(CHUNK_BYTES):
            sha256.update(chunk)
            size += len(chunk)
            if text_encoding == "8-bit" and b"\x00" in chunk:
                raise ProofRejected("unsupported")
            if utf16 and "\x00" in utf16.decode(chunk):
                raise ProofRejected("unsupported")
        if utf16:
            utf16.decode(b"", final=True)
    except UnicodeDecodeError:
        raise ProofRejected("unsupported") from None
    return sha256.hexdigest(), size


def _verify_image(uploaded_file, image_format):
    """PNG: every chunk up to IEND is walked and its CRC checked. JPEG: the markers are parsed
    and the scan data decoded at 1/8 scale, which reads all of it for a 64th of the memory."""
    uploaded_file.seek(0)
    try:
        with Image.open(uploaded_file, formats=[image_format]) as image:
            if image.width * image.height > MAX_IMAGE_PIXELS:
                raise ProofRejected("image_too_big")
            if image_format == "PNG":
                image.verify()
            else:
                image.draft("RGB", (max(1, image.width // 8), max(1, image.height // 8)))
                image.load()
    except Image.DecompressionBombError:
        raise ProofRejected("image_too_big") from None
    except (OSError, SyntaxError, ValueError, EOFError):
        raise ProofRejected("image_damaged") from None
