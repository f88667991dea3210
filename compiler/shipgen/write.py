"""Write: put a build's files into the output directory, or compare them with it.

A build owns its output directory. Files are written into a hidden staging directory beside
it, which then replaces the directory in two renames, so a failed build leaves the previous
output untouched and readers never see half a build. Every path is checked to stay inside the
output directory before anything is written. A directory that is not empty and lacks the
marker file `.shipgen-output` was not written by shipgen and is never replaced.
"""

from __future__ import annotations

import difflib
import os
import shutil
import tempfile
from pathlib import Path, PurePosixPath

from .diagnostics import Diagnostic

MARKER = ".shipgen-output"
MARKER_TEXT = "This folder is written by `shipgen build` and replaced whole by each build. Do not edit.\n"
EXECUTABLE_SUFFIXES = (".sh",)


class OutputError(Exception):
    pass


def safe_relative_path(path: str) -> PurePosixPath:
    """A path that stays inside the output directory, or OutputError."""
    pure = PurePosixPath(path)
    if (not path or "\\" in path or "\x00" in path or pure.is_absolute() or any(part in ("..", ".", "") for part in
                                                                               path.split("/"))):
        raise OutputError(f"refusing to write {path!r}: it would leave the output directory")
    return pure


def write_tree(out: Path, files: dict) -> list[Diagnostic]:
    """Replace `out` with exactly `files` ({relative path: bytes}). Returns problems, if any."""
    try:
        relative = {safe_relative_path(name): data for name, data in files.items()}
        _check_replaceable(out)
    except OutputError as error:
        return [Diagnostic("SG005", "output", str(error), str(out))]
    out = out.absolute()
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.shipgen-new-", dir=out.parent))
    previous = None
    try:
        os.chmod(staging, 0o755)
        for name, data in sorted(relative.items()):
            target = staging.joinpath(*name.parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            os.chmod(target, 0o755 if name.suffix in EXECUTABLE_SUFFIXES else 0o644)
        (staging / MARKER).write_text(MARKER_TEXT, encoding="utf-8")
        if out.exists():
            previous = Path(tempfile.mkdtemp(prefix=f".{out.name}.shipgen-old-", dir=out.parent))
            os.rename(out, previous / "tree")
        os.rename(staging, out)
    except OSError as error:
        if previous is not None and not out.exists():
            os.rename(previous / "tree", out)
        shutil.rmtree(staging, ignore_errors=True)
        return [Diagnostic("SG005", "output", f"cannot write the output: {error}", str(out))]
    finally:
        if previous is not None:
            shutil.rmtree(previous, ignore_errors=True)
    return []


def _check_replaceable(out: Path):
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out} exists and is not a directory")
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).is_file():
        raise OutputError(f"refusing to replace {out}: it is not empty and was not written by shipgen "
                          f"(no {MARKER} file); choose an empty or new directory")


def compare_tree(out: Path, files: dict) -> list[str]:
    """Unified diffs (and notes of missing or extra files) between `out` and `files`."""
    expected = {str(safe_relative_path(name)): data for name, data in files.items()}
    actual = {}
    if out.is_dir():
        for path in sorted(out.rglob("*")):
            relative = path.relative_to(out).as_posix()
            if path.is_file() and relative != MARKER:
                actual[relative] = path.read_bytes()
    differences = []
    for name in sorted(set(expected) | set(actual)):
        if name not in actual:
            differences.append(f"missing: {out / name} (a build would write it)")
        elif name not in expected:
            differences.append(f"extra: {out / name} (a build would remove it)")
        elif actual[name] != expected[name]:
            differences.append(_diff(out / name, actual[name], expected[name]))
    return differences


def _diff(path: Path, actual: bytes, expected: bytes) -> str:
    before = actual.decode("utf-8", errors="replace").splitlines(keepends=True)
    after = expected.decode("utf-8", errors="replace").splitlines(keepends=True)
    lines = difflib.unified_diff(before, after, fromfile=f"{path} (on disk)", tofile=f"{path} (as built)")
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines).rstrip("\n")
