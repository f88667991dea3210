"""Feature flags evaluated by a real flagd evaluator: the OpenFeature flagd provider
(`openfeature-provider-flagd`) in its file mode, which reads the generated flag file and
evaluates flagd's targeting (JsonLogic + `fractional`, `ends_with`) in-process.

For every step of the ramp, the flag file shipgen writes at that step is evaluated for a large
set of targeting keys: the observed share of `on` must match the step within a binomial
tolerance, internal users are on from step 0, a user who is on stays on at the next step, and
the kill switch gives the default variant (`off`) to everyone."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from conftest import MINIMAL_SPEC, ROOT, release_from
from shipgen.targets import flags

KEYS = 10_000
FLAG_SPEC = MINIMAL_SPEC + """\
platform: {controller: argo-rollouts}
strategy: {type: canary, steps: [10, 30, 60]}
flags:
  - name: new-search
    percent: 30
    internal: {endsWith: ["@staff.example", "@contractors.example"]}
  - {name: plain-ramp, steps: [1, 20, 100], percent: 20}
"""


@pytest.fixture
def evaluate(tmp_path):
    """evaluate(flag set, flag key, contexts) -> [(value, variant, reason)] through the flagd
    provider in file mode, registered with the OpenFeature API as an application registers it;
    the first context through the OpenFeature client, the rest straight through the provider's
    resolver (three times faster, the same evaluator). The code default is True, so that `off`
    can only come from the flag file."""
    from openfeature import api
    from openfeature.contrib.provider.flagd import FlagdProvider
    from openfeature.contrib.provider.flagd.config import ResolverType
    from openfeature.evaluation_context import EvaluationContext

    counter = iter(range(1_000_000))

    def run(flag_set: dict, key: str, contexts: list) -> list:
        domain = f"flags-{next(counter)}"
        path = tmp_path / f"{domain}.flagd.json"
        path.write_text(json.dumps(flag_set))
        provider = FlagdProvider(resolver_type=ResolverType.FILE, offline_flag_source_path=str(path))
        api.set_provider_and_wait(provider, domain)  # a domain per file: each evaluation reads its own
        try:
            first = api.get_client(domain).get_boolean_details(key, True, EvaluationContext(*contexts[0]))
            results = []
            for targeting_key, attributes in contexts:
                details = provider.resolve_boolean_details(key, True, EvaluationContext(targeting_key, attributes))
                assert details.error_code is None, (details.error_code, details.error_message)
                results.append((details.value, details.variant, str(getattr(details.reason, "value", details.reason))))
            assert (first.value, first.variant) == results[0][:2]
            return results
        finally:
            provider.shutdown()

    return run


def users(count: int = KEYS) -> list:
    return [(f"user-{index}", {"email": f"user-{index}@customers.example"}) for index in range(count)]


def with_step(release, flag, percent=None, killed=None) -> dict:
    flag_set = flags.flag_set(release)
    flag_set["flags"][flag.name] = flags.flag_definition(flag, percent, killed)
    return flag_set


def tolerance(percent: int) -> float:
    """Four standard deviations of the observed share (binomial), at least 0.05 points."""
    p = percent / 100
    return max(4 * math.sqrt(p * (1 - p) / KEYS), 0.0005)


def test_each_ramp_step_serves_its_share_and_only_adds_users(write_spec, evaluate):
    release = release_from(write_spec(FLAG_SPEC))
    for flag in release.flags:
        previous_on = set()
        for step in flags.ramp(flag):
            results = evaluate(with_step(release, flag, step.percent), flag.name, users())
            on = {index for index, (value, _, _) in enumerate(results) if value}
            share = len(on) / KEYS
            print(f"{flag.name}: step {step.percent}% -> observed {100 * share:.2f}% of {KEYS} keys "
                  f"(tolerance {100 * tolerance(step.percent):.2f} points)")
            assert abs(share - step.percent / 100) <= tolerance(step.percent)
            assert {variant for value, variant, _ in results} <= {"on", "off"}
            assert all(value == (variant == "on") for value, variant, _ in results)
            assert previous_on <= on  # a user who had the feature keeps it
            previous_on = on
        assert step.percent == 100 and len(previous_on) == KEYS


def test_ramp_follows_the_canary_steps_and_internal_users_come_first(write_spec, evaluate):
    release = release_from(write_spec(FLAG_SPEC))
    search, plain = release.flags
    assert [step.percent for step in flags.ramp(search)] == [0, 10, 30, 60, 100]  # the canary's steps
    assert [step.percent for step in flags.ramp(plain)] == [1, 20, 100]
    staff = [(f"staff-{i}", {"email": f"staff-{i}@{domain}"}) for i in range(200)
             for domain in ("staff.example", "contractors.example")]
    for percent in (0, 10):
        results = evaluate(with_step(release, search, percent), search.name, staff + users(2000))
        assert all(value for value, _, _ in results[:len(staff)])  # every internal user is on
        outside = sum(value for value, _, _ in results[len(staff):]) / 2000
        print(f"{search.name}: step {percent}% -> internal users 100% on, others {100 * outside:.1f}%")
        assert abs(outside - percent / 100) < 0.03


def test_kill_switch_gives_everyone_the_default_variant(write_spec, evaluate):
    killed_spec = FLAG_SPEC.replace("    percent: 30\n", "    percent: 30\n    killed: true\n")
    release = release_from(write_spec(killed_spec))
    search = release.flags[0]
    assert search.killed and "targeting" not in flags.flag_definition(search)
    staff = [(f"staff-{i}", {"email": f"staff-{i}@staff.example"}) for i in range(500)]
    results = evaluate(flags.flag_set(release), search.name, staff + users())
    print(f"{search.name}: killed -> {sum(v for v, _, _ in results)} of {len(results)} keys on")
    assert {(value, variant) for value, variant, _ in results} == {(False, "off")}
    assert {reason for _, _, reason in results} == {"STATIC"}
    # the same flag not killed serves the feature to some: the kill switch is what turns it off
    alive = evaluate(with_step(release, search, killed=False), search.name, staff + users(1000))
    assert any(value for value, _, _ in alive)


def test_golden_flag_file_is_the_example_at_its_current_step(monkeypatch, evaluate):
    monkeypatch.chdir(ROOT)
    release = release_from(ROOT / "examples/argo-canary-istio.yaml")
    golden = json.loads((ROOT / "golden/production/billing-api/flags/flags.flagd.json").read_text())
    assert golden == flags.flag_set(release)
    (flag,) = release.flags
    results = evaluate(golden, flag.name, users())
    share = sum(value for value, _, _ in results) / KEYS
    print(f"golden {flag.name}: at {flag.percent}% -> observed {100 * share:.2f}%")
    assert abs(share - flag.percent / 100) <= tolerance(flag.percent)


def test_runbook_kill_command_turns_the_served_file_off_for_everyone(monkeypatch, evaluate, tmp_path):
    """The runbook's instant revert, run for real on a copy of the golden file with jq."""
    import shutil
    import subprocess

    import tools_support

    jq = tools_support.tool("jq")
    monkeypatch.chdir(ROOT)
    release = release_from(ROOT / "examples/argo-canary-istio.yaml")
    (view,) = flags.runbook_views(release)
    assert view["kill_on_file"] in (ROOT / "golden/production/billing-api/RUNBOOK.md").read_text()
    served = tmp_path / "served"
    (served / "flags").mkdir(parents=True)
    shutil.copy(ROOT / "golden/production/billing-api/flags/flags.flagd.json", served / "flags")
    subprocess.run(["bash", "-c", view["kill_on_file"]], cwd=served, check=True,
                   env={"PATH": f"{Path(jq).parent}:/usr/bin:/bin"})
    killed = json.loads((served / "flags/flags.flagd.json").read_text())
    staff = [("boss", {"email": "boss@billing.example.com"})]
    results = evaluate(killed, release.flags[0].name, staff + users(2000))
    assert {(value, variant) for value, variant, _ in results} == {(False, "off")}
    # and, metadata aside, it is what the spec's kill switch (`killed: true`) builds
    (flag,) = release.flags
    by_spec = flags.flag_definition(flag, killed=True)
    assert {k: v for k, v in killed["flags"][flag.name].items() if k != "metadata"} == \
        {k: v for k, v in by_spec.items() if k != "metadata"}
