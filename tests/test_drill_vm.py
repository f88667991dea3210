"""The rollback drill of services on VMs (golden/production/search: HAProxy, .../accounts: nginx),
run for real: the golden drill.sh drives the switch.sh of a non-production build of the same
service (its own instances and load balancer) and tells "rolled back" from "did not roll back".

On stubs (a runtime API in files behind a `socat` stub, a `curl` that answers 200): every exit
code the drill has. Live: a real HAProxy and a real nginx on loopback in front of a blue and a
green backend (tests/vm_live_support.py), with the drill forcing the checks to fail (rolled
back, exit 0) and with a healthy "failing" version that nothing stops (promoted, exit 4)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

import tools_support
from conftest import ROOT
from vm_live_support import Backend, free_port, write_build

HAPROXY_DRILL = ROOT / "golden" / "production" / "search" / "drill" / "drill.sh"
NGINX_DRILL = ROOT / "golden" / "production" / "accounts" / "drill" / "drill.sh"


def drill_spec(load_balancer: str, blue: str, green: str, lb_settings: str, listen: int = 8080,
               automatic: bool = True) -> str:
    """A non-production build of the drilled service: environment drill, quick checks (1 s apart,
    one failure tolerated), its own instances."""
    name = "search" if load_balancer == "haproxy" else "accounts"
    return f"""\
apiVersion: shipgen.dev/v1alpha1
kind: Release
metadata: {{name: {name}, team: drill, environment: drill}}
service:
  image: registry.example.com/{name}:1.0.0
  ports: [{{port: 8080}}]
  health:
    readiness: {{path: /healthz, period: 1s, failureThreshold: 2}}
strategy: {{type: canary, steps: [{{weight: 30, pause: 2s}}], interval: 1s}}
rollback: {{maxFailedChecks: 1, automatic: {'true' if automatic else 'false'}}}
smoke:
  - {{name: health, http: {{path: /healthz}}}}
platform:
  kind: vm
  vm:
    loadBalancer: {load_balancer}
    listen: 127.0.0.1:{listen}
    live: blue
    blue: [{blue}]
    green: [{green}]
{lb_settings}"""


def build(tmp_path: Path, text: str) -> Path:
    spec = tmp_path / "drill-spec" / "release.yaml"
    spec.parent.mkdir(parents=True)
    spec.write_text(text)
    return write_build(spec, tmp_path / "out")


def run_drill(script: Path, folder: Path, tmp_path: Path, path_prefix: str = "", **env) -> subprocess.CompletedProcess:
    environment = dict(os.environ, DRILL_ENVIRONMENT="drill", DRILL_BUILD=str(folder), DRILL_POLL_S="0.2",
                       DRILL_LOG=str(tmp_path / "drill.log"), DRILL_SETTLE_S="3", DRILL_TIMEOUT_S="30")
    environment.update(env)
    environment["PATH"] = path_prefix + environment["PATH"] + ":/usr/sbin:/sbin"
    return subprocess.run(["bash", str(script)], capture_output=True, text=True, env=environment, timeout=90)


def switch_log(tmp_path: Path) -> str:
    log = tmp_path / "drill.log"
    return log.read_text() if log.exists() else ""


# --------------------------------------------------------------------- stubs: HAProxy's runtime API in files

SOCAT = r"""#!/usr/bin/env bash
# HAProxy's runtime API: $STATE/<server> holds "op admin weight"; answers what HAProxy 2.6 answers.
command="$(cat)"
echo "$command" >>"$STATE/api.log"
case "$command" in
  "show servers state"*)
    echo 1
    echo "# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight"
    for file in "$STATE"/blue-* "$STATE"/green-*; do
      read -r op admin weight <"$file"
      echo "3 search 1 ${file##*/} 127.0.0.1 $op $admin $weight 100"
    done ;;
  "set server search/"*)
    words=($command)
    server="${words[2]#search/}"
    read -r op admin weight <"$STATE/$server"
    case "${words[3]}:${words[4]}" in
      weight:*) weight="${words[4]}" ;;
      state:ready) admin=0; if [ "$OUTCOME" = old-down ] && [ "${server%-*}" = blue ]; then op=0; fi ;;
      state:drain) admin=8 ;;
    esac
    echo "$op $admin $weight" >"$STATE/$server" ;;
  *) echo "Unknown command." ;;
esac
"""

CURL = r"""#!/usr/bin/env bash
# every request answers 200; Prometheus answers a value of 0
case "$*" in
  *"/api/v1/query"*) echo '{"data":{"result":[{"value":[0,"0"]}]}}' ;;
  *) echo 200 ;;
