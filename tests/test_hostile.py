"""Hostile and awkward files: every one gets a 28x28 input or one of our own sentences, never a crash."""
import io
import json
import struct
import subprocess
import sys
import zlib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from PIL import Image
from streamlit.testing.v1 import AppTest

from conftest import ROOT, run_cli
from fashion.images import ImageError, decode_image
from fashion.photo import prepare_photo, read_photo


def encode(image: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    image.save(buf, fmt, **kw)
    return buf.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A tiny PNG that claims to be width x height: a decompression bomb's header."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + \
        chunk(b"IEND", b"")


def garment_picture(mode: str = "RGB") -> Image.Image:
    """A dark T-shirt-ish blob on a light background, to convert into other modes."""
    rgb = np.full((120, 100, 3), 230, np.uint8)
    rgb[20:100, 30:70] = (40, 60, 90)
    rgb[20:45, 10:90] = (40, 60, 90)
    return Image.fromarray(rgb).convert(mode)


def animated_gif(frames: int = 300) -> bytes:
    images = [garment_picture("P") for _ in range(frames)]
    return encode(images[0], "GIF", save_all=True, append_images=images[1:], duration=10)


def palette_with_transparency() -> bytes:
    image = garment_picture("P")
    return encode(image, "PNG", transparency=int(np.asarray(image)[0, 0]))


AWKWARD = {   # name -> bytes that must classify
    "cmyk.jpg": lambda: encode(garment_picture("CMYK"), "JPEG"),
    "bilevel.png": lambda: encode(garment_picture("L").point(lambda v: 255 if v > 128 else 0).convert("1"), "PNG"),
    "gray16.png": lambda: encode(Image.fromarray(np.asarray(garment_picture("L")).astype(np.uint16) * 257), "PNG"),
    "palette_transparent.png": palette_with_transparency,
    "rgba.webp": lambda: encode(garment_picture("RGBA"), "WEBP"),
    "animated.gif": animated_gif,
    "picture.bmp": lambda: encode(garment_picture(), "BMP"),
}
HOSTILE = {   # name -> bytes that must be refused with a sentence
    "empty.jpg": lambda: b"",
    "truncated.jpg": lambda: encode(garment_picture(), "JPEG")[:300],
    "text.png": lambda: b"hello, I am a text file",
    "drawing.svg.png": lambda: b'<svg xmlns="http://www.w3.org/2000/svg"><rect width="9" height="9"/></svg>',
    "bomb.png": lambda: png_header_only(60_000, 60_000),
    "tall_bomb.png": lambda: png_header_only(100, 2_000_000),
    "document.tiff.jpg": lambda: encode(garment_picture(), "TIFF"),
    "blank.png": lambda: encode(Image.new("RGB", (400, 300), "white"), "PNG"),
    "sliver.png": lambda: encode(Image.new("RGB", (2000, 3), "gray"), "PNG"),
    "dot.png": lambda: encode(Image.new("RGB", (1, 1), "black"), "PNG"),
}


@pytest.mark.parametrize("name", AWKWARD)
def test_awkward_modes_give_a_dataset_style_input(name):
    prepared = prepare_photo(decode_image(AWKWARD[name]()))
    assert prepared.image.shape == (28, 28) and prepared.image.max() > 0.5
    assert prepared.image[-1, 0] < 0.05 and prepared.image[-1, -1] < 0.05   # background beside the body is black


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_files_are_refused_with_a_sentence(name):
    with pytest.raises(ImageError) as err:
        prepare_photo(decode_image(HOSTILE[name]()))
    message = str(err.value)
    assert message.endswith(".") and "Traceback" not in message and len(message) < 200


def test_the_app_shows_the_same_sentences():
    """Each file uploaded in the Classify tab: a verdict for the awkward ones, the CLI's sentence for the rest."""
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180).run()
    app.session_state["tab"] = "Classify your clothes"      # a result is drawn only while its tab is open
    for name, make in {**AWKWARD, **HOSTILE}.items():
        data = make()
        app.file_uploader(key="classify_upload").set_value((name, data, "application/octet-stream")).run()
        assert not app.exception, (name, [e.value for e in app.exception])
        panel = app.container(key="classify_result")
        if name in AWKWARD:
            assert panel.subheader, name
            continue
        with pytest.raises(ImageError) as expected:
            read_photo(data)
        assert [e.value for e in [*panel.error, *panel.warning]] == [str(expected.value)], name


