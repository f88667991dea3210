"""Flagger: the bounded approval gate, the rollback gate and the other generated hook scripts.

The scripts run here with bash, as the flagger-loadtester runs them, against a stand-in `curl`
(the loadtester's gate endpoints) and `date` (a clock the test moves): the timeout and the
`onTimeout` action must follow the spec to the second. shellcheck checks every script."""

from __future__ import annotations

import subprocess
import textwrap

import pytest

from flagger_support import build, flagger_spec
import tools_support

FAKE_CURL = r"""#!/usr/bin/env bash
# The loadtester's gates: /gate/check answers 200 once /gate/open was called (state in files).
url="${*: -1}"
state="$FAKE_STATE"
case "$url" in
  */gate/check) code=$(cat "$state/gate" 2>/dev/null || echo 403) ;;
  */rollback/check) code=$(cat "$state/rollback" 2>/dev/null || echo 403) ;;
  */gate/close) echo 403 > "$state/gate"; code=202 ;;
  */rollback/close) echo 403 > "$state/rollback"; code=202 ;;
  *) code=404 ;;
esac
for argument in "$@"; do
  if [ "$argument" = "%{http_code}" ]; then printf '%s' "$code"; fi
done
"""

FAKE_DATE = r"""#!/usr/bin/env bash
cat "$FAKE_STATE/now"
"""


class Loadtester:
    """Runs hook scripts as the loadtester would, with a controllable clock and gates."""

    def __init__(self, tmp_path):
        self.bin = tmp_path / "bin"
        self.state = tmp_path / "state"
        self.gates = tmp_path / "gates"
        for folder in (self.bin, self.state, self.gates):
            folder.mkdir()
        for name, text in (("curl", FAKE_CURL), ("date", FAKE_DATE)):
            path = self.bin / name
            path.write_text(text)
            path.chmod(0o755)
        self.at(0)

    def at(self, now: int):
        (self.state / "now").write_text(f"{now}\n")

    def open(self, gate: str):
        (self.state / gate).write_text("200")

    def run(self, script: str) -> int:
        env = {"PATH": f"{self.bin}:/usr/bin:/bin", "FAKE_STATE": str(self.state), "SHIPGEN_GATE_DIR": str(self.gates)}
        return subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True).returncode


def _approval_spec(before: str, timeout: str, on_timeout: str) -> str:
    return flagger_spec(f"""
        type: canary
        interval: 1m
        approval: {{before: {before}, timeout: {timeout}, onTimeout: {on_timeout}}}
        """)


CONFIRM = {"promotion": "confirm-promotion", "rollout": "confirm-rollout"}
PASSES, HOLDS = 0, 1


@pytest.mark.parametrize("before", ["promotion", "rollout"])
@pytest.mark.parametrize("timeout, seconds", [("30m", 1800), ("45s", 45), ("2h", 7200)])
def test_approval_times_out_into_a_rollback(write_spec, tmp_path, before, timeout, seconds):
    built = build(write_spec, _approval_spec(before, timeout, "rollback"))
    confirm = built.webhook(CONFIRM[before])["metadata"]["cmd"]
    rollback = built.webhook("rollback")["metadata"]["cmd"]
    loadtester = Loadtester(tmp_path)
    start = 1_000_000
    loadtester.at(start)
    assert loadtester.run(confirm) == HOLDS  # the clock starts at the first question
    for now in (start + 1, start + seconds - 1):
        loadtester.at(now)
        assert loadtester.run(rollback) == HOLDS
        assert loadtester.run(confirm) == HOLDS
    loadtester.at(start + seconds)
    assert loadtester.run(rollback) == PASSES  # Flagger rolls back at this tick
    # before promotion the confirm gate never lets a timed-out release through; before the rollout it
    # lets the run start so that the rollback gate can end it before any traffic
    assert loadtester.run(confirm) == (PASSES if before == "rollout" else HOLDS)


@pytest.mark.parametrize("before", ["promotion", "rollout"])
def test_approval_times_out_into_going_ahead(write_spec, tmp_path, before):
    built = build(write_spec, _approval_spec(before, "10m", "promote"))
    confirm = built.webhook(CONFIRM[before])["metadata"]["cmd"]
    rollback = built.webhook("rollback")
    assert rollback["url"] == "http://flagger-loadtester.shop/rollback/check"  # only a person rolls back
    loadtester = Loadtester(tmp_path)
    loadtester.at(50)
    assert loadtester.run(confirm) == HOLDS
    loadtester.at(50 + 599)
    assert loadtester.run(confirm) == HOLDS
    loadtester.at(50 + 600)
    assert loadtester.run(confirm) == PASSES


def test_a_person_approves_before_the_timeout(write_spec, tmp_path):
    built = build(write_spec, _approval_spec("promotion", "30m", "rollback"))
    confirm = built.webhook("confirm-promotion")["metadata"]["cmd"]
    rollback = built.webhook("rollback")["metadata"]["cmd"]
    loadtester = Loadtester(tmp_path)
    assert loadtester.run(confirm) == HOLDS
    loadtester.at(600)
    loadtester.open("gate")
    assert loadtester.run(confirm) == PASSES
    loadtester.at(5000)  # long after the timeout: an approved release is not rolled back
    assert loadtester.run(rollback) == HOLDS


