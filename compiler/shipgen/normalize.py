"""Normalize: turn a validated spec into the typed `Release` model, applying defaults in one
place and checking what the schema alone cannot (fields that do not apply to the chosen
strategy, names that refer to nothing, combinations a platform cannot do).

Every default applied is recorded in `Release.defaults`; every problem is a located
Diagnostic. The schema's `default` keywords are the documented defaults; `DEFAULTS` below
must agree with them (a test checks).
"""

from __future__ import annotations

import re
from datetime import date

from .diagnostics import ERROR, WARNING, Diagnostic, has_errors, spec_path_text
from .durations import seconds
from .load import SpecDocument
from .model import (PROGRESSIVE_STRATEGIES, Approval, Autoscaling, CanaryStep, CircuitBreaker, Database, Dependency,
                    FeatureFlag, FlagAudience, Gate, LoadTest, Match, Metadata, Migrations, Notify, Platform, Port,
                    Probe, Release, Resources, Retries, Rollback, Service, Slo, SmokeTest, Strategy, Traffic)

DEFAULT_CANARY_STEPS = (1, 10, 50)
IDENTIFIER = re.compile(r"[a-z0-9][a-z0-9-]*")  # checked with fullmatch: no newline, quote or space
PRODUCTION_ENVIRONMENTS = ("production", "prod")

# The strategy types each strategy field applies to.
STRATEGY_FIELDS = {
    "maxSurge": ("rolling", "canary"),
    "maxUnavailable": ("rolling", "canary"),
    "steps": ("canary",),
    "interval": PROGRESSIVE_STRATEGIES,
    "iterations": ("blue-green", "ab-test", "shadow"),
    "match": ("ab-test",),
    "mirrorPercent": ("shadow",),
    "preview": ("blue-green",),
    "approval": PROGRESSIVE_STRATEGIES,
    "loadTest": PROGRESSIVE_STRATEGIES,
}
KUBERNETES_ONLY = ("controller", "traffic", "controllerVersion", "workloadRef")
PROGRESSIVE_CONTROLLERS = ("flagger", "argo-rollouts")


class _Reader:
    """Reads raw spec values, remembering each default it applies and each problem it finds."""

    def __init__(self, document: SpecDocument):
        self.document = document
        self.defaults: list = []
        self.diagnostics: list[Diagnostic] = []

    def get(self, raw: dict, path: tuple, key: str, default=None, record: bool = True):
        if key in raw:
            return raw[key]
        if default is not None and record:
            self.defaults.append((spec_path_text(path + (key,)), default))
        return default

    def error(self, path: tuple, message: str, name: str = "invalid-spec", key: bool = False, fix: str = ""):
        self._report(ERROR, path, message, name, key, fix)

    def warn(self, path: tuple, message: str, name: str = "approximated", key: bool = False, fix: str = ""):
        """Not an error: the build goes on (e.g. a platform can only come close to what the spec asks)."""
        self._report(WARNING, path, message, name, key, fix)

    def _report(self, severity: str, path: tuple, message: str, name: str, key: bool, fix: str, code: str = "SG004"):
        position = self.document.locate(path, key=key)
        self.diagnostics.append(Diagnostic(code, name, message, self.document.file, position.line, position.col,
                                           severity=severity, spec_path=path, fix=fix))


