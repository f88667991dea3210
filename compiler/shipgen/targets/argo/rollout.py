"""Argo Rollouts' rollout model, read from the Rollout and AnalysisTemplates this package emits
(`targets-k8s.md` §2.2, §2.4-§2.6, §2.8).

The controller's rules, as the model encodes them (t = 0 is the first reconcile of the new
revision; reconciles and traffic changes are instant):
- canary steps run in order: `setWeight` first scales the canary to its share of the pods and
  waits until they are available (start-up plus minReadySeconds), then routes the weight;
  `setCanaryScale`, `setHeaderRoute` and `setMirrorRoute` take effect at once; `pause` waits its
  duration, or for a person when it has none; an `analysis` step runs an AnalysisRun to
  completion: each metric measures `count` times (1 when it has neither count nor interval),
  the first `initialDelay` after the step starts, then every `interval`;
- background analysis (`canary.analysis`) starts at `startingStep` and runs until promotion;
- a metric fails when its failures exceed `failureLimit`; a provider error is measured again
  10 s later and fails the run when the errors in a row exceed `consecutiveErrorLimit` (Error);
  a Failed or Errored run aborts the rollout at once: all traffic back to the stable version;
  dry-run metrics never abort;
- after the last step the canary is scaled to the full replica count, and once those pods are
  available the stable Service switches to them (promotion);
- blue-green: the preview pods start, `prePromotionAnalysis` runs (its metrics, the approval
  Job among them, run concurrently in one AnalysisRun), the active Service switches, and
  `postPromotionAnalysis` runs on the live traffic; a failure there switches back at once
  (the previous pods are kept for `scaleDownDelaySeconds`).
"""

from __future__ import annotations

import math

from ...durations import human, seconds
from ...model import Release
from ...rollout.model import (AS_ERROR, METRIC, NOTHING, PASSES, PERSON, READY, ROLLBACK, SMOKE, TIMER, Check, Phase,
                              Rollback, Rollout)

ERROR_RETRY_S = 10  # the analysis controller measures again 10 s after an error, whatever the interval (§2.5)
DEFAULT_CONSECUTIVE_ERROR_LIMIT = 4


def rollout(release: Release) -> Rollout:
    from .objects import analysis_templates
    from .objects import rollout as rollout_object

    templates = {template["metadata"]["name"]: template for template in analysis_templates(release)}
    return rollout_of_objects(rollout_object(release), templates, release)


def rollout_of_objects(rollout_object: dict, templates: dict, release: Release) -> Rollout:
    spec = rollout_object["spec"]
    replicas = spec.get("replicas", release.service.min_replicas)
    min_ready = spec.get("minReadySeconds", 0)
    builder = _Builder(release, templates, replicas, min_ready)
    strategy = spec["strategy"]
    if "blueGreen" in strategy:
        builder.blue_green(strategy["blueGreen"])
        controller = "Argo Rollouts blue-green"
        cleanup = f"the new pods stay up for {strategy['blueGreen'].get('abortScaleDownDelaySeconds', 30)} s"
    else:
        builder.canary(strategy["canary"])
        controller = f"Argo Rollouts {release.strategy.type}"
        cleanup = (f"the canary pods are scaled down {strategy['canary'].get('abortScaleDownDelaySeconds', 30)} s "
                   "later")
    assumptions = (
        "Reconciles and traffic changes are instant; a scale-up waits for the new pods to start and stay ready "
        f"minReadySeconds ({min_ready} s).",
        f"A provider error is measured again {ERROR_RETRY_S} s later; the run errors (and the rollout aborts) when "
        "the errors in a row exceed consecutiveErrorLimit.",
        "A failed or errored AnalysisRun aborts at once: traffic returns to the stable version.",
    )
    return Rollout(controller, tuple(builder.phases), tuple(builder.checks),
                   Rollback("aborts the rollout: all traffic back to the stable version", 0, cleanup),
                   "the first reconcile of the new revision", assumptions, release.service.requests_per_second,
                   automatic=any(check.on_failure == ROLLBACK for check in builder.checks))


