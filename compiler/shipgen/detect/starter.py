"""`shipgen init`: a starter release spec per detected service, filled from what `detect` found
(image, ports, probes, replicas, the existing rollout settings) and commented where a person must
still decide. Every starter spec validates, lints without error findings and builds; where a value
the platform requires was not found, a placeholder is written with a `TODO(shipgen init)` comment.

The document is built as data (ruamel.yaml's commented maps, so the comments are part of it) and
serialized once; `plan_files` is pure and `write_files` is the only function that writes.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

TODO = "TODO(shipgen init): "
PROGRESSIVE = ("canary", "blue-green", "ab-test", "shadow")
MAX_FIRST_STEP = 10  # SG201's default max-first-step-percent
KUBERNETES_ONLY_STRATEGIES = ("ab-test", "shadow")


def starter_documents(detection) -> dict:
    """{file name: YAML text} for every service found."""
    return {f"{service.name}.release.yaml": _dump(_starter(service)) for service in detection.services}


def _starter(service):
    from ruamel.yaml.comments import CommentedMap

    facts = service.facts
    found = facts.get("service", {})
    platform_facts = facts.get("platform", {})
    kind = platform_facts.get("kind", "kubernetes")
    todo: list = []

    spec = CommentedMap()
    spec["apiVersion"] = "shipgen.dev/v1alpha1"
    spec["kind"] = "Release"
    spec["metadata"] = metadata = CommentedMap()
    metadata["name"] = service.name
    namespace = facts.get("metadata", {}).get("namespace")
    if isinstance(namespace, str) and re.match(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", namespace) and kind == "kubernetes":
        metadata["namespace"] = namespace
    metadata["team"] = "change-me"
    _comment(metadata, "team", "the team that owns the service")
    metadata["environment"] = "production"
    _comment(metadata, "environment", "the environment this spec deploys to (production is linted strictest)")

    spec["service"] = _service(found, kind, service.name)
    spec["platform"] = _platform(platform_facts, kind, service.name)
    strategy, gates, why = _strategy(facts, kind)
    if strategy:
        spec["strategy"] = strategy
    if gates:
        spec["gates"] = gates
    rollback = CommentedMap()
    rollback["automatic"] = True
    if isinstance(facts.get("rollback", {}).get("maxFailedChecks"), int) and strategy and strategy.get("type") in \
            PROGRESSIVE:
        rollback["maxFailedChecks"] = facts["rollback"]["maxFailedChecks"]
    spec["rollback"] = rollback
    _comment(spec, "rollback", "record the last rollback drill (lastTested) or the job that runs one (testStep)")
    todo.extend(why)
    _header(spec, service, todo)
    return spec


def _service(found: dict, kind: str, name: str):
    from ruamel.yaml.comments import CommentedMap

    service = CommentedMap()
    image = found.get("image")
    if kind == "aws-lambda" and image and ".dkr.ecr." not in image:
        image = None
    service["image"] = image or (f"111122223333.dkr.ecr.us-east-1.amazonaws.com/{name}:CHANGE-ME"
                                 if kind == "aws-lambda" else f"registry.example.com/{name}:CHANGE-ME")
    if not image:
        _comment(service, "image", "no image was found: name the image this service runs, pinned by tag or digest")
    for key in ("replicas", "autoscaling"):
        if key in found and kind != "aws-lambda":
            service[key] = _data(found[key])
    ports = found.get("ports") if kind != "aws-lambda" else None
    health = CommentedMap(_data(found.get("health", {}))) if kind != "aws-lambda" else CommentedMap()
    if not ports and any(isinstance(p, dict) and not p.get("exec") for p in health.values()):
        ports = [{"port": 8080}]  # a probe on a port says the service listens on one
        service["ports"] = _data(ports)
        _comment(service, "ports", "a health check was found but no port: set the port the service listens on")
    elif ports:
        service["ports"] = _data(ports)
    if ports:
        _ensure_readiness(health, kind)
    if health:
        service["health"] = health
    resources = CommentedMap(_data(found.get("resources", {})))
    if "autoscaling" in service and "cpu" not in resources:
        resources.insert(0, "cpu", "1" if kind.startswith("gcp-") else "250m")
        _comment(resources, "cpu", "autoscaling scales on CPU use, which needs a CPU request: set the real one")
    if resources:
        service["resources"] = resources
    if kind == "gcp-cloud-run" or kind == "gcp-cloud-deploy":
        service["drain"] = "5s"
        service["shutdownTimeout"] = "5s"
        _comment(service, "shutdownTimeout", "Cloud Run stops an instance 10 s after SIGTERM: drain + shutdown fit it")
    return service


def _ensure_readiness(health, kind: str):
    """A service with ports needs the probe its platform routes by (SG504)."""
    if kind in ("gcp-cloud-run", "gcp-cloud-deploy"):
        if "startup" not in health and "readiness" not in health:
            health["startup"] = {"tcp": True}
            _comment(health, "startup", "no startup probe was found: a TCP check stands in; prefer an HTTP path")
        return
    if kind in ("aws-ecs", "azure-app-service"):
        readiness = health.get("readiness")
        liveness = health.get("liveness")
        if (isinstance(readiness, dict) and readiness.get("path")) or (
                kind == "aws-ecs" and isinstance(liveness, dict) and liveness.get("exec")):
            return
        if kind == "azure-app-service" and isinstance(liveness, dict) and liveness.get("path"):
            return
        health["readiness"] = "/"
        _comment(health, "readiness", "no HTTP health check was found: set the path that answers 200 when ready")
        return
    if "readiness" not in health:
        health["readiness"] = {"tcp": True}
        _comment(health, "readiness", "no readiness probe was found: a TCP check stands in; prefer an HTTP path")


def _platform(found: dict, kind: str, name: str):
    from ruamel.yaml.comments import CommentedMap

    platform = CommentedMap()
    platform["kind"] = kind
    if kind == "kubernetes":
        if found.get("controller"):
            platform["controller"] = found["controller"]
        if found.get("workloadRef"):
            platform["workloadRef"] = True
        traffic = found.get("traffic", {})
        if traffic.get("provider") and traffic["provider"] != "kubernetes":
            platform["traffic"] = _data(traffic)
        if "controller" not in platform:
            _comment(platform, "kind", "a plain Deployment rolls; flagger or argo-rollouts can run a canary")
        return platform
    if kind.startswith("aws-"):
        platform["aws"] = aws = CommentedMap()
        aws_found = found.get("aws", {})
        aws["region"] = aws_found.get("region") or "us-east-1"
        if not aws_found.get("region"):
            _comment(aws, "region", "the AWS region")
        if kind == "aws-ecs":
            aws["cluster"] = aws_found.get("cluster") or "change-me"
            if not aws_found.get("cluster"):
                _comment(aws, "cluster", "the ECS cluster the service runs in")
        if kind == "aws-ec2":
            aws["artifactBucket"] = "change-me-artifacts"
            _comment(aws, "artifactBucket", "the S3 bucket CodeDeploy takes revisions from")
            aws["ec2"] = {"tags": {"Name": name}}
            _comment(aws, "ec2", "the EC2 tags (or autoScalingGroups) of the instances to deploy to")
        if kind == "aws-lambda":
            function = dict(aws_found.get("lambda", {}))
            if function.get("template") == "appspec" and not (function.get("currentVersion") and
                                                              function.get("targetVersion")):
                function = {"template": "appspec", "functionName": function.get("functionName", name),
                            "currentVersion": function.get("currentVersion", 1),
                            "targetVersion": function.get("targetVersion", 2)}
            if function.get("template", "sam") == "sam" and function.get("runtime") and not (
                    function.get("handler") and function.get("code")):
                function.pop("runtime")
            aws["lambda"] = _data(function)
        return platform
    if kind.startswith("gcp-"):
        platform["gcp"] = gcp = CommentedMap()
        gcp_found = found.get("gcp", {})
        gcp["project"] = gcp_found.get("project") or "change-me-project"
        if not gcp_found.get("project"):
            _comment(gcp, "project", "the Google Cloud project")
        gcp["region"] = gcp_found.get("region") or "us-central1"
        if not gcp_found.get("region"):
            _comment(gcp, "region", "the region")
        if kind == "gcp-cloud-deploy":
            deploy = CommentedMap(_data(gcp_found.get("cloudDeploy", {})))
            deploy["serviceAccount"] = f"deployer@{gcp['project']}.iam.gserviceaccount.com"
            _comment(deploy, "serviceAccount", "the service account Cloud Deploy and its Automation run as")
            gcp["cloudDeploy"] = deploy
        return platform
    platform["azure"] = azure = CommentedMap()
    azure["resourceGroup"] = "change-me"
    _comment(azure, "resourceGroup", "the resource group")
    if kind == "azure-container-apps":
        azure["containerApp"] = {"environment": "change-me"}
        _comment(azure, "containerApp", "the Container Apps environment")
    return platform


def _strategy(facts: dict, kind: str) -> tuple:
    """The detected strategy where the starter can keep it, the gates it needs, and why not otherwise."""
    from ruamel.yaml.comments import CommentedMap

    found = facts.get("strategy", {})
    why = []
    type_ = found.get("type")
    keep = type_ in ("rolling",) or (type_ in PROGRESSIVE and _progressive_possible(facts, kind, type_))
    if type_ in PROGRESSIVE and not keep:
        why.append(f"a {type_} strategy was found ({_steps_text(found)}); the starter rolls because "
                   f"{_progressive_blocker(kind)}")
    if not keep:
        return None, [], why
    strategy = CommentedMap(_data(found))
    steps = strategy.get("steps")
    if steps:
        first = steps[0]["weight"] if isinstance(steps[0], dict) else steps[0]
        if first > MAX_FIRST_STEP:
            steps.insert(0, 5)
            _comment(strategy, "steps", f"the 5% first step was added: starting at {first}% is a big-bang rollout "
                                        "in production (SG201)")
    gates = [_data(gate) for gate in facts.get("gates", [])]
    if type_ in PROGRESSIVE and not gates:
        gates = [{"name": "error-rate", "metric": "error-rate", "max": 0.01, "window": "1m"}]
        why.append("no metric gate was found: the error-rate gate (at most 1% errors) is a starting point; "
                   "set the threshold your SLO allows")
    return strategy, gates, why


def _progressive_possible(facts: dict, kind: str, type_: str) -> bool:
    if kind == "kubernetes":
        controller = facts.get("platform", {}).get("controller")
        return controller in ("flagger", "argo-rollouts")
    if type_ in KUBERNETES_ONLY_STRATEGIES:
        return False
    return kind in ("aws-lambda", "gcp-cloud-deploy") and type_ == "canary"


def _progressive_blocker(kind: str) -> str:
    return {"kubernetes": "no Flagger or Argo Rollouts resource was found",
            "aws-ecs": "an ECS canary needs the listener and two target groups (platform.aws.loadBalancer)",
            "gcp-cloud-run": "a Cloud Run canary needs the revision serving now (platform.gcp.cloudRun.previousRevision)",
            "azure-container-apps": "a canary needs the revision serving now "
                                    "(platform.azure.containerApp.previousRevision)",
            }.get(kind, f"{kind} needs settings that were not found")


def _steps_text(strategy: dict) -> str:
    weights = [s["weight"] if isinstance(s, dict) else s for s in strategy.get("steps", [])]
    return "steps " + ", ".join(f"{w}%" for w in weights) if weights else strategy.get("type", "")


def _header(spec, service, todo: list):
    lines = ["yaml-language-server: $schema=https://shipgen.dev/schemas/release-v1alpha1.schema.json",
             f"Starter release spec for {service.name}, written by `shipgen init` from:"]
    lines += [f"  {evidence}" for evidence in service.evidence]
    decisions = list(service.notes) + todo + [
        "every value marked TODO(shipgen init) is a placeholder",
        "smoke tests (smoke), a notification channel (notify) and SLOs are not set"]
    lines.append("Still to decide:")
    lines += [f"  - {decision}" for decision in decisions]
    spec.yaml_set_start_comment("\n".join(lines))


def _comment(mapping, key: str, text: str):
    mapping.yaml_add_eol_comment(TODO + text, key)


def _data(value):
    """Plain data as ruamel commented containers, so nested values are written in block style."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if isinstance(value, dict):
        result = CommentedMap()
        for key, item in value.items():
            result[key] = _data(item)
        return result
    if isinstance(value, (list, tuple)):
        return CommentedSeq(_data(item) for item in value)
    return value


def _dump(spec) -> str:
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 120
    stream = io.StringIO()
    yaml.dump(spec, stream)
    return stream.getvalue()


def plan_files(out: Path, documents: dict, force: bool) -> tuple[dict, list]:
    """{path: text} to write under out, and the reasons it cannot be written (nothing is then)."""
    problems, files = [], {}
    base = out.resolve() if out.exists() else out.absolute()
    for name, text in documents.items():
        target = out / name
        if target.is_symlink() or (target.exists() and not target.is_file()):
            problems.append(f"{target}: exists and is not a regular file")
        elif target.exists() and not force:
            problems.append(f"{target}: exists (use --force to overwrite)")
        elif base not in (target.absolute().parent, target.absolute().parent.resolve()):
            problems.append(f"{target}: would leave {out}")
        else:
            files[target] = text
    return ({} if problems else files), problems


def write_files(files: dict) -> None:
    for target, text in files.items():
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8", newline="\n")
