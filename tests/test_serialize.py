"""Serialization: strings stay strings for every YAML reader, numbers stay canonical."""

from __future__ import annotations

import io

import pytest
import yaml
from ruamel.yaml import YAML

from shipgen.serialize import dump_yaml

TRICKY_STRINGS = ["08", "09", "-012", "0o17", "0x1F", "1e3", "1_000", "0E0", ".5", "1.", "yes", "off", "~", "null",
                  "true", "1:20", "@x", "- item", "a: b", "# c", "{{ x }}", "", " padded ", "line\nbreak"]


@pytest.mark.parametrize("text", TRICKY_STRINGS)
def test_a_string_is_read_back_as_the_same_string_by_yaml_11_and_12_readers(text):
    output = dump_yaml({"value": text})
    assert yaml.safe_load(output) == {"value": text}  # YAML 1.1, as PyYAML (and go-yaml, mostly) read it
    assert YAML(typ="safe", pure=True).load(io.StringIO(output)) == {"value": text}  # YAML 1.2


def test_numbers_are_canonical():
    assert dump_yaml({"a": 0.1 + 0.2, "b": 3, "c": 99.90000000000001, "d": 1e-7}) == "a: 0.3\nb: 3\nc: 99.9\nd: 1.0e-07\n"
