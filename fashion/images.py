"""The one safe way in for image files: check, decode frame 0, apply EXIF rotation, return RGB pixels.

The CLI, the uploader and the camera all come through `decode_image`. Every failure becomes an
ImageError whose message is one sentence for a person.
"""
from __future__ import annotations

import io
import threading
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageMode, ImageOps

ALLOWED_FORMATS = ("JPEG", "PNG", "WEBP", "BMP", "GIF")
ALLOWED_TEXT = "a JPEG, PNG, WebP, BMP or GIF"
# The uploader's limit too (.streamlit/config.toml: maxUploadSize = 25), which its page counts in
# megabytes of 10^6 bytes: one limit, in one unit.
MAX_BYTES = 25_000_000
TOO_BIG = f"This file is larger than {MAX_BYTES // 10**6} MB. Please upload a smaller image."
MAX_PIXELS = 50_000_000               # a 48-megapixel phone photo fits; Pillow's own warning starts at 89M
# Memory of the decoded pixels, counting channels and bit depth: a 48-megapixel RGB photo fits (144 MB),
# 40 megapixels of RGBA or 32-bit grey too. A small file can hold many pixels (a 107 KB 16-bit 7000x7000 PNG).
MAX_DECODED_BYTES = 160_000_000
# Decodes at once in one process: each may hold up to MAX_DECODED_BYTES and more while converting, so
# a burst of uploads from a room of users queues here instead of adding up.
DECODES_AT_ONCE = threading.BoundedSemaphore(2)
# Photos are shrunk to this while decoding. The app shows them at 480 px and GrabCut works at 160, so
# more pixels only cost time: libjpeg decodes a 12-megapixel JPEG at a quarter of its size, not half.
WORKING_SIDE = 480


class ImageError(Exception):
    """An input we cannot classify; str(e) is a sentence to show to a person."""


# Signatures of things people upload that are not images we read, to name them in the message.
KNOWN_OTHERS = [
    (b"<svg", "SVG"), (b"<?xml", "SVG or XML"), (b"%PDF", "PDF"), (b"II*\x00", "TIFF"), (b"MM\x00*", "TIFF"),
    (b"\x00\x00\x00\x0cjP", "JPEG 2000"), (b"PK\x03\x04", "a ZIP archive"), (b"8BPS", "Photoshop"),
]


def describe_unknown(head: bytes) -> str:
    if head[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1", b"ftypavif", b"ftyphevc"):
        return "HEIC/AVIF"
    stripped = head.lstrip()
    for signature, name in KNOWN_OTHERS:
        if stripped.startswith(signature):
            return name
    if b"<svg" in head.lower():
        return "SVG"
    try:
        head.decode("utf-8")
        return "text"
    except UnicodeDecodeError:
        return ""


def not_an_image(head: bytes) -> ImageError:
    kind = describe_unknown(head)
    looks = f" (it looks like {kind})" if kind else ""
    return ImageError(f"This file is not an image we can read{looks}. Please upload {ALLOWED_TEXT}.")


def too_large(size: str = "") -> ImageError:
    return ImageError(f"This image has more pixels{size} than we accept ({MAX_PIXELS // 1_000_000} megapixels). "
                      "Please upload a smaller image.")


def read_bytes(source) -> bytes:
    """Bytes from a path, bytes, or a file-like object (Streamlit's UploadedFile), up to MAX_BYTES."""
    if isinstance(source, (bytes, bytearray)):
        data = bytes(source)
    elif isinstance(source, (str, Path)):
        path = Path(source)
        if not path.is_file():
            raise ImageError(f"There is no file at {path}.")
        if path.stat().st_size > MAX_BYTES:
            raise ImageError(TOO_BIG)
        data = path.read_bytes()
    else:
        data = source.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise ImageError(TOO_BIG)
    if not data:
        raise ImageError("This file is empty. Please upload " + ALLOWED_TEXT + ".")
    return data


def open_checked(data: bytes) -> Image.Image:
    """Open the header only, with formats limited to our allowlist, and refuse oversized images."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=ALLOWED_FORMATS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise too_large() from None
    except Exception:
        raise not_an_image(data[:64]) from None
    width, height = image.size
    if width * height > MAX_PIXELS or width * height * bytes_per_pixel(image.mode) > MAX_DECODED_BYTES:
        raise too_large(f" ({width}x{height}, {bytes_per_pixel(image.mode)} bytes a pixel)")
    if width < 1 or height < 1:
        raise ImageError("This image has no pixels.")
    return image


def bytes_per_pixel(mode: str) -> int:
    """Bytes a decoded pixel of this Pillow mode takes: its channels times their depth."""
    description = ImageMode.getmode(mode)
    return max(1, np.dtype(description.typestr).itemsize * len(description.bands))


def shrink(image: Image.Image, max_side: int) -> Image.Image:
    """Reduce a large image by a whole factor, keeping twice max_side, before any other conversion.

    Converted whole first, a 49-megapixel 16-bit PNG took 1.25 GB and an RGBA one 0.97 GB.
    """
    factor = max(image.size) // (2 * max_side)
    if factor < 2:
        return image
    if image.mode.startswith("I;16"):               # reduce() has no 16-bit modes: via 32-bit and back
        return image.convert("I").reduce(factor).convert("I;16")
    if image.mode in ("1", "P"):                    # nor bilevel or palette ones
        image = image.convert("RGBA" if "transparency" in image.info else "L" if image.mode == "1" else "RGB")
    return image.reduce(factor)


def to_rgb(image: Image.Image) -> Image.Image:
    """Any Pillow mode -> 8-bit RGB: 16-bit scaled, transparency composited on white, CMYK converted."""
    if image.mode in ("I;16", "I;16L", "I;16B", "I;16N", "I", "F"):
        values = np.asarray(image, dtype=np.float64)
        top = 65535.0 if image.mode.startswith("I;16") or values.max() > 255 else 255.0
        image = Image.fromarray(np.clip(values / top * 255.0 + 0.5, 0, 255).astype(np.uint8), "L")
    if image.mode in ("RGBA", "LA", "PA", "La", "RGBa") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return image.convert("RGB")


def decode_image(source, max_side: int = WORKING_SIDE) -> np.ndarray:
    """Decode an image file safely into an RGB uint8 array (H, W, 3), longest side at most max_side."""
    data = read_bytes(source)
    image = open_checked(data)
    with DECODES_AT_ONCE:
        try:
            return decode_checked(image, max_side)
        except ImageError:
            raise
        except Exception:
            raise ImageError("This image file is damaged or incomplete, so it could not be read. "
                             "Please upload another copy.") from None


def decode_checked(image: Image.Image, max_side: int) -> np.ndarray:
    image.seek(0)                   # frame 0 only for animations
    if image.format == "JPEG":
        image.draft("RGB", (max_side, max_side))   # let libjpeg decode at 1/2, 1/4 or 1/8 scale
    image.load()
    ImageOps.exif_transpose(image, in_place=True)    # in place: a copy would double the memory
    image = to_rgb(shrink(image, max_side))
    image.thumbnail((max_side, max_side), Image.Resampling.BOX)
    return np.asarray(image, dtype=np.uint8).copy()


def to_gray(rgb: np.ndarray) -> np.ndarray:
    """ITU-R 601 luma, as Pillow's convert('L') does, as float32 on the scale of `rgb` (0-255 or 0-1)."""
    return rgb[..., 0] * np.float32(0.299) + rgb[..., 1] * np.float32(0.587) + rgb[..., 2] * np.float32(0.114)
