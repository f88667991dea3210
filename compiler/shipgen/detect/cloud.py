"""Detectors for cloud deployment files: AWS SAM and CloudFormation templates (with the ECS and
Lambda resources in them), ECS task definitions, CodeDeploy AppSpec files, Azure ARM templates and
Bicep files. Each is pure over one RepoFile."""

from __future__ import annotations

import re

from .model import HIGH, MEDIUM, Finding, service_name
from .values import canary_steps, compact, duration, image, integer, path as url_path

REGION = re.compile(r"\b([a-z]{2}(?:-[a-z]+)+-[0-9]{1,2})\b")
ECR_REGION = re.compile(r"\.dkr\.ecr\.([a-z]{2}(?:-[a-z]+)+-[0-9]{1,2})\.amazonaws\.com")
CODEDEPLOY_CONFIG = re.compile(r"(Canary|Linear)(\d+)Percent(?:Every)?(\d+)Minutes?")


def _document(file):
    if len(file.documents) != 1 or not isinstance(file.documents[0].data, dict):
        return None
    return file.documents[0]


def cloudformation(file, repository) -> list:
    document = _document(file)
    if document is None:
        return []
    data = document.data
    resources = data.get("Resources") if isinstance(data.get("Resources"), dict) else {}
    transform = data.get("Transform")
    sam = "AWS::Serverless-2016-10-31" in (transform if isinstance(transform, list) else [transform])
    typed = {name: r for name, r in resources.items() if isinstance(r, dict) and isinstance(r.get("Type"), str)
             and r["Type"].startswith(("AWS::", "Custom::"))}
    if not sam and not ("AWSTemplateFormatVersion" in data or typed):
        return []
    kind = "aws-sam" if sam else "aws-cloudformation"
    reason = "Transform: AWS::Serverless-2016-10-31" if sam else (
        "AWSTemplateFormatVersion" if "AWSTemplateFormatVersion" in data else "Resources with AWS:: types")
    findings = [Finding(kind, f"{'SAM' if sam else 'CloudFormation'} template ({len(typed)} resources)", file.path,
                        document.line_of("Transform" if sam else "AWSTemplateFormatVersion"), HIGH, reason)]
    region = _region(file.text)
    for name, resource in typed.items():
        line = document.line_of("Resources", name)
        properties = resource.get("Properties") if isinstance(resource.get("Properties"), dict) else {}
        if resource["Type"] == "AWS::Serverless::Function":
            findings.append(_sam_function(file, name, properties, line, region, data))
        elif resource["Type"] == "AWS::ECS::TaskDefinition":
            findings.append(_ecs_task(file, name, properties, line, region, f"{kind} AWS::ECS::TaskDefinition"))
        elif resource["Type"] == "AWS::ECS::Service":
            findings.append(_ecs_service(file, name, properties, line, typed))
    return findings


def _region(text: str) -> str:
    match = ECR_REGION.search(text) or re.search(r"arn:aws[a-z-]*:[a-z0-9-]+:([a-z]{2}(?:-[a-z]+)+-[0-9]{1,2}):",
                                                 text)
    return match.group(1) if match else ""


def _codedeploy_strategy(config) -> dict:
    match = CODEDEPLOY_CONFIG.search(str(config or ""))
    if not match:
        return {}
    style, percent, minutes = match.group(1), int(match.group(2)), int(match.group(3))
    weights = [percent] if style == "Canary" else list(range(percent, 100, percent))
    return {"type": "canary", "steps": canary_steps(weights, f"{minutes}m")}


def _sam_function(file, name, properties, line, region, template) -> Finding:
    globals_ = ((template.get("Globals") or {}).get("Function") or {}) if isinstance(template.get("Globals"),
                                                                                   dict) else {}
    properties = {**(globals_ if isinstance(globals_, dict) else {}), **properties}
    lambda_facts = compact({
        "functionName": properties.get("FunctionName") if isinstance(properties.get("FunctionName"), str) and
        re.match(r"^[A-Za-z0-9_-]{1,64}$", properties["FunctionName"]) else None,
        "alias": properties.get("AutoPublishAlias") if isinstance(properties.get("AutoPublishAlias"), str) else None,
        "runtime": properties.get("Runtime") if isinstance(properties.get("Runtime"), str) else None,
        "handler": properties.get("Handler") if isinstance(properties.get("Handler"), str) else None,
        "code": properties.get("CodeUri") if isinstance(properties.get("CodeUri"), str) else None,
        "timeout": duration(properties.get("Timeout")),
        "architecture": (properties.get("Architectures") or [None])[0] if isinstance(properties.get(
            "Architectures"), list) and (properties.get("Architectures") or [None])[0] in ("x86_64", "arm64")
        else None,
    })
    service = compact({"image": image(properties.get("ImageUri"))})
    memory = integer(properties.get("MemorySize"), 128, 10240)
    if memory:
        service["resources"] = {"memory": f"{memory}Mi"}
    preference = properties.get("DeploymentPreference") if isinstance(properties.get("DeploymentPreference"),
                                                                      dict) else {}
    facts = {"service": service, "platform": {"kind": "aws-lambda", "aws": compact({
        "region": region, "lambda": compact({"template": "sam", **lambda_facts})})}}
    strategy = _codedeploy_strategy(preference.get("Type"))
    if strategy:
        facts["strategy"] = strategy
    notes = []
    if preference.get("Alarms"):
        notes.append("the DeploymentPreference names CloudWatch alarms: write them as gates (provider cloudwatch)")
    return Finding("aws-sam", f"AWS::Serverless::Function {name}", file.path, line, HIGH,
                   "SAM function resource" + (f" with DeploymentPreference {preference.get('Type')}" if
                                              preference.get("Type") else ""),
                   service_name(lambda_facts.get("functionName") or name), True, facts, tuple(notes))


