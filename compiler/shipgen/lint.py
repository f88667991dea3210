"""The lint stage: builds each release's input document, runs the policies (`policy.py`), and
turns what they found into findings people can act on.

    input = {
      "file":       the spec file,
      "spec":       the spec as written (its paths are the paths findings name),
      "release":    the normalized model, defaults applied (camelCase keys, like the spec),
      "facts":      facts/ (migrations classified, rollout numbers, dependency graph, ...),
      "options":    policy name -> {option: value} after the config,
      "production": whether the release serves real users,
    }

Config and suppressions are applied here, centrally, after every policy has run: severity
overrides and disabled policies (`lintconfig.py`), then inline `# shipgen: ignore[...]`
directives (`suppress.py`). Every finding gets the file:line:col of the spec node its path
names (`SpecDocument.locate`), or of the SQL statement it is about.
"""

from __future__ import annotations

import datetime
import os
from typing import NamedTuple

from .diagnostics import Diagnostic
from .suppress import INVALID, UNUSED
from .train.codes import WARNINGS as TRAIN_WARNINGS

# The lint stage's own codes beside the policies': suppression findings, and the release train's
# warnings, which a build hands to lint so that the config and inline ignores apply to them.
LINT_CODES = {INVALID[0]: INVALID[1], UNUSED[0]: UNUSED[1], **TRAIN_WARNINGS}
PAIR_FIELDS = ("labels", "env", "aws", "gcp", "azure")


# LintSettings is a NamedTuple and LintReport a plain class, not dataclasses: importing
# `dataclasses` costs a run's start-up about 7 ms, and each dataclass 1.4 ms more.


class LintSettings(NamedTuple):
    policy_dirs: tuple = ()  # users' policy folders, besides those in the config
    namespaces: tuple = ()  # users' packages; default: the config's, else ("main",)
    inline_ignores: bool = True
    base: str | None = None  # git ref for "migrations changed against"
    today: datetime.date | None = None  # default: SOURCE_DATE_EPOCH, else today (UTC)
    config: object = None  # a LintConfig; default: found by walking up from the working directory


class LintReport:
    def __init__(self, findings: list | None = None, problems: list | None = None, policies: list | None = None):
        self.findings = findings if findings is not None else []  # policy findings, after config and suppressions
        self.problems = problems if problems is not None else []  # config, policy or git errors: nothing was linted
        self.policies = policies if policies is not None else []  # PolicyInfo of every policy that ran

    def __repr__(self) -> str:
        return f"LintReport(findings={self.findings!r}, problems={self.problems!r}, policies={self.policies!r})"


def today_from_environment() -> datetime.date:
    """`SOURCE_DATE_EPOCH` when set (reproducible builds), else today's date in UTC."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return datetime.datetime.fromtimestamp(int(epoch), datetime.timezone.utc).date()
    return datetime.datetime.now(datetime.timezone.utc).date()


class LintRun:
    """What one lint run evaluates every release with: the config, the policies, their options
    and the run's context (the date, the git base)."""

    def __init__(self, settings: LintSettings, config, policy_set, options: dict, context):
        self.settings, self.config, self.policy_set = settings, config, policy_set
        self.options, self.context = options, context
        self.policies = policy_set.policies
        self.field_names: dict = {}  # model_json's, shared by the releases

    @property
    def inline_ignores(self) -> bool:
        return bool(self.settings.inline_ignores and self.config.inline_ignores)


def prepare_lint(releases, settings: LintSettings = LintSettings()):
    """(LintRun, None), or (None, a LintReport of the problems) when the config, a policy or the
    git base is invalid. `releases`: the run's (only read when `settings.base` is set)."""
    from .lintconfig import check_against, effective_options, find_config, load_config
    from .policy import load_policies

    config, config_problems = (settings.config, []) if settings.config is not None \
        else load_config(find_config())
    namespaces = settings.namespaces or config.namespaces or ("main",)
    policy_set, problems = load_policies((*config.policy_dirs, *settings.policy_dirs), namespaces)
    if problems:
        return None, LintReport(problems=config_problems + problems)
    policies = policy_set.policies
    problems = config_problems + check_against(config, policies, LINT_CODES)
    if problems:
        return None, LintReport(problems=problems, policies=policies)
    context, problems = _run_context(releases, settings)
    if problems:
        return None, LintReport(problems=problems, policies=policies)
    return LintRun(settings, config, policy_set, effective_options(config, policies), context), None


def lint(checked, settings: LintSettings = LintSettings(), facts: dict | None = None,
         train_warnings: list = ()) -> LintReport:
    """Lint the releases of a `pipeline.Checked`; `facts` (release source -> Facts) may be given
    when the caller has computed them already. `train_warnings` (the release train's, see
    train/codes.py) are findings like the policies': configured severities and inline ignores apply."""
    from .facts.dependencies import dependency_facts

    run, failed = prepare_lint(checked.releases, settings)
    if failed is not None:
        return failed
    dependencies = dependency_facts(checked.releases)
    findings = []
    for release in checked.releases:
        findings.extend(release_findings(run, release, checked.documents[release.source], dependencies,
                                         (facts or {}).get(release.source)))
    findings.extend(configured(train_warnings, run.config))
    findings = _suppressed(findings, checked, run)
    findings.sort(key=Diagnostic.sort_key)
    return LintReport(findings=findings, policies=run.policies)


def release_findings(run: LintRun, release, document, dependencies: dict, release_facts=None) -> list:
    """The findings of every policy on one release, config applied, suppressions not yet.
    `dependencies`: `dependency_facts` of the run's releases."""
    from .facts import compute_facts, run_facts

    release_facts = release_facts or compute_facts(release)
    input_document = {
        "file": release.source,
        "spec": document.data,
        "release": model_json(release, run.field_names),
        "facts": run_facts(release, release_facts, run.context, dependencies),
        "options": run.options,
        "production": release.metadata.production,
    }
    findings = []
    for raw in run.policy_set.evaluate(input_document):
        finding = _finding(raw, document, run.config)
        if finding is not None:
            findings.append(finding)
    return findings


