"""Dependency order: the `dependsOn` graph of a build's releases, checked, and layered into waves.

A service is (namespace, name). Every `dependsOn` entry must name a service some spec of the build
defines (SG007), and the services must not depend on each other in a cycle (SG008: one error per
spec on the cycle, at the entry that continues it, naming every spec involved with its place).
Within one stage a release's wave is one more than the latest wave of the releases it depends
on in that stage (a dependency with no release in the stage is taken as running already): the
longest-path layering, so each wave holds everything whose dependencies are out.
"""

from __future__ import annotations

from ..diagnostics import Diagnostic
from ..facts.dependencies import cycle_paths


def service_key(release) -> tuple:
    return (release.namespace, release.name)


def label(key: tuple) -> str:
    return f"{key[0]}/{key[1]}"


def dependency_problems(releases, documents) -> list:
    """SG007 for each entry naming an unknown service, SG008 for each spec on a cycle."""
    keys = {service_key(release) for release in releases}
    problems = []
    edges: dict = {}
    for release in sorted(releases, key=lambda item: item.source):
        edges.setdefault(service_key(release), set())
        for index, dependency in enumerate(release.depends_on):
            target = (dependency.namespace, dependency.name)
            if target in keys:
                edges[service_key(release)].add(target)
                continue
            path = ("dependsOn", index)
            position = documents[release.source].locate(path)
            problems.append(Diagnostic(
                "SG007", "unknown-service",
                f"{label(service_key(release))} depends on {label(target)}, which no spec of this build defines: "
                "the release train cannot order it", release.source, position.line, position.col, spec_path=path,
                fix="name a service one of the specs defines (name, and namespace when it differs), or build "
                    "the spec that defines it together with this one"))
    return problems + _cycle_problems(releases, documents, {key: sorted(targets) for key, targets in edges.items()})


def _cycle_problems(releases, documents, edges: dict) -> list:
    cycles = cycle_paths(edges)
    if not cycles:
        return []
    problems = []
    reported = []
    for key in sorted(cycles):
        group, _ = cycles[key]
        if group in reported:
            continue
        reported.append(group)
        path = cycles[min(group)][1]  # a closed path from the group's first service back to it
        places = []  # (release, entry index, next service) for every spec on the cycle
        for here, following in zip(path, path[1:]):
            for release in sorted(releases, key=lambda item: item.source):
                if service_key(release) != here:
                    continue
                index = next(index for index, item in enumerate(release.depends_on)
                             if (item.namespace, item.name) == following)
                places.append((release, index, following))
        located = []
        for release, index, following in places:
            position = documents[release.source].locate(("dependsOn", index))
            located.append((release, index, following, position))
        cycle_text = " -> ".join(label(key) for key in path)
        every = "; ".join(f"{release.source}:{position.line}:{position.col} ({label(service_key(release))} "
                          f"depends on {label(following)})" for release, _, following, position in located)
        for release, index, following, position in located:
            problems.append(Diagnostic(
                "SG008", "dependency-cycle",
                f"dependency cycle {cycle_text}: no order releases these services; the specs involved: {every}",
                release.source, position.line, position.col, spec_path=("dependsOn", index),
                fix="break the loop: make one direction asynchronous, or move the shared part into a service "
                    "both depend on"))
    return problems


def waves(members_by_stage: dict) -> dict:
    """release source -> wave number (1-based), within each stage: {stage: [release, ...]}."""
    result = {}
    for stage, releases in members_by_stage.items():
        by_key: dict = {}
        for release in releases:
            by_key.setdefault(service_key(release), []).append(release)
        memo: dict = {}

        def wave_of(release):
            if release.source not in memo:
                memo[release.source] = 0  # cycles were reported before: never reached twice on a path
                needed = [other for dependency in release.depends_on
                          for other in by_key.get((dependency.namespace, dependency.name), ())]
                memo[release.source] = 1 + max((wave_of(other) for other in needed), default=0)
            return memo[release.source]

        for release in sorted(releases, key=lambda item: item.source):
            result[release.source] = wave_of(release)
    return result
