"""The photo pipeline: photos of MNIST *training* digits with real photos' clutter are read right, each
step does what it says (polarity, light, the digit's region, EXIF), and every bad file gets a clear
ImageFileError instead of a crash, with bounded memory."""
import io
import subprocess
import sys
import textwrap
import zlib

import numpy as np
import pytest
from PIL import Image

from harness.photos import CLUTTER, make_photo, plain_threshold_digit
from mnistapp.paths import DATA_DIR, ROOT, SHIPPED_MODEL
from mnistcore import ImageFileError, forward, load_mnist, load_params, preprocess_photo, scale_input
from mnistcore.photo import INK_SHARE, PIXEL_BUDGET, decode_photo, is_dark_ink, read_photo


@pytest.fixture(scope="module")
def params():
    return load_params(SHIPPED_MODEL)


@pytest.fixture(scope="module")
def train():
    return load_mnist("train", DATA_DIR)


def read(params, digit):
    return None if digit is None else int(forward(params, scale_input(digit[None])).probs.argmax())


def png(arr, **save) -> bytes:
    buf = io.BytesIO()
    (arr if isinstance(arr, Image.Image) else Image.fromarray(arr)).save(buf, format="PNG", **save)
    return buf.getvalue()


def paper_with(digit: np.ndarray, side=(300, 260), at=(60, 50), size=140, ink=40, paper=230) -> np.ndarray:
    """(h, w) uint8 dark digit on light paper, the 28x28 digit enlarged to size x size at `at`."""
    page = np.full(side, paper, np.float32)
    big = np.asarray(Image.fromarray(digit).resize((size, size), Image.BICUBIC), np.float32) / 255
    y, x = at
    page[y:y + size, x:x + size] = page[y:y + size, x:x + size] * (1 - big) + ink * big
    return page.clip(0, 255).astype(np.uint8)


# --- accuracy on photos made from training digits ---------------------------------------------------

def test_cluttered_photos_of_training_digits_are_read_right_95_percent_and_plain_threshold_under_half(params, train):
    images, labels = train
    rng = np.random.default_rng(16)
    ours, plain, per_kind = [], [], {}
    for kind in CLUTTER:
        for _ in range(10):
            i = int(rng.integers(len(images)))
            data = make_photo(images[i], kind, rng)
            ok = read(params, preprocess_photo(data)) == labels[i]
            ours.append(ok)
            plain.append(read(params, plain_threshold_digit(data)) == labels[i])
            per_kind.setdefault(kind, []).append(ok)
    print({k: f"{np.mean(v):.2f}" for k, v in per_kind.items()}, f"ours {np.mean(ours):.3f} plain {np.mean(plain):.3f}")
    assert np.mean(ours) >= 0.95
    assert np.mean(plain) < 0.5


# --- the steps -----------------------------------------------------------------------------------------

def test_polarity_both_ways_dark_ink_on_paper_and_chalk_on_a_board(params, train):
    images, labels = train
    i = int(np.flatnonzero(labels == 7)[0])
    dark = paper_with(images[i])
    chalk = 255 - dark  # the same digit, light on dark
    for img, want_dark in [(dark, True), (chalk, False)]:
        steps = read_photo(png(img))
        assert steps.dark_ink is want_dark
        assert is_dark_ink(steps.grey) is want_dark
        assert read(params, steps.digit) == 7
    # both polarities give (nearly) the same 28x28 digit
    np.testing.assert_allclose(read_photo(png(dark)).digit, read_photo(png(chalk)).digit, rtol=0, atol=0.02)


def test_uneven_light_is_evened_out_and_the_digit_read_as_on_even_paper(params, train):
    images, labels = train
    i = int(np.flatnonzero(labels == 3)[0])
    even = paper_with(images[i]).astype(np.float32)
    light = np.linspace(1.0, 0.3, even.shape[1])[None, :] * np.linspace(1.0, 0.6, even.shape[0])[:, None]
    uneven = (even * light).clip(0, 255).astype(np.uint8)  # the far corner gets 18 % of the light
    a, b = read_photo(png(even.astype(np.uint8))), read_photo(png(uneven))
    assert read(params, b.digit) == 3
    # the dark corner is not ink: below the ink cut, and not kept
    assert b.ink[-20:, -20:].max() < INK_SHARE and not b.kept[-20:, -20:].any()
    np.testing.assert_allclose(a.digit, b.digit, rtol=0, atol=0.15)


def test_a_small_digit_in_a_big_page_is_found_and_centred(params, train):
    images, labels = train
    i = int(np.flatnonzero(labels == 4)[0])
    page = paper_with(images[i], side=(3000, 2200), at=(2100, 300), size=260)  # 6 % of the page's height
    digit = preprocess_photo(png(page))
    assert read(params, digit) == 4
    ys, xs = np.indices(digit.shape)
    cy, cx = (digit * ys).sum() / digit.sum(), (digit * xs).sum() / digit.sum()
    assert abs(cy - 13.5) <= 1 and abs(cx - 13.5) <= 1  # MNIST's rule: centre of mass at the centre


def test_exif_orientation_is_applied(train):
    images, labels = train
    upright = paper_with(images[int(np.flatnonzero(labels == 2)[0])])
    # A camera stores the pixels turned and says so in EXIF tag 0x0112; orientation 6 means "turn 90
    # degrees clockwise to view", so store the upright picture turned 90 degrees counter-clockwise.
    stored = Image.fromarray(np.rot90(upright))  # rot90 turns counter-clockwise
    exif = Image.Exif()
    exif[0x0112] = 6
    buf = io.BytesIO()
    stored.save(buf, format="JPEG", quality=95, exif=exif)
    turned_back = decode_photo(buf.getvalue())
    assert turned_back.shape == upright.shape
    np.testing.assert_allclose(turned_back, upright / 255, rtol=0, atol=0.08)


