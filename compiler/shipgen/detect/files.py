"""Detectors that look at a whole file rather than at one Kubernetes-shaped document: Helm charts,
Kustomize, docker-compose, Procfiles, HAProxy and nginx configuration. Each is pure over one RepoFile
(and, for Helm, the chart's values.yaml beside it)."""

from __future__ import annotations

import re

from .model import HIGH, LOW, MEDIUM, Finding, base_name, service_name
from .values import compact, image, integer, path as url_path

COMPOSE_NAMES = re.compile(r"^(docker-)?compose([.-][\w.-]+)?\.ya?ml$")


def helm_chart(file, repository) -> list:
    if file.name != "Chart.yaml" or not file.documents or not isinstance(file.documents[0].data, dict):
        return []
    chart = file.documents[0]
    data = chart.data
    if not isinstance(data.get("name"), str) or "version" not in data:
        return []
    name = service_name(data["name"])
    if data.get("type") == "library":
        return [Finding("helm", f"library chart {data['name']}", file.path, chart.line_of("name"), HIGH,
                        "Chart.yaml with name, version and type: library")]
    service, line = {}, chart.line_of("name")
    values_file = repository.sibling(file, "values.yaml")
    notes = ["the chart's templates are not rendered: check the ports and probes against them"]
    if values_file and values_file.documents and isinstance(values_file.documents[0].data, dict):
        values = values_file.documents[0].data
        service = _helm_values(values, data.get("appVersion"))
    else:
        notes.append("the chart has no values.yaml")
    return [Finding("helm", f"chart {data['name']}", file.path, line, HIGH,
                    f"Chart.yaml (apiVersion {data.get('apiVersion', 'v1')}) with name and version", name, True,
                    {"service": service} if service else {}, tuple(notes))]


def _helm_values(values: dict, app_version) -> dict:
    result = {}
    chosen = values.get("image")
    if isinstance(chosen, dict) and isinstance(chosen.get("repository"), str):
        tag = chosen.get("tag") or app_version
        reference = chosen["repository"] + (f":{tag}" if tag and "@" not in chosen["repository"] else "")
        if isinstance(chosen.get("registry"), str) and chosen["registry"]:
            reference = f"{chosen['registry']}/{reference}"
        result["image"] = image(reference)
    elif isinstance(chosen, str):
        result["image"] = image(chosen)
    replicas = integer(values.get("replicaCount"), 1, 10000)
    if replicas:
        result["replicas"] = replicas
    service = values.get("service") if isinstance(values.get("service"), dict) else {}
    port = integer(service.get("targetPort"), 1, 65535) or integer(service.get("port"), 1, 65535)
    if port:
        result["ports"] = [{"port": port}]
    scaling = values.get("autoscaling") if isinstance(values.get("autoscaling"), dict) else {}
    if scaling.get("enabled") is True and integer(scaling.get("maxReplicas"), 1, 10000):
        result["autoscaling"] = compact({"maxReplicas": scaling["maxReplicas"],
                                         "minReplicas": integer(scaling.get("minReplicas"), 1, 10000)})
    return compact(result)


def in_chart_templates(file, repository) -> bool:
    """Whether a file is a Helm template (its YAML is only a template, not a manifest)."""
    parts = file.path.split("/")
    for index, part in enumerate(parts[:-1]):
        if part in ("templates", "charts", "crds"):
            chart_yaml = "/".join(parts[:index] + ["Chart.yaml"])
            if chart_yaml in repository.files:
                return True
    return False


def kustomize(file, repository) -> list:
    if file.name not in ("kustomization.yaml", "kustomization.yml", "Kustomization"):
        return []
    data = file.documents[0].data if file.documents else None
    if not isinstance(data, dict):
        return []
    keys = [k for k in ("resources", "bases", "components", "patches", "images", "helmCharts") if k in data]
    findings = [Finding("kustomize", f"kustomization {file.folder or '.'}", file.path, 1, HIGH if keys else MEDIUM,
                        f"{file.name} with {', '.join(keys) or 'no known fields'}")]
    for index, entry in enumerate(data.get("images") or []):
        if isinstance(entry, dict) and isinstance(entry.get("name"), str):
            reference = (entry.get("newName") or entry["name"]) + (f":{entry['newTag']}" if entry.get("newTag")
                                                                   else "")
            findings.append(Finding("kustomize", f"image override {entry['name']}", file.path,
                                    file.documents[0].line_of("images", index), HIGH,
                                    "kustomization images entry (the image deployed)",
                                    facts={"imageOverride": {"name": entry["name"], "image": image(reference)}}
                                    if image(reference) else {}))
    return findings


