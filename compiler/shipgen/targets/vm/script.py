"""`switch.sh`: the script that moves a release's traffic between the blue and green instances
behind HAProxy or nginx, shared by both load balancers (each contributes `set_traffic`,
`wait_ready`, `lb_status` and its own subcommands).

`switch.sh start [COLOUR]` walks the plan (`settings.Vm.steps`): it waits until the new colour's
instances are ready, runs the smoke tests against each of them directly (no user traffic yet),
then for each step sets the share and holds it, checking every `strategy.interval`: the smoke
tests, and every gate in `rollback.on` read from Prometheus's HTTP API (`/api/v1/query`, parsed
with jq; no data counts as a failure). `rollback.maxFailedChecks` failed checks in a row are
tolerated; one more gives up: with `rollback.automatic` all traffic goes back to the previous
colour at once (its instances were only drained, so they are warm), else the script stops where
it is for a person. A step is left only when its time is up and the last check passed.

Exit codes: 0 done; 1 a check failed (rolled back, or stopped for a person); 2 usage, or a share
the plan has no configuration for; 3 the load balancer could not be reached or refused a change
(HAProxy's runtime API answered an error, `nginx -t` rejected the file: the previous file is put
back), traffic as it was left. Every value from the spec is quoted with `shell.quote`.
"""

from __future__ import annotations

from ...durations import human
from ...model import Release
from ...queries import gate_query, threshold_text
from ...shell import command, quote
from ..gcp_azure.common import SMOKE_HELPERS, _smoke_tests_function
from .settings import COLOURS, LOAD_BALANCERS

EXIT_CODES = (("0", "done: all traffic on the new colour"),
              ("1", "a check failed: traffic went back to the previous colour (rollback.automatic), or stayed where "
                    "it was for a person"),
              ("2", "usage, or a share the plan has no configuration for"),
              ("3", "the load balancer could not be reached or refused a change; traffic stays as it was left"))

COMMON = r"""
other() {  # other COLOUR
  if [ "$1" = blue ]; then echo green; else echo blue; fi
}

known_colour() {
  case "$1" in
    blue | green) ;;
    *) echo "not a colour: '$1' (blue or green)" >&2; exit 2 ;;
  esac
}

instances() {  # instances COLOUR: host:port, one per line
  if [ "$1" = blue ]; then printf '%s\n' "${blue_instances[@]}"; else printf '%s\n' "${green_instances[@]}"; fi
}

new_version_urls() {  # the new colour's instances, each reached directly
  instances "$new" | sed 's|^|http://|'
}

request() {
  curl "$@"
}

gate() {  # gate NAME QUERY MIN MAX PROMETHEUS: the query's value within [MIN, MAX] ('' = unbounded); no data fails
  local value
  value="$(curl --silent --show-error --fail --max-time 10 --get --data-urlencode "query=$2" "$5/api/v1/query" \
    | jq -r '.data.result[0].value[1] // empty')" || value=""
  if [ -z "$value" ] || [ "$value" = NaN ]; then
    echo "gate $1: no data from $5 (counts as a failure)" >&2
    return 1
  fi
  if awk -v v="$value" -v lo="$3" -v hi="$4" 'BEGIN { exit !((lo == "" || v + 0 >= lo + 0) && (hi == "" || v + 0 <= hi + 0)) }'; then
    echo "gate $1: $value"
    return 0
  fi
  echo "gate $1: $value is outside [${3:-any}, ${4:-any}]" >&2
  return 1
}
"""

CHECK_AND_HOLD = r"""
check() {  # check PERCENT: the smoke tests, and the gates once the new colour has traffic
  local status=0
  smoke_tests "$1" || status=1
  if [ "$1" -gt 0 ]; then
    gates || status=1
  fi
  if [ "$status" -eq 0 ]; then
    failures=0
    return 0
  fi
  failures=$((failures + 1))
  echo "check failed at $1% on $new ($failures in a row; $max_failed_checks tolerated)" >&2
  if [ "$failures" -gt "$max_failed_checks" ]; then
    give_up "$1"
  fi
}

hold() {  # hold PERCENT SECONDS: keep the share; a check every $interval s (the first after SECONDS when that is
  # shorter); leave once the time is up and the last check passed (the rollout model's rule, rollout.py)
  local elapsed=0 next
  next=$(($2 > 0 && $2 < interval ? $2 : interval))
  while [ "$elapsed" -lt "$2" ] || [ "$failures" -gt 0 ]; do
    if [ "$failures" -eq 0 ] && [ "$2" -lt "$next" ]; then
      echo "holding at $1% on $new: $(($2 - elapsed)) s left, no check due before"
      sleep "$(($2 - elapsed))"
      return 0
    fi
    echo "holding at $1% on $new: next check in $((next - elapsed)) s"
    sleep "$((next - elapsed))"
    elapsed="$next"
    next=$((next + interval))
    check "$1"
  done
}
"""

GIVE_UP_AUTOMATIC = r"""
give_up() {
  echo "rolling back: $new failed $failures checks in a row at $1% of traffic; all traffic back to $old" >&2
  set_traffic "$old" 100
  exit 1
}
"""

GIVE_UP_MANUAL = r"""
give_up() {
  echo "stopping at $1% on $new after $failures failed checks in a row; rollback.automatic is false, so nothing" >&2
  echo "was rolled back: decide, then run '$0 rollback $old' or '$0 start $new' again" >&2
  exit 1
}
"""


