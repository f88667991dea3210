"""Benchmark: `shipgen lint` next to `yamllint` on the same files, printed side by side.

1. One spec (examples/checkout.yaml): the wall time of the whole command, start-up included,
   which is what a pre-commit hook costs.
2. One hundred specs (copies of the examples with distinct names, in one folder): one command
   over the folder.

    .venv/bin/python benchmarks/lint_vs_yamllint.py [--runs N]

yamllint checks YAML style; shipgen lint loads, validates and normalizes each spec, computes its
facts and evaluates two dozen Rego policies. Timings are medians of N runs (default 5). Nothing
here is a test: the figures go in the README's performance section. Goal: no slower.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SOURCES = ("checkout.yaml", "invoice-worker.yaml")


def wall_time(command: list, runs: int, cwd: Path) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        completed = subprocess.run(command, cwd=cwd, capture_output=True, check=False)
        times.append(time.perf_counter() - start)
        if completed.returncode not in (0, 1):
            raise SystemExit(f"{' '.join(command)} failed:\n{completed.stderr.decode()}")
    return statistics.median(times)


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
    parser.add_argument("--runs", type=int, default=5)
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
        # a config-free folder, so that neither tool picks up the repository's settings
        rows = [
            ("1 spec", wall_time([shipgen, "lint", str(one)], arguments.runs, folder),
             wall_time([yamllint, "-d", "default", str(one)], arguments.runs, folder)),
            ("100 specs", wall_time([shipgen, "lint", str(specs)], arguments.runs, folder),
             wall_time([yamllint, "-d", "default", str(specs)], arguments.runs, folder)),
        ]
    print(f"{'files':<10} {'shipgen lint':>13} {'yamllint':>10} {'ratio':>7}")
    for label, ours, theirs in rows:
        print(f"{label:<10} {ours * 1000:>10.0f} ms {theirs * 1000:>7.0f} ms {ours / theirs:>6.2f}x")
    print(f"(medians of {arguments.runs} runs; wall time of the whole command, start-up included)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
