"""The CodeDeploy lifecycle hook code, run here against fake AWS clients: it runs the smoke tests
and the alarm checks it is given and always reports Succeeded or Failed to CodeDeploy."""

from __future__ import annotations

import http.server
import json
import sys
import threading
import types

import pytest

from shipgen.targets.aws.common import HOOK_SOURCE

EVENT = {"DeploymentId": "d-1", "LifecycleEventHookExecutionId": "hook-1"}


class FakeAws:
    """boto3.client(name) for the services the hook uses, with canned answers."""

    def __init__(self, alarms=(), payload=None, function_error=None, port=0):
        self.reported = []
        self.invocations = []
        self.alarms, self.payload, self.function_error, self.port = list(alarms), payload, function_error, port

    def client(self, name):
        return getattr(self, f"_{name}")()

    def _codedeploy(self):
        return types.SimpleNamespace(put_lifecycle_event_hook_execution_status=lambda **kw: self.reported.append(kw))

    def _cloudwatch(self):
        def describe_alarms(AlarmNames):
            return {"MetricAlarms": [{"AlarmName": name, "StateValue": "ALARM" if name in self.alarms else "OK"}
                                     for name in AlarmNames]}
        return types.SimpleNamespace(describe_alarms=describe_alarms)

    def _lambda(self):
        def invoke(FunctionName, Payload):
            self.invocations.append((FunctionName, json.loads(Payload)))
            answer = {"Payload": types.SimpleNamespace(read=lambda: json.dumps(self.payload).encode())}
            if self.function_error:
                answer["FunctionError"] = self.function_error
            return answer
        return types.SimpleNamespace(invoke=invoke)

    def _elbv2(self):
        return types.SimpleNamespace(
            describe_listeners=lambda ListenerArns: {"Listeners": [
                {"Protocol": "HTTP", "Port": self.port, "LoadBalancerArn": "lb"}]},
            describe_load_balancers=lambda LoadBalancerArns: {"LoadBalancers": [{"DNSName": "127.0.0.1"}]})


def run_hook(monkeypatch, config: dict, aws: FakeAws, environment: dict | None = None) -> str:
    monkeypatch.setitem(sys.modules, "boto3", types.SimpleNamespace(client=aws.client))
    full = {"wait": 0, "smoke": [], "checks": 0, "interval": 0, "alarms": [], "host": ""}
    full.update(config)
    monkeypatch.setenv("SHIPGEN_HOOK", json.dumps(full))
    for name, value in (environment or {}).items():
        monkeypatch.setenv(name, value)
    namespace = {}
    exec(compile(HOOK_SOURCE, "index.py", "exec"), namespace)
    return namespace["handler"](EVENT, None)


def test_the_hook_fits_an_inline_zip_file():
    assert len(HOOK_SOURCE) < 4096  # CloudFormation's ZipFile limit
    compile(HOOK_SOURCE, "index.py", "exec")


def test_alarm_checks_fail_the_hook_when_one_fires(monkeypatch):
    aws = FakeAws(alarms=["api-errors"])
    assert run_hook(monkeypatch, {"checks": 2, "alarms": ["api-latency", "api-errors"]}, aws) == "Failed"
    assert aws.reported == [{"deploymentId": "d-1", "lifecycleEventHookExecutionId": "hook-1", "status": "Failed"}]


def test_quiet_alarms_pass_the_hook(monkeypatch):
    aws = FakeAws(alarms=["other"])
    assert run_hook(monkeypatch, {"checks": 2, "interval": 0, "alarms": ["api-errors"]}, aws) == "Succeeded"
    assert aws.reported[0]["status"] == "Succeeded"


@pytest.mark.parametrize("payload, error, expected", [
    ({"statusCode": 204}, None, "Succeeded"),
    ({"statusCode": 500}, None, "Failed"),
    ({"errorMessage": "boom"}, "Unhandled", "Failed"),
])
def test_lambda_smoke_tests_invoke_the_new_version(monkeypatch, payload, error, expected):
    aws = FakeAws(payload=payload, function_error=error)
    smoke = [{"name": "ping", "method": "POST", "path": "/ping?deep=1", "expect": 204, "timeout": 3}]
    status = run_hook(monkeypatch, {"smoke": smoke}, aws, {"SHIPGEN_TARGET": "api:9"})
    assert status == expected and aws.reported[0]["status"] == expected
    (function, event), = aws.invocations
    assert function == "api:9"
    assert (event["rawPath"], event["rawQueryString"]) == ("/ping", "deep=1")
    assert event["requestContext"]["http"] == {"method": "POST", "path": "/ping"}


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        codes = {"/ok": 200, "/moved": 301, "/missing": 404}
        self.send_response(codes.get(self.path.split("?")[0], 500))
        if self.path == "/moved":
            self.send_header("Location", "/ok")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    httpd = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.server_address[1]
    httpd.shutdown()


@pytest.mark.parametrize("path, expect, expected", [
    ("/ok", 200, "Succeeded"),
    ("/moved", 301, "Succeeded"),  # redirects are not followed: the status is what the test asks about
    ("/missing", 200, "Failed"),
])
def test_http_smoke_tests_go_through_the_listener(monkeypatch, server, path, expect, expected):
    aws = FakeAws(port=server)
    smoke = [{"name": "page", "method": "GET", "path": path, "expect": expect, "timeout": 3}]
    assert run_hook(monkeypatch, {"smoke": smoke}, aws, {"SHIPGEN_LISTENER": "arn:listener"}) == expected
    assert aws.reported[0]["status"] == expected
