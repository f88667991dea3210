"""The runbook procedure of a Flagger release: the steps to deploy, watch and roll back, and the
sentences that state its timing, which come from the rollout model (`rollout.py`) simulated by
`shipgen.rollout`. Reads the Canary `canary.py` builds; neither of those imports this module."""

from __future__ import annotations

from ...durations import human
from ...model import Release
from ...procedure import ABORT, APPLY, VERDICT, Procedure, Step
from ...shell import command
from ..kubernetes import manifests as kubernetes
from .. import linkerd
from .canary import (FOLDER, PROVIDER_NAMES, PROVIDER_SECRETS, alert_channels, canary_weights, primary_name,
                     step_weight_promotion, success_rate_min, template_name, templated_gates, threshold)
from .checks import ASSUMED_VERSION, SUSPEND_VERSION, analysed_gates, flagger_provider, flagger_version, uses_builtin
from .hooks import LOADTESTER, LOADTESTER_LOCAL, gate_payload


# ---------------------------------------------------------------------------- the run, in numbers


def timing(release: Release):
    """The runbook's figures, from the rollout model (`rollout.py`) and the simulator."""
    from ...rollout.plan import timing as simulated
    from .rollout import rollout

    return simulated(rollout(release))


def approval_wait_s(release: Release) -> int:
    """How long the approval gate really waits: its timeout, up to the tick that decides it."""
    from .rollout import rollout

    return next(phase.timeout_s for phase in rollout(release).phases if phase.ends == "person")


def traffic_plan(release: Release) -> str:
    strategy = release.strategy
    interval = human(strategy.interval_s)
    provider = release.platform.traffic.provider
    if strategy.type == "canary":
        weights = " → ".join(f"{weight}%" for weight in canary_weights(release))
        text = (f"traffic to the new version goes {weights}, one step every {interval} while the checks pass, "
                "then the new version is promoted")
        promotion_step = step_weight_promotion(release)
        if promotion_step:
            text += f" and traffic returns to the primary {promotion_step}% per {interval}"
        return text
    if strategy.type == "ab-test":
        return (f"requests matching strategy.match go to the new version for {strategy.iterations} checks, "
                f"one every {interval}, then it is promoted")
    served = ("it receives a copy of live traffic" + (f" ({strategy.mirror_percent}% of requests)"
                                                      if provider == "istio" else "")
              if strategy.type == "shadow" else "it receives no user traffic")
    if provider == "kubernetes":  # no router: the tick after the iterations switches nothing either (§1.7)
        served += " (only the smoke tests and load test reach it, through the Service " \
                  f"{release.name}-canary)"
        return (f"{served} during {strategy.iterations} checks, one every {interval}; then one more check, and it "
                "is promoted (all traffic switches to it then)")
    return (f"{served} during {strategy.iterations} checks, one every {interval}; then all traffic switches to "
            "it for one more check, and it is promoted")


def automatic_rollback(release: Release, figures) -> str:
    interval = release.strategy.interval_s
    failures = threshold(release)
    deadline = kubernetes.progress_deadline_s(release)
    text = (f"Flagger checks the new version once per analysis tick, every {human(interval)}. It counts failed "
            "checks over the whole run (they need not be consecutive; at most one per tick; a check without data, "
            f"e.g. no traffic, fails) and rolls back when the failed checks reach {failures} "
            f"(rollback.maxFailedChecks {release.rollback.max_failed_checks} tolerated, Canary threshold "
            f"{failures}) at the tick after the last of them: {earliest_rollback_text(figures)}. Rolling back "
            "sends all traffic to the primary (still the previous version), "
            f"scales the new version to zero and marks the Canary Failed. It also rolls back if the new pods are "
            f"not available within {human(deadline)} (progressDeadlineSeconds {deadline}) and when the rollback "
            "gate is opened (see below)")
    approval = release.strategy.approval
    if approval is not None and approval.on_timeout == "rollback":
        text += (f", or when nobody approves within {human(approval_wait_s(release))} "
                 "(strategy.approval.onTimeout: rollback)")
    return text + "."


def earliest_rollback_text(figures) -> str:
    if figures.rollback_after_failure_s is not None:
        return f"at the earliest {human(figures.rollback_after_failure_s)} after the first failed check"
    if figures.bad_from_start_rolled_back_s is not None:
        return ("no metric is checked, so only failed smoke tests roll back: "
                f"{human(figures.bad_from_start_rolled_back_s)} after the change is noticed when they fail from the start")
    return "nothing here can fail"


def healthy_text(figures) -> str:
    """How long a healthy run takes, in the plan's words."""
    if figures.healthy_s is None:
        return (f"It reaches the approval gate {human(figures.waiting_at_s)} after the tick that notices the apply "
                "(plus pod start-up) and waits there; see `PLAN.md` for each step's time.")
    return (f"A healthy run takes {human(figures.healthy_s)} from the tick that notices the apply to Succeeded, "
            "plus pod start-up (see `PLAN.md` for each step's time).")


