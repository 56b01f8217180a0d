"""A small disk for PocketBase's data dir: a size-limited tmpfs in a mount namespace of its own.

    disk = SmallDisk.make(tmp_path / "pb_data", size_mb=48)   # None when not possible here
    pb = PocketBaseProcess(disk.path, env=disk.env())          # every pb.sh command runs inside
    ...
    disk.free_mb(); disk.fill(leave_mb=6); disk.unfill()       # what an operator's disk does

A holder process (`unshare -m`, or `unshare -r -m` without root: a user namespace whose root
may mount tmpfs) keeps the namespace; the tmpfs is mounted over `path` there only, so the host
never sees it and it vanishes with the last process inside. PocketBase is run in it through
`FIELDSYNC_PB_BIN`, a wrapper that `nsenter`s the namespace and execs the real binary (same
pid). The test reaches the files through `/proc/<holder>/root`, as any process may.
"""

from __future__ import annotations

import errno
import os
import shutil
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tests.support.pocketbase import ROOT

PB_BIN = ROOT / ".venv" / "bin" / "pocketbase"
BALLAST = "ballast.bin"
"""The file `fill` writes next to the data dir's contents: space taken by something else."""


@dataclass
class SmallDisk:
    path: Path
    """The mount point: PocketBase's data dir."""
    holder: subprocess.Popen[bytes]
    wrapper: Path
    user_namespace: bool

    @staticmethod
    def unavailable() -> str | None:
        """Why a small disk cannot be made here (None when it can)."""
        missing = [tool for tool in ("unshare", "nsenter", "mount") if shutil.which(tool) is None]
        if missing:
            return f"{', '.join(missing)} not installed (util-linux)"
        attempts = [["unshare", "-m"]] if os.geteuid() == 0 else []
        attempts.append(["unshare", "-r", "-m"])
        errors = []
        for prefix in attempts:
            probe = subprocess.run(
                [*prefix, "sh", "-c", "mount -t tmpfs -o size=1m fieldsync-probe /mnt"],
                capture_output=True,
                text=True,
                timeout=10,
            )
            if probe.returncode == 0:
                return None
            errors.append(f"`{' '.join(prefix)}`: {probe.stderr.strip() or probe.returncode}")
        return (
            "cannot mount a size-limited tmpfs in a mount namespace here ("
            + "; ".join(errors)
            + "): needs root, or unprivileged user namespaces (kernel.unprivileged_userns_clone"
            " / AppArmor's userns restriction off)"
        )

    @classmethod
    def make(cls, path: Path, size_mb: int) -> SmallDisk:
        """Mount a `size_mb` tmpfs over `path` (created) in a new mount namespace."""
        path.mkdir(parents=True, exist_ok=True)
        user_namespace = os.geteuid() != 0
        unshare = ["unshare", "-r", "-m"] if user_namespace else ["unshare", "-m"]
        holder = subprocess.Popen(
            [
                *unshare,
                "sh",
                "-c",
                f'mount -t tmpfs -o size={size_mb}m fieldsync-small "$0" && echo ready && '
                "exec sleep infinity",
                str(path),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        assert holder.stdout is not None
        if holder.stdout.readline().strip() != b"ready":
            holder.kill()
            _, err = holder.communicate(timeout=10)
            raise RuntimeError(f"could not mount the small disk: {err.decode().strip()}")
        enter = ["nsenter", f"--target={holder.pid}", "--mount"]
        if user_namespace:
            enter += ["--user", "--preserve-credentials"]
        wrapper = path.parent / f"pocketbase-in-{path.name}.sh"
        wrapper.write_text(f'#!/bin/sh\nexec {" ".join(enter)} -- "{PB_BIN}" "$@"\n')
        wrapper.chmod(0o755)
        return cls(path, holder, wrapper, user_namespace)

    def env(self) -> dict[str, str]:
        """What `PocketBaseProcess(env=...)` needs to run PocketBase on this disk."""
        return {"FIELDSYNC_PB_BIN": str(self.wrapper)}

    def inside(self, relative: str = "") -> Path:
        """A path on the small disk as this process reaches it."""
        return Path(f"/proc/{self.holder.pid}/root") / str(self.path).lstrip("/") / relative

    def free_mb(self) -> float:
        stats = os.statvfs(self.inside())
        return stats.f_bavail * stats.f_frsize / 2**20

    def fill(self, leave_mb: float = 0.0) -> None:
        """Take all but `leave_mb` of the free space (a ballast file, as other data would);
        with 0, every last block (whatever else is being written meanwhile)."""
        take = int((self.free_mb() - leave_mb) * 2**20)
        with self.inside(BALLAST).open("ab", buffering=0) as ballast:
            for chunk in (1 << 20, 4096):
                try:
                    while take >= chunk or (not leave_mb and take > 0):
                        ballast.write(b"\0" * chunk)
                        take -= chunk
                except OSError as exc:
                    if exc.errno != errno.ENOSPC:
                        raise

    def unfill(self) -> None:
        """Give the ballast's space back (an operator clearing the disk)."""
        self.inside(BALLAST).unlink(missing_ok=True)

    def close(self) -> None:
        """Stop the holder; the tmpfs goes when the last process inside it (PocketBase) does."""
        if self.holder.poll() is None:
            self.holder.send_signal(signal.SIGKILL)
        self.holder.wait(timeout=10)
        self.wrapper.unlink(missing_ok=True)
