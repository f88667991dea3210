"""platform.kind vm: the weights that give each share, the located errors for what a VM load
balancer cannot do, the rollout model's phases, and the generated script (quoting, shellcheck).
The live behaviour is in test_vm_live.py."""

from __future__ import annotations

import subprocess

import pytest
from hypothesis import given
from hypothesis import strategies as st

import tools_support
from conftest import release_from
from shipgen.targets import rollout_of
from shipgen.targets.vm import haproxy, nginx
from shipgen.targets.vm.settings import weights

BASE = """\
apiVersion: shipgen.dev/v1alpha1
kind: Release
metadata: {name: shop, team: web}
service:
  image: registry.example.com/shop:1.0.0
  ports: [{port: 8080}]
  health: {readiness: /ready}
strategy: {type: canary, steps: [10, 50], interval: 30s}
gates:
  - {name: errors, metric: error-rate, max: 0.01, window: 1m}
platform:
  kind: vm
  vm:
    loadBalancer: LB
    blue: [10.0.0.1:8080, 10.0.0.2:8080, 10.0.0.3:8080]
    green: [10.0.1.1:8080]
"""


@given(st.integers(1, 99), st.integers(1, 20), st.integers(1, 20), st.sampled_from([256, 1000]))
def test_weights_give_the_share_within_the_limit(percent, new_count, old_count, limit):
    result = weights(percent, new_count, old_count, limit)
    assert 1 <= result.new <= limit and 1 <= result.old <= limit
    actual = 100 * result.new * new_count / (result.new * new_count + result.old * old_count)
    assert result.actual_percent == round(actual, 2)
    if percent * old_count <= limit and (100 - percent) * new_count <= limit:  # no rounding was needed
        assert result.actual_percent == percent
    else:
        assert abs(actual - percent) < 100 * max(new_count, old_count) / limit


def test_uneven_colours_get_weights_that_give_the_exact_share():
    result = weights(10, 1, 3, 256)
    assert (result.new, result.old) == (1, 3)  # 1 / (1 + 3 x 3) = 10%
    assert weights(50, 1, 3, 256).actual_percent == 50


def build(write_spec, text: str):
    from shipgen.pipeline import check_specs

    checked = check_specs([write_spec(text)])
    return checked


@pytest.mark.parametrize("change, message", [
    (("strategy: {type: canary, steps: [10, 50], interval: 30s}", "strategy: {type: ab-test, match: [{header: {name: x, exact: y}}]}"),
     "strategy ab-test is not supported"),
    (("    loadBalancer: LB\n", "    loadBalancer: nginx\n    slowStart: 10s\n"), "no slow start"),
    (("green: [10.0.1.1:8080]", "green: [10.0.0.2:8080]"), "listed twice"),
    (("interval: 30s}", "interval: 30s, approval: {timeout: 1h, onTimeout: rollback}}"), "no approval step"),
    (("window: 1m}", "window: 1m, provider: datadog, query: x}"), "Prometheus only"),
])
def test_what_a_vm_cannot_do_is_a_located_error(write_spec, change, message):
    text = BASE.replace(*change).replace("LB", "haproxy")
    checked = build(write_spec, text)
    errors = [d for d in checked.diagnostics if d.severity == "error"]
    assert errors and message in errors[0].message and errors[0].line > 1, errors


def test_platform_vm_without_kind_vm_is_an_error(write_spec):
    text = BASE.replace("LB", "haproxy").replace("  kind: vm\n", "  kind: kubernetes\n")
    errors = [d for d in build(write_spec, text).diagnostics if d.severity == "error"]
    assert any("platform.vm applies to platform.kind vm" in error.message for error in errors)


@pytest.mark.parametrize("lb", ["haproxy", "nginx"])
def test_rollout_model_reads_the_plan_and_the_real_shares(write_spec, lb):
    release = release_from(write_spec(BASE.replace("LB", lb)))
    model = rollout_of(release)
    assert [phase.weight for phase in model.phases] == [0, 10, 50, 100]
    assert [phase.duration_s for phase in model.phases[1:]] == [30, 30, 0]
    assert [check.judges for check in model.checks] == [("errors",), ("errors",)]
    assert model.automatic


