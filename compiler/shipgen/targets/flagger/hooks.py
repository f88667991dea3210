"""Flagger webhooks generated from the spec, run by the flagger-loadtester.

Emits `analysis.webhooks[]` entries of a `flagger.app/v1beta1` Canary (targets-k8s.md §1.5): smoke
tests as `pre-rollout` hooks, the load test as a `rollout` hook, the approval gate as
`confirm-rollout` / `confirm-promotion`, the `rollback` gate, and `post-rollout` hooks (gate reset,
notification). Every command a hook runs is a bash script built here with each spec value quoted
(`shell.quote`); the loadtester (image with bash, curl, hey) runs it for `metadata.type: bash`
and answers 200 when it exits 0, 500 otherwise.

**A bounded approval gate.** Flagger's confirm hooks wait as long as they fail, with no timeout
of their own. shipgen's gate is a script in the loadtester that starts a clock the first time
Flagger asks, answers yes as soon as a person opened the loadtester gate (`/gate/open`), and
after `strategy.approval.timeout` takes the spec's `onTimeout` action:

* `promote`: the confirm hook answers yes: the rollout starts (before: rollout) or the new
  version is promoted (before: promotion).
* `rollback`: the `rollback` hook answers yes, and Flagger rolls the canary back at its next
  tick (the rollback hook is polled in Progressing and WaitingPromotion, §1.5). A confirm-rollout
  gate (before: rollout) answers yes at the same moment, so the run can start and be rolled back
  before any traffic reaches it (the rollback poll comes before the first traffic step, §1.7).
  Flagger does not poll the rollback gate while Waiting, so a confirm-rollout gate also answers
  yes when a person opened the rollback gate: a rejection takes effect at once, the same way.

The clock lives in a file in the loadtester pod (`$SHIPGEN_GATE_DIR`, default /tmp); the
`post-rollout` hook removes it and closes the gates after every run (a gate left open would
approve, or roll back, the next release), and for a promotion gate a `pre-rollout` hook restarts
it when a run (re)starts. Gates are decided once per analysis tick, so the action happens between
`timeout` and `timeout + interval`. Run the loadtester with one replica (its chart's default): the
gates and the clock are per pod.
"""

from __future__ import annotations

import json

from ...durations import go_duration
from ...model import Release
from ...shell import command, quote
from .checks import LOAD_TEST_THROUGH_ROUTER, flagger_duration

LOADTESTER = "flagger-loadtester"
LOADTESTER_LOCAL = "http://localhost:8080"  # inside the loadtester pod (its chart's port)
QUICK_HOOK_TIMEOUT_S = 10  # gate checks and resets answer at once
LOAD_TEST_HOOK_TIMEOUT_S = 5  # a `cmd` task is started in the background: the loadtester answers 202 at once
MAX_LOAD_WORKERS = 10


def loadtester_url(release: Release, path: str = "/") -> str:
    return f"http://{LOADTESTER}.{release.namespace}{path}"


def gate_payload(release: Release) -> str:
    """The body the loadtester's gate endpoints read to know which canary a gate is for."""
    return json.dumps({"name": release.name, "namespace": release.namespace}, separators=(",", ":"))


def gate_request(release: Release, endpoint: str, status: bool = True) -> str:
    """curl of a loadtester gate endpoint from inside its pod, printing the HTTP status if asked."""
    words = ["curl", "--silent", "--output", "/dev/null"]
    if status:
        words += ["--write-out", "%{http_code}"]
    return command(*words, "--request", "POST", "--data", gate_payload(release), f"{LOADTESTER_LOCAL}{endpoint}")


def approval_stamp(release: Release) -> str:
    """The file that holds when the approval clock started (seconds since the epoch)."""
    return '"${SHIPGEN_GATE_DIR:-/tmp}"/' + quote(f"shipgen-approval.{release.namespace}.{release.name}")


SMOKE_HOOK_MARGIN_S = 5  # for the loadtester to start the command and report its result


