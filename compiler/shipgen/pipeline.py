"""The pipeline: the stages in order, each handing the next a plain value.

    find specs -> load -> validate -> normalize -> facts -> [lint] -> targets -> serialize

`check_specs` runs up to normalize (what `shipgen validate` needs); `build` runs everything
and returns the files a build would write. Neither writes anything: the CLI decides whether
to write or compare. Diagnostics from every spec are collected before stopping, so a user sees
all problems at once.
"""

from __future__ import annotations

from .diagnostics import Diagnostic, has_errors


# Plain classes, not dataclasses: importing `dataclasses` costs a run's start-up about 7 ms.


class Checked:
    """The releases that normalized, and every diagnostic on the way."""

    def __init__(self):
        self.releases: list = []
        self.documents: dict = {}  # release source file -> SpecDocument
        self.diagnostics: list = []
        self.spec_count = 0


class Build:
    def __init__(self, checked: Checked):
        self.checked = checked
        self.files: dict = {}  # path relative to OUT -> bytes
        self.lint = None  # lint.LintReport when the build was asked to lint
        self.train = None  # train.Train when the build covers two or more releases

    @property
    def diagnostics(self) -> list:
        return self.checked.diagnostics


def check_specs(arguments, exclude=(), jobs: int | None = 1) -> Checked:
    """Every spec found, loaded, validated and normalized; `jobs` as in `build`."""
    from .load import find_specs

    checked = Checked()
    paths, problems = find_specs(arguments, exclude)
    checked.diagnostics.extend(problems)
    checked.spec_count = len(paths)
    for document, release, problems in _in_order(check_spec, paths, jobs):
        checked.diagnostics.extend(problems)
        if release is not None:
            checked.releases.append(release)
            checked.documents[release.source] = document
    checked.diagnostics.extend(_duplicate_releases(checked))
    checked.diagnostics.sort(key=Diagnostic.sort_key)
    return checked


def check_spec(path):
    """(document, release, diagnostics) of one spec file; release is None when it does not normalize."""
    from .load import load_spec, read_migration_files
    from .normalize import normalize
    from .validate import validate

    document, problems = load_spec(path)
    if document is None:
        return None, None, problems
    invalid = validate(document)
    if invalid:
        return document, None, problems + invalid
    migration_files, problem = _migration_files(document, read_migration_files)
    if problem:
        return document, None, [*problems, problem]
    release, more = normalize(document, migration_files)
    return document, release, problems + more


def _migration_files(document, read_migration_files):
    migrations = document.data.get("database", {}).get("migrations")
    if not migrations:
        return (), None
    files, error = read_migration_files(document, migrations["path"])
    if error:
        position = document.locate(("database", "migrations", "path"))
        return (), Diagnostic("SG005", "missing-path", error, document.file, position.line, position.col,
                              spec_path=("database", "migrations", "path"))
    return tuple(files), None


def _duplicate_releases(checked: Checked) -> list:
    seen: dict = {}
    problems = []
    for release in checked.releases:
        key = release.output_dir
        if key in seen:
            document = checked.documents[release.source]
            position = document.locate(("metadata", "name"))
            problems.append(Diagnostic("SG006", "duplicate-release", f"release {release.name!r} in environment "
                                       f"{release.metadata.environment!r} is also defined in {seen[key]}",
                                       release.source, position.line, position.col, spec_path=("metadata", "name")))
        else:
            seen[key] = release.source
    return problems


def build(arguments, exclude=(), lint_settings=None, jobs: int | None = None) -> Build:
    """The files a build would write. With `lint_settings` the policies run first, and a
    lint problem or an error-severity finding leaves `files` empty: nothing is written.

    `jobs`: processes that load and render specs (lint runs in this one: it judges the
    releases together); None: one per CPU core when there are PARALLEL_FROM specs or more. The
    files are the same, byte for byte, whatever the number: each spec's work is a pure function of
    the spec, and results are taken in the order of the specs, not of their completion."""
    checked = check_specs(arguments, exclude, jobs)
    result = Build(checked)
    if has_errors(checked.diagnostics):
        return result
    from .facts import compute_facts
    from .train.plan import plan_train

    all_facts = {release.source: compute_facts(release) for release in checked.releases}
    result.train = plan_train(checked, facts=all_facts)
    train_warnings = []
    if result.train is not None:
        if has_errors(result.train.diagnostics):
            checked.diagnostics.extend(result.train.diagnostics)
            checked.diagnostics.sort(key=Diagnostic.sort_key)
            return result
        train_warnings = result.train.diagnostics
        if lint_settings is None:  # no lint to configure them: shown as they are
            checked.diagnostics.extend(train_warnings)
            checked.diagnostics.sort(key=Diagnostic.sort_key)
    if lint_settings is not None:
        from .lint import lint

        result.lint = lint(checked, lint_settings, all_facts, train_warnings)
        if result.lint.problems or has_errors(result.lint.findings):
            return result
    for files in _in_order(release_files, checked.releases, jobs):
        result.files.update(files)
    if result.train is not None:
        from .serialize import serialize
        from .train.plan import header_source
        from .train.render import train_artifacts

        for artifact in train_artifacts(result.train):
            result.files[artifact.path] = serialize(artifact, header_source(result.train))
    return result


def release_files(release) -> dict:
    """The files of one release: path relative to OUT -> bytes."""
    from .facts import compute_facts
    from .serialize import serialize
    from .targets import render_release

    return {f"{release.output_dir}/{artifact.path}": serialize(artifact, release.source)
            for artifact in render_release(release, compute_facts(release))}


PARALLEL_FROM = 64  # specs: below this, starting processes costs more than it saves


def _in_order(function, items: list, jobs: int | None) -> list:
    """[function(item) for item in items], in worker processes when `jobs` (see `build`) asks."""
    if jobs is None:
        jobs = _cores() if len(items) >= PARALLEL_FROM else 1
    jobs = min(jobs, len(items))
    if jobs <= 1:
        return [function(item) for item in items]
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(function, items, chunksize=max(1, len(items) // (jobs * 8))))


def _cores() -> int:
    import os

    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1

