"""Facts handed to every policy: the numbers must follow from the spec (first step share,
expected requests per analysis step, capacity, disruption budget, drill age, dependency cycles),
and the input document has the shape the README documents."""

from __future__ import annotations

import datetime

import pytest

from conftest import MINIMAL_SPEC, release_from
from shipgen.facts import compute_facts, rollback_facts
from shipgen.facts.dependencies import cycle_paths
from shipgen.facts.rollout import count, disruption_allowance
from shipgen.lint import model_json

CANARY = """\
apiVersion: shipgen.dev/v1alpha1
kind: Release
metadata: {name: api, team: web}
service:
  image: registry.example.com/api:1.0
  replicas: 4
  ports: [{port: 8080}]
  traffic: {requestsPerSecond: 40}
platform: {kind: kubernetes, controller: flagger, traffic: {provider: istio}}
strategy:
  type: canary
  steps: [5, 20, 50]
  interval: 2m
  loadTest: {requestsPerSecond: 3}
gates:
  - {name: error-rate, metric: error-rate, max: 0.01, window: 5m}
"""


def test_canary_rollout_numbers(write_spec):
    facts = compute_facts(release_from(write_spec(CANARY))).as_dict()
    rollout = facts["rollout"]
    assert rollout["first_step_percent"] == 5 and rollout["first_step_path"] == ["strategy", "steps", 0]
    # (40 req/s x weight + 3 req/s of load) x 120 s
    assert [step["expected_requests"] for step in rollout["steps"]] == [(2 + 3) * 120, (8 + 3) * 120,
                                                                        (20 + 3) * 120]
    assert rollout["steps"][1]["basis"] == "20% of 40 requests/s plus 3 requests/s of generated load over one " \
                                           "2 min interval"
    gate = facts["analysis"]["gates"][0]
    assert (gate["window_s"], facts["analysis"]["interval_s"]) == (300, 120)


@pytest.mark.parametrize("surge, unavailable, replicas, expected", [
    ("25%", 0, 4, (1, 0, False, 20)),  # 1 new of 5 serving
    (0, "50%", 4, (0, 2, False, 50)),
    ("100%", 0, 4, (4, 0, True, 50)),
    (1, 1, 3, (1, 1, False, 50)),
])
def test_rolling_update_numbers(write_spec, surge, unavailable, replicas, expected):
    spec = MINIMAL_SPEC.replace("image: registry.example.com/web:1.0.0",
                                f"image: registry.example.com/web:1.0.0\n  replicas: {replicas}")
    spec += f"strategy: {{type: rolling, maxSurge: {surge!r}, maxUnavailable: {unavailable!r}}}\n".replace("'", '"')
    rollout = compute_facts(release_from(write_spec(spec))).as_dict()["rollout"]
    assert (rollout["surge_instances"], rollout["unavailable_instances"], rollout["all_at_once"],
            rollout["first_step_percent"]) == expected


def test_percent_counts_round_like_kubernetes():
    assert count("25%", 6, round_up=True) == 2  # maxSurge rounds up
    assert count("25%", 6, round_up=False) == 1  # maxUnavailable rounds down
    assert count(3, 6, round_up=False) == 3


@pytest.mark.parametrize("replicas", [1, 2, 9, 10, 11, 40])
def test_disruption_facts_match_the_kubernetes_target(write_spec, replicas):
    from shipgen.targets.kubernetes.manifests import disruption_allowance as emitted

    release = release_from(write_spec(MINIMAL_SPEC.replace("1.0.0\n", f"1.0.0\n  replicas: {replicas}\n", 1)))
    assert disruption_allowance(replicas) == emitted(release)
    facts = compute_facts(release).as_dict()["disruption"]
    assert facts["min_available"] == replicas - count(emitted(release), replicas, round_up=True)


def test_rollback_drill_age_is_computed_in_python(write_spec):
    release = release_from(write_spec(MINIMAL_SPEC + "rollback: {lastTested: '2026-10-29'}\n"))
    facts = rollback_facts(release, datetime.date(2026, 11, 28))
    assert (facts["dated"], facts["age_days"], facts["in_future"]) == (True, 30, False)
    assert rollback_facts(release, datetime.date(2026, 10, 1))["in_future"] is True


def test_cycles_are_found_and_closed():
    edges = {"a": ["b"], "b": ["c"], "c": ["a", "d"], "d": [], "e": ["e"]}
    paths = cycle_paths(edges)
    assert paths["a"] == ({"a", "b", "c"}, ["a", "b", "c", "a"])
    assert paths["e"] == ({"e"}, ["e", "e"])
    assert "d" not in paths


def test_model_json_uses_the_spec_names(write_spec):
    document = model_json(release_from(write_spec(CANARY)))
    assert document["strategy"]["steps"][0] == {"weight": 5, "pauseS": 120}
    assert document["service"]["requestsPerSecond"] == 40
    assert document["metadata"]["production"] is True
