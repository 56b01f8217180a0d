"""The sync SDK and sync tests are generated: they must match scripts/unasync.py's output."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "unasync.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("unasync_script", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_generated_code_is_up_to_date() -> None:
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--check"], capture_output=True, text=True, cwd=ROOT
    )
    assert result.returncode == 0, result.stderr


def test_rules_replace_whole_words_only() -> None:
    unasync = _load()
    used: set[int] = set()
    compiled = unasync._compile([("aclose", "close"), ("await ", ""), ("async def", "def")])

    text = unasync.unasync_text(
        "async def f(x):\n    await x.aclose()\n    x.aclosed = reaclose\n", compiled, used
    )

    assert text == "def f(x):\n    x.close()\n    x.aclosed = reaclose\n"
    assert used == {0, 1, 2}


def test_a_rule_that_never_fires_is_reported(tmp_path: Path) -> None:
    unasync = _load()
    (tmp_path / "a" / "_async").mkdir(parents=True)
    (tmp_path / "a" / "_async" / "m.py").write_text("async def f() -> None:\n    pass\n")

    result = unasync.generate(
        tmp_path, [("a/_async", "a/_sync")], [("async def", "def"), ("never_seen", "x")]
    )

    assert result.unused == [("never_seen", "x")]
    assert result.outputs[tmp_path / "a" / "_sync" / "m.py"].endswith(
        "def f() -> None:\n    pass\n"
    )


def test_async_left_behind_is_an_error(tmp_path: Path) -> None:
    unasync = _load()
    (tmp_path / "a" / "_async").mkdir(parents=True)
    (tmp_path / "a" / "_async" / "m.py").write_text("class AsyncThing: ...\n")

    with pytest.raises(unasync.UnasyncError, match="AsyncThing"):
        unasync.generate(tmp_path, [("a/_async", "a/_sync")], [])


def test_stale_and_orphaned_files_are_reported(tmp_path: Path) -> None:
    unasync = _load()
    (tmp_path / "a" / "_async").mkdir(parents=True)
    (tmp_path / "a" / "_sync").mkdir(parents=True)
    (tmp_path / "a" / "_async" / "m.py").write_text("async def f(): ...\n")
    (tmp_path / "a" / "_sync" / "m.py").write_text("async def f(): ...\n")
    (tmp_path / "a" / "_sync" / "gone.py").write_text("")
    dirs = [("a/_async", "a/_sync")]

    problems = unasync.stale_files(
        unasync.generate(tmp_path, dirs, [("async def", "def")]), tmp_path, dirs
    )

    assert problems == ["stale: a/_sync/m.py", "no async source: a/_sync/gone.py"]
