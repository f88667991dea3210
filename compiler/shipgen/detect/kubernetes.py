"""Detectors for Kubernetes resources in plain YAML manifests: workloads (Deployment, StatefulSet,
DaemonSet, HPA), the meshes and routers that split their traffic (Istio, Linkerd, Gateway API, SMI),
the progressive delivery controllers (Flagger, Argo Rollouts) and Knative/Cloud Run and Cloud Deploy
resources, which share the apiVersion/kind shape. One function per kind, each pure over one document.
"""

from __future__ import annotations

from .model import HIGH, MEDIUM, Finding, base_name, service_name
from .values import canary_steps, compact, container_facts, duration, integer

WORKLOADS = {"Deployment", "StatefulSet", "DaemonSet"}
PLAIN_KUBERNETES_GROUPS = ("v1", "apps/", "batch/", "autoscaling/", "networking.k8s.io/", "policy/")
SIDECARS = {"istio-proxy", "linkerd-proxy", "istio-init", "linkerd-init"}


def manifest_findings(file, document) -> list:
    data = document.data
    if not isinstance(data, dict) or not isinstance(data.get("kind"), str) or not isinstance(
            data.get("apiVersion"), str):
        return []
    api, kind = data["apiVersion"], data["kind"]
    for detector in DETECTORS:
        found = detector(file, document, api, kind)
        if found is not None:
            return found
    return []


def _metadata(data) -> dict:
    return data.get("metadata") if isinstance(data.get("metadata"), dict) else {}


def _spec(data) -> dict:
    return data.get("spec") if isinstance(data.get("spec"), dict) else {}


def _name(data) -> str:
    return str(_metadata(data).get("name") or "")


def _pod_spec(template) -> dict:
    if not isinstance(template, dict) or not isinstance(template.get("spec"), dict):
        return {}
    return template["spec"]


def _main_container(pod_spec: dict) -> dict:
    containers = [c for c in pod_spec.get("containers") or [] if isinstance(c, dict)]
    for container in containers:
        if container.get("name") not in SIDECARS:
            return container
    return {}


def _annotations(*objects) -> dict:
    result = {}
    for value in objects:
        if isinstance(value, dict) and isinstance(_metadata(value).get("annotations"), dict):
            result.update(_metadata(value)["annotations"])
    return result


def _namespace(data) -> dict:
    namespace = _metadata(data).get("namespace")
    return {"metadata": {"namespace": namespace}} if isinstance(namespace, str) and namespace else {}


def workload(file, document, api, kind):
    if kind not in WORKLOADS or not api.startswith("apps/"):
        return None
    data = document.data
    spec = _spec(data)
    template = spec.get("template") if isinstance(spec.get("template"), dict) else {}
    container = _main_container(_pod_spec(template))
    service = container_facts(container)
    replicas = integer(spec.get("replicas"), 1, 10000)
    if replicas:
        service["replicas"] = replicas
    facts = {**_namespace(data), "service": service}
    strategy = spec.get("strategy") if isinstance(spec.get("strategy"), dict) else {}
    rolling = strategy.get("rollingUpdate") if isinstance(strategy.get("rollingUpdate"), dict) else {}
    notes = []
    if strategy.get("type") == "Recreate":
        notes.append("the Deployment uses the Recreate strategy (downtime); the starter spec rolls instead")
    elif rolling:
        facts["strategy"] = compact({"type": "rolling", "maxSurge": _share(rolling.get("maxSurge")),
                                     "maxUnavailable": _share(rolling.get("maxUnavailable"))})
    findings = [Finding("kubernetes", f"{kind} {_name(data)}", file.path, document.line, HIGH,
                        f"apiVersion {api}, kind {kind}", service_name(_name(data)), True, facts, tuple(notes))]
    annotations = _annotations(template)
    if str(annotations.get("linkerd.io/inject", "")).lower() == "enabled":
        findings.append(Finding("linkerd", f"{kind} {_name(data)} (proxy injected)", file.path,
                                document.line_of("spec", "template", "metadata", "annotations", "linkerd.io/inject"),
                                MEDIUM, "pod template annotation linkerd.io/inject: enabled", service_name(_name(data)),
                                facts={"platform": {"traffic": {"provider": "linkerd"}}}))
    if str(annotations.get("sidecar.istio.io/inject", "")).lower() == "true":
        findings.append(Finding("istio", f"{kind} {_name(data)} (sidecar injected)", file.path,
                                document.line_of("spec", "template", "metadata", "annotations",
                                                 "sidecar.istio.io/inject"), MEDIUM,
                                "pod template annotation sidecar.istio.io/inject: true", service_name(_name(data)),
                                facts={"platform": {"traffic": {"provider": "istio"}}}))
    return findings


