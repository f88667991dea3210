"""The Kubernetes target: numbers that follow from the spec, and snapshots of the objects."""

from __future__ import annotations

import yaml

from conftest import MINIMAL_SPEC, release_from
from shipgen.facts import compute_facts
from shipgen.targets.kubernetes import manifests as kubernetes

FULL_SPEC = """\
apiVersion: shipgen.dev/v1alpha1
kind: Release
metadata: {name: api, namespace: shop, team: shop-team, environment: staging, labels: {cost-centre: "42"}}
service:
  image: registry.example.com/api:2.3.4
  replicas: 12
  autoscaling: {maxReplicas: 30}
  ports: [{port: 8080, servicePort: 80}, {name: grpc, port: 9000, protocol: grpc}]
  health:
    startup: {path: /started, failureThreshold: 120, period: 5s}
    readiness: {grpc: true, port: grpc}
    liveness: {tcp: true}
  resources: {cpu: 250m, memory: 128Mi}
  drain: 20s
  shutdownTimeout: 45s
  warmup: 1m
strategy: {type: rolling, maxSurge: 2, maxUnavailable: 10%}
"""


def _objects(spec_text, write_spec):
    release = release_from(write_spec(spec_text))
    return {artifact.path: artifact.content for artifact in kubernetes.render(release, compute_facts(release))}


def test_rolling_update_probes_and_draining_follow_the_spec(write_spec):
    objects = _objects(FULL_SPEC, write_spec)
    deployment = objects["kubernetes/deployment.yaml"]
    spec = deployment["spec"]
    assert "replicas" not in spec  # the autoscaler owns the count
    assert spec["strategy"] == {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 2, "maxUnavailable": "10%"}}
    assert spec["minReadySeconds"] == 60
    # warm-up 60 + startup budget 5*120 + readiness budget 10*3 + 120 margin: above the 600 s floor
    assert spec["progressDeadlineSeconds"] == 60 + 600 + 30 + 120
    pod = spec["template"]["spec"]
    assert pod["terminationGracePeriodSeconds"] == 20 + 45
    (container,) = pod["containers"]
    assert container["lifecycle"] == {"preStop": {"sleep": {"seconds": 20}}}
    assert container["readinessProbe"]["grpc"] == {"port": 9000}  # gRPC probes take numbers, not names
    assert container["livenessProbe"]["tcpSocket"] == {"port": "http"}
    assert container["startupProbe"]["failureThreshold"] == 120 and container["startupProbe"]["periodSeconds"] == 5
    assert spec["selector"]["matchLabels"] == {"app.kubernetes.io/name": "api"}
    assert pod is not None and spec["template"]["metadata"]["labels"]["cost-centre"] == "42"


def test_service_pdb_and_autoscaler(write_spec):
    objects = _objects(FULL_SPEC, write_spec)
    ports = objects["kubernetes/service.yaml"]["spec"]["ports"]
    assert [(p["name"], p["port"], p["targetPort"], p.get("appProtocol")) for p in ports] == [
        ("http", 80, "http", "http"), ("grpc", 9000, "grpc", "kubernetes.io/h2c")]
    pdb = objects["kubernetes/poddisruptionbudget.yaml"]["spec"]
    assert pdb["maxUnavailable"] == "10%"  # 12 replicas: a drain may take 10%, rounded up to 2
    assert pdb["unhealthyPodEvictionPolicy"] == "AlwaysAllow"
    hpa = objects["kubernetes/horizontalpodautoscaler.yaml"]["spec"]
    assert (hpa["minReplicas"], hpa["maxReplicas"]) == (12, 30)
    assert hpa["metrics"][0]["resource"]["target"]["averageUtilization"] == 70


def test_small_services_always_let_a_drain_evict_one_pod(write_spec):
    objects = _objects(MINIMAL_SPEC.replace("ports:", "replicas: 1\n  ports:"), write_spec)
    assert objects["kubernetes/poddisruptionbudget.yaml"]["spec"]["maxUnavailable"] == 1


def test_a_worker_without_ports_gets_no_service(write_spec):
    spec = MINIMAL_SPEC.replace("  ports: [{port: 8080}]\n", "").replace(
        "health: {readiness: /ready, liveness: /live}", "health: {liveness: {exec: [/bin/check]}}")
    objects = _objects(spec, write_spec)
    assert "kubernetes/service.yaml" not in objects
    (container,) = objects["kubernetes/deployment.yaml"]["spec"]["template"]["spec"]["containers"]
    assert "ports" not in container and container["livenessProbe"]["exec"] == {"command": ["/bin/check"]}


def test_recreate_strategy(write_spec):
    objects = _objects(MINIMAL_SPEC + "strategy: {type: recreate}\n", write_spec)
    assert objects["kubernetes/deployment.yaml"]["spec"]["strategy"] == {"type": "Recreate"}


def test_free_text_cannot_inject_keys(write_spec, tmp_path, run_shipgen):
    payload = 'line one\nkind: Secret\n"quoted": {{ x }} # not a comment\n---\nmetadata: {name: evil}'
    spec = write_spec(MINIMAL_SPEC.replace("metadata: {name: web, team: web-team}",
                                           "metadata:\n  name: web\n  team: web-team\n  description: "
                                           + yaml.safe_dump(payload, default_style='"').strip()))
    out = tmp_path / "out"
    assert run_shipgen("build", spec, "-o", out).exit_code == 0
    documents = list(yaml.safe_load_all((out / "production/web/kubernetes/deployment.yaml").read_text()))
    assert len(documents) == 1 and documents[0]["kind"] == "Deployment"
    assert documents[0]["metadata"]["annotations"]["shipgen.dev/description"] == payload
    runbook = (out / "production/web/RUNBOOK.md").read_text()
    assert "\n# " not in runbook.split("# Runbook", 1)[1].split("## Before", 1)[0]  # no heading injected


def test_manifests_snapshot(write_spec, snapshot):
    from shipgen.serialize import serialize

    release = release_from(write_spec(FULL_SPEC))
    rendered = {artifact.path: serialize(artifact, release.source).decode()
                for artifact in kubernetes.render(release, compute_facts(release))}
    assert rendered == snapshot
