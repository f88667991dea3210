"""nginx (open source, 1.18+; checked with 1.22) in front of blue and green virtual machines.

Open-source nginx has no runtime API, so every share of the plan is its own configuration
file, built as data (nested blocks of directives) and rendered at the end:
`nginx/states/<colour>-<percent>.conf`, an http{}-level include with the upstream (named after
the release) and the server block. Per instance: `weight` (the share's integer weights), passive
health `max_fails` / `fail_timeout` (platform.vm.maxFails, failTimeout), and `down` for the
colour that has no traffic. `proxy_next_upstream error timeout http_502 http_503` with two tries
sends a request that fails to connect to another instance. nginx (open source) has neither
active health checks nor slow start.

`nginx/switch.sh set COLOUR PERCENT` copies the share's file over platform.vm.nginx.config,
tests the whole configuration (`nginx -t`; a rejected file is replaced by the previous one) and
reloads gracefully (`nginx -s reload`: new workers take new connections, the old ones finish
the requests they hold).
"""

from __future__ import annotations

from ...artifacts import SHELL, TEXT, Artifact
from ...durations import human
from ...model import Release
from ...procedure import APPLY, ROLLBACK, Procedure, Step
from ...shell import command
from . import common
from .script import summary, switch_script
from .settings import COLOURS

NAME = "vm-nginx"


def shares(release: Release) -> list:
    """(colour, percent) of every configuration file: each share of the plan towards either colour."""
    vm = release.platform.vm
    return [(colour, percent) for colour in COLOURS for percent in sorted({step.percent for step in vm.steps} | {100})]


def state_path(colour: str, percent: int) -> str:
    return f"nginx/states/{colour}-{percent}.conf"


def render(release: Release, facts) -> list:
    artifacts = [Artifact(state_path(colour, percent), render_config(site(release, colour, percent)), TEXT)
                 for colour, percent in shares(release)]
    return artifacts + [Artifact("nginx/switch.sh", script(release), SHELL)]


# ---------------------------------------------------------------------------- the site as data


def site(release: Release, colour: str, percent: int) -> list:
    """Directives: (name, *args) or (name, args tuple, [children]) for a block."""
    vm = release.platform.vm
    weights = vm.weights(colour, percent)
    servers = []
    for each in COLOURS:
        weight = weights.new if each == colour else weights.old
        for address in vm.servers(each):
            servers.append(("server", address, f"weight={weight}", f"max_fails={vm.max_fails}",
                            f"fail_timeout={vm.fail_timeout_s}s") if weight else ("server", address, "down"))
    timeout = release.platform.traffic.timeout_s or 30
    location = [("proxy_pass", f"http://{vm.backend}"), ("proxy_http_version", "1.1"),
                ("proxy_set_header", "Connection", '""'), ("proxy_set_header", "Host", "$host"),
                ("proxy_set_header", "X-Forwarded-For", "$proxy_add_x_forwarded_for"),
                ("proxy_connect_timeout", "5s"), ("proxy_read_timeout", f"{timeout}s"),
                ("proxy_next_upstream", "error", "timeout", "http_502", "http_503"),
                ("proxy_next_upstream_tries", "2")]
    return [("upstream", (vm.backend,), servers + [("keepalive", "16")]),
            ("server", (), [("listen", vm.listen), ("location", ("/",), location)])]


def render_config(directives: list, depth: int = 0) -> str:
    pad = "    " * depth
    lines = []
    for directive in directives:
        if len(directive) == 3 and isinstance(directive[2], list):
            name, args, children = directive
            lines.append(f"{pad}{' '.join((name,) + tuple(args))} {{")
            lines.append(render_config(children, depth + 1).rstrip("\n"))
            lines.append(f"{pad}}}")
        else:
            lines.append(f"{pad}{' '.join(directive)};")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------- switch.sh