def _share(value):
    if integer(value) is not None:
        return integer(value)
    if isinstance(value, str) and value.endswith("%") and integer(value[:-1], 0, 100) is not None:
        return value
    return None


def autoscaler(file, document, api, kind):
    if kind != "HorizontalPodAutoscaler" or not api.startswith("autoscaling/"):
        return None
    spec = _spec(document.data)
    target = spec.get("scaleTargetRef") if isinstance(spec.get("scaleTargetRef"), dict) else {}
    maximum = integer(spec.get("maxReplicas"), 1, 10000)
    facts = {"service": {"autoscaling": compact({"maxReplicas": maximum,
                                                  "minReplicas": integer(spec.get("minReplicas"), 1, 10000)})}}
    return [Finding("kubernetes", f"{kind} {_name(document.data)}", file.path, document.line, HIGH,
                    f"apiVersion {api}, kind {kind}", base_name(target.get("name")),
                    facts=facts if maximum else {})]


def plain_kubernetes(file, document, api, kind):
    if not (api == "v1" or api.startswith(PLAIN_KUBERNETES_GROUPS)):
        return None
    data = document.data
    facts = {}
    service = ""
    if kind == "Ingress" and api.startswith("networking.k8s.io/"):
        annotations = _annotations(data)
        if any(key.startswith("nginx.ingress.kubernetes.io/") for key in annotations) or \
                _spec(data).get("ingressClassName") == "nginx":
            facts = {"platform": {"traffic": {"provider": "nginx"}}}
        service = _ingress_backend(_spec(data))
    return [Finding("kubernetes", f"{kind} {_name(data)}", file.path, document.line, HIGH,
                    f"apiVersion {api}, kind {kind}", service, facts=facts)]


def _ingress_backend(spec: dict) -> str:
    for rule in spec.get("rules") or []:
        http = rule.get("http") if isinstance(rule, dict) else None
        for route in (http or {}).get("paths") or [] if isinstance(http, dict) else []:
            backend = route.get("backend") if isinstance(route, dict) else None
            if isinstance(backend, dict) and isinstance(backend.get("service"), dict):
                return base_name(backend["service"].get("name"))
    return ""


def istio(file, document, api, kind):
    if not api.startswith(("networking.istio.io/", "security.istio.io/", "telemetry.istio.io/")):
        return None
    spec = _spec(document.data)
    service, facts = "", {"platform": {"traffic": {"provider": "istio"}}}
    if kind == "VirtualService":
        for route in spec.get("http") or []:
            for destination in (route.get("route") or []) if isinstance(route, dict) else []:
                host = (destination.get("destination") or {}).get("host") if isinstance(destination, dict) else None
                if isinstance(host, str) and not service:
                    service = base_name(host.split(".")[0])
        hosts = [h for h in spec.get("hosts") or [] if isinstance(h, str) and "." in h and ".svc" not in h]
        gateways = [g for g in spec.get("gateways") or [] if isinstance(g, str) and g != "mesh"]
        if hosts:
            facts["platform"]["traffic"]["hosts"] = hosts
        if gateways and "/" in gateways[0]:
            facts["platform"]["traffic"]["gateway"] = gateways[0]
    elif kind == "DestinationRule" and isinstance(spec.get("host"), str):
        service = base_name(spec["host"].split(".")[0])
    return [Finding("istio", f"{kind} {_name(document.data)}", file.path, document.line, HIGH,
                    f"apiVersion {api} (Istio)", service, facts=facts)]


def linkerd(file, document, api, kind):
    if not (api.startswith(("policy.linkerd.io/", "linkerd.io/")) or ".linkerd.io/" in api):
        return None
    name = _name(document.data)
    service = base_name(name.split(".")[0]) if kind == "ServiceProfile" else ""
    return [Finding("linkerd", f"{kind} {name}", file.path, document.line, HIGH, f"apiVersion {api} (Linkerd)",
                    service, facts={"platform": {"traffic": {"provider": "linkerd"}}})]


