"""The two sides of a diff, read through git without touching the working tree.

A ref's files are exported with `git archive` into a scratch folder that is removed afterwards;
the working tree is read where it is. Every git failure becomes a `RevisionProblem` with a
message a person can act on (a ref that does not exist, a shallow clone without the base, a
folder that is not a repository).
"""

from __future__ import annotations

import io
import subprocess
import tarfile
from pathlib import Path

WORKING_TREE = None  # a head of None: the files as they are on disk
DEFAULT_BRANCHES = ("origin/HEAD", "origin/main", "origin/master", "main", "master")


class RevisionProblem(ValueError):
    """A ref that cannot be read; the message says what to do."""


def git(root: Path, *arguments, binary: bool = False) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *arguments], cwd=root, capture_output=True, text=not binary, check=False)


def repository_root(folder: Path) -> Path:
    result = git(folder, "rev-parse", "--show-toplevel")
    if result.returncode != 0:
        raise RevisionProblem(f"shipgen diff compares git revisions, and {folder} is not in a git repository")
    return Path(result.stdout.strip())


def commit_of(root: Path, ref: str) -> str:
    result = git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    if result.returncode != 0:
        hint = " (this clone is shallow: fetch the history, e.g. actions/checkout with fetch-depth: 0)" \
            if is_shallow(root) else ""
        raise RevisionProblem(f"{ref}: no such commit, branch or tag in this repository{hint}")
    return result.stdout.strip()


def is_shallow(root: Path) -> bool:
    return git(root, "rev-parse", "--is-shallow-repository").stdout.strip() == "true"


def default_base(root: Path, head: str | None) -> tuple:
    """(ref, commit): the merge base of the head with the repository's default branch."""
    head_ref = head or "HEAD"
    for branch in DEFAULT_BRANCHES:
        if git(root, "rev-parse", "--verify", "--quiet", f"{branch}^{{commit}}").returncode != 0:
            continue
        merge_base = git(root, "merge-base", branch, head_ref)
        if merge_base.returncode == 0:
            return f"merge-base({branch})", merge_base.stdout.strip()
        shallow = " This clone is shallow: fetch the history (actions/checkout with fetch-depth: 0)." \
            if is_shallow(root) else ""
        raise RevisionProblem(f"{branch} and {head_ref} share no commit, so there is no base to compare "
                              f"with.{shallow} Or name one with --base REF.")
    raise RevisionProblem("no default branch (origin/HEAD, origin/main, main, master) to compare with: name the "
                          "base with --base REF")


def export(root: Path, commit: str, destination: Path) -> None:
    """The files of `commit` under `destination` (a fresh scratch folder)."""
    archive = git(root, "archive", "--format=tar", commit, binary=True)
    if archive.returncode != 0:
        raise RevisionProblem(f"git archive {commit[:12]} failed: {archive.stderr.decode(errors='replace').strip()}")
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as bundle:
        for member in bundle.getmembers():
            target = destination / member.name
            if not member.isfile() or ".." in Path(member.name).parts or Path(member.name).is_absolute():
                continue  # folders come with their files; links and odd paths are not specs
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(bundle.extractfile(member).read())