esac
"""


def stub_drill(tmp_path: Path, outcome: str = "", automatic: bool = True, green: str = "127.0.0.1:9102",
               **env) -> tuple:
    state, stubs = tmp_path / "state", tmp_path / "stubs"
    state.mkdir()
    stubs.mkdir()
    for server, weight in (("blue-1", 100), ("green-1", 0)):
        (state / server).write_text(f"2 0 {weight}\n")
    for name, body in (("socat", SOCAT), ("curl", CURL)):
        (stubs / name).write_text(body)
        (stubs / name).chmod(0o755)
    settings = (f"    haproxy: {{runtimeApi: {tmp_path}/admin.sock, stateFile: {tmp_path}/server-state,"
                f" config: {tmp_path}/haproxy.cfg}}\n")
    folder = build(tmp_path, drill_spec("haproxy", "127.0.0.1:9101", green, settings, automatic=automatic))
    result = run_drill(HAPROXY_DRILL, folder, tmp_path, f"{stubs}:", STATE=str(state), OUTCOME=outcome, **env)
    return result, state


def test_forced_failure_rolls_back_and_the_drill_passes(tmp_path):
    result, state = stub_drill(tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output + switch_log(tmp_path)
    assert "drill: serving before: blue; GET /healthz/ready through the load balancer: 200" in result.stdout
    assert "drill: PASSED: rolled back after" in result.stdout and "(simulated: 120s)" in result.stdout
    assert 'lastTested: "' in result.stdout
    log = switch_log(tmp_path)
    # the checks failed because the drill forced them to (its curl answers nothing), twice: one tolerated
    assert log.count("drill: forced failure: curl") >= 2 and log.count("check failed at 0% on green") == 2, log
    assert "rolling back: green failed 2 checks in a row" in log
    assert (state / "green-1").read_text().split()[1] == "8"  # drained, as switch.sh rollback leaves it


def test_a_version_nothing_stops_is_promoted_and_the_drill_fails(tmp_path):
    result, state = stub_drill(tmp_path, DRILL_FAILING="version")
    assert result.returncode == 4, result.stdout + result.stderr + switch_log(tmp_path)
    assert "the failing version was promoted" in result.stderr
    assert "lastTested" not in result.stdout
    assert "traffic: 100% to green" in switch_log(tmp_path)


def test_a_switch_script_that_stops_without_rolling_back_fails_the_drill(tmp_path):
    """A drill build whose switch.sh only stops (rollback.automatic false) is not what the
    production spec promises: exit 5."""
    result, _ = stub_drill(tmp_path, automatic=False)
    assert result.returncode == 5, result.stdout + result.stderr + switch_log(tmp_path)
    assert "stopped without rolling back" in result.stderr
    assert "stopping at 0% on green" in switch_log(tmp_path)


def test_a_rollback_after_which_the_old_colour_does_not_serve_fails_the_drill(tmp_path):
    result, _ = stub_drill(tmp_path, outcome="old-down")
    assert result.returncode == 6, result.stdout + result.stderr + switch_log(tmp_path)
    assert "rolled back, but serving is '; GET" in result.stderr


def test_the_drill_refuses_a_build_that_sends_requests_to_production_instances(tmp_path):
    result, state = stub_drill(tmp_path, green="10.0.2.11:8080")  # one of production/search's green instances
    assert result.returncode == 2, result.stdout + result.stderr
    assert "sends requests to 10.0.2.11:8080, where the release runs in" in result.stderr
    assert not (state / "api.log").exists() and not (tmp_path / "drill.log.status").exists()


@pytest.mark.parametrize("env, message", [
    ({"DRILL_ENVIRONMENT": "production"}, "DRILL_ENVIRONMENT is where the release runs in production"),
    ({"DRILL_FAILING": "maybe"}, "DRILL_FAILING is forced or version, not 'maybe'"),
    ({"DRILL_BUILD": "/nonexistent"}, "DRILL_BUILD has no haproxy/switch.sh"),
])
def test_the_drill_stops_before_switching_when_a_setting_is_wrong(tmp_path, env, message):
    result, state = stub_drill(tmp_path, **env)
    assert result.returncode == 2, result.stdout + result.stderr
    assert message in result.stderr
    assert not (tmp_path / "drill.log.status").exists()


def test_an_unreachable_load_balancer_is_a_setup_error(tmp_path):
    folder = build(tmp_path, drill_spec("haproxy", "127.0.0.1:9101", "127.0.0.1:9102",
                                        f"    haproxy: {{runtimeApi: {tmp_path}/nothing.sock}}\n"))
    result = run_drill(HAPROXY_DRILL, folder, tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "cannot read the load balancer of DRILL_BUILD" in result.stderr


# --------------------------------------------------------------------- live: HAProxy and nginx on loopback


@pytest.fixture
def backends():
    pair = Backend("blue"), Backend("green")
    yield pair
    for backend in pair:
        backend.stop()


def live_haproxy(tmp_path: Path, backends, failing: str) -> tuple:
    haproxy = tools_support.tool("haproxy")
    for name in ("socat", "curl"):
        tools_support.tool(name)
    blue, green = backends
    listen, metrics = free_port(), free_port()
    settings = (f"    haproxy: {{runtimeApi: {tmp_path}/admin.sock, stateFile: {tmp_path}/server-state,"
                f" metrics: 127.0.0.1:{metrics}, config: {tmp_path}/haproxy.cfg}}\n")
    folder = build(tmp_path, drill_spec("haproxy", f"127.0.0.1:{blue.port}", f"127.0.0.1:{green.port}", settings,
                                        listen))
    process = subprocess.Popen([haproxy, "-f", str(folder / "haproxy" / "haproxy.cfg"), "-db"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp_path)
    try:
        from test_vm_live import wait_for

        wait_for(f"http://127.0.0.1:{listen}/")
        result = run_drill(HAPROXY_DRILL, folder, tmp_path, DRILL_URL=f"http://127.0.0.1:{listen}",
                           DRILL_FAILING=failing)
        status = subprocess.run([str(folder / "haproxy" / "switch.sh"), "status"], capture_output=True, text=True,
                                env=dict(os.environ, PATH=os.environ["PATH"] + ":/usr/sbin:/sbin")).stdout
    finally:
        process.terminate()
        process.wait(timeout=10)
    return result, status


def test_live_haproxy_drill_rolls_back(tmp_path, backends):
    result, status = live_haproxy(tmp_path, backends, "forced")
    assert result.returncode == 0, result.stdout + result.stderr + switch_log(tmp_path)
    assert "drill: serving before: blue; GET /healthz/ready through the load balancer: 200" in result.stdout
    assert "drill: PASSED" in result.stdout
    log = switch_log(tmp_path)
    assert "health checks: every green instance is up" in log and "rolling back" in log, log
    # what HAProxy itself says: blue takes the requests, green is drained (admin state 8)
    assert any(line.startswith("blue-1 ") and "admin=0" in line and "weight=100" in line
               for line in status.splitlines()), status
    assert any(line.startswith("green-1 ") and "admin=8" in line for line in status.splitlines()), status


def test_live_haproxy_drill_fails_when_nothing_rolls_back(tmp_path, backends):
    """A healthy green stands in for a failing version whose failure the checks do not see."""
    result, status = live_haproxy(tmp_path, backends, "version")
    assert result.returncode == 4, result.stdout + result.stderr + switch_log(tmp_path)
    assert "traffic: 100% to green" in switch_log(tmp_path)
    assert any(line.startswith("blue-1 ") and "admin=8" in line for line in status.splitlines()), status


def test_live_nginx_drill_rolls_back(tmp_path, backends):
    nginx = tools_support.tool("nginx")
    tools_support.tool("curl")
    blue, green = backends
    listen = free_port()
    site, main = tmp_path / "site.conf", tmp_path / "nginx.conf"
    folder = build(tmp_path, drill_spec("nginx", f"127.0.0.1:{blue.port}", f"127.0.0.1:{green.port}",
                                        f"    nginx: {{config: {site}, mainConfig: {main}}}\n", listen))
    temp = {name: tmp_path / name for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi")}
    main.write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nworker_processes 1;\nevents {{}}\nhttp {{\n"
        f"    access_log off;\n    client_body_temp_path {temp['body']};\n    proxy_temp_path {temp['proxy']};\n"
        f"    fastcgi_temp_path {temp['fastcgi']};\n    uwsgi_temp_path {temp['uwsgi']};\n"
        f"    scgi_temp_path {temp['scgi']};\n    include {site};\n}}\n")
    site.write_bytes((folder / "nginx" / "states" / "blue-100.conf").read_bytes())
    process = subprocess.Popen([nginx, "-c", str(main), "-g", "daemon off;"], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        from test_vm_live import wait_for

        wait_for(f"http://127.0.0.1:{listen}/")
        result = run_drill(NGINX_DRILL, folder, tmp_path, DRILL_URL=f"http://127.0.0.1:{listen}")
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert result.returncode == 0, result.stdout + result.stderr + switch_log(tmp_path)
    assert "drill: serving before: installed: blue-100; GET /ready through the load balancer: 200" in result.stdout
    assert "rolling back: green failed 2 checks in a row" in switch_log(tmp_path)
    assert site.read_bytes() == (folder / "nginx" / "states" / "blue-100.conf").read_bytes()
