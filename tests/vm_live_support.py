"""Live load-balancer tests for platform.kind vm: real backends (blue, green) on loopback, a real
HAProxy or nginx in front built from the generated configuration, steady bounded load while the
generated switch.sh moves traffic, and the figures (requests sent, failed, split per phase)."""

from __future__ import annotations

import http.server
import os
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from shipgen.pipeline import build

RATE = 50  # requests per second, each on its own connection
TOLERANCE = 10  # percentage points between a canary step's share and the share observed while it was held;
# a colour with all traffic must answer every request (no tolerance)
MARGIN_S = 0.4  # left out at each end of a phase: a change takes effect within it


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Backend:
    """One instance: answers 200 and its colour on every path."""

    def __init__(self, colour: str, status: int = 200):
        """`status`: what it answers users (its health path /healthz always answers 200)."""
        body = colour.encode()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (the stdlib's name)
                self.send_response(200 if self.path == "/healthz" else status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        class Server(http.server.ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request, client_address):
                pass  # a health check that closes before the answer is not this test's failure

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@dataclass
class Load:
    """Steady load: RATE requests a second, each started on time, with a bounded timeout."""

    url: str
    results: list = field(default_factory=list)  # (start time, colour or None for a failure, error)
    stop: threading.Event = field(default_factory=threading.Event)

    def _one(self, when: float):
        try:
            with urllib.request.urlopen(self.url, timeout=5) as response:
                colour = response.read().decode() if response.status == 200 else None
                self.results.append((when, colour, "" if colour else f"HTTP {response.status}"))
        except urllib.error.HTTPError as error:  # an answer, but a failed one: which colour gave it
            self.results.append((when, None, f"HTTP {error.code} {error.read().decode(errors='replace')}"))
        except Exception as error:  # every failure counts, whatever it is
            self.results.append((when, None, repr(error)))

    def run(self):
        with ThreadPoolExecutor(max_workers=32) as pool:
            start, sent = time.monotonic(), 0
            while not self.stop.is_set():
                due = start + sent / RATE
                delay = due - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                pool.submit(self._one, time.monotonic())
                sent += 1

    def start(self):
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def finish(self):
        self.stop.set()
        self.thread.join(timeout=30)
        time.sleep(0.1)

    def failed(self) -> list:
        return [result for result in self.results if result[1] is None]

    def share(self, colour: str, start: float, end: float) -> tuple:
        """(percent of answered requests started in [start, end] that `colour` answered, count)."""
        window = [result for result in self.results if start <= result[0] <= end and result[1] is not None]
        return (100 * sum(result[1] == colour for result in window) / len(window) if window else float("nan"),
                len(window))


def write_build(spec: Path, out: Path) -> Path:
    """Build the spec with shipgen's own pipeline and write the release folder; returns it."""
    result = build([spec])
    errors = [d for d in result.checked.diagnostics if d.severity == "error"]
    assert errors == [], errors
    for name, content in result.files.items():
        path = out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        if name.endswith(".sh"):
            path.chmod(0o755)
    (folder,) = out.glob("*/*")
    return folder


def run_switch(script: Path, *args, env=None, timeout=40) -> tuple:
    """Run switch.sh; returns (exit code, [(time, line), ...]) with each output line's arrival time."""
    process = subprocess.Popen([str(script), *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               env=env)
    lines = []
    deadline = time.monotonic() + timeout
    for line in process.stdout:
        lines.append((time.monotonic(), line.rstrip("\n")))
        assert time.monotonic() < deadline, "switch.sh took too long"
    return process.wait(timeout=timeout), lines


def when(lines: list, text: str) -> float:
    return next(moment for moment, line in lines if text in line)


def environment() -> dict:
    env = dict(os.environ)
    env["PATH"] = env.get("PATH", "") + ":/usr/sbin:/sbin"
    return env
