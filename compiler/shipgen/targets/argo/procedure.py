"""The runbook procedure for Argo Rollouts: the exact `kubectl argo rollouts` commands to deploy,
watch, approve, abort, undo, retry and promote, and the automatic rollback in words with the
numbers the emitted objects carry (targets-k8s.md §2.2-§2.6, §5 "rollback speed"). Kept apart
from `objects.py`, which builds the objects these sentences describe.
"""

from __future__ import annotations


from ...durations import human
from ...model import Release
from ...procedure import ABORT, APPLY, ROLLBACK, VERDICT, Procedure, Step
from ...shell import command
from ..kubernetes import manifests as kubernetes
from .. import linkerd
from .objects import (ABORT_SCALE_DOWN_DELAY_S, APPROVAL_FILE, APPROVAL_LABEL, FOLDER, JOB_START_MARGIN_S,
                      ROLLBACK_WINDOW_REVISIONS, gates_before_switch,
                            gating, judged_service, names, progress_deadline_s, prometheus_address,
                            scale_down_delay_s, traffic_artifacts)
from .checks import PLUGIN, ROUTER
from .rollout import basic_canary_pods, resolved_surge

PROVIDER_TEXT = {"istio": "Istio", "gateway-api": "Gateway API", "linkerd": "Linkerd (Gateway API)",
                 "nginx": "NGINX Ingress", "smi": "SMI", "kubernetes": "replica counts (no traffic provider)"}
CREDENTIALS = {
    "datadog": "Datadog gates: Argo Rollouts reads the API and application keys from the Secret `datadog` "
               "(keys api-key, app-key) in its own namespace.",
    "newrelic": "New Relic gates: Argo Rollouts reads the Secret `newrelic` (keys personal-api-key, account-id) in "
                "its own namespace; the NRQL names its number `value`.",
    "cloudwatch": "CloudWatch gates: Argo Rollouts queries with its own AWS credentials (e.g. IRSA on its "
                  "ServiceAccount), which need cloudwatch:GetMetricData.",
}


def argo(release: Release, *words, flags: tuple = ()) -> str:
    """A `kubectl argo rollouts` command: `kubectl argo rollouts VERB NAME -n NAMESPACE FLAGS`."""
    return command("kubectl", "argo", "rollouts", *words, "-n", release.namespace, *flags)


# ---------------------------------------------------------------------------- the run, in numbers


def model(release: Release):
    """The Rollout's rollout model (`rollout.py`)."""
    from .rollout import rollout

    return rollout(release)


def timing(release: Release):
    """The runbook's figures, from the rollout model and the simulator."""
    from ...rollout.plan import timing as simulated

    return simulated(model(release))


def shares_text(release: Release) -> str:
    """How long each share of traffic really lasts in a healthy run (scale-ups and analysis steps
    included, not only the pauses), and when the new version serves everything."""
    figures = timing(release)
    spans = []  # [percent, start_s, end_s], consecutive phases at one share merged
    for _, weight, start, end in figures.phases:
        if not weight:
            continue
        if spans and spans[-1][0] == weight:
            spans[-1][2] = end
        else:
            spans.append([weight, start, end])
    if not spans:
        return ""
    parts = [f"{spans[0][0]:g}% from {human(spans[0][1])} for {human(spans[0][2] - spans[0][1])}"]
    parts += [f"{weight:g}% for {human(end - start)}" for weight, start, end in spans[1:]]
    if figures.healthy_s is not None:
        return ", ".join(parts) + f", then 100% at {human(figures.healthy_s)} (pod start-up not counted)"
    return ", ".join(parts) + f", where it waits for approval (reached at {human(figures.waiting_at_s)})"


def error_text(release: Release) -> str:
    """When provider errors abort the update, from the model's checks."""
    check = next(check for check in model(release).checks if check.kind == "metric")
    return (f"A gate whose query errors {check.error_limit + 1} times in a row (consecutiveErrorLimit "
            f"{check.error_limit}; after an error it is measured again {check.error_retry_s} s later, so "
            f"{human(check.error_limit * check.error_retry_s)} after the first error) aborts it too.")


