"""Shared test helpers: write specs to a temporary folder and run shipgen on them."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import settings

from shipgen.cli import main

ROOT = Path(__file__).resolve().parent.parent

# CI runs the same hypothesis examples every time (a red CI must be reproducible); developers'
# runs keep exploring new ones, and a failure they find is saved in .hypothesis/ to replay.
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

MINIMAL_SPEC = """\
apiVersion: shipgen.dev/v1alpha1
kind: Release
metadata: {name: web, team: web-team}
service:
  image: registry.example.com/web:1.0.0
  ports: [{port: 8080}]
  health: {readiness: /ready, liveness: /live}
"""


@pytest.fixture
def write_spec(tmp_path, monkeypatch):
    """write_spec(text, name='release.yaml') -> Path of the written spec (text is dedented).

    Works from tmp_path, so that generated headers name the spec `specs/<name>` on every machine."""
    monkeypatch.chdir(tmp_path)

    def write(text: str, name: str = "release.yaml") -> Path:
        path = tmp_path / "specs" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    return write


@pytest.fixture
def run_shipgen(monkeypatch):
    """run_shipgen(*args, cwd=None) -> click Result; exceptions propagate so a traceback fails the test."""

    monkeypatch.setenv("SHIPGEN_DEBUG", "1")  # a bug must surface as a test failure, not as exit 2

    def run(*args, cwd: Path | None = None):
        if cwd is not None:
            monkeypatch.chdir(cwd)
        return CliRunner().invoke(main, [str(arg) for arg in args], catch_exceptions=False)

    return run


def indent(text: str) -> str:
    """A YAML fragment dedented, then indented two spaces to nest under a key."""
    return textwrap.indent(textwrap.dedent(text).strip("\n"), "  ")


class BuiltRelease:
    """The objects a build wrote for one release, read back from one target's folder."""

    target_folder = ""  # set by subclasses: "flagger", "argo-rollouts", ...

    def __init__(self, files: dict, folder: str):
        self.files = files
        self.folder = folder

    def has(self, name: str) -> bool:
        return f"{self.folder}/{self.target_folder}/{name}" in self.files

    def objects(self, name: str) -> list:
        import yaml

        return list(yaml.safe_load_all(self.files[f"{self.folder}/{self.target_folder}/{name}"].decode()))

    def object(self, name: str) -> dict:
        (document,) = self.objects(name)
        return document


def release_from(path: Path):
    """The normalized Release of one spec file (fails the test on any error)."""
    from shipgen.pipeline import check_specs

    checked = check_specs([path])
    assert [d for d in checked.diagnostics if d.severity == "error"] == []
    (release,) = checked.releases
    return release