def switch_script(release: Release, summary: str, variables: tuple, functions: str, extra_commands: tuple = ()) -> str:
    """The whole switch.sh text. `variables`: ((bash name, value), ...) from the spec, quoted here;
    `functions`: the load balancer's bash; `extra_commands`: ((case pattern, body, usage), ...)."""
    vm = release.platform.vm
    lines = ["#!/usr/bin/env bash", f"# {summary}",
             "# Usage: switch.sh start [COLOUR]    the plan, from the live colour to COLOUR (default: "
             f"{vm.new}), checked between steps",
             "#        switch.sh rollback COLOUR   all traffic to COLOUR now; the other colour drains",
             "#        switch.sh set COLOUR PERCENT  one step by hand (a share of the plan, 0 or 100)",
             "#        switch.sh verify COLOUR | gates COLOUR | status" +
             "".join(f" | {usage}" for _, _, usage in extra_commands),
             "# Exit codes: " + "; ".join(f"{code} {meaning}" for code, meaning in EXIT_CODES) + ".",
             "# Values from the spec are single-quoted literals on purpose: nothing in them expands.",
             "# shellcheck disable=SC2016",
             "set -euo pipefail", ""]
    lines += [f"{name}={quote(value)}" for name, value in variables]
    for colour in COLOURS:
        lines.append(f"{colour}_instances=({' '.join(quote(server) for server in vm.servers(colour))})")
    lines += [
        f"interval={vm.check_interval_s}  # seconds between checks while a share is held (strategy.interval)",
        f"max_failed_checks={release.rollback.max_failed_checks}  # failed checks in a row tolerated "
        "(rollback.maxFailedChecks)",
        "failures=0",
        f"new={vm.new}  # the colour being switched to (start, verify and gates set it)",
        f"old={vm.live}",
        COMMON.rstrip("\n"),
        "",
        functions.strip("\n"),
        "",
        SMOKE_HELPERS.rstrip("\n"),
        "",
        _smoke_tests_function(release).rstrip("\n"),
        "",
        gates_function(release).rstrip("\n"),
        CHECK_AND_HOLD.rstrip("\n"),
        (GIVE_UP_AUTOMATIC if release.rollback.automatic else GIVE_UP_MANUAL).rstrip("\n"),
        "",
        "start() {",
        '  known_colour "$new"',
        '  old="$(other "$new")"',
        '  echo "switching from $old to $new"',
        '  wait_ready "$new"',
    ]
    if pre_traffic_check(release):
        lines += ["  # the new colour has no user traffic yet: test each of its instances directly, until they pass",
                  "  check 0", "  hold 0 0"]
    for index, step in enumerate(vm.steps):
        lines.append(f"  # step {index + 1} of {len(vm.steps)}: {step.percent}% of traffic"
                     + (f" for {human(step.hold_s)}" if step.hold_s else ""))
        lines += [f"  set_traffic \"$new\" {step.percent}", f"  hold {step.percent} {step.hold_s}"]
    lines += ['  echo "done: all traffic on $new; $old is drained and kept warm for a rollback: $0 rollback $old"',
              "}", "",
              'case "${1:-start}" in',
              '  start) new="${2:-$new}"; start ;;',
              '  rollback) known_colour "${2:-}"; set_traffic "$2" 100 ;;',
              '  set) known_colour "${2:-}"; set_traffic "$2" "${3:?usage: $0 set COLOUR PERCENT}" ;;',
              '  verify) known_colour "${2:-}"; new="$2"; smoke_tests 0 ;;',
              '  gates) known_colour "${2:-}"; new="$2"; gates ;;',
              "  status) lb_status ;;"]
    lines += [f"  {pattern}) {body} ;;" for pattern, body, _ in extra_commands]
    usage = "start [COLOUR]|rollback COLOUR|set COLOUR PERCENT|verify COLOUR|gates COLOUR|status" + "".join(
        f"|{usage}" for _, _, usage in extra_commands)
    lines += [f'  *) echo "usage: $0 [{usage}]" >&2; exit 2 ;;', "esac"]
    return "\n".join(lines) + "\n"


def pre_traffic_check(release: Release) -> bool:
    """Whether `start` runs the smoke tests against the new colour's instances before any traffic
    (again every interval until they pass): when the spec has smoke tests. The rollout model reads
    this too."""
    return bool(release.smoke)


def checked_gates(release: Release) -> tuple:
    """The gates the script evaluates between steps: those that roll back (rollback.on)."""
    return release.rollback_gates


def gates_function(release: Release) -> str:
    vm = release.platform.vm
    lines = ["gates() {  # every gate of rollback.on against the colour $new", "  local status=0"]
    gates = checked_gates(release)
    if not gates:
        lines += ['  echo "no gates in rollback.on: nothing to evaluate"', "  return 0", "}"]
        return "\n".join(lines) + "\n"
    lines.append('  if [ "$new" = blue ]; then')
    for colour in COLOURS:
        if colour == "green":
            lines.append("  else")
        for gate in gates:
            query = gate_query(release, gate, service=f"{release.name}-{colour}")
            low = "" if gate.min is None else f"{gate.min:g}"
            high = "" if gate.max is None else f"{gate.max:g}"
            lines.append(f"    # {gate.name}: {threshold_text(gate)} over {human(gate.window_s)}")
            lines.append(f"    {command('gate', gate.name, query)} {quote(low)} {quote(high)} "
                         f"{quote(gate.address or vm.prometheus)} || status=1")
    lines += ["  fi", '  return "$status"', "}"]
    return "\n".join(lines) + "\n"


def summary(release: Release) -> str:
    vm = release.platform.vm
    plan = " -> ".join(f"{step.percent}%" for step in vm.steps)
    return (f"Switch {release.name} between its blue and green instances behind {LOAD_BALANCERS[vm.load_balancer]} "
            f"({release.strategy.type}: {plan}; {vm.live} is live).")
