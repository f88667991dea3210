"""Flagger: the objects around the Canary select the pods that really serve traffic, a snapshot of
one Canary, and the golden Flagger examples through the oracle."""

from __future__ import annotations


import pytest
import yaml

from conftest import ROOT, release_from
import oracle_support
from flagger_support import build, flagger_spec

SELECTOR_LABELS = ("app", "name", "app.kubernetes.io/name")  # Flagger's -selector-labels default


def flagger_primary_pod_labels(deployment: dict) -> dict:
    """The labels Flagger gives the `<name>-primary` pods it clones from the target Deployment
    (targets-k8s.md §1.1): the first selector label present is rewritten to `<value>-primary`."""
    match_labels = deployment["spec"]["selector"]["matchLabels"]
    key = next(label for label in SELECTOR_LABELS if label in match_labels)
    labels = dict(deployment["spec"]["template"]["metadata"]["labels"])
    labels[key] = f"{match_labels[key]}-primary"
    return labels


def selects(selector: dict, labels: dict) -> bool:
    return all(labels.get(key) == value for key, value in selector["matchLabels"].items())


@pytest.mark.parametrize("strategy, platform", [
    ("type: canary", "traffic: {provider: istio}"),
    ("type: blue-green", "traffic: {provider: kubernetes}"),
])
def test_the_pdb_selects_the_primary_pods_not_the_canary(write_spec, strategy, platform):
    text = flagger_spec(strategy, platform=platform).replace(
        "metadata: {name: web,", "metadata: {labels: {app: storefront, name: web-ui}, name: web,")
    built = build(write_spec, text)
    deployment = built.object("deployment.yaml")
    pdb = built.object("poddisruptionbudget.yaml")
    assert deployment["metadata"]["name"] == built.canary["spec"]["targetRef"]["name"]
    # Flagger needs the name label in the selector to equal the Deployment's name
    assert deployment["spec"]["selector"]["matchLabels"] == {"app.kubernetes.io/name": "web"}
    primary = flagger_primary_pod_labels(deployment)
    canary = deployment["spec"]["template"]["metadata"]["labels"]
    assert selects(pdb["spec"]["selector"], primary)
    assert not selects(pdb["spec"]["selector"], canary)  # the canary is scaled to zero between releases
    assert pdb["spec"]["maxUnavailable"] == 1 and pdb["spec"]["unhealthyPodEvictionPolicy"] == "AlwaysAllow"


def test_no_service_is_emitted_because_flagger_owns_them(write_spec):
    built = build(write_spec, flagger_spec("type: canary"))
    kinds = {document["kind"] for path, data in built.files.items() if path.endswith(".yaml")
             for document in yaml.safe_load_all(data.decode())}
    assert "Service" not in kinds
    assert {"Deployment", "PodDisruptionBudget", "Canary"} <= kinds


def test_gate_queries_select_the_canary_during_analysis(write_spec):
    from shipgen.targets.flagger import canary as flagger

    text = flagger_spec("type: canary").replace(
        "  - {name: latency-p99, metric: latency, max: 500, window: 1m}",
        "  - {name: latency-p95, metric: latency, percentile: 95, max: 500, window: 1m}")
    built = build(write_spec, text)
    (template,) = built.objects("metrictemplates.yaml")
    query = template["spec"]["query"]
    assert 'destination_workload="web"' in query and "web-primary" not in query
    assert query in built.runbook  # the runbook shows the query Flagger runs
    # between releases users are served by <name>-primary: alerts and dashboards select those pods
    from shipgen.queries import gate_query

    release = release_from(write_spec(text))
    serving = gate_query(release, release.gates[0], **flagger.serving_query_target(release))
    assert 'destination_workload="web-primary"' in serving


def test_go_template_braces_in_queries_stay_literal(write_spec):
    text = flagger_spec("type: canary").replace(
        "  - {name: latency-p99, metric: latency, max: 500, window: 1m}",
        '  - {name: odd, query: "sum(x{a=~\\"{{literal}}\\", s=\\"{{service}}\\"})", max: 1}')
    (template,) = build(write_spec, text).objects("metrictemplates.yaml")
    assert template["spec"]["query"] == 'sum(x{a=~"{{ "{{" }}literal}}", s="web"})'


def test_a_canary_snapshot(write_spec, snapshot):
    text = flagger_spec("""
        type: canary
        steps: [5, 20, 50]
        interval: 1m
        approval: {before: promotion, timeout: 20m, onTimeout: promote}
        loadTest: {requestsPerSecond: 8, path: /}
        """, platform="traffic: {provider: istio, hosts: [web.example.com], gateway: istio-system/public}", rest="""
        smoke:
          - {name: home, http: {path: /, expect: 200}}
        notify: {slack: "#web"}
        """)
    built = build(write_spec, text)
    assert built.files["production/web/flagger/canary.yaml"].decode() == snapshot


@pytest.mark.skipif(oracle_support.SKIP, reason=oracle_support.SKIP_REASON)
def test_golden_flagger_examples_pass_the_oracle():
    examples = sorted(path.stem for path in (ROOT / "examples").glob("flagger-*.yaml"))
    assert len(examples) >= 6
    folders = []
    for example in examples:
        spec = yaml.safe_load((ROOT / "examples" / f"{example}.yaml").read_text())
        folder = ROOT / "golden" / spec["metadata"].get("environment", "production") / spec["metadata"]["name"]
        assert (folder / "flagger" / "canary.yaml").is_file(), folder
        folders.append(folder)
    result = oracle_support.oracle_check(folders)
    assert result.returncode == 0, result.stdout + result.stderr
    assert " 0 failed" in result.stdout + result.stderr
