"""Shared by the GCP and Azure targets: labels and tags, ARM template shells, the generated
`rollout.sh` that walks a traffic plan on platforms without a rollout engine, and the words the
runbook uses for a plan.

`rollout_script` assembles one bash script from the platform's own functions (deploy the new
version at 0 %, set its share, roll back, name its URLs, finish) and the spec's plan: traffic
steps with their hold times, smoke tests re-run every `strategy.interval` while traffic is held,
and `rollback.maxFailedChecks` failed checks in a row tolerated before it rolls back (only with
`rollback.automatic`). Where the platform measures a gate (`settings.ScriptGate`), the platform's
reader of that metric judges it while a share is held (rules in `rollout.py`). Every value from the
spec is quoted with `shell.quote`; the script runs with `set -euo pipefail` and exits with one of
`rollout.EXIT_CODES`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ...durations import human
from ...model import Release
from ...procedure import Step
from ...serialize import header_text
from ...shell import command, comment, quote
from .rollout import EXIT_CODES, EXIT_ROLLED_BACK, EXIT_STOPPED, EXIT_USAGE, gates_judged_at

ARM_SCHEMA = "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"
_GCP_LABEL_CHARS = re.compile(r"[^a-z0-9_-]")


# ---------------------------------------------------------------------------- labels and tags


def gcp_label(text: str) -> str:
    """A GCP label key or value: lower-case letters, digits, '_' and '-', at most 63 characters."""
    return _GCP_LABEL_CHARS.sub("_", text.lower())[:63]


def gcp_labels(release: Release) -> dict:
    labels = {gcp_label(key.rpartition("/")[2]): gcp_label(value) for key, value in release.metadata.labels}
    labels = {key: value for key, value in labels.items() if key and key[0].isalpha()}
    labels.update({"app": gcp_label(release.name), "environment": gcp_label(release.metadata.environment),
                   "team": gcp_label(release.metadata.team), "managed-by": "shipgen"})
    return dict(sorted(labels.items()))


def azure_tags(release: Release) -> dict:
    """Azure tags: names cannot hold `<>%&\\?/`, so label prefixes (`example.com/`) are dropped."""
    tags = {re.sub(r"[<>%&\\?/]", "-", key.rpartition("/")[2]): arm_literal(value)
            for key, value in release.metadata.labels}
    tags.update({"app": release.name, "environment": release.metadata.environment, "team": release.metadata.team,
                 "managed-by": "shipgen"})
    return dict(sorted(tags.items()))


# ---------------------------------------------------------------------------- ARM


def arm_literal(value: str) -> str:
    """A spec string as an ARM template literal: a leading '[' would start an expression, '[[' escapes it."""
    text = str(value)
    return "[" + text if text.startswith("[") else text


def arm_template(release: Release, resources: list) -> dict:
    return {"$schema": ARM_SCHEMA, "contentVersion": "1.0.0.0",
            "metadata": {"description": header_text(" ".join(release.source.split()))}, "resources": resources}


def arm_cpu(quantity: str):
    """A CPU quantity (`500m`, `1`) as cores for ARM, which has no float literals: `[json('0.5')]`."""
    if not quantity:
        return None
    cores = int(quantity[:-1]) / 1000 if quantity.endswith("m") else float(quantity)
    text = f"{cores:g}"
    return int(text) if "." not in text else f"[json('{text}')]"


def gibibytes(quantity: str) -> str:
    """A memory quantity in the `<n>Gi` form Container Apps takes (`512Mi` -> `0.5Gi`)."""
    units = {"Ki": 1 / 1048576, "Mi": 1 / 1024, "Gi": 1, "Ti": 1024, "k": 1e3 / 2**30, "M": 1e6 / 2**30,
             "G": 1e9 / 2**30, "T": 1e12 / 2**30}
    for unit, factor in units.items():
        if quantity.endswith(unit):
            return f"{float(quantity[:-len(unit)]) * factor:.4g}Gi"
    return f"{float(quantity) / 2**30:.4g}Gi"


# ---------------------------------------------------------------------------- the plan in words


def plan_text(rollout) -> str:
    """`1% -> 10% -> 50% -> 100%`."""
    return " → ".join(f"{step.percent}%" for step in rollout.steps)


def holds_text(rollout) -> str:
    holds = [f"{step.percent}% for {human(step.hold_s)}" for step in rollout.steps if step.hold_s]
    return ", ".join(holds) if holds else "no holds"


def share_steps(release: Release, rollout, action, command_for) -> list:
    """The runbook's by-hand steps of a scripted rollout, one per share of traffic (0% skipped):
    `action(percent)` says what the step does ("send 10% of requests to ..."), `command_for(percent)`
    gives its command; the share after the approval says so, and a held share for how long."""
    steps = []
    for index, step in enumerate(rollout.steps):
        if step.percent == 0:
            continue
        what = action(step.percent)
        title = what[:1].upper() + what[1:]
        if index == rollout.approval_step:
            title = f"After approval ({release.strategy.approval.before}), {what}"
        steps.append(Step(title + (f", then hold for {human(step.hold_s)} while checking." if step.hold_s else "."),
                          command_for(step.percent)))
    return steps


# ---------------------------------------------------------------------------- rollout.sh


@dataclass(frozen=True)
class ScriptPlatform:
    """What one platform contributes to rollout.sh."""

    summary: str  # one line: what the script rolls out where
    variables: tuple  # ((bash name, value), ...): values from the spec, quoted here
    functions: str  # bash defining deploy_new_version, set_traffic, roll_back, new_version_urls, request, finish
    gate_functions: str = ""  # bash defining the readers of the platform's metrics
    gate_calls: tuple = ()  # ((ScriptGate, (reader, args...)), ...): each prints the gate's value, or nothing
    tools: tuple = ()  # commands the gate readers need beyond the platform's CLI


SMOKE_HELPERS = """\
http_check() {  # http_check NAME METHOD PATH EXPECTED_STATUS TIMEOUT_SECONDS BASE_URL
  local code
  code="$(request --silent --output /dev/null --write-out '%{http_code}' --max-time "$5" --request "$2" "$6$3" || true)"
  if [ "$code" = "$4" ]; then
    echo "smoke test $1: $code"
    return 0
  fi
  echo "smoke test $1: expected $4, got ${code:-no answer} from $6$3" >&2
  return 1
}