def _webhook(name: str, kind: str, url: str, timeout_s: int, script: str = "", metadata: dict | None = None) -> dict:
    hook = {"name": name, "type": kind, "url": url, "timeout": flagger_duration(timeout_s)}
    if script:
        hook["metadata"] = {"type": "bash", "cmd": script}
    elif metadata:
        hook["metadata"] = metadata
    return hook


# ---------------------------------------------------------------------------- scripts


def approval_script(release: Release) -> str:
    approval = release.strategy.approval
    timeout = approval.timeout_s
    proceed = approval.on_timeout == "promote" or approval.before == "rollout"
    if approval.on_timeout == "promote":
        outcome = "going ahead (strategy.approval.onTimeout: promote)"
    elif approval.before == "rollout":
        outcome = "starting the run so that the rollback gate rolls it back before any traffic"
    else:
        outcome = "the rollback gate rolls the release back (strategy.approval.onTimeout: rollback)"
    rejected = ()
    if approval.before == "rollout":  # Flagger does not poll the rollback gate while Waiting (§1.5)
        rejected = (
            f'if [ "$({gate_request(release, "/rollback/check")})" = 200 ]; then',
            '  echo "rejected: starting the run so that the rollback gate ends it before any traffic"',
            "  exit 0",
            "fi",
        )
    return "\n".join((
        "set -euo pipefail",
        f"stamp={approval_stamp(release)}",
        '[ -s "$stamp" ] || date +%s > "$stamp"',
        'waited=$(( $(date +%s) - $(cat "$stamp") ))',
        f'if [ "$({gate_request(release, "/gate/check")})" = 200 ]; then',
        '  echo "approved after ${waited}s"',
        "  exit 0",
        "fi",
        *rejected,
        f'if [ "$waited" -ge {timeout} ]; then',
        f"  echo {quote(f'no approval within {timeout}s: {outcome}')}",
        f"  exit {0 if proceed else 1}",
        "fi",
        f'echo "waiting for approval: ${{waited}}s of {timeout}s"',
        "exit 1",
    ))


def timed_rollback_script(release: Release) -> str:
    """The rollback gate: a person opened it, or nobody approved within the timeout."""
    timeout = release.strategy.approval.timeout_s
    return "\n".join((
        "set -euo pipefail",
        f'if [ "$({gate_request(release, "/rollback/check")})" = 200 ]; then',
        '  echo "rollback requested"',
        "  exit 0",
        "fi",
        f"stamp={approval_stamp(release)}",
        f'if [ -s "$stamp" ] && [ "$({gate_request(release, "/gate/check")})" != 200 ]; then',
        '  waited=$(( $(date +%s) - $(cat "$stamp") ))',
        f'  if [ "$waited" -ge {timeout} ]; then',
        f"    echo {quote(f'no approval within {timeout}s: rolling back (strategy.approval.onTimeout: rollback)')}",
        "    exit 0",
        "  fi",
        "fi",
        "exit 1",
    ))


def reset_script(release: Release, close_rollback: bool) -> str:
    """Remove the approval clock and close the gates, so that nothing carries over to the next run."""
    lines = ["set -uo pipefail", f"rm -f {approval_stamp(release)}", gate_request(release, "/gate/close", status=False)]
    if close_rollback:
        lines.append(gate_request(release, "/rollback/close", status=False))
    return "\n".join(lines)


def canary_url(release: Release, path: str) -> str:
    """The new version's pods, through the `<name>-canary` Service Flagger creates (§1.1)."""
    port = release.service.main_port.service_port
    return f"http://{release.name}-canary.{release.namespace}:{port}{path}"


def smoke_script(release: Release, test) -> str:
    if test.http_path is None:
        return "set -euo pipefail\n" + command(*test.command)
    request = command("curl", "--silent", "--output", "/dev/null", "--write-out", "%{http_code}", "--max-time",
                      str(test.timeout_s), "--request", test.method, canary_url(release, test.http_path))
    said = quote(f"{test.method} {test.http_path} answered ")
    return "\n".join((
        "set -euo pipefail",
        f"code=$({request})",
        f'[ "$code" = {test.expect} ] || {{ echo {said}"$code"{quote(f", expected {test.expect}")}; exit 1; }}',
    ))