def normalize(document: SpecDocument, migration_files: tuple = ()) -> tuple[Release | None, list[Diagnostic]]:
    """The Release model of a schema-valid spec, or None and the reasons it cannot be built."""
    reader = _Reader(document)
    raw = document.data
    metadata = _metadata(reader, raw["metadata"])
    service = _service(reader, raw["service"])
    platform = _platform(reader, raw.get("platform", {}))
    strategy = _strategy(reader, raw.get("strategy", {}), platform)
    gates = tuple(_gate(reader, item, ("gates", index)) for index, item in enumerate(raw.get("gates", [])))
    _check_unique(reader, [gate.name for gate in gates], "gates")
    gate_names = {gate.name for gate in gates}
    slos = tuple(_slo(reader, item, ("slos", index), gate_names) for index, item in enumerate(raw.get("slos", [])))
    rollback = _rollback(reader, raw.get("rollback", {}), gates)
    database = _database(reader, raw.get("database", {}), migration_files)
    depends_on = tuple(_dependency(item, metadata.namespace) for item in raw.get("dependsOn", []))
    smoke = tuple(_smoke(reader, item, ("smoke", index)) for index, item in enumerate(raw.get("smoke", [])))
    _check_unique(reader, [test.name for test in smoke], "smoke")
    flags = tuple(_flag(reader, item, ("flags", index), strategy) for index, item in enumerate(raw.get("flags", [])))
    _check_unique(reader, [flag.name for flag in flags], "flags")
    notify_raw = raw.get("notify", {})
    notify = Notify(*(notify_raw.get(key, "") for key in ("slack", "msteams", "pagerduty", "webhook")))
    _check_health_needs_ports(reader, service)
    platform = _cloud_settings(reader, raw, metadata, service, platform, strategy, gates, rollback, smoke)
    if has_errors(reader.diagnostics):
        return None, reader.diagnostics
    release = Release(metadata, service, platform, strategy, gates, slos, rollback, database, depends_on, smoke,
                      notify, document.file, tuple(reader.defaults), flags)
    _check_identifiers(reader, release)
    if has_errors(reader.diagnostics):
        return None, reader.diagnostics
    _check_controller_capabilities(reader, release)
    if has_errors(reader.diagnostics):
        return None, reader.diagnostics
    return release, reader.diagnostics


def _identifiers(release: Release):
    """(spec path, value) of every identifier in the model: names, namespaces, the environment,
    regions. They become object and file names and unquoted words in generated text."""
    metadata = release.metadata
    yield ("metadata", "name"), metadata.name
    yield ("metadata", "namespace"), metadata.namespace
    yield ("metadata", "environment"), metadata.environment
    for index, environment in enumerate(metadata.promotion_order):
        yield ("metadata", "promotionOrder", index), environment
    for index, port in enumerate(release.service.ports):
        yield ("service", "ports", index, "name"), port.name
    for index, gate in enumerate(release.gates):
        yield ("gates", index, "name"), gate.name
    for index, test in enumerate(release.smoke):
        yield ("smoke", index, "name"), test.name
    for index, dependency in enumerate(release.depends_on):
        yield ("dependsOn", index, "name"), dependency.name
        yield ("dependsOn", index, "namespace"), dependency.namespace
    platform = release.platform
    for path, value in ((("platform", "aws", "region"), getattr(platform.aws, "region", "")),
                        (("platform", "gcp", "region"), getattr(platform.gcp, "region", "")),
                        (("platform", "azure", "location"), getattr(platform.azure, "location", ""))):
        if value and not value.startswith("["):  # an ARM expression shipgen wrote itself (the group's location)
            yield path, value


def _check_identifiers(reader: _Reader, release: Release):
    """Defence in depth (issue 14): whatever the schema let through, an identifier that reaches
    an artifact holds only lower-case letters, digits and inner '-' (a located SG003 error)."""
    for path, value in _identifiers(release):
        if not isinstance(value, str) or not IDENTIFIER.fullmatch(value):
            reader._report(ERROR, path, f"{spec_path_text(path)}: {value!r} is not an identifier (lower-case "
                           "letters, digits and '-')", "unsafe-identifier", False,
                           "use a DNS label such as 'my-service'", code="SG003")


def _cloud_settings(reader: _Reader, raw: dict, metadata, service, platform, strategy, gates, rollback, smoke):
    """The platform with its cloud settings typed and checked by the cloud's own module, imported
    only when the spec is about that cloud (start-up stays lean for everyone else)."""
    kind, raw_platform = platform.kind, raw.get("platform", {})
    if kind.startswith(("gcp-", "azure-")) or "gcp" in raw_platform or "azure" in raw_platform:
        from .targets.gcp_azure import settings as gcp_azure

        platform = gcp_azure.settle(reader, raw, metadata, service, platform, strategy, rollback, smoke, gates)
    if kind.startswith("aws-") or "aws" in raw_platform:
        from .targets.aws.normalize import aws_platform

        platform = platform._replace(aws=aws_platform(reader, raw, metadata, service, platform, strategy, gates,
                                                      rollback, smoke))
    if kind == "vm" or "vm" in raw_platform:
        from .targets.vm.settings import settle as vm_settle

        platform = vm_settle(reader, raw, metadata, service, platform, strategy, gates, rollback)
    return platform