def gateway_api(file, document, api, kind):
    if not api.startswith("gateway.networking.k8s.io/"):
        return None
    spec = _spec(document.data)
    service, facts = "", {"platform": {"traffic": {"provider": "gateway-api"}}}
    if kind in ("HTTPRoute", "GRPCRoute"):
        for rule in spec.get("rules") or []:
            for ref in (rule.get("backendRefs") or []) if isinstance(rule, dict) else []:
                if isinstance(ref, dict) and ref.get("name") and not service:
                    service = base_name(ref["name"])
        hosts = [h for h in spec.get("hostnames") or [] if isinstance(h, str)]
        if hosts:
            facts["platform"]["traffic"]["hosts"] = hosts
        parents = [p for p in spec.get("parentRefs") or [] if isinstance(p, dict) and p.get("kind", "Gateway") ==
                   "Gateway" and p.get("name")]
        if parents:
            namespace = parents[0].get("namespace") or _metadata(document.data).get("namespace") or "default"
            facts["platform"]["traffic"]["gateway"] = f"{namespace}/{parents[0]['name']}"
    return [Finding("gateway-api", f"{kind} {_name(document.data)}", file.path, document.line, HIGH,
                    f"apiVersion {api} (Gateway API)", service, facts=facts)]


def smi(file, document, api, kind):
    if not api.startswith(("split.smi-spec.io/", "specs.smi-spec.io/", "access.smi-spec.io/",
                           "metrics.smi-spec.io/")):
        return None
    spec = _spec(document.data)
    service = base_name(spec.get("service")) if kind == "TrafficSplit" and spec.get("service") else ""
    return [Finding("smi", f"{kind} {_name(document.data)}", file.path, document.line, HIGH,
                    f"apiVersion {api} (Service Mesh Interface)", service,
                    facts={"platform": {"traffic": {"provider": "smi"}}})]


FLAGGER_PROVIDERS = {"istio": "istio", "linkerd": "linkerd", "smi": "smi", "nginx": "nginx",
                     "kubernetes": "kubernetes", "gatewayapi": "gateway-api"}


def flagger(file, document, api, kind):
    if not api.startswith("flagger.app/"):
        return None
    data = document.data
    if kind != "Canary":
        return [Finding("flagger", f"{kind} {_name(data)}", file.path, document.line, HIGH,
                        f"apiVersion {api} (Flagger)", facts={"platform": {"controller": "flagger"}})]
    spec = _spec(data)
    target = spec.get("targetRef") if isinstance(spec.get("targetRef"), dict) else {}
    analysis = spec.get("analysis") if isinstance(spec.get("analysis"), dict) else {}
    platform = {"controller": "flagger"}
    provider = FLAGGER_PROVIDERS.get(str(spec.get("provider", "")).split(":")[0])
    if provider:
        platform["traffic"] = {"provider": provider}
    facts = {**_namespace(data), "platform": platform}
    strategy = _flagger_strategy(analysis)
    if strategy:
        facts["strategy"] = strategy
    gates = _flagger_gates(analysis)
    if gates:
        facts["gates"] = gates
    threshold = integer(analysis.get("threshold"), 1)
    if threshold:
        facts["rollback"] = {"maxFailedChecks": threshold - 1}
    notes = []
    if any(isinstance(m, dict) and m.get("templateRef") for m in analysis.get("metrics") or []):
        notes.append("Flagger metrics from MetricTemplates are not carried over: write them as gates with a query")
    return [Finding("flagger", f"Canary {_name(data)}", file.path, document.line, HIGH, f"apiVersion {api}, kind Canary",
                    base_name(target.get("name") or _name(data)), facts=facts, notes=tuple(notes))]


def _flagger_strategy(analysis: dict) -> dict:
    interval = duration(analysis.get("interval"))
    base = compact({"interval": interval})
    if analysis.get("match"):
        return {"type": "ab-test", **base, **compact({"iterations": integer(analysis.get("iterations"), 1)}),
                "match": _flagger_match(analysis["match"])} if _flagger_match(analysis["match"]) else {}
    if analysis.get("mirror"):
        return {"type": "shadow", **base, **compact({"iterations": integer(analysis.get("iterations"), 1),
                                                     "mirrorPercent": integer(analysis.get("mirrorWeight"), 1, 100)})}
    if isinstance(analysis.get("stepWeights"), list):
        steps = canary_steps(analysis["stepWeights"])
    elif integer(analysis.get("stepWeight"), 1, 99):
        step = integer(analysis["stepWeight"], 1, 99)
        maximum = integer(analysis.get("maxWeight"), 1, 100) or 50
        steps = canary_steps(range(step, min(maximum, 99) + 1, step))
    elif integer(analysis.get("iterations"), 1):
        return {"type": "blue-green", **base, "iterations": integer(analysis["iterations"], 1)}
    else:
        return {}
    return {"type": "canary", **base, "steps": steps} if steps else {}