def docker_compose(file, repository) -> list:
    if not COMPOSE_NAMES.match(file.name) or not file.documents:
        return []
    document = file.documents[0]
    data = document.data
    if not isinstance(data, dict) or not isinstance(data.get("services"), dict):
        return []
    findings = []
    for name, entry in data["services"].items():
        if not isinstance(entry, dict):
            continue
        service = compact({"image": image(entry.get("image")), "ports": _compose_ports(entry.get("ports")),
                           "health": _compose_health(entry.get("healthcheck"))})
        deploy = entry.get("deploy") if isinstance(entry.get("deploy"), dict) else {}
        if integer(deploy.get("replicas"), 1, 10000):
            service["replicas"] = deploy["replicas"]
        notes = [] if service.get("image") else [f"compose service {name} builds its image: name the image you push"]
        findings.append(Finding("docker-compose", f"compose service {name}", file.path,
                                document.line_of("services", name), HIGH,
                                f"{file.name} with a services mapping", service_name(name), True,
                                {"service": service}, tuple(notes)))
    return findings


def _compose_ports(ports) -> list:
    result = []
    for entry in ports if isinstance(ports, list) else []:
        if isinstance(entry, dict):
            port, protocol = integer(entry.get("target"), 1, 65535), entry.get("protocol")
        else:
            text = str(entry)
            protocol = "udp" if text.endswith("/udp") else None
            container = text.split("/")[0].rsplit(":", 1)[-1]
            port = integer(container.split("-")[0], 1, 65535)
        if port and all(p["port"] != port for p in result):
            result.append(compact({"port": port, "protocol": "udp" if protocol == "udp" else None}))
    return result


def _compose_health(check) -> dict:
    if not isinstance(check, dict) or check.get("disable") is True:
        return {}
    test = check.get("test")
    if isinstance(test, list) and test and test[0] in ("CMD", "CMD-SHELL"):
        command = [str(p) for p in test[1:]] if test[0] == "CMD" else ["/bin/sh", "-c", " ".join(map(str, test[1:]))]
    elif isinstance(test, str) and test.strip():
        command = ["/bin/sh", "-c", test]
    else:
        return {}
    return {"liveness": {"exec": command}} if command else {}


PROCFILE_LINE = re.compile(r"^([A-Za-z0-9_-]+):[ \t]*(\S.*)$")


def procfile(file, repository) -> list:
    if not file.name.startswith("Procfile"):
        return []
    findings = []
    for number, line in enumerate(file.text.splitlines(), 1):
        match = PROCFILE_LINE.match(line)
        if not match:
            continue
        kind, command = match.groups()
        facts = {"service": {"ports": [{"port": 8080}]}} if kind == "web" else {}
        notes = ["a Procfile names no image: build one and name it",
                 "a Procfile web process listens on $PORT: port 8080 is assumed"] if kind == "web" else \
            ["a Procfile names no image: build one and name it"]
        findings.append(Finding("procfile", f"process {kind}: {command[:60]}", file.path, number, HIGH,
                                "Procfile process line (name: command)", service_name(kind if kind != "web" else
                                                                                     file.folder.split("/")[-1] or
                                                                                     "web"), True, facts,
                                tuple(notes)))
    return findings


HAPROXY_SECTION = re.compile(r"^(frontend|backend|listen)\s+(\S+)", re.M)
HAPROXY_SERVER = re.compile(r"^\s+server\s+(\S+)\s+(\S+)(.*)$", re.M)
HAPROXY_CHECK = re.compile(r"^\s+option\s+httpchk\s+(?:(?:GET|HEAD)\s+)?(/\S*)", re.M)
HAPROXY_CHECK_SEND = re.compile(r"^\s+http-check\s+send\s+meth\s+\S+\s+uri\s+(/\S*)", re.M)