def checks_text(release: Release) -> str:
    parts = []
    if release.smoke:
        parts.append(f"smoke tests ({', '.join(test.name for test in release.smoke)}) on the first tick")
    if release.strategy.load_test is not None:
        load = release.strategy.load_test
        parts.append(f"a load test of {load.requests_per_second} requests/s on {load.path} on every tick")
    gates = analysed_gates(release)
    if gates:
        parts.append("the gates " + ", ".join(gate_mapping_text(release, gate) for gate in gates))
    return "; ".join(parts) or "no checks (no gates, smoke tests or load test are declared)"


def gate_mapping_text(release: Release, gate) -> str:
    builtin = uses_builtin(release, gate)
    window = human(gate.window_s)
    if builtin == "request-success-rate":
        return (f"{gate.name} (error rate at most {gate.max:g} → Flagger request-success-rate at least "
                f"{success_rate_min(gate.max):g}% over {window})")
    if builtin == "request-duration":
        return f"{gate.name} (p99 at most {gate.max:g} ms → Flagger request-duration over {window})"
    unit = " ms" if gate.metric == "latency" and gate.query is None else ""
    bounds = " and ".join(f"{word} {value:g}{unit}" for word, value in (("at least", gate.min), ("at most", gate.max))
                          if value is not None)
    return f"{gate.name} ({bounds} over {window}, MetricTemplate {template_name(release, gate)})"


# ---------------------------------------------------------------------------- runbook procedure


def verdict_deadline_s(release: Release, figures) -> int:
    """How long CI waits for the verdict: the healthy run (or the wait for approval and its timeout),
    plus two of Flagger's ticks to notice the apply and to promote."""
    approval = release.strategy.approval
    if figures.healthy_s is not None:
        run = figures.healthy_s
    else:
        run = (figures.waiting_at_s or 0) + (approval.timeout_s if approval else 0)
    return run + 2 * release.strategy.interval_s + 300


def loadtester_exec(release: Release, endpoint: str) -> str:
    return kubernetes.kubectl(release, "exec", f"deploy/{LOADTESTER}", "--", "curl", "--silent", "--show-error",
                              "--request", "POST", "--data", gate_payload(release), f"{LOADTESTER_LOCAL}{endpoint}")


def secret_steps(release: Release) -> list:
    steps = []
    for kind, name, _ in alert_channels(release):
        variable = f"{kind.upper()}_WEBHOOK_URL"
        steps.append(Step(f"Create the Secret holding the {kind} webhook URL (key `address`) for AlertProvider {name}.",
                          kubernetes.kubectl(release, "create", "secret", "generic", name)
                          + f' --from-literal=address="${variable}"'))
    for provider in sorted({gate.provider for gate in templated_gates(release)} & set(PROVIDER_SECRETS)):
        name = f"{release.name}-{provider}"
        keys = " ".join(f'--from-literal={key}="${key.upper()}"' for key in PROVIDER_SECRETS[provider])
        steps.append(Step(f"Create the Secret with the {provider} credentials the MetricTemplates use.",
                          kubernetes.kubectl(release, "create", "secret", "generic", name) + " " + keys))
    return steps