def _check_controller_capabilities(reader: _Reader, release: Release):
    """What the chosen progressive controller (or its traffic provider) cannot do, as located errors."""
    if release.platform.kind != "kubernetes":
        return
    if release.platform.controller == "flagger":
        from .targets.flagger.checks import check
    elif release.platform.controller == "argo-rollouts":
        from .targets.argo.checks import check
    else:
        return
    check(reader, release)


# ---------------------------------------------------------------------------- metadata and service


def _metadata(reader: _Reader, raw: dict) -> Metadata:
    path = ("metadata",)
    environment = reader.get(raw, path, "environment", "production")
    production = raw.get("production", environment in PRODUCTION_ENVIRONMENTS)
    return Metadata(
        name=raw["name"],
        namespace=reader.get(raw, path, "namespace", "default"),
        team=raw["team"],
        owner=raw.get("owner", raw["team"]),
        environment=environment,
        production=production,
        description=raw.get("description", ""),
        labels=tuple(sorted(raw.get("labels", {}).items())),
        promotion_order=tuple(raw.get("promotionOrder", ())),
    )


def _service(reader: _Reader, raw: dict) -> Service:
    path = ("service",)
    replicas = reader.get(raw, path, "replicas", 2)
    ports = tuple(_port(item, index) for index, item in enumerate(raw.get("ports", [])))
    _check_unique(reader, [port.name for port in ports], "service", "ports")
    _check_unique(reader, [port.port for port in ports], "service", "ports")
    main_port = ports[0].name if ports else None
    health = raw.get("health", {})
    probes = {kind: _probe(reader, health[kind], path + ("health", kind), main_port) if kind in health else None
              for kind in ("readiness", "liveness", "startup")}
    resources = raw.get("resources", {})
    limits = resources.get("limits", {})
    return Service(
        image=raw["image"],
        replicas=replicas,
        autoscaling=_autoscaling(reader, raw["autoscaling"], replicas, resources.get("cpu")) if "autoscaling" in raw else None,
        ports=ports,
        command=tuple(raw.get("command", ())),
        args=tuple(raw.get("args", ())),
        env=tuple(sorted(raw.get("env", {}).items())),
        readiness=probes["readiness"],
        liveness=probes["liveness"],
        startup=probes["startup"],
        resources=Resources(*(_quantity(value) for value in (resources.get("cpu"), resources.get("memory"),
                                                              limits.get("cpu"), limits.get("memory")))),
        drain_s=seconds(reader.get(raw, path, "drain", "10s")),
        shutdown_timeout_s=seconds(reader.get(raw, path, "shutdownTimeout", "30s")),
        warmup_s=seconds(reader.get(raw, path, "warmup", "10s")),
        requests_per_second=raw.get("traffic", {}).get("requestsPerSecond"),
    )


def _quantity(value) -> str:
    if value is None:
        return ""
    return str(value)


def _port(raw: dict, index: int) -> Port:
    number = raw["port"]
    name = raw.get("name", "http" if index == 0 else f"port-{number}")
    return Port(name, number, raw.get("servicePort", number), raw.get("protocol", "http"))


def _autoscaling(reader: _Reader, raw: dict, replicas: int, cpu_request) -> Autoscaling:
    path = ("service", "autoscaling")
    if cpu_request is None:
        reader.error(path, "autoscaling on CPU use needs a CPU request: set service.resources.cpu")
    minimum = reader.get(raw, path, "minReplicas", replicas)
    maximum = raw["maxReplicas"]
    if maximum < minimum:
        reader.error(path + ("maxReplicas",), f"maxReplicas ({maximum}) is below minReplicas ({minimum})")
    return Autoscaling(minimum, maximum, reader.get(raw, path, "cpuUtilization", 70))


def _probe(reader: _Reader, raw, path: tuple, main_port: str | None) -> Probe:
    if isinstance(raw, str):
        raw = {"path": raw}
    handlers = [key for key in ("path", "exec", "tcp", "grpc") if key in raw]
    if len(handlers) != 1:
        reader.error(path, f"a probe needs exactly one of path, exec, tcp, grpc (found {', '.join(handlers) or 'none'})")
        handlers = handlers or ["path"]
    handler = {"path": "http"}.get(handlers[0], handlers[0])
    port = raw.get("port", main_port) if handler != "exec" else None
    return Probe(
        handler=handler,
        path=raw.get("path", ""),
        port=port,
        command=tuple(raw.get("exec", ())),
        initial_delay_s=seconds(raw.get("initialDelay", 0)),
        period_s=max(1, seconds(raw.get("period", "10s"))),
        timeout_s=max(1, seconds(raw.get("timeout", "1s"))),
        failure_threshold=raw.get("failureThreshold", 3),
    )


