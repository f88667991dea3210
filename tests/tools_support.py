"""System tools some tests run for real (shellcheck, HAProxy, nginx, promtool, the oracle).

On a developer's machine a missing tool skips the test that needs it, with the reason. In CI
(`SHIPGEN_REQUIRE_TOOLS=1`, set by `.ci/run`, which installs every tool first) a missing tool is
a failure instead: a test that CI silently skips could never fail there."""

from __future__ import annotations

import os
import shutil

import pytest

REQUIRED = os.environ.get("SHIPGEN_REQUIRE_TOOLS") == "1"


def missing(reason: str) -> None:
    """Skip the calling test (fail it in CI) because something it runs is not installed."""
    if REQUIRED:
        pytest.fail(f"{reason} (SHIPGEN_REQUIRE_TOOLS=1: CI installs it, so this is an error)")
    pytest.skip(reason)


def tool(name: str) -> str:
    """The path of the executable `name`; skips (or, in CI, fails) the test when it is absent."""
    path = shutil.which(name) or next((candidate for candidate in (f"/usr/sbin/{name}", f"/sbin/{name}")
                                       if os.access(candidate, os.X_OK)), None)
    if path is None:
        missing(f"{name} is not installed")
    return path


def absent(name: str) -> bool:
    """For `pytest.mark.skipif`: true when `name` is missing and this is not CI (in CI the test
    runs, and fails on the missing tool)."""
    return not REQUIRED and shutil.which(name) is None
