"""Argo Rollouts check Jobs: the approval wait and the HTTP smoke check are real shell scripts,
run here with a stand-in file and a stand-in curl, and checked by shellcheck."""

from __future__ import annotations

import os
import subprocess
import time

import pytest

from shipgen.targets.argo.objects import APPROVAL_FILE, APPROVAL_SCRIPT, HTTP_CHECK_SCRIPT
import tools_support


def run_approval(tmp_path, timeout_s: int, exit_code: str, approved: bool):
    marker = tmp_path / "approved"
    if approved:
        marker.write_text("")
    script = APPROVAL_SCRIPT.replace(APPROVAL_FILE, str(marker))
    assert script != APPROVAL_SCRIPT
    return subprocess.run(["sh", "-c", script, "approval", str(timeout_s), exit_code], capture_output=True,
                          text=True, timeout=30)


def test_an_approved_wait_succeeds_at_once(tmp_path):
    started = time.monotonic()
    result = run_approval(tmp_path, 600, "1", approved=True)
    assert result.returncode == 0 and "approved" in result.stdout
    assert time.monotonic() - started < 5


@pytest.mark.parametrize("exit_code, expected", [("1", 1), ("0", 0)])
def test_an_unanswered_wait_ends_at_the_timeout_with_the_decided_default(tmp_path, exit_code, expected):
    result = run_approval(tmp_path, 1, exit_code, approved=False)
    assert result.returncode == expected
    assert "no approval within 1 s" in result.stdout


@pytest.fixture
def fake_curl(tmp_path):
    """A `curl` that prints the status code in $FAKE_STATUS, as `--write-out '%{http_code}'` would."""
    folder = tmp_path / "bin"
    folder.mkdir()
    curl = folder / "curl"
    curl.write_text('#!/bin/sh\nprintf "%s" "$FAKE_STATUS"\n')
    curl.chmod(0o755)
    return folder


@pytest.mark.parametrize("status, expected", [("204", 0), ("500", 1)])
def test_http_check_passes_only_on_the_expected_status(fake_curl, status, expected):
    env = dict(os.environ, PATH=f"{fake_curl}:{os.environ['PATH']}", FAKE_STATUS=status)
    result = subprocess.run(["sh", "-c", HTTP_CHECK_SCRIPT, "smoke", "http://web/ping", "10", "HEAD", "204"],
                            capture_output=True, text=True, env=env, timeout=30)
    assert result.returncode == expected
    assert f"HEAD http://web/ping -> {status} (expected 204)" in result.stdout


@pytest.mark.skipif(tools_support.absent("shellcheck"), reason="shellcheck is not installed")
@pytest.mark.parametrize("script", [APPROVAL_SCRIPT, HTTP_CHECK_SCRIPT])
def test_check_scripts_pass_shellcheck(tmp_path, script):
    path = tmp_path / "check.sh"
    path.write_text("#!/bin/sh\n" + script + "\n")
    result = subprocess.run(["shellcheck", "--severity=style", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout
