"""Benchmark: shipgen's speed next to its baselines, printed side by side in one run, as ratios.

1. `shipgen validate` and `shipgen lint` of one spec (examples/checkout.yaml), whole command,
   start-up included (what a pre-commit hook costs), next to `yamllint` on the same file; and
   `shipgen lint` of 100 specs in one folder next to `yamllint` on that folder. Wall and CPU
   time (user + system of the child process), medians of N runs (default 15) in which the
   commands take turns, so that a busy moment of the machine hits all of them alike.
2. A cold `shipgen build` of M generated specs (default 1,000; into a new folder each time) next
   to the floor of just parsing the same files and dumping as many YAML documents as the build
   writes, with libyaml (PyYAML's C loader and dumper); medians of 3 alternating runs.
3. Builds with the cache (`--cache-dir`), next to the cold build: the first (cold, filling the
   cache), a no-change rebuild into the same output folder, the same with `--check`, and a
   rebuild after one spec of the M changed (a different spec each run); medians of 3 runs each.
4. Memory: the peak resident memory of a cold build of P specs (default 5,000) in one process
   (`-j 1`: every release's files are held until the atomic write, so this is the most any
   build of them holds in one process), and the largest process of the same build with its
   default worker processes (each worker holds only the releases it renders); goal < 1 GiB.

    .venv/bin/python benchmarks/speed.py [--runs N] [--specs M] [--build-runs K] [--memory-specs P]

Commands run the way users and CI run them: with PYTHONDONTWRITEBYTECODE removed from their
environment (a session that sets it would recompile shipgen's sources on every run), without
SHIPGEN_CACHE_DIR (the default: the built-in policies' shipped bundle is loaded), in a folder
without configuration so that neither tool reads this repository's settings. The "lint,
compiling" row sets SHIPGEN_NO_CACHE=1: the policies are compiled, as with a stale bundle.

The machine's cores, CPU and load average are printed with the figures: on a shared machine the
absolute times move with the load, the ratios much less. Nothing here is a test: the figures go
in the README's performance section. Goals (issue 12): ratio to yamllint <= 1.0 for one spec;
cold build <= 2x the libyaml floor; with the cache, a no-change rebuild <= 0.05x the cold build
and a one-spec change <= 0.10x; a build of 5,000 specs under 1 GiB at its peak.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
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
SOURCES = ("checkout.yaml", "invoice-worker.yaml")

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


def environment(**extra) -> dict:
    result = {key: value for key, value in os.environ.items()
              if key not in ("PYTHONDONTWRITEBYTECODE", "SHIPGEN_CACHE_DIR", "SHIPGEN_NO_CACHE", "SHIPGEN_DEBUG")}
    result.update(extra)
    return result


def timed(command: list, cwd: Path, env: dict) -> tuple[float, float]:
    """(wall, CPU) seconds of one run of `command`; CPU is the child's user + system time."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    completed = subprocess.run(command, cwd=cwd, env=env, capture_output=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if completed.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(map(str, command))} failed ({completed.returncode}):\n"
                         f"{completed.stderr.decode()}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def alternating(commands: dict, runs: int, cwd: Path, warm_up: bool = True) -> dict:
    """label -> (median wall, median CPU) of its (command, env), the commands taking turns."""
    if warm_up:  # bytecode written, files in the page cache
        for command, env in commands.values():
            timed(command, cwd, env)
    samples: dict = {label: [] for label in commands}
    for _ in range(runs):
        for label, (command, env) in commands.items():
            samples[label].append(timed(command, cwd, env))
    return {label: (statistics.median(wall for wall, _cpu in values), statistics.median(cpu for _wall, cpu in values))
            for label, values in samples.items()}


def write_specs(folder: Path, count: int, sources=SOURCES) -> None:
    """`count` specs with distinct names, taking turns between the example sources."""
    for index in range(count):
        source = sources[index % len(sources)]
        name = source.removesuffix(".yaml")
        text = (ROOT / "examples" / source).read_text(encoding="utf-8")
        text = text.replace(f"name: {name}\n", f"name: {name}-{index:04d}\n", 1)
        (folder / f"{name}-{index:04d}.yaml").write_text(text, encoding="utf-8")


def cached_builds(folder: Path, shipgen: str, env: dict, runs: int) -> dict:
    """label -> (median wall, median CPU) of the builds with `--cache-dir` (see the docstring)."""
    command = [shipgen, "build", "specs", "-o", "cached", "--cache-dir", "cache"]
    samples: dict = {"cold build, filling the cache": [], "no-change rebuild": [], "no-change --check": [],
                     "one spec changed": []}
    specs = sorted((folder / "specs").glob("*.yaml"))
    for run in range(runs):
        for path in (folder / "cache", folder / "cached"):
            if path.exists():
                shutil.rmtree(path)
        samples["cold build, filling the cache"].append(timed(command, folder, env))
        samples["no-change rebuild"].append(timed(command, folder, env))
        samples["no-change --check"].append(timed(command + ["--check"], folder, env))
        spec = specs[(run * 7919) % len(specs)]
        spec.write_text(spec.read_text(encoding="utf-8").replace("replicas: ", "replicas: 1", 1), encoding="utf-8")
        samples["one spec changed"].append(timed(command, folder, env))
    return {label: (statistics.median(wall for wall, _cpu in values), statistics.median(cpu for _wall, cpu in values))
            for label, values in samples.items()}


PEAK_SCRIPT = """
import resource, subprocess, sys
completed = subprocess.run(sys.argv[1:], capture_output=True)
if completed.returncode not in (0, 1):
    sys.exit(completed.stderr.decode())
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)  # KiB on Linux: the largest descendant
"""