command_check() {  # command_check NAME TIMEOUT_SECONDS BASE_URL COMMAND...
  local name="$1" limit="$2"
  export SHIPGEN_TARGET_URL="$3"
  shift 3
  if timeout "$limit" "$@"; then
    echo "smoke test $name: passed"
    return 0
  fi
  echo "smoke test $name: failed against $SHIPGEN_TARGET_URL" >&2
  return 1
}
"""

CHECK = """\
check() {  # check PERCENT: the smoke tests; max_failed_checks failures in a row are tolerated
  if smoke_tests "$1"; then
    failures=0
    return 0
  fi
  failures=$((failures + 1))
  echo "check failed at $1% of traffic ($failures in a row; $max_failed_checks tolerated)" >&2
  if [ "$failures" -gt "$max_failed_checks" ]; then
    give_up "$1" "$failures" "checks"
  fi
}
"""

HOLD = """\
hold() {  # hold PERCENT SECONDS: keep the share, checking every $interval s; leave only when healthy
  local remaining="$2" pause
  while [ "$remaining" -gt 0 ] || [ "$failures" -gt 0 ]; do
    pause=$((remaining > 0 && remaining < interval ? remaining : interval))
    echo "holding at $1% of traffic: next check in $pause s"
    sleep "$pause"
    remaining=$((remaining > pause ? remaining - pause : 0))
    check "$1"
  done
}
"""

GATE_HELPERS = """\
gate() {  # gate NAME MIN MAX READER ARGS...: READER prints the gate's value (nothing: no requests in the window)
  local name="$1" min="$2" max="$3" value
  shift 3
  if ! value="$("$@")"; then
    echo "gate $name: the metric cannot be read" >&2
    return 1
  fi
  case "$value" in
    "" | NaN | nan)
      echo "gate $name: no request reached the new version in the window: nothing to judge"
      return 0 ;;
  esac
  if { [ -n "$min" ] && awk -v value="$value" -v bound="$min" 'BEGIN { exit !(value < bound) }'; } ||
    { [ -n "$max" ] && awk -v value="$value" -v bound="$max" 'BEGIN { exit !(value > bound) }'; }; then
    echo "gate $name: $value is outside ${min:-any}..${max:-any}" >&2
    return 1
  fi
  echo "gate $name: $value"
}

