"""The README documents every setting the sidecar reads, and nothing that does not exist."""

from __future__ import annotations

import re
from pathlib import Path

from sidecar.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()


def _table_variables() -> set[str]:
    section = README.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `(FIELDSYNC_[A-Z0-9_]+)`", section, flags=re.MULTILINE))


def test_every_sidecar_setting_is_in_the_configuration_table() -> None:
    settings = {f"FIELDSYNC_{name.upper()}" for name in Settings.model_fields}
    assert settings - _table_variables() == set()


def test_the_table_lists_only_variables_something_reads() -> None:
    settings = {f"FIELDSYNC_{name.upper()}" for name in Settings.model_fields}
    sources = "".join(
        path.read_text()
        for pattern in (
            "run.sh",
            "pocketbase/*.sh",
            "frontdoor/*",
            "pb_hooks/**/*.js",
            "sdk/fieldsync/cli/*.py",
        )
        for path in ROOT.glob(pattern)
        if path.is_file()
    )
    for variable in _table_variables() - settings:
        assert variable in sources, f"{variable} is documented but nothing reads it"
