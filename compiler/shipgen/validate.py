"""Validate: check a parsed spec against the published JSON Schema (`schemas/`).

Two implementations of the same Draft 2020-12 schema: jsonschema-rs decides quickly whether a
spec is valid (pre-commit runs this on every commit); only for an invalid spec is the Python
`jsonschema` loaded to explain each error (a test keeps the two in agreement).

Every error is reported, each at the node it is about (an unknown key at the key, a wrong
value at the value, a missing field at the mapping that lacks it), with a did-you-mean for
misspelt keys and enum values. The schema is the single source of truth for the spec's shape.
"""

from __future__ import annotations

import difflib
import json
from functools import lru_cache

from .diagnostics import Diagnostic, spec_path_text
from .load import SpecDocument
from .resources import release_schema_path

API_VERSION = "shipgen.dev/v1alpha1"


@lru_cache(maxsize=1)
def release_schema() -> dict:
    return json.loads(release_schema_path().read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def _fast_validator():
    """jsonschema-rs: a compiled validator that answers "valid?" in microseconds and loads fast."""
    import jsonschema_rs

    return jsonschema_rs.Draft202012Validator(release_schema())


def ecma_pattern(pattern: str) -> str:
    """A JSON Schema (ECMA-262) pattern as a Python one with the same meaning: outside a
    character class, an unescaped `$` matches only at the very end of the text (Python's `$`
    also matches before a final newline, which would let `"name\\n"` through)."""
    result, escaped, in_class = [], False, False
    for char in pattern:
        if escaped:
            result.append(char)
            escaped = False
        elif char == "\\":
            result.append(char)
            escaped = True
        elif char == "[":
            in_class = True
            result.append(char)
        elif char == "]":
            in_class = False
            result.append(char)
        elif char == "$" and not in_class:
            result.append(r"\Z")
        else:
            result.append(char)
    return "".join(result)


def _pattern(validator, pattern, instance, schema):
    """`pattern` with the spec's (ECMA-262) semantics."""
    import re

    from jsonschema.exceptions import ValidationError

    if validator.is_type(instance, "string") and not re.search(ecma_pattern(pattern), instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


@lru_cache(maxsize=1)
def _explaining_validator():
    """The reference Python implementation, whose errors carry the context the messages need,
    with `pattern` evaluated as the fast validator (and the schema's own dialect) does."""
    from jsonschema import Draft202012Validator
    from jsonschema.validators import extend

    ecma = extend(Draft202012Validator, {"pattern": _pattern})
    return ecma(release_schema())


def validate(document: SpecDocument) -> list[Diagnostic]:
    data = document.data
    header = _check_header(document)
    if header:  # a file that is not a v1alpha1 Release: its other fields mean nothing to us
        return header
    if _fast_validator().is_valid(data):  # the common case: no need to load the explaining validator
        return []
    diagnostics = []
    for error in _explaining_validator().iter_errors(data):
        diagnostics.extend(_diagnostics_for(error, document))
    if not diagnostics:  # fail closed: the validators disagree, so the fast one's verdict stands
        diagnostics = [_fast_diagnostic(error, document) for error in _fast_validator().iter_errors(data)]
    unique = {(d.line, d.col, d.message): d for d in diagnostics}
    return sorted(unique.values(), key=Diagnostic.sort_key)


def _fast_diagnostic(error, document: SpecDocument) -> Diagnostic:
    """An error only the fast validator found, at the place it names."""
    path = tuple(error.instance_path)
    position = document.locate(path)
    where = ".".join(str(part) for part in path) or "the spec"
    return Diagnostic("SG003", "schema", f"{where}: {error.message}", document.file, position.line, position.col,
                      spec_path=path, end_line=position.end_line, end_col=position.end_col)


def _check_header(document: SpecDocument) -> list[Diagnostic]:
    data = document.data
    found = []
    for key, expected in (("apiVersion", API_VERSION), ("kind", "Release")):
        value = data.get(key)
        if value == expected:
            continue
        position = document.locate((key,)) if key in data else document.locate(())
        said = f"unknown {key} {value!r}" if key in data else f"missing {key}"
        found.append(Diagnostic("SG002", "not-a-release", f"{said}: shipgen reads {key}: {expected}",
                                document.file, position.line, position.col, spec_path=(key,)))
    return found


def _diagnostics_for(error, document: SpecDocument) -> list[Diagnostic]:
    path = tuple(error.absolute_path)
    validator = error.validator
    if validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = sorted(error.schema.get("properties", {}))
        return [_unknown_key(document, path, key, allowed) for key in sorted(error.instance)
                if key not in error.schema.get("properties", {})]
    if validator in ("oneOf", "anyOf") and error.context:
        narrowed = _branch_errors(error)
        if narrowed:
            return [d for sub in narrowed for d in _diagnostics_for(sub, document)]
    message = _message(error, path)
    # a missing field is reported at the key of the mapping that lacks it
    position = document.locate(path, key=validator == "required" and bool(path))
    return [Diagnostic("SG003", "schema", message, document.file, position.line, position.col, spec_path=path,
                       end_line=position.end_line, end_col=position.end_col)]


def _unknown_key(document: SpecDocument, path: tuple, key: str, allowed: list[str]) -> Diagnostic:
    where = spec_path_text(path) or "the top level"
    message = f"unknown field '{key}' in {where}"
    suggestion = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.6)
    if suggestion:
        message += f"; did you mean '{suggestion[0]}'?"
    else:
        message += f" (allowed: {', '.join(allowed)})"
    position = document.locate(path + (key,), key=True)
    return Diagnostic("SG003", "unknown-field", message, document.file, position.line, position.col,
                      spec_path=path + (key,))


def _branch_errors(error):
    """For a value that fits none of several shapes, the errors of the shape it was meant to be.

    A branch whose `type` the value has is the one meant; when exactly one such branch exists,
    its own errors explain the problem better than "not valid under any of the given schemas".
    """
    by_branch: dict = {}
    for sub in error.context:
        by_branch.setdefault(sub.schema_path[0], []).append(sub)
    matching = [errors for errors in by_branch.values()
                if not any(e.validator == "type" and not e.relative_path for e in errors)]
    if len(matching) == 1:
        return matching[0]
    return None


def _message(error, path: tuple) -> str:
    field = spec_path_text(path) or "the spec"
    validator, schema, instance = error.validator, error.schema, error.instance
    if validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        return f"{field} is missing the required field '{missing}'"
    if validator == "enum":
        allowed = [str(v) for v in error.validator_value]
        hint = difflib.get_close_matches(str(instance), allowed, n=1, cutoff=0.6)
        message = f"{field}: {instance!r} is not one of {', '.join(allowed)}"
        return message + (f"; did you mean '{hint[0]}'?" if hint else "")
    if validator == "const":
        return f"{field} must be {error.validator_value!r}, not {instance!r}"
    if validator == "type":
        expected = error.validator_value
        expected = " or ".join(expected) if isinstance(expected, list) else expected
        return f"{field} must be {_article(expected)}, not {_json_type(instance)} {_short(instance)}"
    if validator in ("oneOf", "anyOf"):
        shapes = [_describe(branch) for branch in error.validator_value]
        return f"{field}: {_short(instance)} is not valid; expected {' or '.join(shapes)}"
    if validator == "pattern":
        description = schema.get("description", "")
        reason = f" ({description.split('. ')[0].rstrip('.')})" if description else ""
        return f"{field}: {_short(instance)} does not match {error.validator_value}{reason}"
    if validator == "format":
        return f"{field}: {_short(instance)} is not a valid {error.validator_value}"
    return f"{field}: {error.message}"


def _describe(schema: dict) -> str:
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    kind = schema.get("type", "value")
    if "pattern" in schema:
        return f"a {kind} matching {schema['pattern']}"
    if "required" in schema:
        return f"an {kind} with {', '.join(schema['required'])}" if kind == "object" else f"{kind} with {schema['required']}"
    return _article(kind)


def _article(word: str) -> str:
    return f"an {word}" if word[:1] in "aeiou" else f"a {word}"


def _json_type(value) -> str:
    for kind, name in ((bool, "boolean"), (int, "integer"), (float, "number"), (str, "string"), (list, "list"),
                       (dict, "mapping"), (type(None), "null")):
        if isinstance(value, kind):
            return name
    return type(value).__name__


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