def test_bomb_is_refused_before_any_large_allocation(tmp_path):
    """In a fresh process, so the peak memory is the decoder's own: 60000x60000 RGB would be 10 GB."""
    path = tmp_path / "bomb.png"
    path.write_bytes(png_header_only(60_000, 60_000))
    # VmHWM, not ru_maxrss: the latter survives exec and would report the pytest process's peak.
    code = ("import sys; from fashion.images import decode_image, ImageError\n"
            "try: decode_image(sys.argv[1])\nexcept ImageError as e: print(e)\n"
            "print([int(l.split()[1]) // 1024 for l in open('/proc/self/status') if l.startswith('VmHWM')][0])")
    out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, cwd=ROOT,
                         env={"PYTHONPATH": str(ROOT)}, timeout=60).stdout.splitlines()
    assert "megapixels" in out[0]
    assert int(out[1]) < 300   # MB: the interpreter with numpy and Pillow, and nothing like the image


def test_cli_answers_every_hostile_file(tmp_path):
    files = []
    for name, make in {**AWKWARD, **HOSTILE}.items():
        (tmp_path / name).write_bytes(make())
        files.append(str(tmp_path / name))
    result = run_cli("classify", "--json", *files, str(tmp_path / "missing.jpg"))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["file"] for line in lines] == files + [str(tmp_path / "missing.jpg")]
    for line in lines:
        name = line["file"].rsplit("/", 1)[-1]
        assert ("label" in line) == (name in AWKWARD), line


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2048))
def test_random_bytes_never_escape_as_other_errors(data):
    try:
        rgb = decode_image(data)
    except ImageError:
        return
    assert rgb.ndim == 3 and rgb.dtype == np.uint8


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(arrays(np.uint8, st.tuples(st.integers(1, 64), st.integers(1, 64), st.just(3))),
       st.sampled_from(["PNG", "JPEG", "BMP", "GIF", "WEBP"]))
def test_random_small_images_give_an_input_or_our_error(pixels, fmt):
    try:
        image = prepare_photo(decode_image(encode(Image.fromarray(pixels), fmt))).image
    except ImageError:
        return
    assert image.shape == (28, 28) and image.dtype == np.float32
    assert 0.0 <= image.min() and image.max() <= 1.0


def png_header(width: int, height: int, colour_type: int) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b"")


def test_the_pixel_budget_counts_channels_and_depth():
    # 7000x7000 is under the megapixel limit: as RGBA (4 bytes a pixel) it is over the memory budget,
    # as RGB (3 bytes) it is not, and gets as far as decoding the (missing) pixel data.
    with pytest.raises(ImageError, match="4 bytes a pixel"):
        decode_image(png_header(7000, 7000, colour_type=6))
    with pytest.raises(ImageError, match="damaged or incomplete"):
        decode_image(png_header(7000, 7000, colour_type=2))


def test_a_small_file_of_many_pixels_decodes_in_bounded_memory(tmp_path):
    """A 16-bit 7000x7000 PNG of about 100 KB, in a fresh process: it took 1.25 GB when converted whole."""
    pixels = np.zeros((7000, 7000), np.uint16)
    pixels[1000:6000, 2000:5000] = 40000
    path = tmp_path / "gray16.png"
    path.write_bytes(encode(Image.fromarray(pixels), "PNG"))
    del pixels
    code = ("import sys; from fashion.images import decode_image\n"
            "rgb = decode_image(sys.argv[1]); print(rgb.shape[0], rgb.max())\n"
            "print([int(l.split()[1]) // 1024 for l in open('/proc/self/status') if l.startswith('VmHWM')][0])")
    out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, cwd=ROOT,
                         env={"PYTHONPATH": str(ROOT)}, timeout=120).stdout.splitlines()
    assert out[0].split() == ["480", str(round(40000 / 65535 * 255))]    # scaled as 16 bits, shrunk to 480 px
    assert int(out[1]) < 1000   # MB, for the whole process


def test_decodes_at_once_are_bounded(monkeypatch):
    import threading
    import time

    from fashion import images

    running, most = [0], [0]
    lock = threading.Lock()

    def slow_decode(image, max_side):
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        time.sleep(0.2)
        with lock:
            running[0] -= 1
        return np.zeros((1, 1, 3), np.uint8)

    monkeypatch.setattr(images, "decode_checked", slow_decode)
    data = encode(garment_picture(), "PNG")
    threads = [threading.Thread(target=decode_image, args=(data,)) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert most[0] == 2
