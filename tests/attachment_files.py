"""Files for the attachment tests, made here with Pillow and by hand (no binary fixtures)."""

from __future__ import annotations

import io
import struct
import zlib

import pikepdf
from PIL import Image
from PIL.PngImagePlugin import PngInfo

#: Where the JPEG with GPS says it was taken (degrees, minutes, seconds).
GPS_LATITUDE = (48.0, 51.0, 24.0)
CAMERA = "SecretCam 3000"


def png_bytes(size: tuple[int, int] = (64, 48), color: str = "teal", mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, color).save(out, format="PNG")
    return out.getvalue()


def png_with_text(text: str) -> bytes:
    info = PngInfo()
    info.add_text("Comment", text)
    out = io.BytesIO()
    Image.new("RGB", (32, 32), "red").save(out, format="PNG", pnginfo=info)
    return out.getvalue()


def jpeg_with_gps(size: tuple[int, int] = (300, 200)) -> bytes:
    """A photo whose EXIF names the camera and where it was taken."""
    exif = Image.Exif()
    exif[0x0110] = CAMERA  # Model
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", GPS_LATITUDE  # GPSLatitudeRef, GPSLatitude
    gps[3], gps[4] = "E", (2.0, 21.0, 7.0)  # GPSLongitudeRef, GPSLongitude
    out = io.BytesIO()
    Image.new("RGB", size, "orange").save(out, format="JPEG", exif=exif.tobytes())
    return out.getvalue()


def webp_bytes(size: tuple[int, int] = (50, 50)) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", size, (10, 200, 30, 128)).save(out, format="WEBP")
    return out.getvalue()


def png_bomb(width: int = 100_000, height: int = 100_000) -> bytes:
    """A PNG whose header announces ``width`` × ``height`` pixels, with a little data: opening
    it whole would need gigabytes."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    rows = zlib.compress(b"\x00" * (width // 8 + 1) * 16)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")
    )


def pdf(*objects: bytes, trailer: bytes = b"<< /Root 1 0 R >>") -> bytes:
    """A small PDF made of ``objects`` (numbered from 1), with its cross-reference table."""
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n" + trailer.replace(b">>", b" /Size %d >>" % (len(objects) + 1), 1)
    out += b"\nstartxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


CATALOG = b"<< /Type /Catalog /Pages 2 0 R >>"
PAGES = b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>"
PAGE = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>"


def plain_pdf() -> bytes:
    return pdf(CATALOG, PAGES, PAGE)


def pdf_with_javascript() -> bytes:
    catalog = (
        b"<< /Type /Catalog /Pages 2 0 R /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >>"
    )
    return pdf(catalog, PAGES, PAGE)


def pdf_with_escaped_javascript() -> bytes:
    """The same script, its names written with ``#xx`` escapes, which readers decode."""
    catalog = b"<< /Type /Catalog /Pages 2 0 R /Open#41ction << /S /Java#53cript /J#53 (x) >> >>"
    return pdf(catalog, PAGES, PAGE)


HIDDEN_LAUNCH = b"4 0 << /Type /Action /S /Launch /F (cmd.exe) >>"
FLATE = b"/Filter /FlateDecode "


def object_stream_pdf(packed: bytes, parameters: bytes = b"", filters: bytes = FLATE) -> bytes:
    """A PDF whose object 4 lives in object stream 5 of ``packed`` bytes (decoded by
    ``filters``, ``parameters`` added to its dictionary), found through a cross-reference
    stream (object 6), as writers store them."""
    out = bytearray(b"%PDF-1.7\n")
    header = b"<< /Type /ObjStm /N 1 /First 4 %s%s/Length %d >>\nstream\n"
    stream = header % (filters, parameters, len(packed)) + packed + b"\nendstream"
    offsets = []
    for number, body in zip((1, 2, 3, 5), (CATALOG, PAGES, PAGE, stream), strict=True):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    rows = [bytes(7)] + [struct.pack(">BIH", 1, offset, 0) for offset in offsets[:3]]
    rows += [struct.pack(">BIH", 2, 5, 0), struct.pack(">BIH", 1, offsets[3], 0)]
    table = b"".join([*rows, struct.pack(">BIH", 1, xref, 0)])
    out += b"6 0 obj\n<< /Type /XRef /Size 7 /W [1 4 2] /Root 1 0 R /Length %d >>\n" % len(table)
    out += b"stream\n" + table + b"\nendstream\nendobj\n"
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def pdf_with_launch_in_object_stream() -> bytes:
    """An action to start a program, hidden in a compressed object stream."""
    return object_stream_pdf(zlib.compress(HIDDEN_LAUNCH))