check_gates() {  # check_gates PERCENT: the metric gates; max_failed_checks failures in a row are tolerated
  if metric_gates "$1"; then
    gate_failures=0
    return 0
  fi
  gate_failures=$((gate_failures + 1))
  echo "gate check failed at $1% of traffic ($gate_failures in a row; $max_failed_checks tolerated)" >&2
  if [ "$gate_failures" -gt "$max_failed_checks" ]; then
    give_up "$1" "$gate_failures" "gate checks"
  fi
}
"""

HOLD_WITH_GATES = """\
hold() {  # hold PERCENT SECONDS [gates]: keep the share, checking every $interval s; leave only when healthy
  local remaining="$2" pause
  while [ "$remaining" -gt 0 ] || [ "$failures" -gt 0 ] || [ "$gate_failures" -gt 0 ]; do
    pause=$((remaining > 0 && remaining < interval ? remaining : interval))
    echo "holding at $1% of traffic: next check in $pause s"
    sleep "$pause"
    remaining=$((remaining > pause ? remaining - pause : 0))
    check "$1"
    if [ "${3:-}" = gates ]; then
      check_gates "$1"
    fi
  done
}
"""

GIVE_UP_AUTOMATIC = f"""\
give_up() {{  # give_up PERCENT FAILURES WHAT
  echo "rolling back: the new version failed $2 $3 in a row at $1% of traffic" >&2
  if ! roll_back; then
    echo "the rollback failed: traffic is as it was at $1%; decide, then run '$0 rollback'" >&2
    exit {EXIT_STOPPED}
  fi
  exit {EXIT_ROLLED_BACK}
}}
"""

GIVE_UP_MANUAL = f"""\
give_up() {{  # give_up PERCENT FAILURES WHAT
  echo "stopping at $1% of traffic after $2 failed $3 in a row; rollback.automatic is false," >&2
  echo "so nothing was rolled back: decide, then run '$0 rollback' or fix and '$0 continue'" >&2
  exit {EXIT_STOPPED}
}}
"""


def rollout_script(release: Release, rollout, platform: ScriptPlatform) -> str:
    """The whole rollout.sh text."""
    steps = rollout.steps
    gated = bool(platform.gate_calls)
    stop = rollout.approval_step if rollout.approval_step is not None else len(steps)
    lines = ["#!/usr/bin/env bash", comment(platform.summary),
             "# Usage: rollout.sh [start|continue|rollback|verify|url]   (run from anywhere)",
             "# Exit codes:", *(f"#   {code}: {meaning}" for code, meaning in EXIT_CODES),
             "# Values from the spec are single-quoted literals on purpose: nothing in them expands.",
             "# shellcheck disable=SC2016",
             "set -euo pipefail", ""]
    lines += [f"{name}={quote(value)}" for name, value in platform.variables]
    lines += [
        f"interval={rollout.check_interval_s}  # seconds between checks while traffic is held (strategy.interval)",
        f"max_failed_checks={release.rollback.max_failed_checks}  # failed checks in a row tolerated "
        "(rollback.maxFailedChecks)",
        "failures=0",
    ]
    if gated:
        lines.append("gate_failures=0")
    lines += [
        'here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"',
        "",
        platform.functions.rstrip("\n"),
        "",
        SMOKE_HELPERS.rstrip("\n"),
        "",
        _smoke_tests_function(release).rstrip("\n"),
        "",
        CHECK.rstrip("\n"),
        "",
    ]
    if gated:
        lines += [platform.gate_functions.rstrip("\n"), "", GATE_HELPERS.rstrip("\n"), "",
                  _metric_gates_function(platform.gate_calls).rstrip("\n"), "", HOLD_WITH_GATES.rstrip("\n"), "",
                  _require_tools_function(platform.tools).rstrip("\n"), ""]
    else:
        lines += [HOLD.rstrip("\n"), ""]
    lines += [
        (GIVE_UP_AUTOMATIC if release.rollback.automatic else GIVE_UP_MANUAL).rstrip("\n"),
        "",
        "start() {",
    ]
    if gated:
        lines.append("  require_tools")
    lines += [
        "  deploy_new_version",
    ]
    if rollout.progressive and steps[0].percent != 0:
        lines += ["  # the new version runs beside the old one with no user traffic: test it first",
                  "  check 0", "  hold 0 0"]
    lines += _step_lines(steps, 0, stop, rollout.progressive, rollout.gates)
    if stop < len(steps):
        approval = release.strategy.approval
        lines += [f'  echo "approval needed before {approval.before} (within {human(approval.timeout_s)}, then '
                  f'{approval.on_timeout}):"',
                  '  echo "  continue: $0 continue"', '  echo "  roll back: $0 rollback"']
    else:
        lines += ["  finish"]
    lines += ["}", ""]
    if stop < len(steps):
        lines += ["continue_rollout() {"] + (["  require_tools"] if gated else [])
        lines += _step_lines(steps, stop, len(steps), rollout.progressive, rollout.gates)
        lines += ["  finish", "}", ""]
    else:
        lines += ["continue_rollout() {", '  echo "this rollout has no approval step: nothing to continue" >&2',
                  f"  exit {EXIT_USAGE}", "}", ""]
    lines += [
        'case "${1:-start}" in',
        "  start) start ;;",
        "  continue) continue_rollout ;;",
        "  rollback) roll_back ;;",
        '  verify) smoke_tests "${2:-0}" ;;',
        '  url) new_version_urls "${2:-0}" ;;',
        f'  *) echo "usage: $0 [start|continue|rollback|verify [PERCENT]|url [PERCENT]]" >&2; exit {EXIT_USAGE} ;;',
        "esac",
    ]
    return "\n".join(lines) + "\n"


def _step_lines(steps: tuple, first: int, stop: int, progressive: bool, gates: tuple = ()) -> list:
    lines = []
    for index in range(first, stop):
        step = steps[index]
        lines.append(f"  # step {index + 1} of {len(steps)}: {step.percent}% of traffic"
                     + (f" for {human(step.hold_s)}" if step.hold_s else "")
                     + (", gates judged while it is held" if gates_judged_at(step, gates) else ""))
        if progressive and step.percent > 0:
            lines.append(f"  set_traffic {step.percent}")
        lines += [f"  check {step.percent}",
                  f"  hold {step.percent} {step.hold_s}" + (" gates" if gates_judged_at(step, gates) else "")]
    return lines


def _metric_gates_function(gate_calls: tuple) -> str:
    lines = ["metric_gates() {  # metric_gates PERCENT: every gate rollout.sh reads, on the new version's traffic",
             "  local status=0"]
    for gate, reader in gate_calls:
        bounds = ["" if gate.min is None else f"{gate.min:g}", "" if gate.max is None else f"{gate.max:g}"]
        lines.append(f"  {command('gate', gate.name, *bounds, *reader)} || status=1")
    lines += ['  return "$status"', "}"]
    return "\n".join(lines) + "\n"


def _require_tools_function(tools: tuple) -> str:
    lines = ["require_tools() {  # the commands the gate readers need, before anything changes"]
    for tool in tools:
        lines += [f"  if ! command -v {quote(tool)} >/dev/null; then",
                  f'    echo "rollout.sh needs {tool} to read the metric gates: install it, then run $0 again" >&2',
                  f"    exit {EXIT_USAGE}", "  fi"]
    if not tools:
        lines.append("  return 0")
    return "\n".join(lines + ["}"]) + "\n"


def _smoke_tests_function(release: Release) -> str:
    lines = ["smoke_tests() {  # smoke_tests PERCENT: every smoke test against every URL of the new version",
             "  local url urls status=0"]
    if not release.smoke:
        lines += ['  echo "no smoke tests declared: nothing to check"', "  return 0", "}"]
        return "\n".join(lines) + "\n"
    lines += ['  urls="$(new_version_urls "$1")" || { echo "cannot tell the new version\'s URL" >&2; return 1; }',
              "  while IFS= read -r url <&3; do"]
    for test in release.smoke:
        if test.http_path is not None:
            call = command("http_check", test.name, test.method, test.http_path, test.expect, test.timeout_s)
            lines.append(f'    {call} "$url" || status=1')
        else:
            call = command("command_check", test.name, test.timeout_s)
            lines.append(f'    {call} "$url" {command(*test.command)} || status=1')
    lines += ['  done 3<<<"$urls"', '  return "$status"', "}"]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------- Azure CLI


AZURE_FUNCTION = """\
azure() {  # az, in the spec's subscription when it names one
  if [ -n "$subscription" ]; then
    az "$@" --subscription "$subscription"
  else
    az "$@"
  fi
}