def peak_memory_mib(command: list, cwd: Path, env: dict) -> float:
    """The peak resident memory (MiB) of the largest process `command` runs (itself or a worker)."""
    completed = subprocess.run([sys.executable, "-c", PEAK_SCRIPT, *command], cwd=cwd, env=env, capture_output=True,
                               text=True, check=False)
    if completed.returncode != 0:
        raise SystemExit(f"{' '.join(map(str, command))} failed:\n{completed.stderr}")
    return int(completed.stdout.strip()) / 1024


def machine() -> str:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"{os.cpu_count()} cores{', ' + model if model else ''}; {platform.system()} {platform.machine()}; "
            f"Python {platform.python_version()}")


def load() -> str:
    try:
        return " ".join(f"{value:.2f}" for value in os.getloadavg())
    except OSError:
        return "unknown"


def row(task: str, ours: tuple, baseline: tuple, what: str) -> str:
    return (f"{task:<34} {ours[0] * 1000:>7.0f} {ours[1] * 1000:>7.0f}   {baseline[0] * 1000:>7.0f} "
            f"{baseline[1] * 1000:>7.0f}   {ours[0] / baseline[0]:>5.2f}x {ours[1] / baseline[1]:>5.2f}x  {what}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15, help="runs of each one-spec command (default 15)")
    parser.add_argument("--specs", type=int, default=1000, help="specs in the build (default 1000)")
    parser.add_argument("--build-runs", type=int, default=3, help="runs of the build and its floor (default 3)")
    parser.add_argument("--memory-specs", type=int, default=5000, help="specs in the memory build (default 5000)")
    options = parser.parse_args()
    shipgen, yamllint = str(BIN / "shipgen"), str(BIN / "yamllint")
    if not Path(yamllint).is_file():
        raise SystemExit("yamllint is not installed: .venv/bin/pip install -e '.[bench]'")
    print(f"machine: {machine()}")
    print(f"load average at the start: {load()}")
    default, compiling = environment(), environment(SHIPGEN_NO_CACHE="1")
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        one = folder / SPEC.name
        one.write_text(SPEC.read_text(encoding="utf-8"), encoding="utf-8")
        hundred = folder / "hundred"
        hundred.mkdir()
        write_specs(hundred, 100)
        yamllint_one = ([yamllint, "-d", "default", one.name], default)
        single = alternating({
            "validate": ([shipgen, "validate", one.name], default),
            "lint": ([shipgen, "lint", one.name], default),
            "lint, compiling": ([shipgen, "lint", one.name], compiling),
            "yamllint": yamllint_one,
        }, options.runs, folder)
        many = alternating({
            "lint": ([shipgen, "lint", "hundred"], default),
            "yamllint": ([yamllint, "-d", "default", "hundred"], default),
        }, max(3, options.runs // 3), folder)

        specs = folder / "specs"
        specs.mkdir()
        write_specs(specs, options.specs, ("checkout.yaml",))
        timed([shipgen, "build", "specs", "-o", "probe"], folder, default)  # warm-up; counts the documents
        documents = sum(1 for _path in (folder / "probe").rglob("*.yaml"))
        builds, floors = [], []
        for run in range(options.build_runs):
            builds.append(timed([shipgen, "build", "specs", "-o", f"out{run}"], folder, default))
            floors.append(timed([sys.executable, "-c", FLOOR_SCRIPT, "specs", str(documents)], folder, default))
        build = (statistics.median(w for w, _c in builds), statistics.median(c for _w, c in builds))
        floor = (statistics.median(w for w, _c in floors), statistics.median(c for _w, c in floors))
        cached = cached_builds(folder, shipgen, default, options.build_runs)

        memory_specs = folder / "memory-specs"
        memory_specs.mkdir()
        write_specs(memory_specs, options.memory_specs, ("checkout.yaml",))
        one_process = peak_memory_mib([shipgen, "build", "memory-specs", "-o", "memory-1", "-j", "1"], folder, default)
        with_workers = peak_memory_mib([shipgen, "build", "memory-specs", "-o", "memory-n"], folder, default)

    print(f"load average at the end:   {load()}")
    print()
    print(f"{'task':<34} {'shipgen (ms)':>15}   {'baseline (ms)':>15}   {'ratio':>12}  baseline")
    print(f"{'':<34} {'wall':>7} {'CPU':>7}   {'wall':>7} {'CPU':>7}   {'wall':>6} {'CPU':>6}")
    print(row("validate one spec", single["validate"], single["yamllint"], "yamllint on the same file"))
    print(row("lint one spec", single["lint"], single["yamllint"], "yamllint on the same file"))
    print(row("lint one spec, compiling policies", single["lint, compiling"], single["yamllint"],
              "yamllint on the same file"))
    print(row("lint 100 specs", many["lint"], many["yamllint"], "yamllint on the same folder"))
    print(row(f"cold build of {options.specs} specs", build, floor,
              f"libyaml: parse the specs, dump {documents} documents"))
    for label, figures in cached.items():
        print(row(label, figures, build, "the cold build (no cache)"))
    print()
    print(f"peak memory, cold build of {options.memory_specs} specs: {one_process:.0f} MiB in one process (-j 1); "
          f"{with_workers:.0f} MiB in its largest process with the default workers; goal < 1024 MiB")
    print()
    print(f"medians of {options.runs} alternating runs (100 specs: {max(3, options.runs // 3)}; builds: "
          f"{options.build_runs}), each command warmed up once; ratio = shipgen / baseline; goals: one spec "
          "<= 1.00x, cold build <= 2.00x, no-change rebuild <= 0.05x, one spec changed <= 0.10x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
