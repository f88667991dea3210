"""Flagger's rollout model, read from the Canary this package emits (`targets-k8s.md` §1.5-§1.7).

The controller's rules, as the model encodes them:
- Flagger acts once per tick, every `analysis.interval`. t = 0 is the tick that detects the new
  revision and scales the canary up; the next tick at which the canary is ready runs the
  `pre-rollout` hooks (the smoke tests) and, when they pass, takes the first step in that same
  tick (first weight, or first iteration).
- Every later tick runs the `rollout` hooks and the metrics; a tick with any failure adds one
  to `failedChecks` (at most one per tick, never reset during a run) and holds the weight. The
  rollback comes at the tick after the failure that brings `failedChecks` to `threshold`.
  A metric without data ("no values found") or a provider error fails the tick.
- Canary: each passing tick moves to the next weight; the tick after the last weight passes
  promotes (after `confirm-promotion`). Blue/green and shadow: `iterations` counts the
  pre-rollout tick too; the tick that completes them switches all live traffic to the canary
  (not with provider `kubernetes`, which cannot route), and one more passing tick promotes.
  A/B: the matched requests go to the canary for `iterations` ticks, then it is promoted.
- Promoting: the primary takes the new spec; the tick at which it is ready routes traffic
  back to it (in `stepWeightPromotion` steps, one per tick, when set), and the next tick
  finalises (scales the canary to zero, phase Succeeded).
- The approval gate (`hooks.py`) starts its clock at the first tick that asks it and is
  decided on ticks, so a wait lasts its timeout rounded up to whole ticks.
"""

from __future__ import annotations

from ...durations import human, seconds
from ...model import Release
from .checks import analysed_gates
from ...rollout.model import (AS_FAILURE, METRIC, PASSES, PERSON, READY, SMOKE, TIMER, Check, Phase, Rollback,
                              Rollout)

COUNTER = "failedChecks"


def rollout(release: Release) -> Rollout:
    from .canary import canary

    return rollout_of_canary(canary(release), release)


