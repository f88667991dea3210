"""HAProxy in front of blue and green virtual machines (HAProxy 2.4+; checked with 2.6).

Emits `haproxy/haproxy.cfg` and `haproxy/switch.sh`. The configuration is built as data
(sections of directive words) and rendered at the end. One backend named after the release
holds every instance, `blue-N` and `green-N`; the live colour's instances have weight 100,
the other colour's weight 0 (health-checked, no requests). Per instance: active health checks
on the readiness probe (`option httpchk`, `inter` = the probe's period, `fall` = its failure
threshold, `rise 2`), passive health (`observe layer7 error-limit <maxFails> on-error
mark-down`), and `slowstart` (platform.vm.slowStart): an instance that comes back up after
being seen down gets its weight over that time. `option redispatch` with `retries 2` moves a
request whose connection fails to another instance.

`switch.sh` changes weights and states at run time through the runtime API (`stats socket ...
level admin`, reached with socat): `set server <backend>/<server> weight N`, `state ready`, and
`state drain` for the colour that loses all traffic (no new requests; those in flight finish;
health checks go on, so a rollback is instant). After every change it saves `show servers
state` to the `server-state-file` that `load-server-state-from-file global` reads on a reload,
so a reload keeps the switch. HAProxy's Prometheus exporter (`/metrics` on
platform.vm.haproxy.metrics) serves the built-in gates (`shipgen.queries`).
"""

from __future__ import annotations

from ...artifacts import SHELL, TEXT, Artifact
from ...durations import human
from ...model import Release
from ...procedure import APPLY, ROLLBACK, Procedure, Step
from ...shell import command, quote
from . import common
from .script import summary, switch_script
from .settings import COLOURS

NAME = "vm-haproxy"
RISE = 2


def render(release: Release, facts) -> list:
    return [Artifact("haproxy/haproxy.cfg", render_config(config(release)), TEXT),
            Artifact("haproxy/switch.sh", script(release), SHELL)]


# ---------------------------------------------------------------------------- haproxy.cfg as data


def config(release: Release) -> list:
    """[(section line, [directive words, ...]), ...]."""
    vm = release.platform.vm
    probe = release.service.readiness
    inter, fall = (probe.period_s, probe.failure_threshold) if probe is not None else (5, 3)
    default_server = ["check", "inter", f"{inter}s", "fastinter", f"{vm.fail_timeout_s}s", "fall", str(fall),
                      "rise", str(RISE), "slowstart", f"{vm.slow_start_s}s", "observe", "layer7", "error-limit",
                      str(vm.max_fails), "on-error", "mark-down"]
    timeout = release.platform.traffic.timeout_s or 30
    backend = [("balance", "roundrobin"), ("option", "redispatch"), ("retries", "2")]
    if probe is not None and probe.handler == "http":
        backend += [("option", "httpchk", "GET", probe.path), ("http-check", "expect", "status", "200")]
    backend.append(("default-server", *default_server))
    for colour in COLOURS:
        weight = "100" if colour == vm.live else "0"
        for name, address in zip(vm.server_names(colour), vm.servers(colour)):
            backend.append(("server", name, address, "weight", weight))
    return [
        ("global", [("stats", "socket", vm.runtime_api, "mode", "600", "level", "admin", "expose-fd", "listeners"),
                    ("stats", "timeout", "30s"), ("server-state-file", vm.state_file)]),
        ("defaults", [("mode", "http"), ("timeout", "connect", "5s"),
                      ("timeout", "client", f"{timeout}s"), ("timeout", "server", f"{timeout}s"),
                      ("timeout", "http-request", "10s"), ("load-server-state-from-file", "global")]),
        (f"frontend {vm.backend}", [("bind", vm.listen), ("option", "forwardfor"),
                                    ("default_backend", vm.backend)]),
        ("frontend metrics", [("bind", vm.metrics),
                              ("http-request", "use-service", "prometheus-exporter", "if", "{", "path", "/metrics",
                               "}")]),
        (f"backend {vm.backend}", backend),
    ]