def test_haproxy_config_holds_weights_per_colour(write_spec):
    release = release_from(write_spec(BASE.replace("LB", "haproxy")))
    text = haproxy.render_config(haproxy.config(release))
    assert "server blue-1 10.0.0.1:8080 weight 100" in text and "server green-1 10.0.1.1:8080 weight 0" in text
    assert "slowstart 30s" in text and "option httpchk GET /ready" in text
    script = haproxy.script(release)
    assert 'green:10) echo "1 3" ;;' in script and 'blue:10) echo "1 27" ;;' in script


def test_nginx_writes_one_file_per_share_and_direction(write_spec):
    release = release_from(write_spec(BASE.replace("LB", "nginx")))
    paths = [artifact.path for artifact in nginx.render(release, None)]
    assert paths == [f"nginx/states/{colour}-{share}.conf" for colour in ("blue", "green") for share in (10, 50, 100)] \
        + ["nginx/switch.sh"]
    green_10 = nginx.render_config(nginx.site(release, "green", 10))
    assert "server 10.0.1.1:8080 weight=1 max_fails=3 fail_timeout=10s;" in green_10
    assert "server 10.0.0.1:8080 weight=3 " in green_10
    assert "server 10.0.0.1:8080 down;" in nginx.render_config(nginx.site(release, "green", 100))