def load_workers(requests_per_second: int) -> tuple:
    """(workers, rate per worker) for `hey`, whose `-q` is per worker: the product is the spec's rate."""
    workers = max(count for count in range(1, MAX_LOAD_WORKERS + 1) if requests_per_second % count == 0)
    return workers, requests_per_second // workers


def load_test_command(release: Release) -> str:
    load = release.strategy.load_test
    workers, rate = load_workers(load.requests_per_second)
    words = ["hey", "-z", go_duration(release.strategy.interval_s), "-q", str(rate), "-c", str(workers)]
    if release.platform.traffic.provider in LOAD_TEST_THROUGH_ROUTER and release.strategy.type != "blue-green":
        # NGINX and Gateway API metrics count requests through the ingress or gateway only (a
        # blue/green router sends the new version none before promotion: the load goes to it directly)
        words += _matching_headers(release)
        url = f"http://{release.platform.traffic.hosts[0]}{load.path}"
    else:
        url = canary_url(release, load.path)
    return command(*words, url)


def _matching_headers(release: Release) -> list:
    """Headers that route a load-test request to the new version in an A/B test through the router."""
    for conditions in release.strategy.match:
        for match in conditions:
            if match.source == "header" and match.exact is not None:
                return ["-H", f"{match.name}: {match.exact}"]
            if match.source == "cookie" and match.exact is not None:
                return ["-H", f"Cookie: {match.name}={match.exact}"]
    return []


# ---------------------------------------------------------------------------- the webhook list


def webhooks(release: Release) -> list:
    """Flagger's `analysis.webhooks`, in the order Flagger meets them during a run."""
    approval = release.strategy.approval
    hooks = []
    if approval is not None and approval.before == "rollout":
        hooks.append(_webhook("approval", "confirm-rollout", loadtester_url(release), QUICK_HOOK_TIMEOUT_S,
                              approval_script(release)))
    if approval is not None and approval.before == "promotion":
        hooks.append(_webhook("approval-clock-reset", "pre-rollout", loadtester_url(release), QUICK_HOOK_TIMEOUT_S,
                              reset_script(release, close_rollback=False)))
    for test in release.smoke:  # the hook outlasts the test, so a slow answer fails as the test, not the hook
        hooks.append(_webhook(f"smoke-{test.name}", "pre-rollout", loadtester_url(release),
                              test.timeout_s + SMOKE_HOOK_MARGIN_S, smoke_script(release, test)))
    if release.strategy.load_test is not None:
        hooks.append(_webhook("load-test", "rollout", loadtester_url(release), LOAD_TEST_HOOK_TIMEOUT_S,
                              metadata={"type": "cmd", "cmd": load_test_command(release)}))
    if approval is not None and approval.before == "promotion":
        hooks.append(_webhook("approval", "confirm-promotion", loadtester_url(release), QUICK_HOOK_TIMEOUT_S,
                              approval_script(release)))
    if approval is not None and approval.on_timeout == "rollback":
        hooks.append(_webhook("rollback-gate", "rollback", loadtester_url(release), QUICK_HOOK_TIMEOUT_S,
                              timed_rollback_script(release)))
    else:
        hooks.append(_webhook("rollback-gate", "rollback", loadtester_url(release, "/rollback/check"),
                              QUICK_HOOK_TIMEOUT_S))
    hooks.append(_webhook("gate-reset", "post-rollout", loadtester_url(release), QUICK_HOOK_TIMEOUT_S,
                          reset_script(release, close_rollback=True)))
    if release.notify.webhook:
        hooks.append(_webhook("notify", "post-rollout", release.notify.webhook, QUICK_HOOK_TIMEOUT_S))
    return hooks
