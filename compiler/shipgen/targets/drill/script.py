"""`drill.sh`: the rollback drill as one bash script, the same loop on every platform.

The platform's functions (`platforms.py`) plug into it; the timeout is the simulated rollback
time of `shipgen plan` (the rollout model's worst failure scenario) plus a margin. Exit codes
tell the outcomes apart, so a CI job can run the drill and fail on anything but a rollback.
"""

from __future__ import annotations

from ...shell import quote

EXIT_ROLLED_BACK = 0
EXIT_SETUP = 2
EXIT_TIMED_OUT = 3
EXIT_PROMOTED = 4
EXIT_HALTED = 5
EXIT_OLD_NOT_SERVING = 6

EXIT_CODES = (
    (EXIT_ROLLED_BACK, "rolled back, and the old version serves again"),
    (EXIT_SETUP, "not started: a variable, a tool or the place is wrong (nothing was deployed)"),
    (EXIT_TIMED_OUT, "no rollback within the timeout"),
    (EXIT_PROMOTED, "did not roll back: the failing version was promoted"),
    (EXIT_HALTED, "did not roll back: the controller stopped without rolling back"),
    (EXIT_OLD_NOT_SERVING, "rolled back, but what serves is not the old version"),
)

LOOP = """\
need() {
  command -v "$1" >/dev/null 2>&1 || { echo "drill: $1 is not on PATH" >&2; exit 2; }
}

wait_for_verdict() {  # wait_for_verdict SECONDS [picked-up]: until the controller decides (or only picks the
  local limit="$1" until="${2:-decided}"  # version up), or the time is up
  seen_running=false
  while :; do
    verdict || state=unknown
    echo "drill: ${SECONDS}s: $state"
    case "$state" in
      running) seen_running=true ;;
      rolled-back|promoted|halted) if [ "$seen_running" = true ] || [ "$watched" = false ]; then return 0; fi ;;
    esac
    if [ "$until" = picked-up ] && [ "$state" != waiting ] && [ "$state" != unknown ]; then
      return 0
    fi
    if [ "$SECONDS" -ge "$limit" ]; then
      state=timed-out
      return 0
    fi
    sleep "$poll"
  done
}

wait_for_old_version() {  # wait_for_old_version SECONDS
  local limit=$((SECONDS + $1))
  while [ "$(serving || true)" != "$old" ]; do
    if [ "$SECONDS" -ge "$limit" ]; then
      return 1
    fi
    sleep "$poll"
  done
}
"""


def drill_script(release, platform, expected_s: int | None, margin_s: int, module: str) -> str:
    """The whole drill.sh text. `expected_s`: the simulated time to full rollback (None: nothing
    rolls back by itself, so the drill runs the rollback a person would)."""
    automatic = expected_s is not None
    timeout = (expected_s if automatic else 0) + margin_s
    watched = "true" if module.split(".")[0] in ("flagger", "argo", "kubernetes") else "false"
    lines = [
        "#!/usr/bin/env bash",
        f"# Rollback drill for {' '.join(release.name.split())} on {platform.controller}: deploys a deliberately "
        "failing version",
        f"# into a non-production {platform.place_what} ({platform.place}), "
        + ("waits for the automatic rollback," if automatic else "rolls it back as a person would,"),
        "# checks that the old version serves again, and prints the line to record in rollback.lastTested.",
        "# Usage: see DRILL.md beside this script. Exit codes:",
    ]
    lines += [f"#   {code}: {text}" for code, text in EXIT_CODES]
    lines += [
        "# Values from the spec are single-quoted literals on purpose: nothing in them expands.",
        "# shellcheck disable=SC2016",
        "set -euo pipefail",
        "",
    ]
    lines += [f"{name}={quote(value)}" for name, value in platform.variables]
    lines += list(platform.lines)
    lines += [
        f"production_place={quote(platform.production_place)}  # where the release itself runs: never drilled",
        f"production={'true' if release.metadata.production else 'false'}",
        f"expected_s={expected_s}  # simulated time to full rollback (shipgen plan, scenario fail-from-start)"
        if automatic else "# the plan has no automatic rollback: the drill runs roll_back",
        f'timeout_s="${{DRILL_TIMEOUT_S:-{timeout}}}"  # expected + {margin_s} s margin (start-up, first reaction)',
        'poll="${DRILL_POLL_S:-10}"',
        f'settle_s="${{DRILL_SETTLE_S:-{margin_s}}}"  # after the rollback: time for the old version to serve all',
        f"watched={watched}  # the verdict counts only after the controller was seen working on the new version",
        'DRILL_LOG="${DRILL_LOG:-$(mktemp)}"',
        "",
        platform.functions.rstrip("\n"),
        "",
        LOOP.rstrip("\n"),
        "",
    ]
    for tool in platform.tools:
        lines.append(f"need {quote(tool)}")
    if release.metadata.production:
        lines.append(f': "${{{platform.place}:?set {platform.place} to a non-production {platform.place_what}}}"')
    else:
        lines.append(f': "${{{platform.place}:=$production_place}}"')
    lines += [f': "${{{name}:?set {name}: {what}}}"' for name, what in platform.inputs]
    lines += [
        f'if [ "$production" = true ] && [ "${platform.place}" = "$production_place" ]; then',
        f'  echo "drill: {platform.place} is where the release runs in production; drill elsewhere" >&2',
        "  exit 2",
        "fi",
        "",
    ]
    if platform.before:
        lines.append(platform.before)
    lines += [
        'if ! old="$(serving)"; then',
        '  echo "drill: cannot tell what serves now (nothing was deployed)" >&2',
        "  exit 2",
        "fi",
        'echo "drill: serving before: $old"',
        "SECONDS=0",
        "deploy_failing",
        'echo "drill: failing version deployed; waiting up to ${timeout_s}s"',
    ]
    if automatic:
        lines += [
            'wait_for_verdict "$timeout_s"',
            'case "$state" in',
            '  promoted) echo "drill: FAILED: the failing version was promoted, nothing rolled back" >&2; exit 4 ;;',
            '  halted) echo "drill: FAILED: the controller stopped without rolling back" >&2; exit 5 ;;',
            '  timed-out) echo "drill: FAILED: no rollback within ${timeout_s}s (simulated: ${expected_s}s)" >&2;'
            " exit 3 ;;",
            "esac",
            "rolled_back_s=$SECONDS",
        ]
    else:
        lines += [
            'wait_for_verdict "$timeout_s" picked-up',
            'if [ "$state" = promoted ]; then',
            '  echo "drill: the failing version was promoted; rolling back by hand" >&2',
            "fi",
            "roll_back",
            "rolled_back_s=$SECONDS",
        ]
    lines += [
        'if ! wait_for_old_version "$settle_s"; then',
        '  echo "drill: FAILED: rolled back, but serving is \'$(serving || true)\', not \'$old\'" >&2',
        "  exit 6",
        "fi",
        'echo "drill: PASSED: rolled back after ${rolled_back_s}s'
        + (' (simulated: ${expected_s}s); the old version serves again"' if automatic
           else ' (by hand); the old version serves again"'),
        'echo "record it in the spec (SG304):"',
        'echo "  rollback:"',
        'echo "    lastTested: \\"$(date -u +%Y-%m-%d)\\""',
    ]
    return "\n".join(lines) + "\n"