def render_config(sections: list) -> str:
    blocks = ["\n".join([title] + ["    " + " ".join(words) for words in directives])
              for title, directives in sections]
    return "\n\n".join(blocks) + "\n"


# ---------------------------------------------------------------------------- switch.sh


FUNCTIONS = r"""
api() {  # api COMMAND: one runtime API command, its answer on stdout
  local answer
  if ! answer="$(printf '%s\n' "$1" | socat -t 5 - "UNIX-CONNECT:$runtime_api")"; then
    echo "cannot reach HAProxy's runtime API at $runtime_api" >&2
    exit 3
  fi
  printf '%s\n' "$answer"
}

change() {  # change COMMAND: a runtime API change; HAProxy answers nothing when it is done
  local answer
  answer="$(api "$1")"
  if [ -n "${answer//[[:space:]]/}" ]; then
    echo "HAProxy refused '$1': $answer" >&2
    exit 3
  fi
}

servers() {  # servers COLOUR: the backend's server names of that colour
  if [ "$1" = blue ]; then echo "$blue_servers"; else echo "$green_servers"; fi
}

save_state() {  # keep the weights and states across a reload (load-server-state-from-file)
  api "show servers state" >"$state_file.tmp"
  mv "$state_file.tmp" "$state_file"
}

set_traffic() {  # set_traffic COLOUR PERCENT: PERCENT of requests to COLOUR's instances, the rest to the other's
  local to="$1" from weights to_weight from_weight server
  from="$(other "$1")"
  if [ "$2" -le 0 ]; then
    set_traffic "$from" 100
    return
  fi
  weights="$(step_weights "$to" "$2")"
  read -r to_weight from_weight <<<"$weights"
  if [ "$2" -ge 100 ]; then
    for server in $(servers "$to"); do
      change "set server $backend/$server weight $to_weight"
      change "set server $backend/$server state ready"
    done
    for server in $(servers "$from"); do
      change "set server $backend/$server state drain"
    done
  else
    for server in $(servers "$from"); do
      change "set server $backend/$server weight $from_weight"
      change "set server $backend/$server state ready"
    done
    for server in $(servers "$to"); do
      change "set server $backend/$server weight $to_weight"
      change "set server $backend/$server state ready"
    done
  fi
  save_state
  echo "traffic: $2% to $to (weight $to_weight per $to instance, $from_weight per $from instance)"
}

wait_ready() {  # wait_ready COLOUR: until HAProxy's health checks see every instance of COLOUR up
  local waited=0 down
  while :; do
    down="$(api "show servers state $backend" | awk -v names=" $(servers "$1") " \
      'index(names, " " $4 " ") && $6 != 2 { printf "%s ", $4 }')"
    if [ -z "$down" ]; then
      echo "health checks: every $1 instance is up"
      return 0
    fi
    if [ "$waited" -ge "$ready_timeout" ]; then
      echo "health checks: still down after $ready_timeout s: $down" >&2
      exit 1
    fi
    sleep 1
    waited=$((waited + 1))
  done
}

lb_status() {  # each server: address, operational state (2 = up), admin state (8 = drain), weight
  api "show servers state $backend" | awk 'NF > 7 && $1 != "#" { print $4, $5, "op=" $6, "admin=" $7, "weight=" $8 }'
}

reload() {  # after editing haproxy.cfg: save the switch, check the file, reload without dropping connections
  save_state
  haproxy -c -q -f "$config"
  systemctl reload haproxy
}
"""


def step_weights_function(release: Release) -> str:
    """`step_weights COLOUR PERCENT` -> "<weight per COLOUR instance> <weight per other instance>" for
    every share the plan gives (both directions) and 100."""
    vm = release.platform.vm
    lines = ["step_weights() {  # step_weights COLOUR PERCENT: the weights that give COLOUR that share",
             '  case "$1:$2" in']
    for colour in COLOURS:
        for percent in sorted({step.percent for step in vm.steps} | {100}):
            weights = vm.weights(colour, percent)
            lines.append(f'    {colour}:{percent}) echo "{weights.new} {weights.old}" ;;  '
                         f"# {weights.actual_percent:g}% of requests")
    lines += ['    *) echo "no weights for $2% on $1: the plan\'s shares, 0 and 100 only" >&2; exit 2 ;;',
              "  esac", "}"]
    return "\n".join(lines) + "\n"