def _ecs_container(definitions) -> dict:
    containers = [c for c in definitions or [] if isinstance(c, dict)] if isinstance(definitions, list) else []
    essential = [c for c in containers if c.get("essential", True) is not False]
    return (essential or containers or [{}])[0]


def _ecs_task(file, name, properties, line, region, reason, keys=("ContainerDefinitions", "Image", "PortMappings",
                                                                 "ContainerPort", "HealthCheck", "Command", "Cpu",
                                                                 "Memory", "Family")) -> Finding:
    definitions, image_key, mappings_key, port_key, health_key, command_key, cpu_key, memory_key, family_key = keys
    container = _ecs_container(properties.get(definitions))
    ports = []
    for mapping in container.get(mappings_key) or []:
        port = integer(mapping.get(port_key), 1, 65535) if isinstance(mapping, dict) else None
        if port and all(p["port"] != port for p in ports):
            ports.append({"port": port})
    service = compact({"image": image(container.get(image_key)), "ports": ports})
    health = container.get(health_key) if isinstance(container.get(health_key), dict) else {}
    command = health.get(command_key)
    if isinstance(command, list) and len(command) > 1 and command[0] in ("CMD", "CMD-SHELL"):
        parts = [str(p) for p in command[1:]]
        service["health"] = {"liveness": {"exec": parts if command[0] == "CMD" else ["/bin/sh", "-c", " ".join(
            parts)]}}
    cpu, memory = integer(properties.get(cpu_key)), integer(properties.get(memory_key))
    resources = compact({"cpu": f"{cpu}m" if cpu else None, "memory": f"{memory}Mi" if memory else None})
    if resources:
        service["resources"] = resources
    family = properties.get(family_key) if isinstance(properties.get(family_key), str) else name
    notes = ("name the ECS cluster, subnets and security groups (platform.aws)",)
    return Finding("aws-ecs", f"ECS task definition {family}", file.path, line, HIGH, reason, service_name(family),
                   True, {"service": service, "platform": {"kind": "aws-ecs", "aws": compact({"region": region})}},
                   notes)


def _ecs_service(file, name, properties, line, resources) -> Finding:
    task = properties.get("TaskDefinition")
    reference = task.get("Ref") if isinstance(task, dict) else task
    owner = resources.get(reference, {}) if isinstance(reference, str) else {}
    family = ((owner.get("Properties") or {}).get("Family") if isinstance(owner, dict) else None) or reference or name
    facts = {"service": compact({"replicas": integer(properties.get("DesiredCount"), 1, 10000)})}
    cluster = properties.get("Cluster")
    if isinstance(cluster, str) and re.match(r"^[A-Za-z0-9_-]{1,255}$", cluster):
        facts["platform"] = {"aws": {"cluster": cluster}}
    controller = (properties.get("DeploymentController") or {}).get("Type") if isinstance(
        properties.get("DeploymentController"), dict) else None
    notes = ("the service deploys through CodeDeploy (blue/green): give two target groups and the listener to "
             "use a canary or blue-green strategy",) if controller == "CODE_DEPLOY" else ()
    return Finding("aws-ecs", f"AWS::ECS::Service {name}", file.path, line, HIGH, "CloudFormation ECS service",
                   service_name(family) if isinstance(family, str) else service_name(name), facts=compact(facts),
                   notes=notes)