def haproxy(file, repository) -> list:
    if not (file.name.endswith(".cfg") or "haproxy" in file.name.lower()):
        return []
    sections = list(HAPROXY_SECTION.finditer(file.text))
    if not sections or not re.search(r"^(defaults|global|frontend|backend|listen)\b", file.text, re.M):
        return []
    findings = []
    confident = "haproxy" in file.path.lower() or re.search(r"^(global|defaults)\b", file.text, re.M)
    for index, section in enumerate(sections):
        end = sections[index + 1].start() if index + 1 < len(sections) else len(file.text)
        body = file.text[section.end():end]
        line = file.text.count("\n", 0, section.start()) + 1
        if section.group(1) == "frontend":
            findings.append(Finding("haproxy", f"frontend {section.group(2)}", file.path, line,
                                    HIGH if confident else MEDIUM, "HAProxy frontend section"))
            continue
        servers = HAPROXY_SERVER.findall(body)
        service = {}
        ports = [integer(address.rsplit(":", 1)[-1], 1, 65535) for _, address, _ in servers if ":" in address]
        if ports and ports[0]:
            service["ports"] = [{"port": ports[0]}]
        check = HAPROXY_CHECK.search(body) or HAPROXY_CHECK_SEND.search(body)
        if check and url_path(check.group(1)):
            service["health"] = {"readiness": {"path": check.group(1)}}
        weights = [int(w) for _, _, rest in servers for w in re.findall(r"\bweight\s+(\d+)", rest)]
        notes = []
        if len(weights) > 1 and sum(weights) > 0:
            shares = ", ".join(f"{round(100 * w / sum(weights))}%" for w in weights)
            notes.append(f"HAProxy backend {section.group(2)} splits traffic by server weight ({shares}): "
                         "a canary done by hand")
        findings.append(Finding("haproxy", f"{section.group(1)} {section.group(2)} ({len(servers)} servers)",
                                file.path, line, HIGH if confident else MEDIUM, f"HAProxy {section.group(1)} "
                                "section", base_name(section.group(2)), bool(servers), {"service": service} if
                                service else {}, tuple(notes)))
    return findings


NGINX_UPSTREAM = re.compile(r"^\s*upstream\s+([\w.-]+)\s*\{([^}]*)\}", re.M)
NGINX_SPLIT = re.compile(r"^\s*split_clients\b[^{]*\{([^}]*)\}", re.M)


def nginx(file, repository) -> list:
    lower = file.name.lower()
    if not (lower.endswith(".conf") or "nginx" in lower) or file.name.endswith((".yaml", ".yml", ".json")):
        return []
    if not re.search(r"^\s*(http|server|upstream|events|location\s+\S+)\s*\{", file.text, re.M):
        return []
    confident = "nginx" in file.path.lower() or re.search(r"^\s*(events|http)\s*\{", file.text, re.M)
    findings = []
    for match in NGINX_UPSTREAM.finditer(file.text):
        line = file.text.count("\n", 0, match.start() + len(match.group(0)) - len(match.group(0).lstrip())) + 1
        servers = re.findall(r"^\s*server\s+([^\s;]+)([^;]*);", match.group(2), re.M)
        service, notes = {}, []
        ports = [integer(address.rsplit(":", 1)[-1], 1, 65535) for address, _ in servers if ":" in address]
        if ports and ports[0]:
            service["ports"] = [{"port": ports[0]}]
        weights = [int(w) for _, rest in servers for w in re.findall(r"\bweight=(\d+)", rest)]
        if len(weights) > 1:
            shares = ", ".join(f"{round(100 * w / sum(weights))}%" for w in weights)
            notes.append(f"nginx upstream {match.group(1)} splits traffic by server weight ({shares}): "
                         "a canary done by hand")
        findings.append(Finding("nginx", f"upstream {match.group(1)} ({len(servers)} servers)", file.path, line,
                                HIGH if confident else MEDIUM, "nginx upstream block", base_name(match.group(1)),
                                bool(servers), {"service": service} if service else {}, tuple(notes)))
    for match in NGINX_SPLIT.finditer(file.text):
        line = file.text.count("\n", 0, match.start()) + 1
        shares = re.findall(r"([0-9.]+)%\s+(\S+);", match.group(1))
        findings.append(Finding("nginx", "split_clients " + ", ".join(f"{p}% {t}" for p, t in shares), file.path,
                                line, HIGH if confident else MEDIUM, "nginx split_clients block (a percentage split)",
                                notes=("nginx split_clients divides users by percentage: a canary done by hand",)))
    if not findings:
        findings.append(Finding("nginx", "nginx configuration", file.path, 1, MEDIUM if confident else LOW,
                                "server/http/location blocks"))
    return findings


DETECTORS = (helm_chart, kustomize, docker_compose, procfile, haproxy, nginx)