def plan_text(release: Release) -> str:
    """The update in words, with the spec's numbers."""
    strategy = release.strategy
    interval = human(strategy.interval_s)
    approval_ = strategy.approval
    parts = []
    if approval_ is not None and (approval_.before == "rollout" and strategy.type != "blue-green"):
        parts.append(approval_text(release))
    if release.smoke and strategy.type != "blue-green":
        parts.append(f"smoke tests ({len(release.smoke)}) against {judged_service(release)}")
    if strategy.type == "canary":
        parts.append(shares_text(release))
        if release.gates:
            parts.append(f"gates checked every {interval} from {interval} after the first weight until promotion")
    elif strategy.type == "blue-green":
        preview = f"{strategy.preview_replicas} preview pods" if strategy.preview_replicas else "a full-size preview"
        parts.append(f"{preview} behind {names(release).canary}")
        before = []
        if release.smoke:
            before.append(f"smoke tests ({len(release.smoke)}) against the preview")
        if gates_before_switch(release):
            before.append(f"{strategy.iterations} checks every {interval} on the preview under load")
        if approval_ is not None and before:
            # prePromotionAnalysis is one AnalysisRun: the approval Job runs beside the other metrics
            parts.append("at the same time, in one pre-promotion analysis: " + ", ".join(before) + " and "
                         + approval_text(release) + "; the switch waits for all of them, and a failed check aborts "
                         "the update even while the approval is pending")
        else:
            parts += before + ([approval_text(release)] if approval_ is not None else [])
        parts.append(f"switch {names(release).stable} to the new version")
        if release.gates:
            parts.append(f"{strategy.iterations} checks every {interval} after the switch")
        parts.append(f"previous version scaled down {human(strategy.scale_down_delay_s)} later")
    else:
        what = (f"requests matching {match_text(release)} go to the new version" if strategy.type == "ab-test"
                else f"{strategy.mirror_percent}% of requests are copied to the new version (responses dropped)")
        parts.append(what)
        if release.gates:
            parts.append(f"{strategy.iterations} checks every {interval}")
        if approval_ is not None and approval_.before == "promotion":
            parts.append(approval_text(release) + " (the window opens with the checks)")
        parts.append("then all traffic switches to the new version")
    if approval_ is not None and approval_.before == "promotion" and strategy.type == "canary":
        parts.append(approval_text(release))
    return "; ".join(parts) + "."


def approval_text(release: Release) -> str:
    approval_ = release.strategy.approval
    return (f"a person approves within {human(approval_.timeout_s)} "
            f"(else {'it goes on' if approval_.on_timeout == 'promote' else 'it rolls back'})")


def match_text(release: Release) -> str:
    alternatives = []
    for item in release.strategy.match:
        conditions = [f"{condition.source} {condition.name} "
                      + (f"= {condition.exact}" if condition.exact is not None else f"~ {condition.regex}")
                      for condition in item]
        alternatives.append(" and ".join(conditions))
    return " or ".join(alternatives)


def expected_duration_s(release: Release) -> int:
    """A bound on a healthy update: waits, checks and approval, plus the progress deadline."""
    strategy = release.strategy
    total = progress_deadline_s(release)
    if strategy.type == "canary":
        total += sum(step.pause_s for step in strategy.steps)
    elif release.gates:
        total += strategy.iterations * strategy.interval_s * (2 if gates_before_switch(release) else 1)
    if strategy.approval is not None:
        total += strategy.approval.timeout_s
    if release.smoke:
        total += sum(test.timeout_s + JOB_START_MARGIN_S for test in release.smoke)
    return total + scale_down_delay_s(release)


