"""What an uploaded file really is, read from its bytes (never from its name or the browser's
type), and the safe copy that is kept of it.

- Images (JPEG, PNG, WebP): recognised by their signature, opened by Pillow as that format
  only, refused past ``max_pixels`` (decompression bombs: Pillow's own warning counts as a
  refusal too) or when they cannot be decoded whole (truncated, damaged), then re-encoded from
  their pixels alone: EXIF (GPS position, camera), XMP, ICC profiles and text chunks are not
  copied. A thumbnail is made from the same pixels.
- PDF: a ``%PDF-x.y`` header and a ``%%EOF`` trailer; refused when encrypted (it could not be
  checked) or when it holds active content (JavaScript, an action run on opening, a program to
  launch, embedded files, rich media, an XFA form): looked for first in the raw names of the
  file (``#xx`` escapes decoded), then in every dictionary key and name value of the document
  as qpdf (pikepdf) reads it, objects packed in object streams included whatever their filters.
  Object streams are decoded within a budget (a zip bomb stops there); one qpdf cannot decode,
  or a file it cannot open, could not be checked. It is kept as uploaded, and only ever served
  as a download.
"""

from __future__ import annotations

import io
import re
import warnings
from collections.abc import Iterable
from dataclasses import dataclass

import pikepdf
from PIL import Image, ImageOps

from ..config import megabytes
from .errors import FieldProblem, ValidationError

#: The widest and tallest a thumbnail may be, in pixels.
THUMBNAIL_SIZE = 240
PDF_TYPE = "application/pdf"


@dataclass(frozen=True)
class ImageFormat:
    media_type: str
    pillow: str
    extensions: tuple[str, ...]


JPEG = ImageFormat("image/jpeg", "JPEG", (".jpg", ".jpeg"))
PNG = ImageFormat("image/png", "PNG", (".png",))
WEBP = ImageFormat("image/webp", "WEBP", (".webp",))
EXTENSIONS = {fmt.media_type: fmt.extensions for fmt in (JPEG, PNG, WEBP)} | {PDF_TYPE: (".pdf",)}


@dataclass(frozen=True)
class CheckedFile:
    """What is kept of an accepted upload: the bytes to store (re-encoded for an image), their
    type, and the thumbnail with its type (none for a PDF)."""

    data: bytes
    media_type: str
    thumbnail: bytes | None = None
    thumbnail_type: str | None = None


def refused(code: str, **params: object) -> ValidationError:
    return ValidationError({"file": FieldProblem(code, params)})


def check_file(data: bytes, *, max_bytes: int, max_pixels: int) -> CheckedFile:
    """The safe copy of ``data``; ``ValidationError`` on the ``file`` field saying why not."""
    if not data:
        raise refused("file_empty")
    if len(data) > max_bytes:
        raise refused("file_too_large", megabytes=megabytes(max_bytes))
    if data.startswith(b"%PDF-"):
        return check_pdf(data)
    image_format = image_format_of(data)
    if image_format is None:
        raise refused("file_type_refused")
    return reencode_image(data, image_format, max_pixels)


def image_format_of(data: bytes) -> ImageFormat | None:
    """The image format whose signature starts ``data``, if any."""
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    return None


