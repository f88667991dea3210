"""Benchmark: shipgen's speed next to a baseline, printed side by side in one run.

1. `shipgen validate` on one spec (wall time of the whole command, start-up included: what a
   pre-commit hook costs) next to `yamllint` on the same file.
2. `shipgen build` of 1,000 generated specs next to the floor of just parsing the same files and
   dumping as many YAML documents as the build writes, with libyaml (PyYAML's C loader/dumper).

    .venv/bin/python benchmarks/validate_and_build.py [--runs N] [--specs N]

Timings are medians of N runs (default 7; the build: 3), each after a warm-up run. Nothing here is a test: the figures
go in the README's performance section.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SPEC = ROOT / "examples" / "checkout.yaml"

FLOOR_SCRIPT = """
import sys, yaml
from pathlib import Path
files = sorted(Path(sys.argv[1]).glob("*.yaml"))
documents = int(sys.argv[2])
loaded = [yaml.load(p.read_text(), Loader=yaml.CSafeLoader) for p in files]
per_spec = max(1, documents // len(loaded))
for data in loaded:
    for _ in range(per_spec):
        yaml.dump(data, Dumper=yaml.CSafeDumper)
"""


# Users and CI run with bytecode caches; a session that sets PYTHONDONTWRITEBYTECODE would
# recompile shipgen's sources on every run and measure that instead.
ENVIRONMENT = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}


def median_seconds(command, runs, cwd=ROOT) -> float:
    """The median wall time of `runs` runs, after one warm-up run (bytecode written, files cached)."""
    subprocess.run(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False, env=ENVIRONMENT)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False,
                       env=ENVIRONMENT)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def generated_specs(folder: Path, count: int) -> None:
    template = SPEC.read_text(encoding="utf-8")
    for index in range(count):
        name = f"svc{index:04d}"
        (folder / f"{name}.yaml").write_text(template.replace("name: checkout", f"name: {name}"), encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--specs", type=int, default=1000)
    options = parser.parse_args()
    shipgen, yamllint = BIN / "shipgen", shutil.which("yamllint", path=str(BIN)) or "yamllint"

    validate = median_seconds([str(shipgen), "validate", str(SPEC)], options.runs)
    lint = median_seconds([yamllint, str(SPEC)], options.runs)

    with tempfile.TemporaryDirectory() as scratch:
        specs = Path(scratch) / "specs"
        specs.mkdir()
        generated_specs(specs, options.specs)
        out = Path(scratch) / "out"
        build = median_seconds([str(shipgen), "build", str(specs), "-o", str(out)], 3)
        documents = sum(1 for p in out.rglob("*.yaml"))
        floor = median_seconds([sys.executable, "-c", FLOOR_SCRIPT, str(specs), str(documents)], 3)

    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}; medians of {options.runs} runs (builds: 3)")
    print(f"{'task':<52} {'shipgen':>9} {'baseline':>9}  baseline")
    print(f"{'validate one spec (' + SPEC.name + ')':<52} {validate:>8.3f}s {lint:>8.3f}s  yamllint on the same file")
    print(f"{f'build {options.specs} specs ({documents} YAML documents)':<52} {build:>8.3f}s {floor:>8.3f}s  "
          "libyaml: parse the specs, dump as many documents")
    return 0


if __name__ == "__main__":
    sys.exit(main())
