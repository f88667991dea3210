"""Generate the README's spec reference from the published JSON Schema.

    python tools/spec_reference.py          rewrite the section between the README markers
    python tools/spec_reference.py --check  exit 1 if the README is out of date (CI and tests)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = ROOT / "schemas" / "release-v1alpha1.schema.json"
README = ROOT / "README.md"
START, END = "<!-- spec-reference:start -->", "<!-- spec-reference:end -->"


def rows(schema: dict, node: dict, path: str = "") -> list:
    """(field, type, default, description) for every field, depth first, in schema order."""
    node = _resolve(schema, node)
    found = []
    for key, child in node.get("properties", {}).items():
        field = f"{path}.{key}" if path else key
        resolved = _resolve(schema, child)
        description = child.get("description") or resolved.get("description", "")
        found.append((field, _type(schema, resolved), resolved.get("default", child.get("default")), description))
        found.extend(rows(schema, resolved, field))
        items = resolved.get("items")
        if isinstance(items, dict):
            item = _resolve(schema, items)
            if "properties" in item:
                found.extend(rows(schema, item, f"{field}[]"))
            for branch in item.get("oneOf", []):
                found.extend(rows(schema, branch, f"{field}[]"))
        for branch in resolved.get("oneOf", []):
            if "properties" in _resolve(schema, branch):
                found.extend(rows(schema, branch, field))
    return found


def _resolve(schema: dict, node: dict) -> dict:
    while "$ref" in node:
        node = {**schema["$defs"][node["$ref"].rsplit("/", 1)[-1]], **{k: v for k, v in node.items() if k != "$ref"}}
    return node


def _type(schema: dict, node: dict) -> str:
    if "enum" in node:
        return " \\| ".join(f"`{value}`" for value in node["enum"])
    if "const" in node:
        return f"`{json.dumps(node['const'])}`"
    if "oneOf" in node:
        return " or ".join(_type(schema, _resolve(schema, branch)) for branch in node["oneOf"])
    kind = node.get("type", "")
    if kind == "array":
        items = node.get("items", {})
        return f"list of {_type(schema, _resolve(schema, items))}" if items else "list"
    if kind == "object" and "properties" not in node and "additionalProperties" in node:
        return "map"
    if "pattern" in node and kind == "string":
        return "string (pattern)"
    return kind or "any"


def render() -> str:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    lines = [START, "", "| Field | Type | Default | Description |", "|---|---|---|---|"]
    seen = set()
    for field, kind, default, description in rows(schema, schema):
        if field in seen:
            continue
        seen.add(field)
        shown = "" if default is None else f"`{json.dumps(default)}`"
        text = " ".join(description.split()).replace("|", "\\|")
        lines.append(f"| `{field}` | {kind} | {shown} | {text} |")
    lines += ["", END]
    return "\n".join(lines)


def updated_readme() -> str:
    text = README.read_text(encoding="utf-8")
    before, _, rest = text.partition(START)
    _, _, after = rest.partition(END)
    return before + render() + after


def main(arguments) -> int:
    new = updated_readme()
    if "--check" in arguments:
        if new != README.read_text(encoding="utf-8"):
            print("README.md's spec reference is out of date: run python tools/spec_reference.py", file=sys.stderr)
            return 1
        return 0
    README.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
