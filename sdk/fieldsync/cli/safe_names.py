"""File and folder names that are safe on Linux, macOS and Windows (pure: no I/O).

Anything from the server (job titles, file names) becomes one path component: no separators
or traversal, no control or Windows-invalid characters, no reserved device names (``CON``,
``NUL``, ``COM1``...), no leading dots (hidden files, ``..``), no trailing dots or spaces,
and at most `MAX_BYTES` bytes of UTF-8 (a common file-name limit).
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterator

__all__ = ["MAX_BYTES", "candidate_names", "job_folder", "safe_component", "with_suffix_id"]

MAX_BYTES = 200
"""Room under the usual 255-byte limit for the ``-<id>`` and temp suffixes."""

_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]')
_RESERVED = re.compile(r"(CON|PRN|AUX|NUL|CONIN\$|CONOUT\$|(COM|LPT)[0-9¹²³])", re.IGNORECASE)


def _truncate(text: str, max_bytes: int) -> str:
    encoded = text.encode("utf-8")
    if len(encoded) <= max_bytes:
        return text
    return encoded[:max_bytes].decode("utf-8", errors="ignore")


def safe_component(text: str, fallback: str, max_bytes: int = MAX_BYTES) -> str:
    """`text` as one safe path component; `fallback` (assumed safe) if nothing is left."""
    name = _UNSAFE.sub("_", unicodedata.normalize("NFC", text))
    stem, dot, extension = name.rpartition(".")
    if not dot or not stem.strip(". ") or len(extension) > 16 or not extension.isalnum():
        stem, dot, extension = name, "", ""
    extension = dot + extension
    stem = _truncate(stem, max(max_bytes - len(extension.encode("utf-8")), 1))
    name = (stem + extension).strip().lstrip(".").rstrip(". ")
    if not name:
        return fallback
    if _RESERVED.fullmatch(name.split(".", 1)[0].rstrip(" ")):
        name = "_" + name
    return name


def job_folder(title: str, job_id: str) -> str:
    """``<title>-<job id>`` for a job's folder, the title made safe and shortened."""
    title_part = safe_component(title, "job", MAX_BYTES - len(job_id) - 1)
    return f"{title_part}-{job_id}"


def with_suffix_id(name: str, record_id: str) -> str:
    """``photo.jpg`` -> ``photo-<id>.jpg``: a second name when the first is taken."""
    stem, dot, extension = name.rpartition(".")
    if not dot or not stem:
        return safe_component(f"{name}-{record_id}", record_id)
    return safe_component(f"{stem}-{record_id}.{extension}", record_id)


def candidate_names(name: str, record_id: str) -> Iterator[str]:
    """`name`, then ``name-<id>``, ``name-<id>-2``...: names to try until one is free."""
    yield name
    yield with_suffix_id(name, record_id)
    for number in itertools.count(2):
        yield with_suffix_id(name, f"{record_id}-{number}")