FUNCTIONS = r"""
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"  # the states/ folder is beside this script

set_traffic() {  # set_traffic COLOUR PERCENT: install that share's configuration, test it, reload gracefully
  local file="$here/states/$1-$2.conf" backup
  if [ "$2" -le 0 ]; then
    set_traffic "$(other "$1")" 100
    return
  fi
  if [ ! -f "$file" ]; then
    echo "no configuration for $2% on $1 in $here/states: the plan's shares, 0 and 100 only" >&2
    exit 2
  fi
  backup="$(mktemp)"
  if [ -f "$config" ]; then cp "$config" "$backup"; fi
  cp "$file" "$config"
  if ! nginx -q -t -c "$main_config"; then
    cp "$backup" "$config"
    rm -f "$backup"
    echo "nginx rejected $file: the previous configuration is back in place" >&2
    exit 3
  fi
  rm -f "$backup"
  if ! nginx -c "$main_config" -s reload; then
    echo "nginx did not reload (is it running with $main_config?)" >&2
    exit 3
  fi
  echo "traffic: $2% to $1 ($(basename "$file"), reloaded)"
}

wait_ready() {  # open-source nginx has no active health checks: the smoke tests check each instance
  echo "nginx checks instances passively only (max_fails): the smoke tests check each $1 instance directly"
}

lb_status() {  # which share's configuration is installed
  local file
  for file in "$here"/states/*.conf; do
    if cmp -s "$file" "$config"; then
      echo "installed: $(basename "$file" .conf)"
      return 0
    fi
  done
  echo "installed: none of $here/states (changed by hand?)"
}
"""


def script(release: Release) -> str:
    vm = release.platform.vm
    variables = (("config", vm.nginx_config), ("main_config", vm.nginx_main_config))
    return switch_script(release, summary(release), variables, FUNCTIONS)


# ---------------------------------------------------------------------------- runbook


def procedure(release: Release, facts) -> Procedure:
    vm = release.platform.vm
    new, old = vm.new, vm.live
    deploy = [Step(f"Install the configuration with {old} live (once; switch.sh replaces it at each step).",
                   f"{command('install', '-m', '0644', state_path(old, 100), vm.nginx_config)} && "
                   f"{command('nginx', '-t', '-c', vm.nginx_main_config)} && "
                   f"{command('nginx', '-c', vm.nginx_main_config, '-s', 'reload')}"),
              common.deploy_step(release),
              Step(f"Either run the whole switch ({common.plan_text(release)}), checked every "
                   f"{human(vm.check_interval_s)} while a share is held, or follow the steps below by hand.",
                   command("nginx/switch.sh", "start", new), role=APPLY),
              Step(f"Run the smoke tests against each {new} instance directly.", command("nginx/switch.sh", "verify",
                                                                                         new))]
    for step in vm.steps:
        weights = vm.weights(new, step.percent)
        title = (f"Shift {step.percent}% of requests to {new} (weight {weights.new} per {new} instance, "
                 f"{weights.old} per {old} instance: {weights.actual_percent:g}%)" if step.percent < 100 else
                 f"Send all requests to {new}; {old} is marked down (requests in flight finish in the old workers)")
        if step.hold_s:
            title += f", then hold for {human(step.hold_s)} and evaluate the gates"
        deploy.append(Step(title + f" ({state_path(new, step.percent)}, tested and reloaded).",
                           command("nginx/switch.sh", "set", new, str(step.percent))))
    watch = (Step("Which share's configuration is installed.", "nginx/switch.sh status"),
             Step("The gates, once, against the new colour.", command("nginx/switch.sh", "gates", new)))
    rollback = (Step(f"All requests back to {old} at once ({state_path(old, 100)}, tested and reloaded).",
                     command("nginx/switch.sh", "rollback", old), role=ROLLBACK),
                Step("By hand, if the script cannot run.",
                     f"{command('cp', state_path(old, 100), vm.nginx_config)} && "
                     f"{command('nginx', '-t', '-c', vm.nginx_main_config)} && "
                     f"{command('nginx', '-c', vm.nginx_main_config, '-s', 'reload')}"))
    return Procedure(f"nginx upstream weights and graceful reloads, by nginx/switch.sh ({old} -> {new})",
                     tuple(deploy), watch, rollback, common.automatic_rollback(release, "nginx/switch.sh"),
                     common.notes(release))


def smoke_command(release: Release, test) -> tuple:
    return common.smoke_command(release, test)