def abort_effect(release: Release) -> str:
    """What an abort does to traffic, in words."""
    if release.strategy.type == "blue-green":
        return ("before the switch the preview is dropped and users never reach it; after it the active Service "
                "switches back to the previous version, still running")
    if release.platform.traffic.provider in ROUTER:
        return (f"traffic returns to the stable version at once and the new pods are scaled down "
                f"{human(ABORT_SCALE_DOWN_DELAY_S)} later")
    return "the new pods are replaced by stable ones, within maxSurge and maxUnavailable"


def checks_text(release: Release) -> str:
    """When the gates are checked, and how soon after they start failing the update is aborted."""
    strategy = release.strategy
    interval = human(strategy.interval_s)
    soon = human((release.rollback.max_failed_checks + 1) * strategy.interval_s)
    if strategy.type == "canary":
        after = timing(release).rollback_after_failure_s
        return (f"one check every {interval}, from {interval} after the first weight until promotion; the update "
                f"is aborted {human(after)} after the first failed check" if after is not None else
                f"one check every {interval}, from {interval} after the first weight until promotion")
    if strategy.type == "blue-green":
        before = "on the preview under load and again " if gates_before_switch(release) else ""
        return (f"{strategy.iterations} checks every {interval} {before}after the switch, so at the earliest "
                f"{soon} into the checks")
    return f"{strategy.iterations} checks every {interval}, so at the earliest {soon} into the checks"


def automatic_rollback_text(release: Release) -> str:
    strategy = release.strategy
    limit = release.rollback.max_failed_checks
    gating_gates = [gate.name for gate in release.gates if gating(release, gate)]
    parts = []
    if gating_gates:
        parts.append(f"Argo Rollouts aborts the update ({abort_effect(release)}) when a gate "
                     f"({', '.join(gating_gates)}) fails {limit + 1} checks (failureLimit {limit}: more than {limit} "
                     f"failed; {checks_text(release)}). A check with no data counts as failed. "
                     + error_text(release))
    if release.smoke:
        parts.append("A failing smoke test aborts it" + (
            " (the tests run once the first weight has given the canary its pods)"
            if strategy.type == "canary" and release.platform.traffic.provider not in ROUTER
            else " before users are served by the new version") + ".")
    if release.rollback.automatic:
        parts.append(f"So does a rollout that makes no progress for {human(progress_deadline_s(release))} "
                     "(progressDeadlineAbort).")
    if strategy.approval is not None and strategy.approval.on_timeout == "rollback":
        parts.append(f"Without an approval within {human(strategy.approval.timeout_s)} it is aborted.")
    if not parts:
        return ""
    parts.append("The checks are pass/fail, so an analysis never ends Inconclusive (Argo would then pause for "
                 "a person: `promote` resumes, `abort` rolls back). The very first deploy of the Rollout skips "
                 "the steps and the analysis: it goes straight to the full count.")
    return " ".join(parts)


