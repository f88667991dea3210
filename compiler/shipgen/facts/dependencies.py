"""Dependency facts: the `dependsOn` graph across the release specs given to one run.

A dependency is *known* when one of the specs is that service (same name and namespace,
whatever its environment); a *cycle* is a strongly connected group of services that depend on
each other, found with Tarjan's algorithm, and reported as the path that closes it.
"""

from __future__ import annotations


def dependency_facts(releases) -> dict:
    """release source -> {"graph_size": ..., "dependencies": [...]}, one entry per release."""
    keys = {(release.namespace, release.name) for release in releases}
    edges: dict = {}
    for release in releases:
        key = (release.namespace, release.name)
        edges.setdefault(key, [])
        for dependency in release.depends_on:
            target = (dependency.namespace, dependency.name)
            if target in keys and target not in edges[key]:
                edges[key].append(target)
    cycles = cycle_paths(edges)
    facts = {}
    for release in releases:
        key = (release.namespace, release.name)
        items = []
        for index, dependency in enumerate(release.depends_on):
            target = (dependency.namespace, dependency.name)
            group, path = cycles.get(key, (set(), []))
            cycle = path if target in group else []
            labels = [_label(part, release.namespace) for part in cycle]
            items.append({"name": dependency.name, "namespace": dependency.namespace, "path": ["dependsOn", index],
                          "label": _label(target, release.namespace), "known": target in keys,
                          "cycle": labels, "cycle_text": " -> ".join(labels)})
        facts[release.source] = {"graph_size": len(keys), "dependencies": items}
    return facts


def _label(key: tuple, namespace: str) -> str:
    return key[1] if key[0] == namespace else f"{key[0]}/{key[1]}"


def cycle_paths(edges: dict) -> dict:
    """node -> (its strongly connected group, a closed path through it from node back to node),
    for every node in a group of two or more, or with an edge to itself."""
    index: dict = {}
    low: dict = {}
    stack: list = []
    on_stack: set = set()
    groups: list = []
    counter = [0]

    def visit(node):  # the graphs are a handful of services: recursion depth is no concern
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for target in sorted(edges.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            groups.append(set(group))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    paths = {}
    for group in groups:
        if len(group) == 1:
            (node,) = group
            if node in edges.get(node, ()):
                paths[node] = (group, [node, node])
            continue
        for node in group:
            paths[node] = (group, _path_within(node, group, edges))
    return paths


def _path_within(start, group: set, edges: dict) -> list:
    """The shortest path from start back to start inside its group (breadth first)."""
    previous = {start: None}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for target in sorted(edges.get(node, ())):
            if target == start:
                chain = [node]
                while previous[chain[-1]] is not None:
                    chain.append(previous[chain[-1]])
                return list(reversed(chain)) + [start]
            if target in group and target not in previous:
                previous[target] = node
                queue.append(target)
    return [start, start]
