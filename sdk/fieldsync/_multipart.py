"""multipart/form-data framing for a streamed upload (bytes only; no I/O here).

`httpx` can build multipart bodies itself, but only with every field known up front. A photo
upload streams the file first and sends the fields it learns while streaming (the sha256 and
the id derived from it) after the file, so the framing is written out here.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping

__all__ = ["MultipartForm"]


def _quote(value: str) -> str:
    # HTML5 form encoding of names in Content-Disposition, as browsers and httpx do.
    return value.replace("\\", "\\\\").replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


class MultipartForm:
    """The byte pieces of one multipart body sharing one boundary."""

    def __init__(self, boundary: str | None = None) -> None:
        self.boundary = boundary or secrets.token_hex(16)
        self._delimiter = f"--{self.boundary}\r\n".encode("ascii")

    @property
    def content_type(self) -> str:
        return f"multipart/form-data; boundary={self.boundary}"

    def fields(self, values: Mapping[str, str]) -> bytes:
        """Text fields, each a complete part."""
        parts = []
        for name, value in values.items():
            parts.append(
                self._delimiter
                + f'Content-Disposition: form-data; name="{_quote(name)}"\r\n\r\n'.encode()
                + value.encode()
                + b"\r\n"
            )
        return b"".join(parts)

    def file_header(self, name: str, filename: str, content_type: str) -> bytes:
        """The start of a file part; the file's bytes follow, then `file_footer`."""
        return (
            self._delimiter
            + (
                f'Content-Disposition: form-data; name="{_quote(name)}"; '
                f'filename="{_quote(filename)}"\r\n'
                f"Content-Type: {content_type}\r\n\r\n"
            ).encode()
        )

    file_footer = b"\r\n"

    @property
    def closing(self) -> bytes:
        return f"--{self.boundary}--\r\n".encode("ascii")