def _run_context(releases, settings: LintSettings):
    from .facts import RunContext
    from .facts.vcs import attribute_changes, git_changed_files

    today = settings.today or today_from_environment()
    if not settings.base:
        return RunContext(today), []
    changed, error = git_changed_files(settings.base)
    if error:
        return None, [Diagnostic("SG094", "invalid-base", error, ".")]
    return RunContext(today, settings.base, attribute_changes(releases, changed)), []


def _finding(raw, document, config) -> Diagnostic | None:
    from .lintconfig import severity_override

    severity = severity_override(config, raw.code, raw.name) or raw.severity
    if severity == "off":
        return None
    position = spec_position(document, raw.path)
    anchor = (document.file, position.line)
    extra = {"anchor": anchor, "title": raw.policy.title if raw.policy else ""}
    location = raw.location
    if location and location.get("file"):
        line, col = int(location.get("line", 0) or 0), int(location.get("col", 0) or 0)
        return Diagnostic(raw.code, raw.name, raw.message, str(location["file"]), line, col, severity, raw.path,
                          line, col, raw.fix, extra)
    return Diagnostic(raw.code, raw.name, raw.message, document.file, position.line, position.col, severity, raw.path,
                      position.end_line, position.end_col, raw.fix, extra)


def configured(diagnostics, config) -> list:
    """Diagnostics found outside the policies, with the configured severity ("off": dropped)."""
    from .lintconfig import severity_override

    kept = []
    for diagnostic in diagnostics:
        severity = severity_override(config, diagnostic.code, diagnostic.name) or diagnostic.severity
        if severity != "off":
            kept.append(diagnostic._replace(severity=severity))
    return kept


def spec_position(document, path: tuple):
    """Where a spec path is: its value when the spec has it, else the key of its nearest
    ancestor the spec has (a missing `readiness` points at `health:`)."""
    path = tuple(path)
    if path in document.positions:
        return document.positions[path]
    return document.locate(path, key=True)


def _suppressed(findings: list, checked, run: LintRun) -> list:
    if not run.inline_ignores:
        return findings
    known = suppression_codes(run.policies, findings)
    by_file: dict = {}
    for finding in findings:
        by_file.setdefault((finding.extra or {}).get("anchor", (finding.file,))[0], []).append(finding)
    kept = []
    for document in checked.documents.values():
        kept.extend(suppressed_in(document, by_file.pop(document.file, []), known, run.config))
    for rest in by_file.values():  # anchored in no document (never: a finding is anchored in its spec)
        kept.extend(rest)
    return kept


def suppression_codes(policies: list, findings) -> set:
    """The codes and names a directive may name: the lint stage's, every policy's, and those of
    every finding of the run (users' policies without metadata have no PolicyInfo)."""
    known = set(LINT_CODES) | set(LINT_CODES.values())
    known |= {info.code for info in policies} | {info.name for info in policies}
    known |= {finding.name for finding in findings} | {finding.code for finding in findings}
    return known


def suppressed_in(document, findings: list, known: set, config) -> list:
    """The findings anchored in one spec that its `# shipgen: ignore` directives leave, then its
    invalid and its unused directives (severity from the config). Directives in one spec cover
    only findings anchored in it, so a run's result is these lists of its specs, concatenated."""
    from .lintconfig import severity_override
    from .suppress import apply_suppressions, read_directives

    directives, problems = read_directives(document, known)
    kept, unused = apply_suppressions(findings, {document.file: directives})
    for problem in problems + unused:
        severity = severity_override(config, problem.code, problem.name) or problem.severity
        if severity != "off":
            kept.append(problem._replace(severity=severity))
    return kept


# ---------------------------------------------------------------------------- the model as JSON


def model_json(value, field_names: dict | None = None):
    """A model value as JSON data: records (the model's NamedTuples, the platform settings'
    dataclasses) become objects with camelCase keys, tuples lists, and the sorted (key, value)
    pairs of labels, env and platform settings become objects. `field_names` (class ->
    [(attribute, key)]) may be shared by calls, to work them out once."""
    if field_names is None:
        field_names = {}
    names = _record_fields(value, field_names)
    if names is not None:
        result = {}
        for name, key in names:
            content = getattr(value, name)
            if name in PAIR_FIELDS and isinstance(content, tuple):
                result[key] = {str(pair_key): model_json(entry, field_names) for pair_key, entry in content}
            elif name == "files":  # migration files: their names (the statements are in facts)
                result["files"] = [path for path, _text in content]
            else:
                result[key] = model_json(content, field_names)
        return result
    if isinstance(value, (tuple, list)):
        return [model_json(item, field_names) for item in value]
    if isinstance(value, dict):
        return {str(key): model_json(item, field_names) for key, item in value.items()}
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def _record_fields(value, field_names: dict) -> list | None:
    """[(attribute, camelCase key)] of a NamedTuple or dataclass instance, else None."""
    kind = type(value)
    names = field_names.get(kind)
    if names is not None:
        return names
    if isinstance(value, tuple) and hasattr(kind, "_fields"):
        attributes = kind._fields
    elif hasattr(kind, "__dataclass_fields__"):  # a platform's settings: their module loaded dataclasses
        import dataclasses

        attributes = [item.name for item in dataclasses.fields(value)]
    else:
        return None
    names = field_names[kind] = [(name, _camel(name)) for name in attributes]
    return names


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)