def script(release: Release) -> str:
    vm = release.platform.vm
    probe = release.service.readiness
    ready_timeout = (probe.initial_delay_s + probe.period_s * (RISE + probe.failure_threshold)) if probe else 30
    variables = (("backend", vm.backend), ("runtime_api", vm.runtime_api), ("state_file", vm.state_file),
                 ("config", vm.haproxy_config), ("blue_servers", " ".join(vm.server_names("blue"))),
                 ("green_servers", " ".join(vm.server_names("green"))), ("ready_timeout", ready_timeout))
    functions = FUNCTIONS + "\n" + step_weights_function(release)
    return switch_script(release, summary(release), variables, functions,
                         extra_commands=(("reload", "reload", "reload"),))


# ---------------------------------------------------------------------------- runbook


def api_command(release: Release, text: str) -> str:
    return f"echo {quote(text)} | {command('socat', 'stdio', 'UNIX-CONNECT:' + release.platform.vm.runtime_api)}"


def procedure(release: Release, facts) -> Procedure:
    vm = release.platform.vm
    new, old = vm.new, vm.live
    deploy = [Step(f"Install the configuration (once; later switches keep it): {vm.live} live, {vm.new} at weight 0.",
                   f"{command('install', '-m', '0644', 'haproxy/haproxy.cfg', vm.haproxy_config)} && "
                   f"{command('haproxy', '-c', '-f', vm.haproxy_config)} && systemctl reload haproxy"),
              common.deploy_step(release),
              Step(f"Either run the whole switch ({common.plan_text(release)}), checked every "
                   f"{human(vm.check_interval_s)} while a share is held, or follow the steps below by hand.",
                   command("haproxy/switch.sh", "start", new), role=APPLY),
              Step(f"Wait until HAProxy's health checks see every {new} instance up, and run the smoke tests against "
                   "each instance directly.", f"haproxy/switch.sh status && haproxy/switch.sh verify {new}")]
    for step in vm.steps:
        weights = vm.weights(new, step.percent)
        title = (f"Shift {step.percent}% of requests to {new} (weight {weights.new} per {new} instance, "
                 f"{weights.old} per {old} instance: {weights.actual_percent:g}%)" if step.percent < 100 else
                 f"Send all requests to {new}; {old} drains (requests in flight finish, health checks go on)")
        if step.hold_s:
            title += f", then hold for {human(step.hold_s)} and evaluate the gates"
        deploy.append(Step(title + ".", command("haproxy/switch.sh", "set", new, str(step.percent))))
    watch = (Step("Weights and states of every instance (op=2 up; admin=8 drain).", "haproxy/switch.sh status"),
             Step("The gates, once, against the new colour.", command("haproxy/switch.sh", "gates", new)),
             Step("The runtime API directly.", api_command(release, f"show servers state {vm.backend}")))
    rollback = (Step(f"All requests back to {old} at once ({old} was only drained: it is warm); {new} drains.",
                     command("haproxy/switch.sh", "rollback", old), role=ROLLBACK),
                Step("By hand, per instance, if the script cannot run.",
                     api_command(release, f"set server {vm.backend}/{vm.server_names(old)[0]} state ready") + "\n"
                     + api_command(release, f"set server {vm.backend}/{vm.server_names(new)[0]} state drain")))
    return Procedure(f"HAProxy weights through the runtime API, by haproxy/switch.sh ({old} -> {new})", tuple(deploy),
                     watch, rollback, common.automatic_rollback(release, "haproxy/switch.sh"),
                     common.notes(release) + (
                         "HAProxy exports no latency histogram: a built-in latency gate reads the average response "
                         "time of the slowest instance of the colour (haproxy_server_response_time_average_seconds), "
                         "not a percentile.",) if any(g.metric == "latency" for g in release.gates) else
                     common.notes(release))


def smoke_command(release: Release, test) -> tuple:
    return common.smoke_command(release, test)