class _Builder:
    """Walks the Rollout's steps, adding a phase for each stretch of time and a check per metric."""

    def __init__(self, release: Release, templates: dict, replicas: int, min_ready: int):
        self.release, self.templates, self.replicas, self.min_ready = release, templates, replicas, min_ready
        self.phases: list = []
        self.checks: list = []
        self.weight: float | None = 0
        self.mirrored = 0
        self.canary_pods = 0

    def add(self, name: str, ends: str, **fields) -> int:
        self.phases.append(Phase(name, self.weight, ends, mirrored=self.mirrored, **fields))
        return len(self.phases) - 1

    def scale(self, pods: int, why: str):
        if pods > self.canary_pods:
            self.add(f"{why}: {pods} new pod{'s' if pods != 1 else ''} starting", READY, duration_s=self.min_ready)
        self.canary_pods = pods

    # ------------------------------------------------------------------ analysis

    def metrics(self, references: list) -> list:
        metrics = []
        for reference in references:
            metrics += self.templates[reference["templateName"]]["spec"]["metrics"]
        return metrics

    def run(self, references: list, from_phase: int, to_phase: int, dry_run: set, inline: bool,
            where: str = "") -> list:
        """Checks for the metrics of an AnalysisRun over phases from_phase..to_phase."""
        added = []
        for metric in self.metrics(references):
            name = metric["name"]
            job = "job" in metric["provider"]
            interval = seconds(metric["interval"]) if "interval" in metric else 0
            count = metric.get("count") or (1 if not interval else None)
            if name == "approval":
                continue  # the approval Job waits for a person: a PERSON phase, not a check
            kind = SMOKE if job else METRIC
            gate = self.release.gate(name)
            taken = any(check.name == name for check in self.checks)  # the same metric in another run
            check = Check(
                f"{name} ({where})" if taken else name, kind, (name.removeprefix("smoke-"),) if job else (name,),
                "Argo Rollouts Job metric (smoke test)" if job else f"Argo Rollouts {next(iter(metric['provider']))} metric",
                from_phase, to_phase, interval_s=interval or 1, first_s=seconds(metric.get("initialDelay", "0s")),
                count=count, failure_limit=metric.get("failureLimit", 0), on_provider_error=AS_ERROR,
                error_limit=metric.get("consecutiveErrorLimit", DEFAULT_CONSECUTIVE_ERROR_LIMIT),
                error_retry_s=ERROR_RETRY_S, on_failure=NOTHING if name in dry_run else ROLLBACK,
                sample_s=gate.window_s if gate is not None else interval,
                spec_path=("smoke",) if job else ("gates",),
                rule=("inline analysis step: the rollout waits for it" if inline else "background analysis"))
            self.checks.append(check)
            added.append(check)
        return added

    def inline(self, references: list, dry_run: set, name: str, approval: bool = False):
        index = len(self.phases)
        checks = self.run(references, index, index, dry_run, inline=True, where=name)
        if approval:
            wait = self.release.strategy.approval
            self.add(f"{name}: waits for approval", PERSON,
                     waits_for=f"approval: `kubectl argo rollouts` approval Job (mark it approved); after "
                               f"{human(wait.timeout_s)} without an answer: {wait.on_timeout}",
                     timeout_s=wait.timeout_s, on_timeout=wait.on_timeout, spec_path=("strategy", "approval"))
            return
        if not checks:
            return
        longest = max(checks, key=lambda check: check.first_s + check.interval_s * ((check.count or 1) - 1))
        self.add(name, PASSES, passes=longest.count or 1, gating_check=longest.name,
                 spec_path=longest.spec_path)

    # ------------------------------------------------------------------ canary

    def canary(self, canary: dict):
        routed = "trafficRouting" in canary
        background = canary.get("analysis")
        step_phase = {}  # step index -> the phase the step starts
        fixed_scale = None
        spec_step = 0
        for index, step in enumerate(canary.get("steps", [])):
            step_phase[index] = len(self.phases)
            if "setCanaryScale" in step:
                scale = step["setCanaryScale"]
                if "replicas" in scale:
                    fixed_scale = scale["replicas"]
                    self.scale(fixed_scale, "canary scaled")
                elif "weight" in scale:
                    fixed_scale = math.ceil(self.replicas * scale["weight"] / 100)
                    self.scale(fixed_scale, f"canary scaled to {scale['weight']}% of the pods")
                else:
                    fixed_scale = None
                    if self.weight:
                        self.scale(math.ceil(self.replicas * self.weight / 100), "canary scaled to its weight")
            elif "setWeight" in step:
                weight = step["setWeight"]
                pods = fixed_scale if fixed_scale is not None else self.pods_for(weight, routed)
                self.scale(pods, f"scaling for {weight}%")
                self.weight = weight if routed else self.pod_share(weight)  # no router: the pod ratio
                self.step_path = ("strategy", "steps", spec_step)
                spec_step += 1
            elif "pause" in step:
                duration = step["pause"].get("duration")
                if duration is None:
                    self.add("paused", PERSON, waits_for="`kubectl argo rollouts promote`")
                else:
                    self.add(f"{self.weight:g}% for {human(seconds(duration))}", TIMER,
                             duration_s=seconds(duration), spec_path=getattr(self, "step_path", ()))
            elif "analysis" in step:
                references = step["analysis"]["templates"]
                names = [reference["templateName"] for reference in references]
                dry_run = {entry["metricName"] for entry in step["analysis"].get("dryRun", [])}
                approval = any(name.endswith("-approval") for name in names)
                label = "smoke tests" if any(name.endswith("-smoke") for name in names) else "analysis"
                self.inline(references, dry_run, label, approval=approval)
            elif "setHeaderRoute" in step:
                if step["setHeaderRoute"].get("match"):
                    self.weight = None
            elif "setMirrorRoute" in step:
                route = step["setMirrorRoute"]
                self.mirrored = route.get("percentage", 0) if route.get("match") else 0
        step_phase[len(canary.get("steps", []))] = len(self.phases)
        self.mirrored = 0
        self.scale(self.replicas, "promotion: the canary scaled to every replica")
        last = len(self.phases)
        self.weight = 100
        if background:
            dry_run = {entry["metricName"] for entry in background.get("dryRun", [])}
            start = step_phase.get(background.get("startingStep", 0), 0)
            self.run(background["templates"], start, max(start, last - 1), dry_run, inline=False)

    def pods_for(self, weight: float, routed: bool) -> int:
        """Canary pods for a setWeight: its share of the replicas with a router, else the pod
        ratio Argo's basic canary settles on."""
        if routed:
            return math.ceil(self.replicas * weight / 100)
        return self.basic_pods(weight)[0]

    def basic_pods(self, weight: float) -> tuple:
        surge = resolved_surge(self.release.strategy.max_surge, self.replicas)
        return basic_canary_pods(self.replicas, weight, surge)

    def pod_share(self, weight: float) -> float:
        """Without a router the Service balances over every ready pod: the new pods' share."""
        new, old = self.basic_pods(weight)
        return round(100 * new / (new + old), 1) if new + old else 0

    # ------------------------------------------------------------------ blue-green

    def blue_green(self, spec: dict):
        preview = spec.get("previewReplicaCount", self.replicas)
        self.scale(preview, "preview")
        pre = spec.get("prePromotionAnalysis")
        if pre:
            names = [reference["templateName"] for reference in pre["templates"]]
            self.inline(pre["templates"], set(), "pre-promotion analysis (preview)",
                        approval=any(name.endswith("-approval") for name in names))
            if any(name.endswith("-approval") for name in names):
                # the approval and the checks run in one AnalysisRun: the checks go on during the wait
                index = len(self.phases) - 1
                self.checks[:] = [check._replace(to_phase=index) if check.from_phase == index else check
                                  for check in self.checks]
        if spec.get("autoPromotionSeconds"):
            self.add("waiting autoPromotionSeconds", TIMER, duration_s=spec["autoPromotionSeconds"])
        if not spec.get("autoPromotionEnabled", True):
            self.add("waiting for promotion", PERSON, waits_for="`kubectl argo rollouts promote`")
        self.scale(self.replicas, "scaling the preview to every replica")
        self.weight = 100
        post = spec.get("postPromotionAnalysis")
        if post:
            self.inline(post["templates"], set(), "post-promotion analysis (live traffic)")