def _check_health_needs_ports(reader: _Reader, service: Service):
    for kind in ("readiness", "liveness", "startup"):
        probe = getattr(service, kind)
        if probe and probe.handler != "exec" and probe.port is None:
            reader.error(("service", "health", kind), f"the {kind} probe needs a port, and the service has none: "
                         "add service.ports, give the probe a port, or use exec",
                         fix="use `exec: [...]` for a worker without ports")


# ---------------------------------------------------------------------------- platform and strategy


def _platform(reader: _Reader, raw: dict) -> Platform:
    path = ("platform",)
    kind = reader.get(raw, path, "kind", "kubernetes")
    is_kubernetes = kind == "kubernetes"
    if not is_kubernetes:
        for key in KUBERNETES_ONLY:
            if key in raw:
                reader.error(path + (key,), f"platform.{key} applies to kubernetes only, and platform.kind is {kind}",
                             key=True)
    controller = reader.get(raw, path, "controller", "deployment", record=is_kubernetes)
    traffic = _traffic(reader, raw.get("traffic", {}), is_kubernetes)
    return Platform(
        kind=kind,
        controller=controller,
        traffic=traffic,
        controller_version=raw.get("controllerVersion", ""),
        workload_ref=raw.get("workloadRef", False),
        aws=None,  # typed by targets.aws.normalize.aws_platform once the whole release is read
        gcp=None,  # typed by gcp_azure.settle once the whole release is read
        azure=None,
    )


def _traffic(reader: _Reader, raw: dict, is_kubernetes: bool) -> Traffic:
    path = ("platform", "traffic")
    retries = raw.get("retries")
    breaker = raw.get("circuitBreaker")
    if breaker is not None:
        breaker = CircuitBreaker(
            consecutive_errors=reader.get(breaker, path + ("circuitBreaker",), "consecutiveErrors", 5),
            ejection_time_s=seconds(reader.get(breaker, path + ("circuitBreaker",), "ejectionTime", "30s")),
            max_ejection_percent=reader.get(breaker, path + ("circuitBreaker",), "maxEjectionPercent", 50),
            max_connections=breaker.get("maxConnections"),
            max_pending_requests=breaker.get("maxPendingRequests"),
        )
    return Traffic(
        provider=reader.get(raw, path, "provider", "kubernetes", record=is_kubernetes),
        hosts=tuple(raw.get("hosts", ())),
        gateway=raw.get("gateway", ""),
        timeout_s=seconds(raw["timeout"]) if "timeout" in raw else None,
        retries=Retries(retries.get("attempts"), seconds(retries["perTryTimeout"]) if "perTryTimeout" in retries else None,
                        retries.get("on", "")) if retries is not None else None,
        circuit_breaker=breaker,
    )


def _strategy(reader: _Reader, raw: dict, platform: Platform) -> Strategy:
    path = ("strategy",)
    kind = reader.get(raw, path, "type", "rolling")
    for key in raw:
        applies_to = STRATEGY_FIELDS.get(key)
        if applies_to is not None and kind not in applies_to:
            reader.error(path + (key,), f"strategy.{key} applies to {' and '.join(applies_to)} strategies, "
                         f"and this strategy is {kind}", key=True)
    _check_controller(reader, kind, platform)

    def get(key, default):
        return reader.get(raw, path, key, default, record=kind in STRATEGY_FIELDS[key])

    interval_s = seconds(get("interval", "1m"))
    if interval_s == 0:
        reader.error(path + ("interval",), "strategy.interval is the time between two checks: it cannot be 0",
                     fix="give at least 1s (controllers such as Flagger act on 10s or more)")
        interval_s = 60  # checked no further: the spec is refused
    if kind in ("rolling", "canary") and raw.get("maxSurge", "25%") in (0, "0%") and raw.get("maxUnavailable", 0) in (0, "0%"):
        reader.error(path + ("maxSurge",), "maxSurge and maxUnavailable cannot both be 0: the update could never "
                     "start", fix="set maxSurge to 1 (or 25%) to add a new instance before removing an old one")
    approval = raw.get("approval")
    load_test = raw.get("loadTest")
    preview = raw.get("preview", {})
    return Strategy(
        type=kind,
        max_surge=get("maxSurge", "25%"),
        max_unavailable=get("maxUnavailable", 0),
        steps=_canary_steps(reader, raw, kind, interval_s),
        interval_s=interval_s,
        iterations=get("iterations", 10),
        match=tuple(_match(item) for item in raw.get("match", ())),
        mirror_percent=get("mirrorPercent", 100),
        preview_replicas=preview.get("replicas"),
        # Flagger promotes by copying the new pod spec into the primary: it has no scale-down delay
        scale_down_delay_s=seconds(reader.get(preview, path + ("preview",), "scaleDownDelay", "30s",
                                              record=kind == "blue-green" and platform.controller != "flagger")),
        approval=Approval(reader.get(approval, path + ("approval",), "before", "promotion"), seconds(approval["timeout"]),
                          approval["onTimeout"]) if approval else None,
        load_test=LoadTest(reader.get(load_test, path + ("loadTest",), "requestsPerSecond", 10),
                           reader.get(load_test, path + ("loadTest",), "path", "/")) if load_test is not None else None,
    )


