"""Version-control facts: the files changed against a git base (`shipgen lint --base REF`), and
which release each changed migration file belongs to.

This is the one fact source that performs I/O (it runs `git`); the lint command calls it once,
before the pure stages, and hands the result to every release as part of the `RunContext`.
"""

from __future__ import annotations

import subprocess
from pathlib import Path, PurePosixPath

MIGRATION_FOLDERS = frozenset({"migrations", "migrate", "migration", "versions", "changelog", "changesets", "sql",
                               "schema", "db"})


def git_changed_files(base: str, cwd: Path | None = None) -> tuple[tuple, str | None]:
    """Paths (relative to the working directory, `/`-separated) that differ between `base` and the
    working tree, untracked files included; or an error message."""
    from ..load import display_path

    def git(*arguments):
        return subprocess.run(["git", *arguments], cwd=cwd, capture_output=True, text=True, check=False)

    top = git("rev-parse", "--show-toplevel")
    if top.returncode != 0:
        return (), f"--base needs a git repository: {top.stderr.strip() or 'git rev-parse failed'}"
    verified = git("rev-parse", "--verify", "--quiet", f"{base}^{{commit}}")
    if verified.returncode != 0:
        return (), f"--base {base}: no such commit, branch or tag in this repository"
    root = Path(top.stdout.strip())
    changed = git("diff", "--name-only", "--no-color", base, "--")
    untracked = git("ls-files", "--others", "--exclude-standard", "--full-name")
    if changed.returncode != 0:
        return (), f"git diff against {base} failed: {changed.stderr.strip()}"
    names = set(changed.stdout.splitlines()) | set(untracked.stdout.splitlines())
    return tuple(sorted(display_path(root / name) for name in names if name)), None


def looks_like_migration(path: str) -> bool:
    parts = PurePosixPath(path).parts
    return path.lower().endswith(".sql") or any(part.lower() in MIGRATION_FOLDERS for part in parts[:-1])


def attribute_changes(releases, changed_files) -> dict:
    """release source -> the changed migration files that belong to it.

    A file belongs to the releases whose declared migrations folder holds it; otherwise to the
    releases whose spec sits in the deepest folder above it."""
    declared = {}
    for release in releases:
        migrations = release.database.migrations
        if migrations is not None:
            declared[release.source] = _folder_of(release.source, migrations.path)
    result: dict = {release.source: [] for release in releases}
    for path in changed_files:
        if not looks_like_migration(path):
            continue
        owners = [source for source, folder in declared.items() if _inside(path, folder)]
        if not owners:
            folders = {release.source: str(PurePosixPath(release.source).parent) for release in releases}
            holding = {source: folder for source, folder in folders.items() if _inside(path, folder)}
            if holding:
                deepest = max(len(PurePosixPath(folder).parts) for folder in holding.values())
                owners = [source for source, folder in holding.items() if len(PurePosixPath(folder).parts) == deepest]
        for owner in owners:
            result[owner].append(path)
    return {source: tuple(paths) for source, paths in result.items()}


def _folder_of(spec: str, relative: str) -> str:
    parts = []
    for part in (PurePosixPath(spec).parent / relative).parts:
        if part == "..":
            if parts:
                parts.pop()
        elif part != ".":
            parts.append(part)
    return "/".join(parts) or "."


def _inside(path: str, folder: str) -> bool:
    return folder in (".", "") or path.startswith(folder.rstrip("/") + "/")


def changed_migration_files(release, context) -> dict:
    """{"all": changed migration files of this release, "outside": those not under its declared folder}."""
    files = list(context.changes.get(release.source, ()))
    migrations = release.database.migrations
    if migrations is None:
        return {"all": files, "outside": files}
    folder = _folder_of(release.source, migrations.path)
    return {"all": files, "outside": [path for path in files if not _inside(path, folder)]}