def test_a_blank_page_has_no_digit():
    rng = np.random.default_rng(0)
    page = (220 + rng.normal(0, 4, (400, 300))) * np.linspace(1, 0.7, 300)[None, :]
    assert preprocess_photo(png(page.clip(0, 255).astype(np.uint8))) is None
    assert preprocess_photo(png(np.full((50, 50), 255, np.uint8))) is None


def test_ruled_lines_alone_are_not_a_digit():
    page = np.full((300, 300), 235, np.uint8)
    page[10::30] = 170  # ruled lines across the whole page and nothing else
    assert preprocess_photo(png(page)) is None


# --- image formats that are fine, and files that are not ----------------------------------------------

@pytest.fixture(scope="module")
def five(train):
    images, labels = train
    return paper_with(images[int(np.flatnonzero(labels == 5)[0])])


def test_sixteen_bit_cmyk_palette_and_alpha_images_are_read(params, five):
    grey16 = Image.fromarray(five.astype(np.uint16) * 257)  # 16-bit greyscale PNG
    assert grey16.mode.startswith("I;16")
    cmyk = io.BytesIO()
    Image.fromarray(five).convert("CMYK").save(cmyk, format="JPEG", quality=95)
    palette = Image.fromarray(five).convert("P", palette=Image.ADAPTIVE, colors=16)
    ink_only = np.zeros((*five.shape, 4), np.uint8)  # dark strokes on a transparent ground
    ink_only[..., 3] = 255 - five
    for name, data in [("16-bit", png(grey16)), ("CMYK", cmyk.getvalue()), ("palette", png(palette)),
                       ("alpha", png(ink_only))]:
        assert read(params, preprocess_photo(data)) == 5, name


def apng(frames) -> bytes:
    buf = io.BytesIO()
    frames[0].save(buf, format="PNG", save_all=True, append_images=frames[1:], duration=100, loop=0)
    return buf.getvalue()


def jpeg_claiming(width: int, height: int) -> bytes:
    """A small JPEG whose frame header (SOF0) claims width x height: what a bomb looks like before decoding."""
    buf = io.BytesIO()
    Image.new("L", (16, 16), 200).save(buf, format="JPEG")
    data = bytearray(buf.getvalue())
    sof = data.index(b"\xff\xc0")
    data[sof + 5:sof + 9] = height.to_bytes(2, "big") + width.to_bytes(2, "big")
    return bytes(data)


BAD = {
    "empty": (b"", "empty"),
    "not an image": (b"digit,label\n5,5\n" * 20, "not an image"),
    "truncated": (None, "truncated"),
    "animated": (None, "animated"),
    "a GIF": (None, "PNG and JPEG"),
    "1x1": (None, "1 x 1"),
    "bomb header": (jpeg_claiming(60000, 60000), "million"),
}


@pytest.mark.parametrize("name", list(BAD))
def test_bad_files_get_a_clear_message(name, five):
    data, words = BAD[name]
    if name == "truncated":
        buf = io.BytesIO()
        Image.fromarray(five).save(buf, format="JPEG", quality=95)
        data = buf.getvalue()[: len(buf.getvalue()) // 2]
    elif name == "animated":
        data = apng([Image.fromarray(five), Image.fromarray(255 - five)])
    elif name == "a GIF":
        buf = io.BytesIO()
        Image.fromarray(five).save(buf, format="GIF")
        data = buf.getvalue()
    elif name == "1x1":
        data = png(np.zeros((1, 1), np.uint8))
    with pytest.raises(ImageFileError, match=words) as e:
        preprocess_photo(data)
    assert isinstance(e.value, ValueError)
    assert str(e.value).rstrip().endswith(".") and len(str(e.value)) > 30  # a sentence that says what to do


BOMB_CHILD = textwrap.dedent("""
    import resource, sys
    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))  # 1 GB of address space, imports included
    from mnistcore import ImageFileError, preprocess_photo
    data = open(sys.argv[1], "rb").read()
    try:
        preprocess_photo(data)
        print("READ")
    except ImageFileError as e:
        print("REFUSED", e)
""")


def png_bomb(width: int, height: int) -> bytes:
    """A real RGB PNG of width x height black pixels, written row by row (its pixels never exist here)."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return len(body).to_bytes(4, "big") + kind + body + zlib.crc32(kind + body).to_bytes(4, "big")
    z = zlib.compressobj(9)
    row = b"\x00" * (1 + 3 * width)  # filter byte 0, then RGB zeros
    idat = b"".join(z.compress(row) for _ in range(height)) + z.flush()
    ihdr = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 2, 0, 0, 0])
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def test_a_decompression_bomb_is_refused_before_decoding_within_1_gb(tmp_path):
    # 12,000 x 12,000 RGB: 432 MB of pixels (and more once converted) in a file of a few hundred kB;
    # below Pillow's own bomb error (179 MP), so only our budget stands in the way.
    assert 12000 * 12000 > PIXEL_BUDGET
    path = tmp_path / "bomb.png"
    path.write_bytes(png_bomb(12000, 12000))
    assert path.stat().st_size < 2_000_000
    out = subprocess.run([sys.executable, "-c", BOMB_CHILD, str(path)], cwd=ROOT, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.startswith("REFUSED") and "12000 x 12000" in out.stdout, out.stdout
