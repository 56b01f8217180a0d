"""Upload pieces: deterministic ids, image sniffing, sources and multipart framing."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from fieldsync import BadRequest, photo_id
from fieldsync._multipart import MultipartForm
from fieldsync.uploads import PhotoSource, duplicate_fields, sniff_image_type

from .samples import Unseekable, jpeg, webp


def test_photo_id_is_a_deterministic_pocketbase_id() -> None:
    first = photo_id("team1", "a" * 64)
    assert re.fullmatch(r"[a-z0-9]{15}", first)
    assert photo_id("team1", "A" * 64) == first
    assert photo_id("team2", "a" * 64) != first
    assert photo_id("team1", "b" * 64) != first


def test_duplicate_fields() -> None:
    error = BadRequest(
        400,
        "Failed to create record.",
        {
            "sha256": {"code": "validation_not_unique", "message": "Value must be unique."},
            "caption": {"code": "validation_length_out_of_range", "message": "too long"},
        },
    )
    assert duplicate_fields(error) == {"sha256"}


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"\xff\xd8\xff\xe0", ("image/jpeg", ".jpg")),
        (b"\x89PNG\r\n\x1a\n", ("image/png", ".png")),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", ("image/webp", ".webp")),
        (b"\x00\x00\x00\x18ftypheic", ("image/heic", ".heic")),
        (b"\x00\x00\x00\x18ftypmif1", ("image/heif", ".heif")),
        (b"hello", ("application/octet-stream", "")),
    ],
)
def test_sniff(head: bytes, expected: tuple[str, str]) -> None:
    assert sniff_image_type(head) == expected


def test_sources_read_everything_once(tmp_path: Path) -> None:
    data = jpeg(padding=200_000)
    path = tmp_path / "site.jpg"
    path.write_bytes(data)
    sources = [
        PhotoSource(data, chunk_size=4096),
        PhotoSource(path, chunk_size=4096),
        PhotoSource(io.BytesIO(data), chunk_size=4096),
        # Unseekable is an io.RawIOBase, which typeshed does not count as IO[bytes]; PhotoSource
        # reads it like any binary file.
        PhotoSource(Unseekable(data), chunk_size=4096),  # type: ignore[arg-type]
    ]

    assert [b"".join(source.chunks()) for source in sources] == [data] * 4
    assert [source.size for source in sources] == [len(data)] * 3 + [None]
    assert [source.filename for source in sources] == [
        "photo.jpg",
        "site.jpg",
        "photo.jpg",
        "photo.jpg",
    ]
    assert {source.content_type for source in sources} == {"image/jpeg"}
    for source in sources:
        source.close()


def test_a_seekable_file_is_read_from_its_position() -> None:
    stream = io.BytesIO(b"skip" + webp())
    stream.seek(4)
    source = PhotoSource(stream, filename="t.webp")
    assert source.size == len(webp())
    assert source.content_type == "image/webp"
    assert source.filename == "t.webp"


def test_text_files_are_refused() -> None:
    with pytest.raises(TypeError, match="binary"):
        PhotoSource(io.StringIO("not bytes"))  # type: ignore[arg-type]


def test_multipart_framing() -> None:
    form = MultipartForm(boundary="b0undary")
    body = (
        form.fields({"team": "t1", 'we"ird': "v"})
        + form.file_header("file", "a.jpg", "image/jpeg")
        + b"DATA"
        + form.file_footer
        + form.closing
    )
    assert form.content_type == "multipart/form-data; boundary=b0undary"
    assert body == (
        b'--b0undary\r\nContent-Disposition: form-data; name="team"\r\n\r\nt1\r\n'
        b'--b0undary\r\nContent-Disposition: form-data; name="we%22ird"\r\n\r\nv\r\n'
        b'--b0undary\r\nContent-Disposition: form-data; name="file"; filename="a.jpg"\r\n'
        b"Content-Type: image/jpeg\r\n\r\nDATA\r\n--b0undary--\r\n"
    )
