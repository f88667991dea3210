"""Artifacts: what targets produce and `write` serializes.

A target returns data (dicts and lists) for every machine-read format and text only for
documents people read; it never formats YAML or JSON itself.
"""

from __future__ import annotations

from typing import NamedTuple

YAML = "yaml"  # content: one document (a dict)
YAML_DOCUMENTS = "yaml-documents"  # content: a list of documents, written as a YAML stream
JSON = "json"  # content: a dict or list
MARKDOWN = "markdown"  # content: text
SHELL = "shell"  # content: text starting with a #! line; written executable
TEXT = "text"  # content: text (configuration files in a platform's own syntax)
SVG = "svg"  # content: an xml.etree.ElementTree.Element (a picture)

FORMATS = (YAML, YAML_DOCUMENTS, JSON, MARKDOWN, SHELL, TEXT, SVG)


class Artifact(NamedTuple):
    path: str  # relative to the release's output folder, '/'-separated
    content: object
    format: str = YAML
