"""The pipeline: the stages in order, each handing the next a plain value.

    find specs -> load -> validate -> normalize -> facts -> [lint] -> targets -> serialize

`check_specs` runs up to normalize (what `shipgen validate` needs); `build` runs everything
and returns the files a build would write. Neither writes anything: the CLI decides whether
to write or compare. Diagnostics from every spec are collected before stopping, so a user sees
all problems at once.
"""

from __future__ import annotations

from typing import NamedTuple

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
        self.train = None  # train.Train when the build covers two or more releases (not on a cached build)
        self.cached_release_count = None  # a build from the cache (build_cache.py) lists no releases

    @property
    def diagnostics(self) -> list:
        return self.checked.diagnostics

    @property
    def release_count(self) -> int:
        if self.cached_release_count is not None:
            return self.cached_release_count
        return len(self.checked.releases)


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
    document, release, problems, _migrations = inspect_spec(path)
    return document, release, problems


def inspect_spec(path, raw: bytes | None = None, migrations=None):
    """`check_spec`, and what it read besides the spec: (document, release, diagnostics, read)
    where `read` is None when the spec's migration folder was not read, else (the folder as the
    spec names it, the files, the error). `raw` (the spec's bytes) and `migrations` (a `read` of
    an earlier call) may be given: then nothing is read again (build_cache.py, which keys its
    entries on exactly these bytes)."""
    from .load import load_spec, read_migration_folder
    from .normalize import normalize
    from .validate import validate

    document, problems = load_spec(path, raw)
    if document is None:
        return None, None, problems, None
    invalid = validate(document)
    if invalid:
        return document, None, problems + invalid, None
    relative = migration_folder(document)
    if relative is None:
        read = None
        migration_files = ()
    else:
        read = migrations if migrations is not None and migrations[0] == relative \
            else (relative, *read_migration_folder(document.path, relative))
        files, error = read[1], read[2]
        if error:
            position = document.locate(("database", "migrations", "path"))
            return document, None, [*problems, Diagnostic("SG005", "missing-path", error, document.file,
                                                          position.line, position.col,
                                                          spec_path=("database", "migrations", "path"))], read
        migration_files = tuple(files)
    release, more = normalize(document, migration_files)
    return document, release, problems + more, read


def migration_folder(document) -> str | None:
    """The migrations folder a valid spec names, or None."""
    migrations = document.data.get("database", {}).get("migrations")
    return migrations["path"] if migrations else None


def _duplicate_releases(checked: Checked) -> list:
    identities = []
    for release in checked.releases:
        position = checked.documents[release.source].locate(("metadata", "name"))
        identities.append(release_identity(release, position))
    return duplicate_releases(identities)


class Dependency(NamedTuple):
    namespace: str
    name: str


class ReleaseIdentity(NamedTuple):
    """What other releases' results depend on in a release: who it is, where its files go, what it
    depends on (`facts.dependencies.dependency_facts` reads these attributes of a release)."""

    source: str
    namespace: str
    name: str
    environment: str
    output_dir: str
    depends_on: tuple  # of Dependency
    name_line: int  # where metadata.name is, for SG006
    name_col: int


def release_identity(release, name_position) -> ReleaseIdentity:
    return ReleaseIdentity(release.source, release.namespace, release.name, release.metadata.environment,
                           release.output_dir, tuple(Dependency(item.namespace, item.name)
                                                     for item in release.depends_on),
                           name_position.line, name_position.col)


def duplicate_releases(identities) -> list:
    """SG006 for every release (a ReleaseIdentity) whose output folder an earlier one has."""
    seen: dict = {}
    problems = []
    for release in identities:
        key = release.output_dir
        if key in seen:
            problems.append(Diagnostic("SG006", "duplicate-release", f"release {release.name!r} in environment "
                                       f"{release.environment!r} is also defined in {seen[key]}",
                                       release.source, release.name_line, release.name_col,
                                       spec_path=("metadata", "name")))
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
        result.files.update(train_files(result.train))
    return result


def train_files(train) -> dict:
    """The release train's files (RELEASE-TRAIN.md, the pipelines): path relative to OUT -> bytes."""
    from .serialize import serialize
    from .train.plan import header_source
    from .train.render import train_artifacts

    return {artifact.path: serialize(artifact, header_source(train)) for artifact in train_artifacts(train)}


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

