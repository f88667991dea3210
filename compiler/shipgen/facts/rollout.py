"""Rollout facts: numbers that follow from a release's strategy, service and gates, computed
here once so that policies (Rego) only compare them.

- `rollout`: who gets the new version first and how fast: the first step's share of traffic,
  whether the whole fleet changes at once, the capacity a rolling update takes out, each canary
  step with the requests its analysis can expect (requestsPerSecond x weight x interval, plus
  load-test traffic), listing only the steps where a controller judges a sample (`platforms.py`:
  CodeDeploy's alarms on AWS, nothing on GCP and Azure);
- `analysis`: the analysis interval next to each gate's query window;
- `slos`: each SLO's error budget next to the threshold of the gate that measures it;
- `health`, `draining`, `disruption`, `manual`: probes (and the platform's readiness check,
  `platforms.py`), shutdown timing, the disruption budget
  the Kubernetes targets emit (`targets-k8s.md` §3.4), and the places a person must act.

Spec paths are given with every item so that a finding can point at the spec.
"""

from __future__ import annotations

import math

from ..durations import human
from ..model import Release
from ..rollout.model import ALARM
from .platforms import readiness_check

# How long each platform lets an instance finish after it is told to stop (seconds), where the
# platform caps it: Cloud Run sends SIGKILL 10 s after SIGTERM; ECS caps stopTimeout at 120 s.
PLATFORM_MAX_GRACE_S = {"gcp-cloud-run": 10, "aws-ecs": 120}

# Commands and flags that make a smoke test or hook wait for a person at a terminal.
INTERACTIVE_COMMANDS = frozenset({"read", "pause", "select", "vi", "vim", "nano", "less", "more"})
INTERACTIVE_FLAGS = frozenset({"-it", "-ti", "--interactive", "--tty", "--stdin", "-i", "-t"})
INTERACTIVE_TOOLS = frozenset({"kubectl", "docker", "podman", "oc", "nerdctl"})


def count(value, total: int, round_up: bool) -> int:
    """A maxSurge/maxUnavailable value (`25%` or a count) as a number of instances."""
    if isinstance(value, str) and value.endswith("%"):
        exact = total * int(value[:-1]) / 100
        return math.ceil(exact) if round_up else math.floor(exact)
    return int(value)


def canonical(number: float) -> float | int:
    """A number as people write it: 2.0 -> 2, 0.30000000000000004 -> 0.3."""
    rounded = round(number, 9)
    return int(rounded) if rounded == int(rounded) else rounded


def number_text(number) -> str:
    """A number for a message, as people write it (Rego's own float printing shows 99.90000000000001)."""
    if number is None:
        return ""
    return str(canonical(number))


def rollout_facts(release: Release, rollout) -> dict:
    """`rollout` is the release's rollout model (`shipgen.rollout.Rollout`)."""
    strategy = release.strategy
    replicas = release.service.min_replicas
    surge = count(strategy.max_surge, replicas, round_up=True) if strategy.type in ("rolling", "canary") else 0
    unavailable = count(strategy.max_unavailable, replicas, round_up=False) \
        if strategy.type in ("rolling", "canary") else 0
    steps = judged_steps(release, rollout)
    unavailable_percent = canonical(round(100 * min(unavailable, replicas) / replicas, 1))
    first = first_step_percent(release, surge, unavailable)
    return {
        "strategy": strategy.type,
        "progressive": strategy.progressive,
        "mixed_versions": strategy.type != "recreate",  # old and new serve side by side
        "replicas": replicas,
        "surge_instances": surge,
        "unavailable_instances": unavailable,
        "unavailable_percent": unavailable_percent,
        "unavailable_percent_text": number_text(unavailable_percent),
        "all_at_once": all_at_once(strategy.type, replicas, surge, unavailable),
        "first_step_percent": first,
        "first_step_percent_text": number_text(first),
        "first_step_path": ["strategy", "steps", 0] if release.strategy.steps and _spec_has_steps(release)
        else ["strategy", "type"],
        "interval_s": strategy.interval_s,
        "interval": human(strategy.interval_s),
        "steps": steps,
    }


def _spec_has_steps(release: Release) -> bool:
    return "steps" not in _defaulted(release)