def _flagger_match(match) -> list:
    result = []
    for item in match if isinstance(match, list) else []:
        headers = item.get("headers") if isinstance(item, dict) else None
        for name, condition in (headers or {}).items() if isinstance(headers, dict) else []:
            if isinstance(condition, dict):
                chosen = compact({"exact": condition.get("exact"), "regex": condition.get("regex")})
                if len(chosen) == 1 and all(isinstance(v, str) for v in chosen.values()):
                    result.append({"header": {"name": str(name), **chosen}})
    return result


def _flagger_gates(analysis: dict) -> list:
    gates = []
    for metric in analysis.get("metrics") or []:
        if not isinstance(metric, dict):
            continue
        limits = metric.get("thresholdRange") if isinstance(metric.get("thresholdRange"), dict) else {}
        window = duration(metric.get("interval"))
        if metric.get("name") == "request-success-rate" and isinstance(limits.get("min"), (int, float)):
            share = round((100 - limits["min"]) / 100, 6)
            if share > 0:
                gates.append(compact({"name": "error-rate", "metric": "error-rate", "max": share, "window": window}))
        elif metric.get("name") == "request-duration" and isinstance(limits.get("max"), (int, float)):
            gates.append(compact({"name": "latency", "metric": "latency", "percentile": 99, "max": limits["max"],
                                  "window": window}))
    return gates


ARGO_PROVIDERS = {"istio": "istio", "nginx": "nginx", "smi": "smi"}


def argo_rollouts(file, document, api, kind):
    if not api.startswith("argoproj.io/") or kind not in ("Rollout", "AnalysisTemplate", "ClusterAnalysisTemplate",
                                                          "Experiment", "AnalysisRun"):
        return None
    data = document.data
    if kind != "Rollout":
        return [Finding("argo-rollouts", f"{kind} {_name(data)}", file.path, document.line, HIGH,
                        f"apiVersion {api}, kind {kind} (Argo Rollouts)",
                        facts={"platform": {"controller": "argo-rollouts"}})]
    spec = _spec(data)
    template = spec.get("template") if isinstance(spec.get("template"), dict) else {}
    service = container_facts(_main_container(_pod_spec(template)))
    if integer(spec.get("replicas"), 1, 10000):
        service["replicas"] = spec["replicas"]
    platform = {"controller": "argo-rollouts"}
    if isinstance(spec.get("workloadRef"), dict):
        platform["workloadRef"] = True
    strategy_spec = spec.get("strategy") if isinstance(spec.get("strategy"), dict) else {}
    strategy, provider = _argo_strategy(strategy_spec)
    if provider:
        platform["traffic"] = {"provider": provider}
    facts = compact({**_namespace(data), "service": service, "platform": platform, "strategy": strategy})
    return [Finding("argo-rollouts", f"Rollout {_name(data)}", file.path, document.line, HIGH,
                    f"apiVersion {api}, kind Rollout", service_name(_name(data)), not platform.get("workloadRef"),
                    facts)]


def _argo_strategy(strategy: dict) -> tuple[dict, str]:
    if isinstance(strategy.get("blueGreen"), dict):
        blue_green = strategy["blueGreen"]
        preview = compact({"replicas": integer(blue_green.get("previewReplicaCount"), 1),
                           "scaleDownDelay": duration(blue_green.get("scaleDownDelaySeconds"))})
        return compact({"type": "blue-green", "preview": preview}), ""
    canary = strategy.get("canary") if isinstance(strategy.get("canary"), dict) else None
    if canary is None:
        return {}, ""
    routing = canary.get("trafficRouting") if isinstance(canary.get("trafficRouting"), dict) else {}
    provider = next((ARGO_PROVIDERS[key] for key in routing if key in ARGO_PROVIDERS), "")
    plugins = routing.get("plugins") if isinstance(routing.get("plugins"), dict) else {}
    if any("gatewayapi" in str(key).lower() for key in plugins):
        provider = "gateway-api"
    steps, pause = [], None
    for step in canary.get("steps") or []:
        if not isinstance(step, dict):
            continue
        if "setWeight" in step and integer(step["setWeight"], 1, 99):
            steps.append({"weight": step["setWeight"]})
        elif isinstance(step.get("pause"), dict) and steps:
            pause = duration(step["pause"].get("duration"))
            if pause:
                steps[-1]["pause"] = pause
    result, last = [], 0
    for step in steps:
        if step["weight"] > last:
            last = step["weight"]
            result.append(step if "pause" in step else step["weight"])
    return compact({"type": "canary", "steps": result}), provider