def reencode_image(data: bytes, image_format: ImageFormat, max_pixels: int) -> CheckedFile:
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data), formats=[image_format.pillow]) as image:
                if image.width * image.height > max_pixels:
                    raise refused("image_too_large", megapixels=max_pixels // 1_000_000)
                image.load()
                pixels = pixels_only(image, image_format)
        except (Image.DecompressionBombWarning, Image.DecompressionBombError):
            raise refused("image_too_large", megapixels=max_pixels // 1_000_000) from None
        except (OSError, SyntaxError, ValueError, EOFError):
            raise refused("image_damaged") from None
    original = encoded(pixels, image_format)
    thumbnail, thumbnail_format = thumbnail_of(pixels)
    return CheckedFile(original, image_format.media_type, thumbnail, thumbnail_format.media_type)


def pixels_only(image: Image.Image, image_format: ImageFormat) -> Image.Image:
    """The image turned upright (its EXIF orientation applied), in a mode its format keeps,
    with no metadata: nothing of ``image.info`` goes to the encoder."""
    upright = ImageOps.exif_transpose(image)
    has_alpha = upright.mode in ("RGBA", "LA", "PA") or "transparency" in upright.info
    mode = "RGBA" if has_alpha and image_format is not JPEG else "RGB"
    plain = upright.convert(mode)
    plain.info = {}
    return plain


def encoded(image: Image.Image, image_format: ImageFormat) -> bytes:
    """``image`` in ``image_format``; no metadata is passed to the encoder."""
    out = io.BytesIO()
    options = {"quality": 85} if image_format in (JPEG, WEBP) else {}
    image.save(out, format=image_format.pillow, **options)
    return out.getvalue()


def thumbnail_of(image: Image.Image) -> tuple[bytes, ImageFormat]:
    """A small copy: JPEG, or PNG when it has transparency."""
    small = image.copy()
    small.thumbnail((THUMBNAIL_SIZE, THUMBNAIL_SIZE))
    image_format = PNG if small.mode == "RGBA" else JPEG
    return encoded(small, image_format), image_format


#: PDF names that make a document act (run a script, an action on opening or on an event,
#: start a program, an XFA form whose XML holds scripts) or carry other files; each with the
#: name the refusal shows.
ACTIVE_PDF_NAMES = {
    b"JavaScript": "JavaScript",
    b"JS": "JavaScript",
    b"OpenAction": "OpenAction",
    b"AA": "OpenAction",
    b"Launch": "Launch",
    b"EmbeddedFile": "EmbeddedFile",
    b"EmbeddedFiles": "EmbeddedFile",
    b"RichMedia": "RichMedia",
    b"XFA": "XFA",
}
PDF_NAME = re.compile(rb"/([^\s/<>\[\]()%{}]+)")
HEX_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
PDF_HEADER = re.compile(rb"%PDF-\d\.\d")
#: The most bytes qpdf may decode from one stream (Flate, RunLength, or undoing a predictor),
#: and from all object streams together: they are decoded whole to read their objects, and a
#: zip bomb stops there.
MAX_DECODED_STREAM_BYTES = 64 * 1024 * 1024
#: Filters whose output is bounded by the limit above or by their input's size; an object
#: stream decoded by another (LZW, which qpdf does not bound) could not be checked.
BOUNDED_FILTERS = {"/FlateDecode", "/Fl", "/ASCIIHexDecode", "/AHx", "/ASCII85Decode", "/A85"}
BOUNDED_FILTERS |= {"/RunLengthDecode", "/RL"}

# qpdf's limits are process-wide: set once, when this module is imported.
pikepdf.settings.set_qpdf_limits(
    flate_max_memory=MAX_DECODED_STREAM_BYTES,
    png_max_memory=MAX_DECODED_STREAM_BYTES,
    tiff_max_memory=MAX_DECODED_STREAM_BYTES,
    run_length_max_memory=MAX_DECODED_STREAM_BYTES,
)


def check_pdf(data: bytes) -> CheckedFile:
    """``data`` if it is a whole, unencrypted PDF without active content. A first look at its
    raw names finds most; then qpdf reads it as readers do (objects inside object streams,
    whatever their filters, strings and comments told from syntax) and every dictionary key
    and name value is looked at."""
    if not PDF_HEADER.match(data) or b"%%EOF" not in data[-1024:]:
        raise refused("pdf_damaged")
    names = pdf_names(data)
    if b"Encrypt" in names:
        raise refused("pdf_encrypted")
    names |= parsed_names(data)
    found = sorted({ACTIVE_PDF_NAMES[name] for name in names & ACTIVE_PDF_NAMES.keys()})
    if found:
        raise refused("pdf_active_content", features=", ".join(found))
    return CheckedFile(data, PDF_TYPE)


def pdf_names(data: bytes) -> set[bytes]:
    """Every name (``/Name``) in ``data``, its ``#xx`` escapes decoded."""
    return {
        HEX_ESCAPE.sub(lambda match: bytes([int(match.group(1), 16)]), name)
        for name in PDF_NAME.findall(data)
    }


def parsed_names(data: bytes) -> set[bytes]:
    """Every dictionary key and name value of the document as qpdf reads it: its trailer and
    all its objects, those of object streams included. No stream's data is read but object
    streams' (qpdf decodes them to parse their objects). A file qpdf cannot open, encrypted,
    or with an object stream it cannot decode within the limits, could not be checked."""
    try:
        with pikepdf.open(io.BytesIO(data)) as document:
            if document.is_encrypted:
                raise refused("pdf_encrypted")
            check_object_streams(document)
            return names_within([document.trailer, *document.objects])
    except pikepdf.PasswordError:
        raise refused("pdf_encrypted") from None
    except (pikepdf.PdfError, RuntimeError, ValueError):
        raise refused("pdf_damaged") from None


def check_object_streams(document: pikepdf.Pdf) -> None:
    """Decode the document's object streams (found through its cross-reference table, which
    says where each packed object lives) before any of their objects is read: one whose
    filters qpdf does not bound, that cannot be decoded (qpdf would only warn and leave its
    objects out), or past ``MAX_DECODED_STREAM_BYTES`` in all, could not be checked."""
    table = document.get_xref_table().values()
    budget = MAX_DECODED_STREAM_BYTES
    for number in sorted({entry.obj_stream_number for entry in table if entry.type == 2}):
        stream = document.get_object(number, 0)
        if not isinstance(stream, pikepdf.Stream) or not bounded_filters(stream):
            raise refused("pdf_damaged")
        budget -= len(stream.read_bytes())
        if budget < 0:
            raise refused("pdf_damaged")


def bounded_filters(stream: pikepdf.Stream) -> bool:
    filters = stream.get("/Filter", pikepdf.Array())
    names = [filters] if isinstance(filters, pikepdf.Name) else list(filters)
    return {str(name) for name in names} <= BOUNDED_FILTERS


def names_within(objects: list[pikepdf.Object]) -> set[bytes]:
    """The keys and name values of ``objects`` and of the arrays and dictionaries written
    inside them (an object they refer to is in ``objects`` itself)."""
    names: set[bytes] = set()
    pending = list(objects)
    while pending:
        item = pending.pop()
        if isinstance(item, pikepdf.Name):
            names.add(str(item)[1:].encode())
        elif isinstance(item, (pikepdf.Dictionary, pikepdf.Stream)):
            names |= {key[1:].encode() for key in item.keys()}
            pending += direct_parts(item.values())
        elif isinstance(item, pikepdf.Array):
            pending += direct_parts(item)
    return names


def direct_parts(values: Iterable[object]) -> list[pikepdf.Object]:
    """The names, arrays and dictionaries among ``values`` written in place (numbers and
    strings come as Python values; references are objects of their own)."""
    return [
        value for value in values if isinstance(value, pikepdf.Object) and not value.is_indirect
    ]