def rollout_of_canary(canary: dict, release: Release) -> Rollout:
    analysis = canary["spec"]["analysis"]
    provider = canary["spec"]["provider"]
    tick = max(10, seconds(analysis["interval"]))  # Flagger raises intervals below 10 s to 10 s (§1.3)
    threshold = max(1, analysis["threshold"])
    hooks = analysis.get("webhooks", [])
    smoke = [hook["name"] for hook in hooks if hook["type"] == "pre-rollout" and hook["name"].startswith("smoke-")]
    metrics = [metric["name"] for metric in analysis.get("metrics", [])]
    gates = [gate.name for gate in analysed_gates(release)]  # the spec's names of those metrics, in order
    approval = release.strategy.approval
    load = release.strategy.load_test

    phases: list = []
    checks: list = []

    def tick_wait(timeout_s: int) -> int:
        return -(-timeout_s // tick) * tick

    def approval_phase(weight, name: str, status: str) -> Phase:
        return Phase(name, weight, PERSON, waits_for=f"approval (phase {status}): open the loadtester gate "
                     f"/gate/open; after {human(approval.timeout_s)} without an answer: {approval.on_timeout}",
                     timeout_s=tick_wait(approval.timeout_s), on_timeout=approval.on_timeout, quantum_s=tick,
                     spec_path=("strategy", "approval"))

    if approval is not None and approval.before == "rollout":
        phases.append(approval_phase(0, "waiting for approval to start", "Waiting"))
    phases.append(Phase("canary scaled up, waiting until it is ready", 0, READY, quantum_s=tick))
    if smoke:
        phases.append(Phase("pre-rollout smoke tests", 0, PASSES, passes=1, gating_check="smoke tests",
                            spec_path=("smoke",)))
        checks.append(Check("smoke tests", SMOKE, tuple(name.removeprefix("smoke-") for name in smoke),
                            "Flagger pre-rollout webhooks (flagger-loadtester)", len(phases) - 1, len(phases) - 1,
                            interval_s=tick, first_s=0, failure_limit=threshold - 1, counter=COUNTER,
                            reaction_s=tick, spec_path=("smoke",),
                            rule="a failed pre-rollout hook adds one to failedChecks and is retried the next tick"))
    first_analysed = len(phases)
    strategy = release.strategy.type
    mirror = analysis.get("mirrorWeight", 100) if analysis.get("mirror") else 0
    if strategy == "canary":
        for index, weight in enumerate(_weights(analysis)):
            phases.append(_tick_phase(f"{weight}% canary", weight, metrics, tick,
                                      ("strategy", "steps", index)))
        last_weight = phases[-1].weight
    elif strategy == "ab-test":
        phases.append(_tick_phase(f"matching requests on the canary for {analysis['iterations']} checks", None,
                                  metrics, tick, ("strategy", "match"), passes=analysis["iterations"]))
        last_weight = None
    else:  # blue-green and shadow: iterations include the pre-rollout tick (§1.7)
        iterations = analysis["iterations"]
        preview = "shadow: mirrored traffic" if mirror else "preview: no user traffic"
        phases.append(_tick_phase(f"{preview}, {iterations} iterations", 0, metrics, tick, ("strategy", "iterations"),
                                  passes=iterations, mirrored=mirror))
        routed = provider != "kubernetes"
        if approval is not None and approval.before == "promotion":
            phases.append(approval_phase(0, "waiting for approval to promote", "WaitingPromotion"))
        phases.append(_tick_phase("all live traffic on the canary for one more check" if routed else
                                  "one more check (provider kubernetes cannot route: no traffic moves)",
                                  100 if routed else 0, metrics, tick, ("strategy", "type")))
        last_weight = phases[-1].weight
    if strategy in ("canary", "ab-test") and approval is not None and approval.before == "promotion":
        phases.append(approval_phase(last_weight, "waiting for approval to promote", "WaitingPromotion"))
    last_analysed = len(phases) - 1
    if metrics:
        checks.append(Check("analysis", METRIC, tuple(gates), "Flagger metric checks (" + ", ".join(metrics) + ")",
                            first_analysed, last_analysed, interval_s=tick, first_s=tick,
                            failure_limit=threshold - 1, counter=COUNTER, on_provider_error=AS_FAILURE,
                            reaction_s=tick, sample_s=tick, load_rps=load.requests_per_second if load else 0,
                            spec_path=("gates",),
                            rule=f"each tick with a failing metric adds one to failedChecks (threshold {threshold}); "
                                 "the rollback comes at the next tick"))
    promotion_step = analysis.get("stepWeightPromotion", 0)
    phases.append(Phase("promoting: the primary takes the new version", 100, READY, quantum_s=tick))
    if promotion_step and provider != "kubernetes" and last_weight:
        steps = -(-int(last_weight) // promotion_step)
        if steps > 1:
            phases.append(Phase(f"traffic back to the primary {promotion_step}% per tick", 100, TIMER,
                                duration_s=(steps - 1) * tick))
    phases.append(Phase("finalising: the canary is scaled to zero", 100, TIMER, duration_s=tick))
    assumptions = (
        f"Flagger ticks every {human(tick)} (analysis.interval); a tick's hooks and queries take no time.",
        f"The rollback comes one tick after failedChecks reaches {threshold} (analysis.threshold); "
        "failures need not be consecutive.",
        "Pods that never become ready are rolled back after progressDeadlineSeconds "
        f"({canary['spec']['progressDeadlineSeconds']} s); this plan assumes they start.",
    )
    return Rollout(f"Flagger {strategy}", tuple(phases), tuple(checks),
                   Rollback("routes all traffic back to the primary (the previous version)", 0,
                            "the canary is scaled to zero and the Canary marked Failed"),
                   "the Flagger tick that detects the new revision and scales the canary up",
                   assumptions, release.service.requests_per_second)


def _weights(analysis: dict) -> list:
    if "stepWeights" in analysis:
        return list(analysis["stepWeights"])
    step, ceiling = analysis["stepWeight"], analysis.get("maxWeight", 100)
    weights, weight = [], 0
    while weight < ceiling:
        weight = min(100, weight + step)  # Flagger may overshoot maxWeight (§1.7); shipgen's plans never do
        weights.append(weight)
    return weights


def _tick_phase(name: str, weight, metrics: list, tick: int, spec_path: tuple, passes: int = 1,
                mirrored: float = 0) -> Phase:
    """A phase that lasts `passes` passing ticks of the analysis (one tick each without metrics)."""
    if metrics:
        return Phase(name, weight, PASSES, passes=passes, gating_check="analysis", mirrored=mirrored,
                     spec_path=spec_path)
    return Phase(name, weight, TIMER, duration_s=passes * tick, mirrored=mirrored, spec_path=spec_path)
