"""`shipgen plan`: the JSON contract on every example, the text and Markdown forms, the SVG (parsed as
XML and rendered to PNG), bad input, and one fact flowing to the runbook, the plan and lint alike."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ElementTree

import pytest

from conftest import ROOT

OUTCOMES = {"promoted": "promoted_at_s", "rolled-back": "rolled_back_at_s", "waiting": "waiting_at_s"}


def plan_json(run_shipgen, *arguments):
    result = run_shipgen("plan", *arguments, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_every_example_satisfies_the_json_contract(run_shipgen):
    documents = plan_json(run_shipgen, str(ROOT / "examples"), "--scenario", "healthy", "--scenario",
                          "fail-from-start", "--scenario", "fail-at=2m", "--scenario", "provider-down")
    releases = {(document["environment"], document["release"]) for document in documents}
    assert len(releases) == 32 and len(documents) == 4 * 32
    for document in documents:
        assert {"release", "environment", "controller", "scenario", "outcome", "first_failed_check_s",
                "exposure_percent_seconds", "bad_requests", "weights", "events", "assumptions"} <= set(document)
        assert document["scenario"] in ("healthy", "fail-from-start", "fail-at 2m", "provider-down")
        end = document[OUTCOMES[document["outcome"]]]
        assert isinstance(end, int) and end >= 0
        assert [key for key in OUTCOMES.values() if key in document] == [OUTCOMES[document["outcome"]]]
        if document["outcome"] == "waiting":
            assert document["waiting_for"]
        times = [t for t, _ in document["weights"]]
        assert times == sorted(times) and all(0 <= share <= 100 for _, share in document["weights"])
        assert all(event["t_s"] <= end for event in document["events"])
        assert document["assumptions"] and document["exposure_percent_seconds"] >= 0
        if document["scenario"] == "healthy":
            assert document["first_failed_check_s"] is None and document["bad_requests"] is None
            assert document["outcome"] in ("promoted", "waiting")
        if document["outcome"] == "rolled-back":
            assert document["weights"][-1][1] == 0


def test_one_release_and_one_scenario_is_one_object(run_shipgen):
    document = plan_json(run_shipgen, str(ROOT / "examples" / "flagger-canary-istio.yaml"), "--scenario", "healthy")
    assert document["release"] == "storefront" and document["outcome"] == "promoted"
    assert document["promoted_at_s"] == 840


def test_requests_per_second_gives_the_bad_requests(run_shipgen, write_spec):
    spec = write_spec((ROOT / "examples" / "flagger-canary-istio.yaml").read_text().replace(
        "  autoscaling:", "  traffic: {requestsPerSecond: 200}\n  autoscaling:", 1))
    document = plan_json(run_shipgen, str(spec), "--scenario", "provider-down")
    # 5% from 2m until the rollback at 10m (see test_rollout_flagger): 200 x 5% x 480 s
    assert document["exposure_percent_seconds"] == 5 * 480
    assert document["bad_requests"] == 200 * 0.05 * 480


def test_text_and_markdown(run_shipgen, snapshot):
    example = str(ROOT / "examples" / "flagger-canary-approval.yaml")
    text = run_shipgen("plan", example)
    assert text.exit_code == 0
    assert text.stdout == snapshot(name="text")
    markdown = run_shipgen("plan", example, "--format", "markdown", "--approve-after", "5m")
    assert markdown.exit_code == 0
    assert markdown.stdout == snapshot(name="markdown")


def test_the_svg_is_xml_and_renders(run_shipgen, tmp_path):
    import cairosvg

    result = run_shipgen("plan", str(ROOT / "examples" / "argo-canary-istio.yaml"),  # two specs, no dependsOn
                         str(ROOT / "examples" / "checkout.yaml"), "--format", "svg")
    assert result.exit_code == 0
    root = ElementTree.fromstring(result.stdout.encode())
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    lines = root.findall(".//{http://www.w3.org/2000/svg}polyline")
    assert len(lines) == 2 * 3  # two releases, three scenarios each
    png = cairosvg.svg2png(bytestring=result.stdout.encode())
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 5000


def test_every_golden_plan_svg_is_xml_and_renders():
    import cairosvg

    pictures = sorted((ROOT / "golden").rglob("plan.svg"))
    assert len(pictures) == 32
    for picture in pictures:
        root = ElementTree.parse(picture).getroot()
        assert root.findall(".//{http://www.w3.org/2000/svg}polyline"), picture
        assert (picture.parent / "PLAN.md").read_text().count("![") == 1
    png = cairosvg.svg2png(url=str(pictures[0]))
    assert png.startswith(b"\x89PNG")


@pytest.mark.parametrize("arguments, message", [
    (["--scenario", "sometimes"], "unknown scenario 'sometimes'"),
    (["--scenario", "fail-at"], "fail-at needs a time"),
    (["--scenario", "fail-at=soon"], "is not a duration"),
    (["--scenario", "healthy=1m"], "takes no value"),
    (["--startup", "fast"], "--startup 'fast' is not a duration"),
])
def test_bad_options_exit_2(run_shipgen, arguments, message):
    result = run_shipgen("plan", str(ROOT / "examples" / "checkout.yaml"), *arguments)
    assert result.exit_code == 2 and message in result.output


def test_a_broken_spec_exits_2_with_a_located_error(run_shipgen, write_spec):
    spec = write_spec("apiVersion: shipgen.dev/v1alpha1\nkind: Release\nmetadata: {name: x}\n")
    result = run_shipgen("plan", str(spec))
    assert result.exit_code == 2 and "release.yaml:" in result.output and "Traceback" not in result.output


def test_an_interval_changes_the_runbook_the_plan_and_lint_together(run_shipgen, write_spec, tmp_path):
    """One fact, one place: the analysis interval reaches the runbook's timing sentence, PLAN.md and
    SG306's expected requests through the rollout model alone."""
    template = """\
apiVersion: shipgen.dev/v1alpha1
kind: Release
metadata: {name: api, team: web, environment: production}
service:
  image: registry.example.com/api:1.0
  ports: [{port: 8080}]
  health: {readiness: /ready}
  traffic: {requestsPerSecond: 1}
platform: {kind: kubernetes, controller: flagger, traffic: {provider: istio}}
strategy: {type: canary, steps: [10, 50], interval: INTERVAL}
gates:
  - {name: error-rate, metric: error-rate, max: 0.01}
rollback: {lastTested: "2026-11-01"}
"""
    seen = {}
    for interval, seconds in (("1m", 60), ("3m", 180)):
        spec = write_spec(template.replace("INTERVAL", interval))
        out = tmp_path / f"out-{interval}"
        build = run_shipgen("build", str(spec), "-o", str(out))
        assert build.exit_code == 0, build.output
        runbook = (out / "production" / "api" / "RUNBOOK.md").read_text()
        plan = (out / "production" / "api" / "PLAN.md").read_text()
        lint = run_shipgen("lint", str(spec), "--format", "json")
        messages = [finding["message"] for finding in json.loads(lint.stdout)["findings"]
                    if finding["code"] == "SG306"]
        # ready at tick 1 (10%), 50% at tick 2, promoted at tick 3, primary ready at 4, Succeeded at 5
        healthy = 5 * seconds
        assert f"A healthy run takes {healthy // 60} min from the tick" in runbook
        assert f"| Healthy | fully rolled out after {healthy // 60} min |" in plan
        # 1 request/s x 10% x one interval
        assert f"about {0.1 * seconds:g} requests per analysis check" in messages[0]
        seen[interval] = (runbook, plan, messages)
    assert seen["1m"] != seen["3m"]
