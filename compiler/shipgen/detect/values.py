"""Turning values found in deployment files into release spec values (or nothing, when they do not fit
the spec's patterns): durations, probes, ports, resources and images."""

from __future__ import annotations

import re

_PATH = re.compile(r"^/[-A-Za-z0-9._~!$&'()*+,;=:@%/?]*$")
_PORT_NAME = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_QUANTITY = re.compile(r"^([0-9]+(\.[0-9]+)?)(m|k|M|G|T|Ki|Mi|Gi|Ti)?$")
_DURATION = re.compile(r"^([0-9]+(ms|s|m|h|d))+$")
_IMAGE = re.compile(r"^[^\s{}$<>]+$")


def integer(value, low: int = 0, high: int = 10**9):
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    return value if isinstance(value, int) and low <= value <= high else None


def duration(value):
    """`30` (seconds), `"30s"`, `"1m30s"` -> a spec duration; None otherwise."""
    if integer(value) is not None:
        return f"{integer(value)}s"
    if isinstance(value, str) and _DURATION.match(value.strip()):
        return value.strip()
    return None


def path(value):
    return value if isinstance(value, str) and _PATH.match(value) else None


def port_name(value):
    return value if isinstance(value, str) and _PORT_NAME.match(value) and len(value) <= 15 else None


def quantity(value):
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
        return value
    return value if isinstance(value, str) and _QUANTITY.match(value) else None


def image(value):
    """An image reference that is literal (no template placeholders)."""
    return value.strip() if isinstance(value, str) and _IMAGE.match(value.strip()) else None


def compact(mapping: dict) -> dict:
    return {key: value for key, value in mapping.items() if value not in (None, "", {}, [])}


def kubernetes_probe(probe) -> dict | None:
    """A Kubernetes probe (also Cloud Run's) as a spec probe."""
    if not isinstance(probe, dict):
        return None
    result = {}
    http = probe.get("httpGet")
    if isinstance(http, dict):
        result["path"] = path(http.get("path") or "/")
    elif isinstance(probe.get("tcpSocket"), dict):
        result["tcp"] = True
    elif isinstance(probe.get("grpc"), dict):
        result["grpc"] = True
    elif isinstance(probe.get("exec"), dict) and isinstance(probe["exec"].get("command"), list):
        result["exec"] = [str(part) for part in probe["exec"]["command"]] or None
    result = compact(result)
    if not result:
        return None
    result.update(compact({
        "initialDelay": duration(probe.get("initialDelaySeconds")) if probe.get("initialDelaySeconds") else None,
        "period": duration(probe.get("periodSeconds")),
        "timeout": duration(probe.get("timeoutSeconds")),
        "failureThreshold": integer(probe.get("failureThreshold"), 1),
    }))
    return result


def kubernetes_resources(resources) -> dict:
    if not isinstance(resources, dict):
        return {}
    requests = resources.get("requests") if isinstance(resources.get("requests"), dict) else {}
    limits = resources.get("limits") if isinstance(resources.get("limits"), dict) else {}
    result = compact({"cpu": quantity(requests.get("cpu")), "memory": quantity(requests.get("memory"))})
    limit = compact({"cpu": quantity(limits.get("cpu")), "memory": quantity(limits.get("memory"))})
    if limit:
        result["limits"] = limit
    return result


def container_facts(container) -> dict:
    """The service facts of a Kubernetes (or Cloud Run) container."""
    if not isinstance(container, dict):
        return {}
    ports = []
    for port in container.get("ports") or []:
        if not isinstance(port, dict) or integer(port.get("containerPort"), 1, 65535) is None:
            continue
        entry = {"port": port["containerPort"]}
        name = port_name(port.get("name"))
        if name and name != "http":
            entry["name"] = name
        if str(port.get("protocol", "")).upper() == "UDP":
            entry["protocol"] = "udp"
        elif (name or "").startswith("grpc"):
            entry["protocol"] = "grpc"
        elif (name or "") in ("http2", "h2c"):
            entry["protocol"] = "http2"
        ports.append(entry)
    health = compact({
        "readiness": kubernetes_probe(container.get("readinessProbe")),
        "liveness": kubernetes_probe(container.get("livenessProbe")),
        "startup": kubernetes_probe(container.get("startupProbe")),
    })
    return compact({"image": image(container.get("image")), "ports": _unique_ports(ports), "health": health,
                    "resources": kubernetes_resources(container.get("resources"))})


def _unique_ports(ports: list) -> list:
    seen, names, result = set(), set(), []
    for port in ports:
        if port["port"] in seen or port.get("name", "http") in names:
            continue
        seen.add(port["port"])
        names.add(port.get("name", "http" if not result else f"port-{port['port']}"))
        result.append(port)
    return result


def canary_steps(weights, pause=None) -> list:
    """Increasing weights below 100, as spec steps (with a pause when one is known)."""
    steps, last = [], 0
    for weight in weights:
        weight = integer(weight, 1, 99)
        if weight is None or weight <= last:
            continue
        last = weight
        steps.append({"weight": weight, "pause": pause} if pause else weight)
    return steps