def test_a_person_rolls_back_and_the_gates_reset_after_the_run(write_spec, tmp_path):
    built = build(write_spec, _approval_spec("promotion", "30m", "rollback"))
    confirm = built.webhook("confirm-promotion")["metadata"]["cmd"]
    rollback = built.webhook("rollback")["metadata"]["cmd"]
    reset = built.webhook("post-rollout", "gate-reset")["metadata"]["cmd"]
    restart = built.webhook("pre-rollout", "approval-clock-reset")["metadata"]["cmd"]
    loadtester = Loadtester(tmp_path)
    assert loadtester.run(rollback) == HOLDS
    loadtester.open("rollback")
    assert loadtester.run(rollback) == PASSES
    # the run ends: post-rollout closes both gates and stops the clock, so the next release waits again
    loadtester.open("gate")
    assert loadtester.run(confirm) == PASSES
    assert loadtester.run(reset) == 0
    assert loadtester.run(rollback) == HOLDS
    loadtester.at(10_000)
    assert loadtester.run(confirm) == HOLDS  # a fresh clock: 0 s waited, not 10,000
    loadtester.at(10_000 + 1800)
    assert loadtester.run(rollback) == PASSES
    # a restarted run (new revision mid-analysis) restarts the clock through its pre-rollout hook
    assert loadtester.run(restart) == 0
    loadtester.at(20_000)
    assert loadtester.run(confirm) == HOLDS
    assert loadtester.run(rollback) == HOLDS


def test_a_rejection_before_the_rollout_takes_effect_at_once(write_spec, tmp_path):
    built = build(write_spec, _approval_spec("rollout", "1h", "promote"))
    confirm = built.webhook("confirm-rollout")["metadata"]["cmd"]
    rollback = built.webhook("rollback")["url"]
    loadtester = Loadtester(tmp_path)
    assert loadtester.run(confirm) == HOLDS
    loadtester.at(60)
    loadtester.open("rollback")  # Flagger does not poll the rollback gate while the canary is Waiting ...
    assert loadtester.run(confirm) == PASSES  # ... so the run starts, and the open rollback gate ends it
    assert rollback.endswith("/rollback/check")


def test_without_approval_there_is_no_confirm_hook_and_a_manual_rollback_gate(write_spec):
    built = build(write_spec, flagger_spec("type: canary"))
    kinds = [hook["type"] for hook in built.analysis["webhooks"]]
    assert "confirm-promotion" not in kinds and "confirm-rollout" not in kinds
    assert built.webhook("rollback")["url"].endswith("/rollback/check")
    assert "rollback/open" in built.runbook


def test_the_runbook_states_the_approval_numbers(write_spec):
    built = build(write_spec, _approval_spec("promotion", "45m", "rollback"))
    runbook = built.runbook
    assert "Approve before promotion (phase WaitingPromotion) within 45 min" in runbook
    # the gate's clock starts at a tick and is read on ticks: 45 min is a whole number of 1 min ticks, so
    # the rollback is decided at the end of the wait itself (issue 13, item 8)
    assert "it is rolled back 45 min after the wait began. To reject" in runbook
    assert "decided on the next tick" not in runbook
    assert "or when nobody approves within 45 min (strategy.approval.onTimeout: rollback)" in runbook
    assert "/gate/open" in runbook


def _all_scripts(built) -> list:
    return [hook["metadata"]["cmd"] for hook in built.analysis["webhooks"]
            if hook.get("metadata", {}).get("type") in ("bash", "cmd")]


@pytest.mark.skipif(tools_support.absent("shellcheck"), reason="shellcheck is not installed")
@pytest.mark.parametrize("before, on_timeout", [("promotion", "rollback"), ("rollout", "promote")])
def test_hook_scripts_pass_shellcheck(write_spec, tmp_path, before, on_timeout):
    text = _approval_spec(before, "30m", on_timeout).replace("  approval:", "  loadTest: {path: /x}\n  approval:")
    text += textwrap.dedent("""\
        smoke:
          - {name: home, http: {path: "/a?b='c'&d=$(x)", expect: 200}}
          - {name: script, command: [sh, -c, "echo 'quoted' $HOME"]}
        """)
    built = build(write_spec, text)
    scripts = _all_scripts(built)
    assert len(scripts) >= 5
    for index, script in enumerate(scripts):
        path = tmp_path / f"hook{index}.sh"
        path.write_text("#!/usr/bin/env bash\n" + script + "\n")
        result = subprocess.run(["shellcheck", "--severity=warning", str(path)], capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + script


def test_smoke_test_paths_cannot_inject_commands(write_spec, tmp_path):
    text = flagger_spec("type: canary", rest="""
        smoke:
          - {name: home, http: {path: "/$(touch$IFS'INJECTED')';touch$IFS'INJECTED'", expect: 200}}
        """)
    script = build(write_spec, text).webhook("pre-rollout", "smoke-home")["metadata"]["cmd"]
    loadtester = Loadtester(tmp_path)
    subprocess.run(["bash", "-c", script], cwd=tmp_path, capture_output=True,
                   env={"PATH": f"{loadtester.bin}:/usr/bin:/bin", "FAKE_STATE": str(loadtester.state)})
    assert not (tmp_path / "INJECTED").exists()