def cloud_run(file, document, api, kind):
    if not (api.startswith("serving.knative.dev/") and kind == "Service"):
        return None
    data = document.data
    spec = _spec(data)
    template = spec.get("template") if isinstance(spec.get("template"), dict) else {}
    container = _main_container(_pod_spec(template))
    service = container_facts(container)
    if "startup" not in service.get("health", {}) and "readiness" not in service.get("health", {}) and \
            service.get("ports"):
        service.setdefault("health", {})["startup"] = {"tcp": True}
    labels = _metadata(data).get("labels") if isinstance(_metadata(data).get("labels"), dict) else {}
    annotations = _annotations(data, template)
    google = any(str(key).startswith(("run.googleapis.com/", "cloud.googleapis.com/", "autoscaling.knative.dev/"))
                 for key in list(annotations) + list(labels))
    gcp = compact({"region": labels.get("cloud.googleapis.com/location")})
    scale = compact({"minReplicas": integer(annotations.get("autoscaling.knative.dev/minScale"), 1, 10000),
                     "maxReplicas": integer(annotations.get("autoscaling.knative.dev/maxScale"), 1, 10000)})
    if "maxReplicas" in scale:
        service["autoscaling"] = scale
    revisions = [t for t in spec.get("traffic") or [] if isinstance(t, dict) and integer(t.get("percent"), 0, 100)]
    facts = {"service": service, "platform": compact({"kind": "gcp-cloud-run", "gcp": gcp})}
    notes = []
    if len(revisions) > 1:
        previous = max(revisions, key=lambda t: t["percent"])
        if isinstance(previous.get("revisionName"), str):
            notes.append(f"traffic is split between revisions now; {previous['revisionName']} serves "
                         f"{previous['percent']}%")
    return [Finding("gcp-cloud-run", f"Cloud Run service {_name(data)}", file.path, document.line,
                    HIGH if google else MEDIUM,
                    f"apiVersion {api}, kind Service" + (" with Cloud Run annotations" if google else
                                                         " (Knative serving: Cloud Run or Knative)"),
                    service_name(_name(data)), True, facts, tuple(notes))]


def cloud_deploy(file, document, api, kind):
    if not api.startswith("deploy.cloud.google.com/"):
        return None
    data = document.data
    if kind != "DeliveryPipeline":
        facts = {}
        run = data.get("run") if isinstance(data.get("run"), dict) else {}
        location = str(run.get("location", ""))
        parts = location.split("/")
        if len(parts) == 4 and parts[0] == "projects" and parts[2] == "locations":
            facts = {"platform": {"gcp": {"project": parts[1], "region": parts[3]}}}
        return [Finding("gcp-cloud-deploy", f"{kind} {_name(data)}", file.path, document.line, HIGH,
                        f"apiVersion {api}, kind {kind} (Cloud Deploy)", "", facts=facts)]
    pipeline = data.get("serialPipeline") if isinstance(data.get("serialPipeline"), dict) else {}
    stages, steps = [], []
    for stage in pipeline.get("stages") or []:
        if isinstance(stage, dict) and isinstance(stage.get("targetId"), str):
            stages.append({"target": service_name(stage["targetId"])})
            canary = ((stage.get("strategy") or {}).get("canary") or {}) if isinstance(stage.get("strategy"),
                                                                                      dict) else {}
            deployment = canary.get("canaryDeployment") if isinstance(canary, dict) else None
            if isinstance(deployment, dict) and isinstance(deployment.get("percentages"), list):
                steps = canary_steps(deployment["percentages"])
    cloud_deploy_facts = compact({"pipeline": service_name(_name(data)), "stages": stages})
    facts = {"platform": {"kind": "gcp-cloud-deploy", "gcp": {"cloudDeploy": cloud_deploy_facts}}}
    if steps:
        facts["strategy"] = {"type": "canary", "steps": steps}
    return [Finding("gcp-cloud-deploy", f"DeliveryPipeline {_name(data)}", file.path, document.line, HIGH,
                    f"apiVersion {api}, kind DeliveryPipeline", "@pipeline", facts=facts)]


DETECTORS = (workload, autoscaler, flagger, argo_rollouts, istio, linkerd, gateway_api, smi, cloud_run,
             cloud_deploy, plain_kubernetes)
