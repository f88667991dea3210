"""The typed release model: what `normalize` makes of a validated spec, defaults applied.

After normalization nothing looks at raw dicts. Every duration is a whole number of seconds;
every optional part is either a value or None; collections are tuples, so a model is
immutable and hashable. The types are NamedTuples rather than frozen dataclasses: creating 26
dataclasses costs about 10 ms of every run's start-up, NamedTuples a tenth of it. Change one
with `value._replace(field=...)`; `lint.model_json` turns a model into JSON. `Release.defaults` lists each default that was applied, so that
outputs can show them.
"""

from __future__ import annotations

from typing import NamedTuple

PROGRESSIVE_STRATEGIES = ("canary", "blue-green", "ab-test", "shadow")


class Metadata(NamedTuple):
    name: str
    namespace: str
    team: str
    owner: str
    environment: str
    production: bool
    description: str
    labels: tuple  # ((key, value), ...) sorted
    promotion_order: tuple = ()  # environment names, earliest first, as the spec gives them; () = the default


class Port(NamedTuple):
    name: str
    port: int
    service_port: int
    protocol: str  # http | http2 | grpc | tcp | udp


class Probe(NamedTuple):
    handler: str  # http | exec | tcp | grpc
    path: str
    port: object  # int or port name; None for exec
    command: tuple
    initial_delay_s: int
    period_s: int
    timeout_s: int
    failure_threshold: int

    @property
    def budget_s(self) -> int:
        """How long this probe may keep failing before it counts as failed."""
        return self.initial_delay_s + self.period_s * self.failure_threshold


class Resources(NamedTuple):
    cpu: str
    memory: str
    limit_cpu: str
    limit_memory: str


class Autoscaling(NamedTuple):
    min_replicas: int
    max_replicas: int
    cpu_utilization: int


class Service(NamedTuple):
    image: str
    replicas: int
    autoscaling: Autoscaling | None
    ports: tuple  # of Port; the first carries traffic and health checks
    command: tuple
    args: tuple
    env: tuple  # ((name, value), ...) sorted
    readiness: Probe | None
    liveness: Probe | None
    startup: Probe | None
    resources: Resources
    drain_s: int
    shutdown_timeout_s: int
    warmup_s: int
    requests_per_second: float | None

    @property
    def main_port(self) -> Port | None:
        return self.ports[0] if self.ports else None

    @property
    def termination_grace_s(self) -> int:
        return self.drain_s + self.shutdown_timeout_s

    @property
    def min_replicas(self) -> int:
        return self.autoscaling.min_replicas if self.autoscaling else self.replicas


class Retries(NamedTuple):
    attempts: int | None
    per_try_timeout_s: int | None
    on: str


class CircuitBreaker(NamedTuple):
    consecutive_errors: int
    ejection_time_s: int
    max_ejection_percent: int
    max_connections: int | None
    max_pending_requests: int | None


class Traffic(NamedTuple):
    provider: str  # kubernetes | istio | gateway-api | smi | linkerd | nginx
    hosts: tuple
    gateway: str
    timeout_s: int | None
    retries: Retries | None
    circuit_breaker: CircuitBreaker | None


class Platform(NamedTuple):
    kind: str  # kubernetes | aws-ecs | aws-lambda | aws-ec2 | gcp-cloud-run | ... | vm
    controller: str  # deployment | flagger | argo-rollouts (kubernetes only)
    traffic: Traffic
    controller_version: str
    workload_ref: bool
    aws: object  # targets.aws.settings.AwsPlatform for aws-* kinds, else None
    gcp: object  # gcp_azure.Gcp for gcp-* kinds, else None
    azure: object  # gcp_azure.Azure for azure-* kinds, else None
    vm: object = None  # targets.vm.settings.Vm for kind vm, else None


class CanaryStep(NamedTuple):
    weight: int  # percent of traffic
    pause_s: int  # time spent at this weight


class Match(NamedTuple):
    source: str  # header | cookie
    name: str
    exact: str | None
    regex: str | None


class Approval(NamedTuple):
    before: str  # rollout | promotion
    timeout_s: int
    on_timeout: str  # rollback | promote


class LoadTest(NamedTuple):
    requests_per_second: int
    path: str


class Strategy(NamedTuple):
    type: str  # rolling | recreate | canary | blue-green | ab-test | shadow
    max_surge: object  # int or "25%"
    max_unavailable: object
    steps: tuple  # of CanaryStep (canary)
    interval_s: int
    iterations: int
    match: tuple  # of tuple of Match: alternatives, each a conjunction (ab-test)
    mirror_percent: int
    preview_replicas: int | None
    scale_down_delay_s: int
    approval: Approval | None
    load_test: LoadTest | None

    @property
    def progressive(self) -> bool:
        return self.type in PROGRESSIVE_STRATEGIES


class Gate(NamedTuple):
    name: str
    metric: str  # error-rate | latency | custom
    percentile: float
    provider: str  # prometheus | datadog | cloudwatch | newrelic
    query: str | None
    max: float | None
    min: float | None
    window_s: int
    address: str


class Slo(NamedTuple):
    name: str
    objective: float  # percent
    sli: str  # gate name
    period_s: int


class Rollback(NamedTuple):
    automatic: bool
    on: tuple  # gate names
    max_failed_checks: int
    last_tested: str | None  # YYYY-MM-DD
    test_step: str


class Migrations(NamedTuple):
    path: str
    tool: str
    dialect: str
    phase: str  # before-rollout | after-rollout
    files: tuple  # ((display path, text), ...) read by load


class Database(NamedTuple):
    migrations: Migrations | None
    schema_version: str


class Dependency(NamedTuple):
    name: str
    namespace: str


class SmokeTest(NamedTuple):
    name: str
    http_path: str | None
    method: str
    expect: int
    command: tuple
    timeout_s: int


class Notify(NamedTuple):
    slack: str
    msteams: str
    pagerduty: str
    webhook: str

    @property
    def any(self) -> bool:
        return bool(self.slack or self.msteams or self.pagerduty or self.webhook)


class FlagAudience(NamedTuple):
    attribute: str  # evaluation-context attribute
    ends_with: tuple  # of str
    values: tuple  # of str (`in`)


class FeatureFlag(NamedTuple):
    name: str  # the flag key
    description: str
    steps: tuple  # of int percent, increasing: the ramp
    percent: int  # the step the flag file is at: 0 (internal users only) or one of steps
    internal: FlagAudience | None
    killed: bool


class Release(NamedTuple):
    metadata: Metadata
    service: Service
    platform: Platform
    strategy: Strategy
    gates: tuple  # of Gate
    slos: tuple  # of Slo
    rollback: Rollback
    database: Database
    depends_on: tuple  # of Dependency
    smoke: tuple  # of SmokeTest
    notify: Notify
    source: str  # the spec file, as shown to people
    defaults: tuple  # ((spec path text, value), ...): every default applied
    flags: tuple = ()  # of FeatureFlag

    @property
    def name(self) -> str:
        return self.metadata.name

    @property
    def namespace(self) -> str:
        return self.metadata.namespace

    @property
    def output_dir(self) -> str:
        """Where this release's artifacts go, relative to the output directory."""
        return f"{self.metadata.environment}/{self.metadata.name}"

    def gate(self, name: str) -> Gate | None:
        return next((gate for gate in self.gates if gate.name == name), None)

    @property
    def rollback_gates(self) -> tuple:
        return tuple(gate for gate in self.gates if gate.name in self.rollback.on)