def pdf_with_launch_in_padded_object_stream() -> bytes:
    """The same, its object stream's dictionary made longer than a kilobyte by a string after
    its ``/Type``: readers still unpack it."""
    padding = b"/Padding (" + b"A" * 2000 + b") "
    return object_stream_pdf(zlib.compress(HIDDEN_LAUNCH), padding)


def pdf_with_launch_in_object_stream_on_its_own_line() -> bytes:
    """The same, its object's ``obj`` keyword on the line after its number (any whitespace may
    separate them) and its ``stream`` keyword ended by a bare carriage return, as readers
    accept."""
    document = pdf_with_launch_in_object_stream()
    return document.replace(b"5 0 obj\n", b"5 0\nobj\n").replace(b"stream\n", b"stream\r", 1)


def pdf_with_launch_in_a_hex_object_stream() -> bytes:
    """The hidden launch in an object stream written as hexadecimal digits (ASCIIHexDecode)."""
    return object_stream_pdf(HIDDEN_LAUNCH.hex().encode() + b">", filters=b"/Filter /AHx ")


def pdf_with_a_zlib_bomb_in_its_object_stream() -> bytes:
    """An object stream of 200 MB of spaces after its object, compressed to about 200 kB."""
    return object_stream_pdf(zlib.compress(HIDDEN_LAUNCH + b" " * 200_000_000, 9))


def pdf_with_launch_behind_an_endstream_in_its_object_stream() -> bytes:
    """The hidden launch compressed after a stored (uncompressed) block that holds the word
    ``endstream``: readers take the stream's length, a search for ``endstream`` stops short."""
    decoy, rest = HIDDEN_LAUNCH[:6] + b"/Note (endstream) ", HIDDEN_LAUNCH[6:]
    stored = zlib.compressobj(0, zlib.DEFLATED, -15)
    compressed = zlib.compressobj(9, zlib.DEFLATED, -15)
    blocks = stored.compress(decoy) + stored.flush(zlib.Z_FULL_FLUSH)
    blocks += compressed.compress(rest) + compressed.flush()
    checksum = struct.pack(">I", zlib.adler32(decoy + rest))
    return object_stream_pdf(b"\x78\x01" + blocks + checksum)


def pdf_with_launch_in_an_object_stream_behind_a_false_object_start(decoy: bytes) -> bytes:
    """The hidden launch in an object stream whose dictionary holds ``decoy``, a string or a
    comment that reads like another object's start (``9 0 obj``), after its ``/Type``."""
    return object_stream_pdf(zlib.compress(HIDDEN_LAUNCH), decoy)


def pdf_with_launch_in_a_predicted_object_stream() -> bytes:
    """The hidden launch stored as differences of its bytes (a PNG "Sub" predictor, which
    readers undo): its names are nowhere in the inflated bytes."""
    differences = bytes(
        (byte - (HIDDEN_LAUNCH[index - 1] if index else 0)) % 256
        for index, byte in enumerate(HIDDEN_LAUNCH)
    )
    parameters = b"/DecodeParms << /Predictor 11 /Columns %d >> " % len(HIDDEN_LAUNCH)
    return object_stream_pdf(zlib.compress(b"\x01" + differences), parameters)


def pdf_with_xfa_form() -> bytes:
    """An XFA form, whose XML carries scripts readers run."""
    script = b'<xdp:xdp><script contentType="application/x-javascript">app.alert(1)</script>'
    form = b"<< /Length %d >>\nstream\n" % len(script) + script + b"\nendstream"
    catalog = b"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [] /XFA 4 0 R >> >>"
    return pdf(catalog, PAGES, PAGE, form)


def pdf_with_embedded_file() -> bytes:
    names = b"<< /Type /Catalog /Pages 2 0 R /Names << /EmbeddedFiles << /Names [] >> >> >>"
    return pdf(names, PAGES, PAGE)


def encrypted_pdf() -> bytes:
    return pdf(CATALOG, PAGES, PAGE, trailer=b"<< /Root 1 0 R /Encrypt << /Filter /Standard >> >>")


def pdf_with_object_streams() -> bytes:
    """An ordinary one-page PDF whose objects a writer (qpdf) packed into object streams."""
    document = pikepdf.new()
    document.add_blank_page()
    document.Root.PageMode = pikepdf.Name.UseNone
    out = io.BytesIO()
    document.save(out, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    return out.getvalue()
