"""The rollout model of a Kubernetes Deployment, read from the Deployment this package emits
(`targets-k8s.md` §3.1).

The Deployment controller's rules, as the model encodes them:
- RollingUpdate: at most `replicas + maxSurge` pods exist (percent rounded up) and at least
  `replicas - maxUnavailable` are available (percent rounded down; both 0 would be refused).
  The controller creates new pods up to the surge and removes old ones down to the minimum
  available, then waits: a new pod is available once it has started (the scenario's start-up)
  and stayed ready for `minReadySeconds`. Each such wave is one phase; its share of traffic is
  the new pods' share of the ready pods, since the Service balances across every ready pod.
- Recreate: every old pod stops first (no pod serves), then the new ones start.
- Nothing judges the new version and nothing rolls back: past `progressDeadlineSeconds` the
  Deployment is only marked ProgressDeadlineExceeded. A bad version is rolled out in full.
"""

from __future__ import annotations

import math

from ...model import Release
from ...rollout.model import READY, Phase, Rollback, Rollout

MAX_WAVES = 1000  # a Deployment of any size replaces at least one pod per wave


def rollout(release: Release) -> Rollout:
    from .manifests import deployment

    return rollout_of_deployment(deployment(release), release)


def instances(value, replicas: int, round_up: bool) -> int:
    """A maxSurge / maxUnavailable value (`25%` or a count) as a number of pods."""
    if isinstance(value, str) and value.endswith("%"):
        exact = replicas * int(value[:-1]) / 100
        return math.ceil(exact) if round_up else math.floor(exact)
    return int(value)


def rolling_waves(replicas: int, surge: int, unavailable: int) -> list:
    """(new pods ready, old pods ready) during each wave of a rolling update. Within a wave the
    controller's syncs are instant: it stops old pods down to the minimum available and creates
    new ones up to the surge until neither moves; then the new pods start."""
    waves = []
    old, new_total, new_ready = replicas, 0, 0
    while len(waves) < MAX_WAVES:
        moved = True
        while moved:
            stop = max(0, min(old, old + new_ready - (replicas - unavailable)))
            start = max(0, min(replicas - new_total, replicas + surge - old - new_total))
            old, new_total = old - stop, new_total + start
            moved = bool(stop or start)
        if new_ready == replicas and old == 0:
            break
        waves.append((new_ready, old))
        if new_total == new_ready:  # neither surge nor unavailability lets it move (the API refuses this)
            break
        new_ready = new_total
    return waves


def rollout_of_deployment(deployment: dict, release: Release) -> Rollout:
    spec = deployment["spec"]
    replicas = spec.get("replicas", release.service.min_replicas)  # with an autoscaler: its minimum
    min_ready = spec.get("minReadySeconds", 0)
    strategy = spec["strategy"]
    path = ("strategy", "type")
    if strategy["type"] == "Recreate":
        phases = (Phase("all old pods stopped; new pods starting (no pod serves)", 0, READY, duration_s=min_ready,
                        spec_path=path),)
        controller = "Kubernetes Deployment (recreate)"
    else:
        surge = instances(strategy["rollingUpdate"]["maxSurge"], replicas, round_up=True)
        unavailable = instances(strategy["rollingUpdate"]["maxUnavailable"], replicas, round_up=False)
        if surge == 0 and unavailable == 0:
            unavailable = 1
        phases = tuple(
            Phase(f"wave {index + 1}: {new} new and {old} old pods ready", _share(new, old), READY,
                  duration_s=min_ready, spec_path=path)
            for index, (new, old) in enumerate(rolling_waves(replicas, surge, unavailable)))
        controller = "Kubernetes Deployment (rolling update)"
    assumptions = (
        f"The Service balances requests across every ready pod: the share on the new version is its share of "
        f"the ready pods ({replicas} replicas).",
        f"A new pod counts once it has started and stayed ready for minReadySeconds ({min_ready} s).",
        "Nothing judges the new version: every scenario ends with it fully rolled out; a person rolls back "
        "(kubectl rollout undo).",
    )
    return Rollout(controller, phases, (), Rollback("nothing rolls back by itself"),
                   "the apply of the new Deployment", assumptions, release.service.requests_per_second,
                   automatic=False)


def _share(new: int, old: int) -> float:
    total = new + old
    return round(100 * new / total, 1) if total else 0