def _defaulted(release: Release) -> set:
    """The strategy fields whose value is a default."""
    return {path.removeprefix("strategy.") for path, _ in release.defaults if path.startswith("strategy.")}


def all_at_once(kind: str, replicas: int, surge: int, unavailable: int) -> bool:
    """Whether every instance changes version in one go."""
    if kind == "recreate":
        return True
    if kind != "rolling" or replicas < 2:
        return False
    return unavailable >= replicas or surge >= replicas


def first_step_percent(release: Release, surge: int, unavailable: int):
    """The share of traffic (percent) the new version gets first, or None when it depends on
    who sends a matching header (ab-test)."""
    strategy = release.strategy
    if strategy.type == "canary":
        return strategy.steps[0].weight if strategy.steps else 0
    if strategy.type in ("recreate", "blue-green"):
        return 100
    if strategy.type == "shadow":
        return 0  # mirrored copies only; no user gets a response from the new version
    if strategy.type == "rolling":
        replicas = release.service.min_replicas
        return canonical(round(100 * min(replicas, surge + unavailable) / (replicas + surge), 1))
    return None


def judged_steps(release: Release, rollout) -> list:
    """Each share of traffic at which the controller judges a sample of the new version's traffic
    (the rollout model's judged phases), with the requests one evaluation can expect to see:
    (requestsPerSecond x share + generated load) x the span one evaluation looks at."""
    rate = release.service.requests_per_second
    steps, seen = [], set()
    for _, phase, checks in rollout.judged_phases():
        check = checks[0]
        weight = phase.weight or 0
        if (weight, check.sample_s) in seen or phase.weight is None and not check.load_rps:
            continue  # the same share judged again, or an A/B route whose traffic is unknown
        seen.add((weight, check.sample_s))
        load = check.load_rps
        sample = ((rate or 0) * weight / 100 + load) * check.sample_s
        expected = None if rate is None and weight else canonical(sample)  # unknown only when user traffic counts
        steps.append({"index": len(steps), "weight": weight, "expected_requests": expected,
                      "expected_text": number_text(expected), "basis": _basis(weight, rate, load, check),
                      "path": spec_path(release, phase.spec_path or check.spec_path)})
    return steps


def _basis(weight, rate, load, check) -> str:
    """How the expected count was reached, in words."""
    parts = []
    if weight and rate is not None:
        parts.append(f"{canonical(weight)}% of {canonical(rate)} requests/s")
    if load:
        parts.append(f"{canonical(load)} requests/s of generated load")
    if not parts:
        parts.append("no user traffic and no load test")
    span = "CloudWatch alarm period" if check.kind == ALARM else "interval"
    return f"{' plus '.join(parts)} over one {human(check.sample_s)} {span}"


def spec_path(release: Release, path: tuple) -> list:
    """`path` in the spec, or `strategy.type` when the spec does not write it (a default applies)."""
    text = ".".join(str(part) for part in path)
    written = path and not any(text == default or text.startswith(default + ".") or default.startswith(text + ".")
                               for default, _ in release.defaults)
    return list(path) if written else ["strategy", "type"]


def analysis_facts(release: Release) -> dict:
    return {
        "interval_s": release.strategy.interval_s,
        "interval": human(release.strategy.interval_s),
        "interval_path": ["strategy", "interval"] if "interval" not in _defaulted(release) else ["strategy", "type"],
        "gates": [{"name": gate.name, "metric": gate.metric, "provider": gate.provider, "window_s": gate.window_s,
                   "window": human(gate.window_s), "window_path": ["gates", index, "window"],
                   "max": gate.max, "min": gate.min, "has_threshold": gate.max is not None or gate.min is not None,
                   "rollback_trigger": gate.name in release.rollback.on, "path": ["gates", index]}
                  for index, gate in enumerate(release.gates)],
        "rollback_gates": len(release.rollback_gates),
    }


