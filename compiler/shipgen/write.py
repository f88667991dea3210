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
import stat
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
    check_relative_path(path)
    return PurePosixPath(path)


def check_relative_path(path: str) -> None:
    """`safe_relative_path` without making the path (OutputError, or nothing)."""
    if (not path or "\\" in path or "\x00" in path or path.startswith("/") or any(part in ("..", ".", "") for part in
                                                                                   path.split("/"))):
        raise OutputError(f"refusing to write {path!r}: it would leave the output directory")


def write_tree(out: Path, files: dict, reuse: bool = False) -> list[Diagnostic]:
    """Replace `out` with exactly `files` ({relative path: bytes}). Returns problems, if any.

    With `reuse` (builds with a cache), folders of `out` that already hold exactly what they
    would hold after the build (the same names, bytes and modes: `identical_folders`) are moved
    into the new tree instead of being written again, after the old tree has been renamed away
    and before the new one is renamed into place; when all of `out` is as it would be, nothing
    is written. Either way `out` ends up the same, byte for byte and mode for mode, and a
    failure puts the previous tree back."""
    try:
        for name in files:
            check_relative_path(name)
        _check_replaceable(out)
    except OutputError as error:
        return [Diagnostic("SG005", "output", str(error), str(out))]
    out = out.absolute()
    kept = identical_folders(out, files) if reuse and out.is_dir() else set()
    if "" in kept:
        return []  # out is exactly what this build would write
    relative = {PurePosixPath(name): data for name, data in files.items() if not (kept and _inside(name, kept))}
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.shipgen-new-", dir=out.parent))
    previous = None
    moved: list = []
    try:
        os.chmod(staging, 0o755)
        for name, data in sorted(relative.items()):
            target = staging.joinpath(*name.parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            os.chmod(target, file_mode(name.name))
        (staging / MARKER).write_text(MARKER_TEXT, encoding="utf-8")
        if out.exists():
            previous = Path(tempfile.mkdtemp(prefix=f".{out.name}.shipgen-old-", dir=out.parent))
            os.rename(out, previous / "tree")
        for folder in sorted(kept):
            if _inside(folder, kept):
                continue  # moved with the folder holding it
            target = staging / folder
            target.parent.mkdir(parents=True, exist_ok=True)
            os.rename(previous / "tree" / folder, target)
            moved.append(folder)
        os.rename(staging, out)
    except OSError as error:
        if previous is not None and not out.exists():
            for folder in reversed(moved):
                os.rename(staging / folder, previous / "tree" / folder)
            os.rename(previous / "tree", out)
        shutil.rmtree(staging, ignore_errors=True)
        return [Diagnostic("SG005", "output", f"cannot write the output: {error}", str(out))]
    finally:
        if previous is not None:
            shutil.rmtree(previous, ignore_errors=True)
    return []


def file_mode(name: str) -> int:
    """0o755 for a script (by its suffix, as PurePosixPath.suffix reads it), else 0o644."""
    dot = name.rfind(".")
    return 0o755 if 0 < dot < len(name) - 1 and name[dot:] in EXECUTABLE_SUFFIXES else 0o644


def _inside(name: str, folders: set) -> bool:
    """Whether a folder of `folders` holds `name` (both relative, `/`-separated)."""
    while "/" in name:
        name = name.rpartition("/")[0]
        if name in folders:
            return True
    return False


def identical_folders(out: Path, files: dict) -> set:
    """The folders of `out` (relative, `/`-separated; "" for `out` itself) that hold exactly what
    `write_tree` would put there: the same entries, each file regular with the same bytes and
    mode, ours and linked nowhere else (else an edit elsewhere would change it), each folder the
    mode a new one gets, and (for `out`) the marker file. `files` has paths `safe_relative_path`
    accepts."""
    umask = os.umask(0)
    os.umask(umask)
    folder_mode, marker_mode = 0o777 & ~umask, 0o666 & ~umask
    user = os.getuid() if hasattr(os, "getuid") else 0
    expected: dict = {"": {MARKER: (MARKER_TEXT.encode("utf-8"), marker_mode)}}
    for name, data in files.items():
        folder, _, base = name.rpartition("/")
        expected.setdefault(folder, {})[base] = (data, file_mode(base))
        while folder and folder not in expected.get(folder.rpartition("/")[0], {}):
            parent, _, child = folder.rpartition("/")
            expected.setdefault(parent, {})[child] = None  # a folder
            folder = parent
    identical: set = set()

    def same(folder: str, mode: int) -> bool:
        wanted = expected[folder]
        result = mode == (0o755 if folder == "" else folder_mode)
        try:
            entries = {entry.name: entry for entry in os.scandir(out / folder if folder else out)}
        except OSError:
            return False
        result = result and entries.keys() == wanted.keys()
        for name, entry in entries.items():
            if name not in wanted:
                continue
            try:
                status = entry.stat(follow_symlinks=False)
            except OSError:
                result = False
                continue
            if wanted[name] is None:
                child = f"{folder}/{name}" if folder else name
                if not stat.S_ISDIR(status.st_mode) or not same(child, stat.S_IMODE(status.st_mode)):
                    result = False
                continue
            data, file_mode = wanted[name]
            if not (stat.S_ISREG(status.st_mode) and stat.S_IMODE(status.st_mode) == file_mode
                    and status.st_size == len(data) and status.st_nlink == 1 and status.st_uid == user):
                result = False
                continue
            try:
                with open(entry.path, "rb") as handle:
                    if handle.read() != data:
                        result = False
            except OSError:
                result = False
        if result:
            identical.add(folder)
        return result

    try:
        top = os.lstat(out)
    except OSError:
        return set()
    if stat.S_ISDIR(top.st_mode):
        same("", stat.S_IMODE(top.st_mode))
    return identical


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