request() {
  curl "$@"
}
"""


def az(release: Release, *words) -> str:
    """An az command for the runbook, with the spec's subscription when it names one."""
    azure = release.platform.azure
    extra = ("--subscription", azure.subscription) if azure.subscription else ()
    return command("az", *words, *extra)


def arm_deploy_command(release: Release, template: str) -> str:
    return az(release, "deployment", "group", "create", "--resource-group", release.platform.azure.resource_group,
              "--template-file", template)


# ---------------------------------------------------------------------------- runbook smoke tests


def smoke_command(test, base_words: list, auth: str = "") -> tuple:
    """A smoke test as runbook commands against the new version: one line per base URL word
    (shell words that expand to a URL, e.g. `"$(cloud-run/rollout.sh url)"`), and what success prints."""
    lines = []
    for base in base_words:
        if test.http_path is not None:
            curl = command("curl", "--silent", "--output", "/dev/null", "--write-out", "%{http_code}\\n",
                           "--max-time", str(test.timeout_s), "--request", test.method)
            if auth:
                curl = curl.replace("curl", f"curl {auth}", 1)
            lines.append(f"{curl} {base}{quote(test.http_path)}")
        else:
            lines.append(f"SHIPGEN_TARGET_URL={base} {command('timeout', str(test.timeout_s), *test.command)}")
    return "\n".join(lines), (f"prints {test.expect}" if test.http_path is not None else "exits 0")
