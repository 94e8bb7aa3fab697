"""The decoding path: every input gives RGB pixels or one of our own sentences."""
import io

import numpy as np
import pytest
from PIL import Image

from fashion.images import ImageError, decode_image
from fashion.photo import NoItemError, prepare_photo


def encode(image: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    image.save(buf, fmt, **kw)
    return buf.getvalue()


@pytest.mark.parametrize("data, words", [
    (b"", "empty"),
    (b"just some text, renamed to .png", "looks like text"),
    (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"></svg>', "SVG"),
    (b"%PDF-1.7 ...", "PDF"),
])
def test_non_images_get_a_sentence(data, words):
    with pytest.raises(ImageError, match=words):
        decode_image(data)


def test_truncated_jpeg_is_reported_not_raised():
    data = encode(Image.new("RGB", (200, 200), "red"), "JPEG")
    with pytest.raises(ImageError):
        decode_image(data[: len(data) // 3])


def test_sixteen_bit_is_scaled_not_clipped():
    ramp = (np.arange(256, dtype=np.uint16).reshape(16, 16) * 256)
    rgb = decode_image(encode(Image.fromarray(ramp), "PNG"))   # saved as a 16-bit grayscale PNG
    assert rgb.shape == (16, 16, 3) and rgb.max() >= 254 and len(np.unique(rgb[..., 0])) > 200


def test_transparency_is_composited_on_white():
    image = Image.new("RGBA", (10, 10), (0, 0, 0, 0))
    image.putpixel((5, 5), (0, 0, 0, 255))
    rgb = decode_image(encode(image, "PNG"))
    assert rgb[0, 0].tolist() == [255, 255, 255] and rgb[5, 5].tolist() == [0, 0, 0]


def test_exif_rotation_is_applied():
    image = Image.new("RGB", (40, 20), "white")
    exif = Image.Exif()
    exif[0x0112] = 6   # stored sideways: rotate 90 degrees clockwise to view
    assert decode_image(encode(image, "JPEG", exif=exif)).shape[:2] == (40, 20)


def test_blank_and_sliver_images_have_no_item():
    for size in ((300, 300), (2000, 3), (1, 1)):
        with pytest.raises(NoItemError, match="could not find an item"):
            prepare_photo(decode_image(encode(Image.new("RGB", size, "white"), "PNG")))


def test_the_uploader_and_the_decoder_share_one_size_limit_in_one_unit():
    import tomllib

    from conftest import ROOT
    from fashion.images import MAX_BYTES, read_bytes

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["maxUploadSize"] * 1_000_000 == MAX_BYTES     # the uploader counts MB of 10^6 bytes
    assert len(read_bytes(b"x" * MAX_BYTES)) == MAX_BYTES
    with pytest.raises(ImageError, match=f"larger than {config['server']['maxUploadSize']} MB"):
        read_bytes(b"x" * (MAX_BYTES + 1))