def procedure(release: Release) -> Procedure:
    name = release.name
    provider = release.platform.traffic.provider
    deploy = []
    if ROUTER.get(provider) == "plugin":
        deploy.append(Step(f"Check that the Gateway API traffic-router plugin ({PLUGIN}) is registered with Argo "
                           "Rollouts.", command("kubectl", "--namespace", "argo-rollouts", "get", "configmap",
                                                "argo-rollouts-config", "--output",
                                                "jsonpath={.data.trafficRouterPlugins}"), role=APPLY))
    deploy.append(Step("Apply the manifests (Rollout, Services, AnalysisTemplates, PodDisruptionBudget"
                       + (", HorizontalPodAutoscaler" if release.service.autoscaling else "")
                       + (", the referenced Deployment" if release.platform.workload_ref else "")
                       + (", traffic objects" if traffic_artifacts(release) else "") + ").",
                       command("kubectl", "apply", "--filename", f"{FOLDER}/"), role=APPLY))
    deadline = expected_duration_s(release)
    deploy.append(Step(f"Wait until the Rollout is Healthy (gives up after {human(deadline)}). The update: "
                       + plan_text(release), argo(release, "status", name, flags=("--timeout", f"{deadline}s")),
                       role=VERDICT))
    watch = [Step("Follow the steps, weights, pods and analysis runs.",
                  argo(release, "get", "rollout", name, flags=("--watch",))),
             Step("List the analysis runs and their results.", kubernetes.kubectl(release, "get", "analysisruns"))]
    if release.strategy.approval is not None:
        watch.append(Step(f"Approve the new version (the approval waits at most "
                          f"{human(release.strategy.approval.timeout_s)}).", approve_command(release)))
        watch.append(Step("Or reject it: abort the update.", argo(release, "abort", name)))
    rollback = (
        Step("Abort: " + ("switch the active Service back to the previous version."
                          if release.strategy.type == "blue-green" else
                          "send all traffic back to the stable version now."), argo(release, "abort", name), role=ABORT),
        Step(f"Roll back to the previous version (within rollbackWindow {ROLLBACK_WINDOW_REVISIONS} it skips steps "
             "and analysis). Revert the spec too, or the next apply brings the new version back.",
             argo(release, "undo", name), role=ROLLBACK),
        Step("Or, once the cause is fixed outside the spec, retry the same version.",
             argo(release, "retry", "rollout", name)),
        Step("Resume a rollout paused by a person or an Inconclusive analysis (`--full` skips all remaining "
             "steps and checks).", argo(release, "promote", name)),
    )
    return Procedure(f"Argo Rollouts ({strategy_text(release)})", tuple(deploy), tuple(watch), rollback,
                     automatic_rollback_text(release), notes(release))


def approve_command(release: Release) -> str:
    selector = f"{APPROVAL_LABEL}={release.name}"
    find = kubernetes.kubectl(release, "get", "pods", "--selector", selector, "--field-selector",
                              "status.phase=Running", "--output", "name")
    return f'{kubernetes.kubectl(release, "exec")} "$({find})" -- {command("touch", APPROVAL_FILE)}'


def strategy_text(release: Release) -> str:
    provider = PROVIDER_TEXT[release.platform.traffic.provider]
    return {"canary": f"canary, traffic split by {provider}",
            "blue-green": "blue-green: Service switch",
            "ab-test": f"A/B by request header or cookie, routed by {provider}",
            "shadow": f"shadow traffic mirrored by {provider}"}[release.strategy.type]


def approval_start(release: Release) -> str:
    """When the approval's clock starts, in words."""
    if release.strategy.type == "blue-green":
        return "the moment the preview is up (before the switch)"
    if release.strategy.approval.before == "rollout":
        return "the start of the update (before any traffic)"
    if release.strategy.type == "canary":
        return "the end of the last step"
    return "the start of the checks"


def share_text(weight: int, new: int, old: int) -> str:
    return f"{weight}% -> {new} new and {old} old pods ({round(100 * new / (new + old))}% of requests)"