@pytest.mark.parametrize("lb", ["haproxy", "nginx"])
def test_switch_script_quotes_spec_values_and_passes_shellcheck(write_spec, lb, tmp_path):
    shellcheck = tools_support.tool("shellcheck")
    hostile = "/q?x='1'&y=$(touch$IFS'pwned')"
    text = BASE.replace("LB", lb) + f'smoke:\n  - name: hostile\n    http: {{path: "{hostile}"}}\n'
    release = release_from(write_spec(text))
    module = haproxy if lb == "haproxy" else nginx
    script = tmp_path / "switch.sh"
    script.write_text(module.script(release))
    assert subprocess.run(["bash", "-n", str(script)]).returncode == 0
    result = subprocess.run([shellcheck, "-S", "style", str(script)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout
    # the hostile path is one single-quoted word; bash reads it back unchanged
    line = next(line for line in script.read_text().splitlines() if "http_check hostile" in line)
    call = line.split('"$url"')[0].strip()
    words = subprocess.run(["bash", "-c", f"printf '%s\\n' {call}"],
                           capture_output=True, text=True, cwd=tmp_path).stdout.splitlines()
    assert hostile in words and not (tmp_path / "pwned").exists()


# --------------------------------------------------------------------- switch.sh agrees with the rollout model

SWITCH_STUBS = {
    # a clock in a file: `sleep N` moves it on by N seconds at once
    "sleep": 'echo $(( $(cat "$STATE/clock") + ${1%s} )) >"$STATE/clock"\n',
    # smoke tests answer 200 and gates 0 when healthy; Prometheus answers nothing unless healthy; the
    # smoke tests fail when the version fails
    "curl": r'''echo "$(cat "$STATE/clock") curl $*" >>"$STATE/log"
case "$*" in
  *"/api/v1/query"*) if [ "$OUTCOME" != healthy ]; then exit 22; fi; echo '{"data":{"result":[{"value":[0,"0"]}]}}' ;;
  *) if [ "$OUTCOME" = fail ]; then echo 500; else echo 200; fi ;;
esac
''',
    # HAProxy's runtime API: every server up; a change answers nothing
    "socat": r'''command="$(cat)"
case "$command" in
  "show servers state"*) printf '1\n# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight\n'
    for name in blue-1 blue-2 blue-3 green-1 green-2; do echo "3 b 1 $name 127.0.0.1 2 0 100"; done ;;
esac
''',
    "nginx": "exit 0\n",
}


def _switch_build(spec_path, tmp_path):
    """The example built with every file the script writes under tmp_path."""
    from ruamel.yaml import YAML

    document = YAML(typ="rt", pure=True).load(spec_path.read_text())
    vm = document["platform"]["vm"]
    if vm["loadBalancer"] == "haproxy":
        vm["haproxy"] = {"stateFile": str(tmp_path / "server-state"), "runtimeApi": str(tmp_path / "admin.sock")}
    else:
        vm["nginx"] = {"config": str(tmp_path / "site.conf"), "mainConfig": str(tmp_path / "nginx.conf")}
    return document


def _run_switch_on_stubs(document, tmp_path, outcome):
    import json
    import os

    from vm_live_support import write_build

    spec = tmp_path / "release.yaml"
    spec.write_text(json.dumps(document))
    folder = write_build(spec, tmp_path / "out")
    stubs, state = tmp_path / "stubs", tmp_path / "state"
    stubs.mkdir()
    state.mkdir()
    (state / "clock").write_text("0\n")
    for name, body in SWITCH_STUBS.items():
        (stubs / name).write_text("#!/usr/bin/env bash\n" + body)
        (stubs / name).chmod(0o755)
    lb = document["platform"]["vm"]["loadBalancer"]
    env = dict(os.environ, PATH=f"{stubs}:{os.environ['PATH']}", STATE=str(state), OUTCOME=outcome)
    result = subprocess.run([str(folder / lb / "switch.sh"), "start"], capture_output=True, text=True, env=env,
                            timeout=60)
    log = (state / "log").read_text().splitlines() if (state / "log").exists() else []
    smoke_times = sorted({int(line.split()[0]) for line in log if "/api/v1/query" not in line})
    return result, int((state / "clock").read_text()), smoke_times


VARIANTS = {
    "haproxy-canary": ("vm-haproxy-canary.yaml", {}),
    "nginx-blue-green": ("vm-nginx-blue-green.yaml", {}),
    # a hold that is no multiple of the interval, one failure tolerated
    "uneven-hold": ("vm-haproxy-canary.yaml", {"strategy": {"type": "canary", "interval": "1m",
                                                            "steps": [{"weight": 20, "pause": "150s"}]},
                                               "rollback": {"automatic": True, "on": ["error-rate", "latency"],
                                                            "maxFailedChecks": 1, "lastTested": "2026-11-20"}}),
}


@pytest.mark.parametrize("outcome", ["healthy", "fail", "gates-fail"])
@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_switch_script_checks_and_gives_up_when_the_rollout_model_says(variant, outcome, tmp_path):
    """The generated switch.sh, run on stubs with a clock, checks at the model's times and rolls
    back (or completes) at the time `shipgen plan` simulates."""
    from conftest import ROOT
    from shipgen.rollout.simulate import FAIL_AT, FAIL_FROM_START, HEALTHY, Scenario, simulate

    example, changes = VARIANTS[variant]
    document = _switch_build(ROOT / "examples" / example, tmp_path)
    document.update(changes)
    result, clock, smoke_times = _run_switch_on_stubs(document, tmp_path, outcome)
    spec = tmp_path / "release.yaml"
    scenario = {"healthy": Scenario(HEALTHY), "fail": Scenario(FAIL_FROM_START),
                "gates-fail": Scenario(FAIL_AT, fail_at_s=0)}[outcome]
    plan = simulate(rollout_of(release_from(spec)), scenario)
    checks = sorted({event.t_s for event in plan.events if event.kind == "check"})
    assert smoke_times == checks, result.stdout + result.stderr
    assert clock == plan.end_s
    if outcome == "healthy":
        assert plan.outcome == "promoted" and result.returncode == 0, result.stdout + result.stderr
    else:
        failed = [event for event in plan.events if event.kind == "check" and event.result == "fail"]
        assert plan.outcome == "rolled-back" and result.returncode == 1, result.stdout + result.stderr
        assert result.stderr.count("check failed at") == len(failed)
        assert "rolling back:" in result.stderr
