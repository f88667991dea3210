"""The oracle (`../shared/oracle/check`: the platforms' real validators), for the tests that run
it on generated output. It has no validator for pictures: `plan.svg` files are left out here and
checked by tests/test_plan_command.py instead (parsed as XML, rendered to PNG)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

ORACLE = Path(__file__).resolve().parents[2] / "shared/oracle/check"
ORACLE_VENV = Path(os.environ.get("SHIPGEN_ORACLE_VENV", Path.home() / ".cache/shipgen-oracle/venv"))
READY = ORACLE.is_file() and (ORACLE_VENV / "bin/python").exists()
SKIP_REASON = "the oracle is not set up (../shared/oracle/setup)"
# In CI (SHIPGEN_REQUIRE_TOOLS=1) the oracle tests run even when it is missing, and fail.
SKIP = not READY and os.environ.get("SHIPGEN_REQUIRE_TOOLS") != "1"


def checked_files(folders) -> list:
    """Every file under `folders` the oracle can judge, sorted (it skips dotfiles in a folder it
    walks, but checks every file it is given)."""
    return sorted(str(path) for folder in folders for path in Path(folder).rglob("*")
                  if path.is_file() and path.suffix != ".svg" and not path.name.startswith("."))


def oracle_check(folders, timeout: int = 600) -> subprocess.CompletedProcess:
    files = checked_files(folders)
    assert files, f"nothing to check in {folders}"
    return subprocess.run([str(ORACLE), "-q", *files], capture_output=True, text=True, timeout=timeout)