def ecs_task_definition(file, repository) -> list:
    document = _document(file)
    if document is None or not isinstance(document.data.get("containerDefinitions"), list):
        return []
    data = document.data
    region = _region(file.text)
    finding = _ecs_task(file, "task", data, document.line_of("containerDefinitions"), region,
                        "ECS task definition (family and containerDefinitions)",
                        ("containerDefinitions", "image", "portMappings", "containerPort", "healthCheck", "command",
                         "cpu", "memory", "family"))
    return [finding]


def appspec(file, repository) -> list:
    if file.name.lower() not in ("appspec.yml", "appspec.yaml", "appspec.json"):
        return []
    document = _document(file)
    if document is None:
        return []
    data = document.data
    resources = data.get("Resources") if isinstance(data.get("Resources"), list) else []
    for index, entry in enumerate(resources):
        if not isinstance(entry, dict) or not entry:
            continue
        logical, resource = next(iter(entry.items()))
        if not isinstance(resource, dict):
            continue
        line = document.line_of("Resources", index)
        if resource.get("Type") == "AWS::ECS::Service":
            properties = resource.get("Properties") if isinstance(resource.get("Properties"), dict) else {}
            info = (properties.get("LoadBalancerInfo") or {}) if isinstance(properties.get("LoadBalancerInfo"),
                                                                           dict) else {}
            port = integer(info.get("ContainerPort"), 1, 65535)
            name = info.get("ContainerName") or logical
            return [Finding("aws-appspec", f"AppSpec for ECS service {logical}", file.path, line, HIGH,
                            "appspec with Resources of Type AWS::ECS::Service (CodeDeploy ECS)", service_name(name),
                            True, {"service": compact({"ports": [{"port": port}] if port else None}),
                                   "platform": {"kind": "aws-ecs"}},
                            ("the AppSpec names no image: take it from the task definition",))]
        if resource.get("Type") == "AWS::Lambda::Function":
            properties = resource.get("Properties") if isinstance(resource.get("Properties"), dict) else {}
            lambda_facts = compact({"template": "appspec",
                                    "functionName": properties.get("Name") if isinstance(properties.get("Name"), str)
                                    else None,
                                    "alias": properties.get("Alias") if isinstance(properties.get("Alias"), str)
                                    else None,
                                    "currentVersion": integer(properties.get("CurrentVersion"), 1),
                                    "targetVersion": integer(properties.get("TargetVersion"), 1)})
            return [Finding("aws-appspec", f"AppSpec for Lambda function {properties.get('Name', logical)}",
                            file.path, line, HIGH, "appspec with Resources of Type AWS::Lambda::Function",
                            service_name(properties.get("Name") or logical), True,
                            {"platform": {"kind": "aws-lambda", "aws": {"lambda": lambda_facts}}},
                            ("an AppSpec Lambda function names no image: set service.image to the function's image "
                             "(an ECR repository)",))]
    if "files" in data or "hooks" in data or str(data.get("os", "")) in ("linux", "windows"):
        hooks = data.get("hooks") if isinstance(data.get("hooks"), dict) else {}
        return [Finding("aws-appspec", "AppSpec for EC2/on-premises", file.path, document.line_of("os"), HIGH,
                        f"appspec with os/files/hooks ({', '.join(sorted(hooks)) or 'no hooks'})",
                        service_name(file.folder.split("/")[-1] or "app"), True,
                        {"platform": {"kind": "aws-ec2"}},
                        ("name the instances (platform.aws.ec2) and the S3 bucket for revisions",
                         "an EC2 AppSpec names no image: shipgen runs the service as a container image"))]
    return []


ARM_SCHEMA = re.compile(r"schema\.management\.azure\.com/schemas/[^\"']*deploymentTemplate\.json", re.I)
BICEP_RESOURCE = re.compile(r"^\s*resource\s+(\w+)\s+'(Microsoft\.[\w.]+/[\w/]+)@[^']+'", re.M)


def arm_template(file, repository) -> list:
    document = _document(file)
    if document is None or not isinstance(document.data.get("resources"), (list, dict)):
        return []
    data = document.data
    if not ARM_SCHEMA.search(str(data.get("$schema", ""))):
        return []
    findings = [Finding("azure-arm", "ARM template", file.path, document.line_of("$schema"), HIGH,
                        "$schema is an Azure deploymentTemplate.json")]
    resources = data["resources"] if isinstance(data["resources"], list) else list(data["resources"].values())
    for index, resource in enumerate(resources):
        if not isinstance(resource, dict) or not isinstance(resource.get("type"), str):
            continue
        findings.extend(_azure_resource(file, resource, document.line_of("resources", index, "type"), "azure-arm"))
    return findings