def _check_controller(reader: _Reader, kind: str, platform: Platform):
    if platform.kind != "kubernetes":
        return
    progressive = kind in PROGRESSIVE_STRATEGIES
    if progressive and platform.controller not in PROGRESSIVE_CONTROLLERS:
        reader.error(("strategy", "type"), f"a {kind} strategy needs a progressive controller, and "
                     f"platform.controller is {platform.controller}",
                     fix="set platform.controller to flagger or argo-rollouts, or use strategy.type rolling")
    if not progressive and platform.controller in PROGRESSIVE_CONTROLLERS:
        reader.error(("strategy", "type"), f"platform.controller {platform.controller} performs progressive "
                     f"strategies, and this strategy is {kind}",
                     fix="use strategy.type canary, blue-green, ab-test or shadow, or platform.controller deployment")


def _canary_steps(reader: _Reader, raw: dict, kind: str, interval_s: int) -> tuple:
    if kind != "canary":
        return ()
    items = reader.get(raw, ("strategy",), "steps", list(DEFAULT_CANARY_STEPS))
    steps = []
    for index, item in enumerate(items):
        if isinstance(item, int):
            steps.append(CanaryStep(item, interval_s))
        else:
            steps.append(CanaryStep(item["weight"], seconds(item.get("pause", interval_s))))
        if index and steps[-1].weight <= steps[-2].weight:
            reader.error(("strategy", "steps", index), f"canary weights must increase: step {index} ({steps[-1].weight}%) "
                         f"is not above step {index - 1} ({steps[-2].weight}%)")
    return tuple(steps)


def _match(raw: dict) -> tuple:
    return tuple(Match(source, raw[source]["name"], raw[source].get("exact"), raw[source].get("regex"))
                 for source in ("header", "cookie") if source in raw)


# ---------------------------------------------------------------------------- gates, SLOs, rollback


def _gate(reader: _Reader, raw: dict, path: tuple) -> Gate:
    metric = raw.get("metric", "custom")
    if metric == "custom" and "query" not in raw:
        reader.error(path, f"gate '{raw['name']}' has no query: give a query, or metric: error-rate or latency")
    if metric != "custom" and "query" not in raw and raw.get("provider", "prometheus") != "prometheus":
        reader.error(path + ("provider",), f"built-in metric {metric} exists for prometheus only: give this gate "
                     "a query for its provider")
    if "percentile" in raw and metric != "latency":
        reader.error(path + ("percentile",), "percentile applies to metric: latency only", key=True)
    return Gate(
        name=raw["name"],
        metric=reader.get(raw, path, "metric", "custom"),
        percentile=reader.get(raw, path, "percentile", 99, record=metric == "latency"),
        provider=reader.get(raw, path, "provider", "prometheus"),
        query=raw.get("query"),
        max=raw.get("max"),
        min=raw.get("min"),
        window_s=seconds(reader.get(raw, path, "window", "1m")),
        address=raw.get("address", ""),
    )


def _slo(reader: _Reader, raw: dict, path: tuple, gate_names: set) -> Slo:
    if raw["sli"] not in gate_names:
        reader.error(path + ("sli",), _unknown_gate_message(raw["sli"], gate_names))
    return Slo(raw["name"], raw["objective"], raw["sli"], seconds(reader.get(raw, path, "period", "30d")))


