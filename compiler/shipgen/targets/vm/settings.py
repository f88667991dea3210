"""The typed `platform.vm` settings (services on virtual machines behind HAProxy or nginx), built
during normalize, and the traffic plan the switch script walks.

Two sets of instances, blue and green, sit behind one load balancer; `live` serves all traffic
and the release goes to the other colour. The plan is the strategy's: blue-green switches all
traffic at once and then watches the new colour for `iterations` x `interval`; canary walks
`strategy.steps` and then takes 100 %. Each share is given by integer per-instance weights
(`weights`), so the share a step really gives is computed here once, for the script, the config
and the rollout model alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import gcd

from ...durations import seconds

COLOURS = ("blue", "green")
FULL_WEIGHT = 100  # each instance's weight when its colour takes all traffic
MAX_WEIGHT = {"haproxy": 256, "nginx": 1000}  # HAProxy's limit; nginx has none, 1000 keeps the numbers readable
LOAD_BALANCERS = {"haproxy": "HAProxy", "nginx": "nginx"}


@dataclass(frozen=True)
class Step:
    percent: int  # the spec's share of traffic on the new colour
    hold_s: int  # how long it is held (checks run every interval meanwhile)
    path: tuple  # where the spec asks for it


@dataclass(frozen=True)
class Weights:
    """Per-instance weights for one share: `new` on each new-colour instance, `old` on each old one."""

    new: int
    old: int
    actual_percent: float  # the share these weights really give


@dataclass(frozen=True)
class Vm:
    load_balancer: str  # haproxy | nginx
    listen: str
    live: str  # blue | green: the colour serving now
    blue: tuple  # of "host:port"
    green: tuple
    slow_start_s: int
    max_fails: int
    fail_timeout_s: int
    prometheus: str
    haproxy_config: str
    runtime_api: str
    state_file: str
    metrics: str
    nginx_config: str
    nginx_main_config: str
    steps: tuple  # of Step, the last one at 100 %
    check_interval_s: int
    backend: str  # the HAProxy backend / nginx upstream name

    @property
    def new(self) -> str:
        return "green" if self.live == "blue" else "blue"

    def servers(self, colour: str) -> tuple:
        return self.blue if colour == "blue" else self.green

    def server_names(self, colour: str) -> tuple:
        return tuple(f"{colour}-{index + 1}" for index in range(len(self.servers(colour))))

    def weights(self, new: str, percent: int) -> Weights:
        return weights(percent, len(self.servers(new)), len(self.servers(other(new))), MAX_WEIGHT[self.load_balancer])


def other(colour: str) -> str:
    return "green" if colour == "blue" else "blue"


def weights(percent: int, new_count: int, old_count: int, max_weight: int) -> Weights:
    """Integer weights giving `percent` of requests to the new colour's instances together:
    new x new_count / (new x new_count + old x old_count) = percent / 100, reduced, and scaled
    down (rounded, at least 1) when a weight would pass `max_weight`."""
    if percent >= 100:
        return Weights(FULL_WEIGHT, 0, 100.0)
    if percent <= 0:
        return Weights(0, FULL_WEIGHT, 0.0)
    new, old = percent * old_count, (100 - percent) * new_count
    divisor = gcd(new, old)
    new, old = new // divisor, old // divisor
    top = max(new, old)
    if top > max_weight:
        new, old = max(1, round(new * max_weight / top)), max(1, round(old * max_weight / top))
    actual = 100 * new * new_count / (new * new_count + old * old_count)
    return Weights(new, old, round(actual, 2))


def vm_settings(reader, raw: dict, metadata, service, strategy, gates, rollback):
    """The typed `platform.vm`, or None (with located errors) when the spec cannot run on it."""
    raw_vm = raw.get("platform", {}).get("vm")
    path = ("platform", "vm")
    if raw_vm is None:
        reader.error(("platform", "kind"), "platform.kind vm needs platform.vm with the blue and green instances",
                     fix="add platform.vm: {blue: [10.0.1.11:8080], green: [10.0.2.11:8080]}")
        return None
    load_balancer = reader.get(raw_vm, path, "loadBalancer", "haproxy")
    other_lb = "nginx" if load_balancer == "haproxy" else "haproxy"
    if other_lb in raw_vm:
        reader.error(path + (other_lb,), f"platform.vm.{other_lb} applies to loadBalancer {other_lb}, and "
                     f"loadBalancer is {load_balancer}", key=True)
    if load_balancer == "nginx" and "slowStart" in raw_vm:
        reader.error(path + ("slowStart",), "open-source nginx has no slow start (`slow_start` is NGINX Plus only)",
                     key=True, fix="leave slowStart out, or use loadBalancer haproxy")
    if strategy.type not in ("canary", "blue-green"):
        reader.error(("strategy", "type"), f"platform.kind vm shifts traffic by weights: strategy {strategy.type} "
                     "is not supported", fix="use strategy.type canary or blue-green")
    if strategy.approval is not None:
        reader.error(("strategy", "approval"), "platform.kind vm has no approval step yet: the switch script runs "
                     "from start to end", key=True, fix="leave strategy.approval out and run the steps by hand "
                     "(`switch.sh set COLOUR PERCENT`) where a person must decide")
    for index, gate in enumerate(gates):
        if gate.provider != "prometheus":
            reader.error(("gates", index, "provider"), f"the switch script reads gates from Prometheus only, and gate "
                         f"{gate.name} uses {gate.provider}")
    blue, green = tuple(raw_vm["blue"]), tuple(raw_vm["green"])
    for colour, servers in (("blue", blue), ("green", green)):
        for index, server in enumerate(servers):
            if server in (blue + green)[:(0 if colour == "blue" else len(blue)) + index]:
                reader.error(path + (colour, index), f"instance {server} is listed twice: blue and green must be "
                             "different instances")
            if int(server.rsplit(":", 1)[1]) > 65535:
                reader.error(path + (colour, index), f"port of {server} is above 65535")
    haproxy_raw, nginx_raw = raw_vm.get("haproxy", {}), raw_vm.get("nginx", {})
    is_haproxy = load_balancer == "haproxy"
    interval = strategy.interval_s
    if strategy.type == "canary":
        steps = tuple(Step(step.weight, step.pause_s, ("strategy", "steps", index))
                      for index, step in enumerate(strategy.steps)) + (Step(100, 0, ("strategy", "type")),)
    else:
        steps = (Step(100, strategy.iterations * interval, ("strategy", "iterations")),)
    return Vm(
        load_balancer=load_balancer,
        listen=reader.get(raw_vm, path, "listen", "*:80"),
        live=reader.get(raw_vm, path, "live", "blue"),
        blue=blue,
        green=green,
        slow_start_s=seconds(reader.get(raw_vm, path, "slowStart", "30s", record=is_haproxy)) if is_haproxy else 0,
        max_fails=reader.get(raw_vm, path, "maxFails", 3),
        fail_timeout_s=seconds(reader.get(raw_vm, path, "failTimeout", "10s")),
        prometheus=reader.get(raw_vm, path, "prometheus", "http://localhost:9090", record=bool(gates)),
        haproxy_config=reader.get(haproxy_raw, path + ("haproxy",), "config", "/etc/haproxy/haproxy.cfg",
                                  record=is_haproxy),
        runtime_api=reader.get(haproxy_raw, path + ("haproxy",), "runtimeApi", "/run/haproxy/admin.sock",
                               record=is_haproxy),
        state_file=reader.get(haproxy_raw, path + ("haproxy",), "stateFile", "/var/lib/haproxy/server-state",
                              record=is_haproxy),
        metrics=reader.get(haproxy_raw, path + ("haproxy",), "metrics", "127.0.0.1:8405", record=is_haproxy),
        nginx_config=reader.get(nginx_raw, path + ("nginx",), "config", f"/etc/nginx/conf.d/{metadata.name}.conf",
                                record=not is_haproxy),
        nginx_main_config=reader.get(nginx_raw, path + ("nginx",), "mainConfig", "/etc/nginx/nginx.conf",
                                     record=not is_haproxy),
        steps=steps,
        check_interval_s=interval,
        backend=metadata.name,
    )


def settle(reader, raw: dict, metadata, service, platform, strategy, gates, rollback):
    """The platform with `vm` typed (None outside platform.kind vm, where platform.vm is an error)."""
    raw_platform = raw.get("platform", {})
    if platform.kind != "vm":
        if "vm" in raw_platform:
            reader.error(("platform", "vm"), f"platform.vm applies to platform.kind vm, and platform.kind is "
                         f"{platform.kind}", key=True)
        return platform
    return platform._replace(vm=vm_settings(reader, raw, metadata, service, strategy, gates, rollback))
