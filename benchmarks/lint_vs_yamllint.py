"""Benchmark: `shipgen lint` next to `yamllint` on the same files, printed side by side.

1. One spec (examples/checkout.yaml): the wall time of the whole command, start-up included,
   which is what a pre-commit hook costs.
2. One hundred specs (copies of the examples with distinct names, in one folder): one command
   over the folder.

    .venv/bin/python benchmarks/lint_vs_yamllint.py [--runs N]

Each command runs once to warm up, then N times (default 7), the tools taking turns so that a
busy moment of the machine hits both alike; the figures are medians. Commands run the way users
and CI run them: with PYTHONDONTWRITEBYTECODE removed from their environment, so Python reads
the compiled bytecode it wrote (a session that sets it would otherwise recompile shipgen's
sources on every run, ~80 ms), and in a folder without configuration, so that neither tool
picks up this repository's settings. shipgen's compiled-policy cache (`policy_cache.py`) lives
in a temporary folder: the warm-up fills it, as a first run does on a developer's machine; the
"no cache" column (SHIPGEN_NO_CACHE=1) is a run that compiles the policies.

yamllint checks YAML style; shipgen lint loads, validates and normalizes each spec, computes its
facts and evaluates two dozen Rego policies. Nothing here is a test: the figures go in the
README's performance section. Goal: no slower.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SOURCES = ("checkout.yaml", "invoice-worker.yaml")


def environment(**extra) -> dict:
    """The environment commands run in: bytecode caches on, as for users and CI."""
    result = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    result.update(extra)
    return result


def run(command: list, cwd: Path, env: dict) -> float:
    start = time.perf_counter()
    completed = subprocess.run(command, cwd=cwd, env=env, capture_output=True, check=False)
    elapsed = time.perf_counter() - start
    if completed.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(command)} failed:\n{completed.stderr.decode()}")
    return elapsed


def medians(commands: dict, runs: int, cwd: Path) -> dict:
    """label -> median wall time of its (command, env), after one warm-up run each."""
    for command, env in commands.values():
        run(command, cwd, env)
    times: dict = {label: [] for label in commands}
    for _ in range(runs):
        for label, (command, env) in commands.items():
            times[label].append(run(command, cwd, env))
    return {label: statistics.median(values) for label, values in times.items()}


def write_specs(folder: Path, count: int) -> list:
    """`count` specs with distinct names, alternating between the example sources."""
    paths = []
    for index in range(count):
        source = (ROOT / "examples" / SOURCES[index % len(SOURCES)]).read_text(encoding="utf-8")
        name = SOURCES[index % len(SOURCES)].removesuffix(".yaml")
        text = source.replace(f"name: {name}\n", f"name: {name}-{index:03d}\n", 1)
        path = folder / f"{name}-{index:03d}.yaml"
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    arguments = parser.parse_args()
    shipgen, yamllint = str(BIN / "shipgen"), str(BIN / "yamllint")
    if not Path(yamllint).is_file():
        raise SystemExit("yamllint is not installed: pip install -e '.[bench]'")
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        specs = folder / "specs"
        specs.mkdir()
        write_specs(specs, 100)
        one = folder / "checkout.yaml"
        one.write_text((ROOT / "examples" / "checkout.yaml").read_text(encoding="utf-8"), encoding="utf-8")
        cached = environment(SHIPGEN_CACHE_DIR=str(folder / "cache"))
        uncached = environment(SHIPGEN_NO_CACHE="1")
        rows = []
        for label, target in (("1 spec", one), ("100 specs", specs)):
            result = medians({
                "shipgen": ([shipgen, "lint", str(target)], cached),
                "no cache": ([shipgen, "lint", str(target)], uncached),
                "yamllint": ([yamllint, "-d", "default", str(target)], environment()),
            }, arguments.runs, folder)
            rows.append((label, result["shipgen"], result["no cache"], result["yamllint"]))
    print(f"{'files':<10} {'shipgen lint':>13} {'(no cache)':>11} {'yamllint':>10} {'ratio':>7}")
    for label, ours, cold, theirs in rows:
        print(f"{label:<10} {ours * 1000:>10.0f} ms {cold * 1000:>8.0f} ms {theirs * 1000:>7.0f} ms "
              f"{ours / theirs:>6.2f}x")
    print(f"(medians of {arguments.runs} runs after a warm-up; wall time of the whole command, start-up included;"
          " ratio: shipgen lint / yamllint)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