def slo_facts(release: Release) -> list:
    """Each SLO with the error rate it allows and the gate that measures it."""
    facts = []
    for index, slo in enumerate(release.slos):
        gate = release.gate(slo.sli)
        gate_index = release.gates.index(gate) if gate else None
        facts.append({
            "name": slo.name, "objective": slo.objective, "sli": slo.sli, "path": ["slos", index],
            "allowed_error_rate": canonical(1 - slo.objective / 100),
            "allowed_text": number_text(1 - slo.objective / 100),
            "objective_text": number_text(slo.objective),
            "gate_max_text": number_text(gate.max) if gate else "",
            "gate_metric": gate.metric if gate else None,
            "gate_max": gate.max if gate else None,
            "gate_path": ["gates", gate_index, "max"] if gate is not None and gate.max is not None
            else ["gates", gate_index] if gate is not None else ["slos", index, "sli"],
        })
    return facts


def health_facts(release: Release) -> dict:
    service = release.service
    readiness, liveness = service.readiness, service.liveness
    return {
        "serves_traffic": bool(service.ports),
        "readiness": readiness is not None,
        "liveness": liveness is not None,
        "startup": service.startup is not None,
        "liveness_same_as_readiness": readiness is not None and liveness is not None
        and _probe_target(readiness) == _probe_target(liveness),
        "smoke_tests": len(release.smoke),
        "readiness_check": readiness_check(release),
    }


def _probe_target(probe) -> tuple:
    return (probe.handler, probe.path, probe.port, probe.command)


def draining_facts(release: Release) -> dict:
    service = release.service
    cap = PLATFORM_MAX_GRACE_S.get(release.platform.kind)
    requested = service.termination_grace_s
    grace = min(requested, cap) if cap is not None else requested
    return {
        "serves_traffic": bool(service.ports),
        "drain": human(service.drain_s),
        "grace": human(grace),
        "drain_s": service.drain_s,
        "shutdown_timeout_s": service.shutdown_timeout_s,
        "grace_s": grace,
        "requested_grace_s": requested,
        "platform_max_grace_s": cap,
        "time_after_drain_s": grace - service.drain_s,
    }


def disruption_allowance(min_replicas: int):
    """The PDB's maxUnavailable, as `targets.kubernetes.disruption_allowance` emits it (a test keeps
    the two equal; importing the targets here would load every target on every lint)."""
    return "10%" if min_replicas >= 10 else 1


def disruption_facts(release: Release) -> dict:
    """The PodDisruptionBudget the Kubernetes targets emit, in instances."""
    if release.platform.kind != "kubernetes":
        return {"budget": False}
    replicas = release.service.min_replicas
    allowance = disruption_allowance(replicas)
    evictable = count(allowance, replicas, round_up=True)
    path = ["service", "autoscaling", "minReplicas"] if release.service.autoscaling else ["service", "replicas"]
    return {"budget": True, "replicas": replicas, "max_unavailable": evictable, "path": path,
            "min_available": max(0, replicas - evictable), "allows_eviction": evictable >= 1}


def manual_facts(release: Release) -> dict:
    """Where the release waits for a person."""
    strategy = release.strategy
    approval = strategy.approval
    return {
        "approval": None if approval is None else {
            "before": approval.before, "timeout_s": approval.timeout_s, "timeout": human(approval.timeout_s),
            "on_timeout": approval.on_timeout, "path": ["strategy", "approval", "timeout"]},
        "pauses": [{"index": index, "pause_s": step.pause_s, "pause": human(step.pause_s),
                    "path": ["strategy", "steps", index]}
                   for index, step in enumerate(strategy.steps)],
        "interactive_smoke_tests": [{"name": test.name, "path": ["smoke", index, "command"],
                                     "reason": reason}
                                    for index, test in enumerate(release.smoke)
                                    for reason in [interactive_reason(test.command)] if reason],
    }


def interactive_reason(command: tuple) -> str:
    """Why a command would wait for input at a terminal, or "" when it would not."""
    if not command:
        return ""
    program = command[0].rsplit("/", 1)[-1]
    if program in INTERACTIVE_COMMANDS:
        return f"`{program}` waits for input"
    if program in INTERACTIVE_TOOLS:
        flags = [argument for argument in command[1:] if argument in INTERACTIVE_FLAGS]
        if flags:
            return f"`{program} {flags[0]}` attaches a terminal and waits for input"
    return ""
