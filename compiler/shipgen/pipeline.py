"""The pipeline: the stages in order, each handing the next a plain value.

    find specs -> load -> validate -> normalize -> facts -> [lint] -> targets -> serialize

`check_specs` runs up to normalize (what `shipgen validate` needs); `build` runs everything
and returns the files a build would write. Neither writes anything: the CLI decides whether
to write or compare. Diagnostics from every spec are collected before stopping, so a user sees
all problems at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .diagnostics import Diagnostic, has_errors


@dataclass
class Checked:
    """The releases that normalized, and every diagnostic on the way."""

    releases: list = field(default_factory=list)
    documents: dict = field(default_factory=dict)  # release source file -> SpecDocument
    diagnostics: list = field(default_factory=list)
    spec_count: int = 0


@dataclass
class Build:
    checked: Checked
    files: dict = field(default_factory=dict)  # path relative to OUT -> bytes
    lint: object = None  # lint.LintReport when the build was asked to lint
    train: object = None  # train.Train when the build covers two or more releases

    @property
    def diagnostics(self) -> list:
        return self.checked.diagnostics


def check_specs(arguments, exclude=()) -> Checked:
    from .load import find_specs, load_spec, read_migration_files
    from .normalize import normalize
    from .validate import validate

    checked = Checked()
    paths, problems = find_specs(arguments, exclude)
    checked.diagnostics.extend(problems)
    checked.spec_count = len(paths)
    for path in paths:
        document, problems = load_spec(path)
        checked.diagnostics.extend(problems)
        if document is None:
            continue
        problems = validate(document)
        checked.diagnostics.extend(problems)
        if problems:
            continue
        migration_files, problem = _migration_files(document, read_migration_files)
        if problem:
            checked.diagnostics.append(problem)
            continue
        release, problems = normalize(document, migration_files)
        checked.diagnostics.extend(problems)
        if release is not None:
            checked.releases.append(release)
            checked.documents[release.source] = document
    checked.diagnostics.extend(_duplicate_releases(checked))
    checked.diagnostics.sort(key=Diagnostic.sort_key)
    return checked


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


def build(arguments, exclude=(), lint_settings=None) -> Build:
    """The files a build would write. With `lint_settings` the policies run first, and a
    lint problem or an error-severity finding leaves `files` empty: nothing is written."""
    from .facts import compute_facts
    from .serialize import serialize
    from .targets import render_release

    checked = check_specs(arguments, exclude)
    result = Build(checked)
    if has_errors(checked.diagnostics):
        return result
    from .train import plan_train, train_artifacts

    all_facts = {release.source: compute_facts(release) for release in checked.releases}
    result.train = plan_train(checked, facts=all_facts)
    if result.train is not None:
        checked.diagnostics.extend(result.train.diagnostics)
        checked.diagnostics.sort(key=Diagnostic.sort_key)
        if has_errors(result.train.diagnostics):
            return result
    if lint_settings is not None:
        from .lint import lint

        result.lint = lint(checked, lint_settings, all_facts)
        if result.lint.problems or has_errors(result.lint.findings):
            return result
    for release in checked.releases:
        facts = all_facts[release.source]
        for artifact in render_release(release, facts):
            result.files[f"{release.output_dir}/{artifact.path}"] = serialize(artifact, release.source)
    if result.train is not None:
        from .train.plan import header_source

        for artifact in train_artifacts(result.train):
            result.files[artifact.path] = serialize(artifact, header_source(result.train))
    return result