def _azure_resource(file, resource: dict, line: int, kind: str) -> list:
    type_ = resource["type"]
    name = str(resource.get("name", ""))
    literal = name if re.match(r"^[A-Za-z0-9-]+$", name) else ""
    properties = resource.get("properties") if isinstance(resource.get("properties"), dict) else {}
    if type_.lower() == "microsoft.app/containerapps":
        template = properties.get("template") if isinstance(properties.get("template"), dict) else {}
        containers = template.get("containers") if isinstance(template.get("containers"), list) else []
        container = containers[0] if containers and isinstance(containers[0], dict) else {}
        ingress = ((properties.get("configuration") or {}).get("ingress") or {}) if isinstance(
            properties.get("configuration"), dict) else {}
        port = integer(ingress.get("targetPort"), 1, 65535) if isinstance(ingress, dict) else None
        service = compact({"image": image(container.get("image")), "ports": [{"port": port}] if port else None})
        probes = [p for p in container.get("probes") or [] if isinstance(p, dict)]
        for probe in probes:
            kind_name = {"Readiness": "readiness", "Liveness": "liveness", "Startup": "startup"}.get(probe.get("type"))
            http = probe.get("httpGet") if isinstance(probe.get("httpGet"), dict) else {}
            if kind_name and url_path(http.get("path")):
                service.setdefault("health", {})[kind_name] = {"path": http["path"]}
        scale = template.get("scale") if isinstance(template.get("scale"), dict) else {}
        if integer(scale.get("minReplicas"), 1, 10000):
            service["replicas"] = scale["minReplicas"]
        traffic = [t for t in (ingress.get("traffic") or []) if isinstance(t, dict)] if isinstance(ingress,
                                                                                                   dict) else []
        notes = ["name the Container Apps environment (platform.azure.containerApp.environment)"]
        if len(traffic) > 1:
            notes.append("ingress traffic is split between revisions: set containerApp.previousRevision to use a "
                         "canary")
        return [Finding(kind, f"{type_} {name}", file.path, line, HIGH, f"resource type {type_}",
                        service_name(literal or "container-app"), True,
                        {"service": service, "platform": {"kind": "azure-container-apps"}}, tuple(notes))]
    if type_.lower() in ("microsoft.web/sites", "microsoft.web/sites/slots"):
        site = properties.get("siteConfig") if isinstance(properties.get("siteConfig"), dict) else {}
        health = url_path(site.get("healthCheckPath"))
        fx = str(site.get("linuxFxVersion", ""))
        service = compact({"image": image(fx.split("|", 1)[1]) if fx.upper().startswith("DOCKER|") else None,
                           "health": {"readiness": {"path": health}} if health else None})
        slot = type_.lower().endswith("/slots")
        return [Finding(kind, f"{type_} {name}", file.path, line, HIGH, f"resource type {type_}",
                        service_name((literal or "web-app").split("/")[0]), not slot,
                        {"service": service, "platform": {"kind": "azure-app-service"}})]
    return [Finding(kind, f"{type_} {name}", file.path, line, HIGH, f"resource type {type_}")]


def bicep(file, repository) -> list:
    if not file.name.endswith(".bicep"):
        return []
    findings = []
    for match in BICEP_RESOURCE.finditer(file.text):
        line = file.text.count("\n", 0, match.start() + len(match.group(0)) - len(match.group(0).lstrip())) + 1
        symbol, type_ = match.groups()
        body = file.text[match.end():match.end() + 4000]
        name = re.search(r"^\s*name:\s*'([A-Za-z0-9-]+)'", body, re.M)
        resource: dict = {"type": type_, "name": name.group(1) if name else symbol.lower()}
        found_image = re.search(r"^\s*image:\s*'([^'\s]+)'", body, re.M)
        target_port = re.search(r"^\s*targetPort:\s*(\d+)", body, re.M)
        if type_.lower() == "microsoft.app/containerapps":
            resource["properties"] = {
                "template": {"containers": [{"image": found_image.group(1)}] if found_image else []},
                "configuration": {"ingress": {"targetPort": int(target_port.group(1))} if target_port else {}}}
        elif type_.lower().startswith("microsoft.web/sites"):
            check = re.search(r"^\s*healthCheckPath:\s*'([^']+)'", body, re.M)
            resource["properties"] = {"siteConfig": {"healthCheckPath": check.group(1)} if check else {}}
        findings.extend(_bicep_finding(finding) for finding in _azure_resource(file, resource, line, "azure-bicep"))
    return findings


def _bicep_finding(finding: Finding) -> Finding:
    return Finding(finding.kind, finding.what, finding.file, finding.line, MEDIUM if finding.defines else HIGH,
                   f"Bicep resource declaration ({finding.reason}; values read by pattern, not evaluated)",
                   finding.service, finding.defines, finding.facts, finding.notes)


DETECTORS = (cloudformation, ecs_task_definition, appspec, arm_template, bicep)
