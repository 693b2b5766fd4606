"""Starting and stopping the intake process (for `cityloop serve`)."""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from types import TracebackType

from cityloop.adapters.intake_process.protocol import AUTHKEY_ENV, SOCKET_ENV


class IntakeProcessFailed(RuntimeError):
    """The intake process did not start."""


class IntakeProcess:
    """A running intake process; ``stop`` (or leaving the ``with`` block) stops it."""

    def __init__(
        self, proc: subprocess.Popen[bytes], folder: str, address: str, authkey: bytes
    ) -> None:
        self.proc = proc
        self.folder = folder
        self.address = address
        self.authkey = authkey

    @classmethod
    def start(cls, env: Mapping[str, str], timeout_s: float = 180.0) -> IntakeProcess:
        """Start it with the settings in ``env``; return once it listens. Raises
        `IntakeProcessFailed` if it exits first or is not ready within ``timeout_s``."""
        folder = tempfile.mkdtemp(prefix="cityloop-intake-")  # only this user may enter
        address = os.path.join(folder, "intake.sock")
        authkey = secrets.token_bytes(32)
        proc = subprocess.Popen(
            [sys.executable, "-m", "cityloop.adapters.intake_process.server"],
            stdin=subprocess.PIPE,
            env={**env, SOCKET_ENV: address, AUTHKEY_ENV: authkey.hex()},
        )
        started = cls(proc, folder, address, authkey)
        deadline = time.monotonic() + timeout_s
        while not os.path.exists(address):
            if proc.poll() is not None:
                started.stop()
                raise IntakeProcessFailed(
                    f"the intake process exited with status {proc.returncode} while starting "
                    "(its log is above)"
                )
            if time.monotonic() > deadline:
                started.stop()
                raise IntakeProcessFailed(f"the intake process was not ready in {timeout_s} s")
            time.sleep(0.05)
        return started

    def environ(self) -> dict[str, str]:
        """What tells another process where this one is."""
        return {SOCKET_ENV: self.address, AUTHKEY_ENV: self.authkey.hex()}

    def stop(self, timeout_s: float = 30.0) -> None:
        """Close its standard input (it finishes what it has, then exits); kill it if it has
        not exited within ``timeout_s``."""
        if self.proc.stdin is not None and not self.proc.stdin.closed:
            with contextlib.suppress(OSError):  # it is gone already
                self.proc.stdin.close()
        try:
            self.proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> IntakeProcess:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
