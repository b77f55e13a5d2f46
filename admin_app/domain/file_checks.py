"""What an uploaded file really is, read from its bytes (never from its name or the browser's
type), and the safe copy that is kept of it.

- Images (JPEG, PNG, WebP): recognised by their signature, opened by Pillow as that format
  only, refused past ``max_pixels`` (decompression bombs: Pillow's own warning counts as a
  refusal too) or when they cannot be decoded whole (truncated, damaged), then re-encoded from
  their pixels alone: EXIF (GPS position, camera), XMP, ICC profiles and text chunks are not
  copied. A thumbnail is made from the same pixels.
- PDF: a ``%PDF-x.y`` header and a ``%%EOF`` trailer; refused when encrypted (it could not be
  checked) or when it holds active content (JavaScript, an action run on opening, a program to
  launch, embedded files, rich media, an XFA form), looked for in every name of the file,
  ``#xx`` escapes decoded, and inside its compressed object streams. It is kept as uploaded,
  and only ever served as a download.
"""

from __future__ import annotations

import io
import re
import warnings
import zlib
from bisect import bisect_right
from dataclasses import dataclass

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
#: The ``stream`` keyword, ended as readers accept it (CR LF, LF, or a bare CR).
STREAM_START = re.compile(rb"(?<!end)stream(?:\r\n|\r|\n)")
#: An object's start, ``12 0 obj``, its parts separated by any whitespace (line ends too).
OBJECT_START = re.compile(rb"(?<!\d)\d{1,10}\s+\d{1,5}\s+obj\b")
#: A backslash escape in a string (``\)`` is no string end).
ESCAPED_CHARACTER = re.compile(rb"\\.", re.DOTALL)
#: Object starts read inside a stream's own dictionary passed over before it is refused.
MAX_FALSE_OBJECT_STARTS = 16
#: Compressed object streams are read up to this many bytes in all (a zip bomb stops there).
MAX_OBJECT_STREAM_BYTES = 64 * 1024 * 1024


def check_pdf(data: bytes) -> CheckedFile:
    if not PDF_HEADER.match(data) or b"%%EOF" not in data[-1024:]:
        raise refused("pdf_damaged")
    names = pdf_names(data)
    if b"Encrypt" in names:
        raise refused("pdf_encrypted")
    names |= object_stream_names(data)
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


def object_stream_names(data: bytes) -> set[bytes]:
    """The names inside the document's compressed object streams, where objects (and their
    actions) may hide from a reading of the raw file. An object stream with a predictor (its
    bytes stored as differences, which hides its names from this reading) is refused as one
    that could not be checked: writers use predictors for images and cross-reference streams,
    not for objects."""
    names: set[bytes] = set()
    budget = MAX_OBJECT_STREAM_BYTES
    object_starts = ObjectStarts.of(data)
    for start in STREAM_START.finditer(data):
        dictionary = pdf_names(stream_dictionary(data, start.start(), object_starts))
        if b"ObjStm" not in dictionary:
            continue
        if b"Predictor" in dictionary:
            raise refused("pdf_damaged")
        inflated = inflate(data, start.end(), budget)
        budget -= len(inflated)
        names |= pdf_names(inflated)
    return names


def stream_dictionary(data: bytes, position: int, starts: ObjectStarts) -> bytes:
    """What lies between the start of the object whose ``stream`` keyword is at ``position``
    and that keyword: its whole dictionary, however long (no window it could outgrow). An
    object start written inside a string or a comment of that dictionary is passed over for
    the one before it (past ``MAX_FALSE_OBJECT_STARTS`` the document could not be checked)."""
    index = bisect_right(starts.positions, position) - 1
    for _ in range(MAX_FALSE_OBJECT_STARTS):
        if index < 0:
            return data[:position]
        start = starts.positions[index]
        if not starts.commented[index] and not inside_string(data[start:position]):
            return data[start:position]
        index -= 1
    raise refused("pdf_damaged")


def inside_string(following: bytes) -> bool:
    """Whether an object start followed by ``following`` is text of a string: more strings
    are closed than opened after it."""
    following = ESCAPED_CHARACTER.sub(b"", following)
    return following.count(b")") > following.count(b"(")


@dataclass(frozen=True)
class ObjectStarts:
    """Where ``N G obj`` is written in a document, and whether each is in a comment (a ``%``
    before it on its line), read in one pass."""

    positions: list[int]
    commented: list[bool]

    @classmethod
    def of(cls, data: bytes) -> ObjectStarts:
        positions = [match.start() for match in OBJECT_START.finditer(data)]
        commented: list[bool] = []
        previous = 0
        for start in positions:
            window = data[previous:start]
            line_start = max(window.rfind(b"\n"), window.rfind(b"\r")) + 1
            on_previous_line = line_start == 0 and bool(commented) and commented[-1]
            commented.append(b"%" in window[line_start:] or on_previous_line)
            previous = start
        return cls(positions, commented)


def inflate(data: bytes, start: int, budget: int) -> bytes:
    """The content of the Flate stream starting at ``start``, at most ``budget`` bytes, read to
    the compressed data's own end (an ``endstream`` inside it is data, not its end); a stream
    past the budget, or that cannot be inflated to its end, makes the document refused (it
    could not be checked)."""
    inflater = zlib.decompressobj()
    view, parts, size = memoryview(data), [], 0
    while not inflater.eof:
        end = data.find(b"endstream", start)
        end = len(data) if end == -1 else end + len(b"endstream")
        if start >= len(data) or size >= budget:
            raise refused("pdf_damaged")
        try:
            parts.append(inflater.decompress(view[start:end], budget - size))
        except zlib.error:
            raise refused("pdf_damaged") from None
        if inflater.unconsumed_tail:
            raise refused("pdf_damaged")
        size += len(parts[-1])
        start = end
    return b"".join(parts)