def resolved_surge(max_surge, replicas: int) -> int:
    """maxSurge in pods: a percentage of the replicas rounds up (Argo and Kubernetes alike)."""
    if isinstance(max_surge, str) and max_surge.endswith("%"):
        return math.ceil(replicas * int(max_surge[:-1]) / 100)
    return int(max_surge)


def basic_canary_pods(replicas: int, weight: int, max_surge: int) -> tuple:
    """(new, old) pods Argo's basic canary settles on for a setWeight (utils/replicaset/canary.go,
    approximateWeightedCanaryStableReplicaCounts): of the candidates ceil/floor(replicas × weight /
    100) out of `replicas` -- or out of replicas + 1 when maxSurge allows a surge pod -- the one
    whose pod ratio is closest to the weight (first wins on equal distance; a tie of floor and
    ceiling keeps the ceiling); for 0 < weight < 100 on more than one pod neither side drops to 0."""
    if replicas == 0:
        return 0, 0
    ceiling = math.ceil(replicas * weight / 100.0)
    floor = math.floor(replicas * weight / 100.0)
    zero_allowed = weight in (0, 100) or (replicas == 1 and max_surge == 0)

    def tied(total: int) -> bool:
        return math.modf(total * (weight / 100))[0] == 0.5

    options = []
    if ceiling < replicas or zero_allowed:
        options.append((ceiling, replicas))
    if not tied(replicas) and (floor != 0 or zero_allowed):
        options.append((floor, replicas))
    if max_surge > 0:
        options.append((ceiling, replicas + 1))
        if not tied(replicas + 1) and (floor != 0 or zero_allowed):
            options.append((floor, replicas + 1))
    if not options:
        return 0, replicas
    best = options[0]
    for option in options[1:]:
        if abs(option[0] * 100 / option[1] - weight) < abs(best[0] * 100 / best[1] - weight):
            best = option
    return best[0], best[1] - best[0]
