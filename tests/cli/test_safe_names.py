"""Names from the server become safe single path components (pure, no I/O)."""

from __future__ import annotations

import pytest
from fieldsync.cli.safe_names import MAX_BYTES, job_folder, safe_component, with_suffix_id

ID = "abcdefghij12345"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("photo.jpg", "photo.jpg"),
        ("../../etc", "_.._etc"),
        ("..", "fallback"),
        ("a/b\\c", "a_b_c"),
        ('x<>:"|?*.jpg', "x_______.jpg"),
        ("CON", "_CON"),
        ("con.txt", "_con.txt"),
        ("nul.tar.gz", "_nul.tar.gz"),
        ("COM1", "_COM1"),
        ("lpt9.jpg", "_lpt9.jpg"),
        ("CONSOLE.jpg", "CONSOLE.jpg"),
        ("trailing. . ", "trailing"),
        (".hidden.jpg", "hidden.jpg"),
        ("tab\there\n", "tab_here_"),
        ("", "fallback"),
    ],
)
def test_safe_component(raw: str, expected: str) -> None:
    assert safe_component(raw, "fallback") == expected


def test_long_names_keep_their_extension_within_the_byte_limit() -> None:
    name = safe_component("é" * 300 + ".jpeg", "fallback")
    assert name.endswith(".jpeg") and len(name.encode()) <= MAX_BYTES


def test_job_folder_always_ends_with_the_id() -> None:
    assert job_folder("../../etc", ID) == f"_.._etc-{ID}"
    assert job_folder("CON", ID) == f"_CON-{ID}"
    assert job_folder("...", ID) == f"job-{ID}"
    long = job_folder("x" * 500, ID)
    assert long.endswith(f"-{ID}") and len(long.encode()) <= MAX_BYTES


def test_second_names() -> None:
    assert with_suffix_id("photo.jpg", ID) == f"photo-{ID}.jpg"
    assert with_suffix_id("README", ID) == f"README-{ID}"