def notes(release: Release) -> tuple:
    strategy = release.strategy
    provider = release.platform.traffic.provider
    result = []
    if strategy.type == "canary" and provider == "kubernetes":
        replicas = release.service.min_replicas
        surge = resolved_surge(strategy.max_surge, replicas)
        shares = ", ".join(share_text(step.weight, *basic_canary_pods(replicas, step.weight, surge))
                           for step in strategy.steps)
        result.append("No traffic provider: Argo Rollouts approximates each setWeight by replica counts, and the "
                      "Service sends requests in proportion to ready pods, so the real share is the replica ratio, "
                      f"not the weight ({shares}" + (", at the autoscaler's minimum" if release.service.autoscaling
                                                     else "") + "). Choose a traffic provider for exact percentages.")
    elif strategy.type != "blue-green" and provider in ROUTER:
        result.append(f"With a traffic router the stable version keeps all {release.service.min_replicas} pods while "
                      "the canary gets ceil(replicas × weight / 100) more, so the release briefly needs up to twice "
                      "its pods.")
    if release.gates:
        result.append(f"The analysis judges the pods behind Service {judged_service(release)}"
                      + (f" before the switch and {judged_service(release, 'post')} after it"
                         if strategy.type == "blue-green" else "")
                      + ": the AnalysisTemplates' queries read it from the argument `service`.")
        if any(gate.provider == "prometheus" for gate in release.gates):
            addresses = sorted({prometheus_address(release, gate) for gate in release.gates
                                if gate.provider == "prometheus"})
            result.append(f"Prometheus is queried at {', '.join(addresses)} (set gates[].address to change it).")
        for provider_name in sorted({gate.provider for gate in release.gates} - {"prometheus"}):
            result.append(CREDENTIALS[provider_name])
    if strategy.type == "blue-green" and release.gates and not gates_before_switch(release):
        result.append("The preview gets no user traffic, so the gates run after the switch, while the previous "
                      "version stays up: a failure switches back at once.")
    if provider == "istio":
        result.append("Istio: host-level split (VirtualService destinations per Service, not DestinationRule "
                      "subsets), so Istio's metrics tell the versions apart.")
    if provider in ROUTER and strategy.type != "blue-green":
        what = {"istio": "the VirtualService's route weights", "nginx": "the canary Ingress it creates",
                "smi": "the TrafficSplit it creates", "gateway-api": "the HTTPRoute's backend weights",
                "linkerd": "the HTTPRoute's backend weights"}[provider]
        result.append(f"Argo Rollouts owns {what} during an update: if a GitOps tool applies these files, make it "
                      "ignore those fields (Argo CD: ignoreDifferences) or it will fight the controller.")
    if ROUTER.get(provider) == "plugin":
        result.append(f"The {PLUGIN} plugin must be listed under trafficRouterPlugins in the argo-rollouts-config "
                      "ConfigMap, and Argo Rollouts needs RBAC to update HTTPRoutes.")
    if provider == "linkerd":
        result.extend(linkerd.runbook_notes(release, timeout_annotation=False))
    if provider == "smi":
        result.append("SMI: Argo Rollouts creates and owns the TrafficSplit (split.smi-spec.io/v1alpha1 unless the "
                      "controller runs with another --traffic-split-api-version); install the CRD from linkerd-smi, "
                      "which serves v1alpha1 and v1alpha2 (the archived smi-sdk-go CRD serves only v1alpha4).")
    if strategy.type == "shadow":
        result.append("Mirrored requests really run on the new version (writes included); their responses are "
                      "dropped. Mirror only idempotent traffic.")
    if strategy.type == "ab-test":
        result.append("The new version runs at full size while it serves the matching requests (setCanaryScale "
                      "weight 100).")
    if release.smoke or strategy.load_test is not None or strategy.approval is not None:
        result.append("Smoke tests, load tests and the approval run as Jobs created by Argo Rollouts, outside the "
                      "mesh (no sidecar: it would keep the Job from finishing).")
    if strategy.approval is not None:
        result.append(f"Approval: a Job waits up to {human(strategy.approval.timeout_s)}, from "
                      f"{approval_start(release)}, for the file {APPROVAL_FILE} (the approve command above creates it); then it "
                      + ("lets the update go on." if strategy.approval.on_timeout == "promote"
                         else "fails, and Argo Rollouts aborts the update.")
                      + " It is never an open-ended pause.")
    if not release.rollback.automatic:
        result.append("rollback.automatic is false: the gates are measured in dry-run (shown, never aborting) and "
                      "progressDeadlineAbort is off; a person decides.")
    if release.platform.workload_ref:
        result.append("workloadRef: the Rollout takes its pod template from Deployment "
                      f"{release.name}, kept at 0 replicas. Migrating from a running Deployment: apply the Rollout "
                      "first; Argo scales the Deployment down once the Rollout is healthy (scaleDown: onsuccess).")
    return tuple(result)