def _flag(reader: _Reader, raw: dict, path: tuple, strategy) -> FeatureFlag:
    """A feature flag: its ramp defaults to the canary's step weights then 100 (the flag follows
    the deployment's steps), else 1, 10, 50, 100; the current step must be on the ramp."""
    if "steps" in raw:
        steps = tuple(raw["steps"])
    else:
        weights = [step.weight for step in strategy.steps] if strategy.type == "canary" else [1, 10, 50]
        steps = tuple(sorted({weight for weight in weights if 0 < weight < 100})) + (100,)
        reader.defaults.append((spec_path_text(path + ("steps",)), list(steps)))
    if any(later <= earlier for earlier, later in zip(steps, steps[1:])):
        reader.error(path + ("steps",), f"flag steps must increase: {', '.join(map(str, steps))}")
    percent = reader.get(raw, path, "percent", 0, record=False)
    if percent != 0 and percent not in steps:
        reader.error(path + ("percent",), f"percent {percent} is not a step of the ramp "
                     f"(0 or one of {', '.join(map(str, steps))})", fix="set percent to 0 or one of the steps")
    audience = raw.get("internal")
    internal = None
    if audience is not None:
        internal = FlagAudience(audience.get("attribute", "email"), tuple(audience.get("endsWith", ())),
                                tuple(audience.get("in", ())))
        if not internal.ends_with and not internal.values:
            reader.error(path + ("internal",), "internal users need `endsWith` or `in`")
    return FeatureFlag(raw["name"], raw.get("description", ""), steps, percent, internal, bool(raw.get("killed", False)))


def _rollback(reader: _Reader, raw: dict, gates: tuple) -> Rollback:
    path = ("rollback",)
    names = [gate.name for gate in gates]
    on = raw.get("on")
    if on is None:
        on = names
        if names:
            reader.defaults.append(("rollback.on", names))
    for index, name in enumerate(on):
        if name not in names:
            reader.error(path + ("on", index), _unknown_gate_message(name, set(names)))
    last_tested = raw.get("lastTested")
    if last_tested is not None:
        try:
            date.fromisoformat(last_tested)
        except ValueError:
            reader.error(path + ("lastTested",), f"rollback.lastTested {last_tested!r} is not a calendar date")
    return Rollback(
        automatic=reader.get(raw, path, "automatic", True),
        on=tuple(on),
        max_failed_checks=reader.get(raw, path, "maxFailedChecks", 2),
        last_tested=last_tested,
        test_step=raw.get("testStep", ""),
    )


def _unknown_gate_message(name: str, gate_names: set) -> str:
    known = ", ".join(sorted(gate_names)) or "none are defined"
    return f"no gate named '{name}' (gates: {known})"


# ---------------------------------------------------------------------------- database and the rest


def _database(reader: _Reader, raw: dict, migration_files: tuple) -> Database:
    migrations = raw.get("migrations")
    if migrations is not None:
        path = ("database", "migrations")
        migrations = Migrations(
            path=migrations["path"],
            tool=reader.get(migrations, path, "tool", "sql"),
            dialect=reader.get(migrations, path, "dialect", "postgres"),
            phase=reader.get(migrations, path, "phase", "before-rollout"),
            files=tuple(migration_files),
        )
    return Database(migrations, raw.get("schemaVersion", ""))


def _dependency(raw, namespace: str) -> Dependency:
    if isinstance(raw, str):
        return Dependency(raw, namespace)
    return Dependency(raw["name"], raw.get("namespace", namespace))


def _smoke(reader: _Reader, raw: dict, path: tuple) -> SmokeTest:
    http = raw.get("http")
    return SmokeTest(
        name=raw["name"],
        http_path=http["path"] if http else None,
        method=reader.get(http, path + ("http",), "method", "GET") if http else "",
        expect=reader.get(http, path + ("http",), "expect", 200) if http else 0,
        command=tuple(raw.get("command", ())),
        timeout_s=seconds(reader.get(raw, path, "timeout", "30s")),
    )


def _check_unique(reader: _Reader, values: list, *path):
    seen = set()
    for index, value in enumerate(values):
        if value in seen:
            reader.error(tuple(path) + (index,), f"'{value}' appears twice in {spec_path_text(tuple(path))}")
        seen.add(value)