def procedure(release: Release, facts) -> Procedure:
    strategy = release.strategy
    name = release.name
    provider = release.platform.traffic.provider
    figures = timing(release)
    watch_canary = kubernetes.kubectl(release, "get", "canary", name, "--watch")
    deploy = [
        Step(f"Install, once per cluster, Flagger {release.platform.controller_version or ASSUMED_VERSION} or newer "
             f"for {PROVIDER_NAMES[provider]}, and in namespace {release.namespace} the flagger-loadtester that runs "
             "this release's smoke tests, load test and gates (one replica).",
             "helm repo add flagger https://flagger.app && "
             + command("helm", "upgrade", "--install", LOADTESTER, "flagger/loadtester", "--namespace",
                       release.namespace)),
        *secret_steps(release),
        Step("Apply the manifests (Deployment, Canary and what it references). Flagger then creates "
             f"{name}-primary and the Services; the first apply only initialises, later changes are analysed.",
             command("kubectl", "apply", "--filename", f"{FOLDER}/"), role=APPLY),
        Step(f"Follow the Canary until it is Succeeded (or Failed): {traffic_plan(release)}. "
             + healthy_text(figures), watch_canary),
        Step(f"Or wait for the verdict (CI does): after two of Flagger's {human(strategy.interval_s)} ticks, so "
             "that it has noticed the apply (until then the condition still tells the previous run's verdict), the "
             "Canary's Promoted condition becomes True when the new version is promoted; the wait gives up after "
             f"{human(verdict_deadline_s(release, figures))}.",
             command("sleep", str(2 * strategy.interval_s)) + " && "
             + kubernetes.kubectl(release, "wait", f"canary/{name}", "--for=condition=Promoted",
                                  f"--timeout={verdict_deadline_s(release, figures)}s"), role=VERDICT),
    ]
    approval = strategy.approval
    if approval is not None:
        moment = "the rollout starts (phase Waiting)" if approval.before == "rollout" else \
            "promotion (phase WaitingPromotion)"
        outcome = {"promote": "it goes ahead",
                   "rollback": "it is rolled back" if approval.before == "promotion" else
                   "it is abandoned (started and rolled back before any traffic reaches it)"}[approval.on_timeout]
        wait = approval_wait_s(release)
        decided = "" if wait == approval.timeout_s else \
            f" (the gate is decided on Flagger's {human(strategy.interval_s)} ticks, so at the first tick after it)"
        deploy.append(Step(f"Approve before {moment} within {human(approval.timeout_s)}; without an answer "
                           f"{outcome} {human(wait)} after the wait began{decided}. To reject, open the rollback gate "
                           "(below).",
                           loadtester_exec(release, "/gate/open")))
    watch = (
        Step("Follow the phase, the canary weight and the failed-check count.", watch_canary),
        Step("See each check's result and why the analysis halted (events).",
             kubernetes.kubectl(release, "describe", "canary", name)),
        Step(f"Follow the pods: {name}-primary serves users, {name} is the new version.",
             kubernetes.kubectl(release, "get", "pods", "--selector",
                                f"{kubernetes.NAME_LABEL} in ({name},{primary_name(release)})", "--watch")),
    )
    rollback = [
        Step("Roll back now (Flagger has no abort command): open the rollback gate; Flagger rolls back at its next "
             f"tick (within {human(strategy.interval_s)}) while the Canary is Progressing or WaitingPromotion.",
             loadtester_exec(release, "/rollback/open"), role=ABORT),
        Step("Wait for phase Failed: the primary serves the previous version again and the new one is scaled "
             "to zero.", watch_canary),
        Step("A release already promoted: apply the previous release's manifests (e.g. this folder from the "
             "previous commit); Flagger analyses the old version like any release. To revert without analysis, "
             "skip it first, apply, then turn it back on.",
             kubernetes.kubectl(release, "patch", "canary", name, "--type", "merge", "--patch",
                                '{"spec":{"skipAnalysis":true}}')),
        Step("Turn the analysis back on after the revert.",
             kubernetes.kubectl(release, "patch", "canary", name, "--type", "merge", "--patch",
                                '{"spec":{"skipAnalysis":false}}')),
        Step("Retry the same version after a Failed run (Flagger waits for a change to the Deployment).",
             kubernetes.kubectl(release, "rollout", "restart", f"deployment/{name}")),
    ]
    if flagger_version(release) >= SUSPEND_VERSION:
        rollback.append(Step("Freeze a run where it is (weights stay; nothing is checked); resume with "
                             "`\"suspend\":false`.",
                             kubernetes.kubectl(release, "patch", "canary", name, "--type", "merge", "--patch",
                                                '{"spec":{"suspend":true}}')))
    return Procedure(f"Flagger {strategy.type} through {PROVIDER_NAMES[provider]}", tuple(deploy), watch,
                     tuple(rollback), automatic_rollback(release, figures), notes(release))


def notes(release: Release) -> tuple:
    name = release.name
    result = [
        f"Checks on each tick: {checks_text(release)}.",
        f"Users are served by the {name}-primary pods (label {kubernetes.NAME_LABEL}={name}-primary), which the "
        f"PodDisruptionBudget selects; the Deployment {name} is the new version, scaled to zero between releases. "
        f"Flagger owns the Services {name}, {name}-primary and {name}-canary: never apply a Service named {name} "
        "yourself (it would point at the scaled-down pods).",
        "The approval and rollback gates live in the flagger-loadtester pod and are closed after every run; "
        "gates are decided once per tick, so an action comes up to one interval after its moment.",
    ]
    if release.platform.traffic.provider == "kubernetes":
        result.append("Traffic provider kubernetes has no router: there are no traffic percentages; the switch to "
                      "the new version is all at once, at promotion, and its metrics before that come only from the "
                      "smoke tests and load test.")
    if release.platform.traffic.provider == "linkerd":
        linkerd_version = "2.15" if flagger_provider(release) == "gatewayapi:v1" else "2.14"
        result.append(f"Linkerd: Flagger routes through an HTTPRoute (Gateway API) whose parent is the Service {name} "
                      f"(GAMMA), so Linkerd {linkerd_version} or newer with the Gateway API CRDs is needed; the gates are Flagger "
                      "MetricTemplates on Linkerd's own metrics (Flagger's built-in checks would read Istio's under "
                      "its Gateway API provider).")
        result.extend(linkerd.runbook_notes(release, timeout_annotation=True))
    ignored = [gate.name for gate in release.gates if gate.name not in release.rollback.on]
    if ignored:
        result.append(f"Gates not in rollback.on ({', '.join(ignored)}) are not part of Flagger's analysis.")
    if not release.platform.controller_version:
        result.append(f"Flagger version assumed: {ASSUMED_VERSION} (set platform.controllerVersion to check "
                      "features against yours).")
    return tuple(result)
