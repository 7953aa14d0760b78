"""Reading YAML and JSON documents, and typed access to their fields: every failure is an
:class:`~routing.errors.InputError` naming the file, the place (line, node, lane) and the field."""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from ..errors import InputError
from .limits import MAX_ALIASES, MAX_DEPTH, MAX_DOCUMENT_BYTES, show


class _TooComplex(Exception):
    """A document beyond the nesting or alias budget (reported as an InputError by :func:`read_document`)."""

    def __init__(self, line: int | None, message: str) -> None:
        super().__init__(message)
        self.line = line


class _YamlLoader(yaml.SafeLoader):
    """A SafeLoader that keeps an impossible date (``2026-13-01``) as text for the field check to report,
    and refuses documents nested deeper than ``MAX_DEPTH`` or using more than ``MAX_ALIASES`` aliases
    (an "alias bomb" of a kilobyte expands to billions of nodes)."""

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        self._depth = 0
        self._aliases = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        line = self.peek_event().start_mark.line + 1
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                raise _TooComplex(line, f"more than {MAX_ALIASES} aliases (*name): not supported")
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise _TooComplex(line, f"nested more than {MAX_DEPTH} levels deep")
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_yaml_timestamp(self, node: yaml.Node) -> Any:
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError:
            return self.construct_scalar(node)


_YamlLoader.add_constructor("tag:yaml.org,2002:timestamp", _YamlLoader.construct_yaml_timestamp)


def read_document(path: Path) -> Any:
    """The parsed document (JSON for a ``.json`` path, YAML otherwise)."""
    if not path.exists():
        raise InputError(str(path), None, "file not found")
    if path.is_dir():
        raise InputError(str(path), None, "is a directory, expected a YAML or JSON file")
    if path.stat().st_size > MAX_DOCUMENT_BYTES:
        raise InputError(str(path), None, f"is larger than {MAX_DOCUMENT_BYTES // 2**20} MB")
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InputError(str(path), f"line {line}", f"not UTF-8 text (byte {data[exc.start]:#04x})") from None
    if not text.strip():
        raise InputError(str(path), None, "file is empty")
    kind = "JSON" if path.suffix.lower() == ".json" else "YAML"
    try:
        doc = json.loads(text) if kind == "JSON" else yaml.load(text, Loader=_YamlLoader)
    except _TooComplex as exc:
        raise InputError(str(path), f"line {exc.line}", f"not a supported {kind} document: {exc}") from None
    except RecursionError:
        raise InputError(str(path), None, f"not a supported {kind} document: nested more than {MAX_DEPTH} "
                                          "levels deep") from None
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        line = getattr(getattr(exc, "problem_mark", None), "line", None)
        where = f"line {line + 1}" if line is not None else None
        if isinstance(exc, json.JSONDecodeError):
            where = f"line {exc.lineno}"
        msg = str(getattr(exc, "problem", None) or getattr(exc, "msg", exc)).splitlines()[0]
        raise InputError(str(path), where, f"not valid {kind}: {msg}") from None
    if _depth(doc) > MAX_DEPTH:
        raise InputError(str(path), None, f"not a supported {kind} document: nested more than {MAX_DEPTH} "
                                          "levels deep")
    return doc


def _depth(doc: Any) -> int:
    """Nesting depth of mappings and lists (without recursion: a document may be deep). A container that
    YAML aliases share is walked again only when met deeper than before, so an alias bomb costs at most
    its containers times ``MAX_DEPTH`` visits, not its expansion."""
    deepest, stack = 0, [(doc, 1)]
    seen: dict[int, int] = {}  # id of a container walked -> the deepest level it was walked at
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if seen.get(id(item), 0) >= level:
            continue
        seen[id(item)] = level
        deepest = max(deepest, level)
        if deepest > MAX_DEPTH:
            return deepest
        stack.extend((c, level + 1) for c in children)
    return deepest


class Fields:
    """Typed access to one mapping of the file, raising InputError that names the place and field."""

    def __init__(self, source: str, where: str, data: Mapping[str, Any], allowed: set[str]) -> None:
        self.source, self.where, self.data = source, where, data
        unknown = sorted(set(data) - allowed)
        if unknown:
            self.fail(unknown[0], "unknown field")

    def fail(self, name: str, message: str) -> None:
        raise InputError(self.source, self.where, f"field '{name}': {message}")

    def string(self, name: str, default: str | None = None) -> str:
        value = self.data.get(name)
        if value is None:
            if default is None:
                self.fail(name, "is required")
            return default  # type: ignore[return-value]
        if not isinstance(value, str | int) or isinstance(value, bool) or not str(value).strip():
            self.fail(name, f"must be a non-empty string, got {show(value)}")
        return str(value).strip()

    def number(self, name: str, default: float | None = None, *, minimum: float | None = 0.0,
               positive: bool = False, maximum: float | None = None, integer: bool = False,
               nullable: bool = False) -> Any:
        if name not in self.data or self.data[name] is None:
            if name in self.data and nullable:
                return None
            return default
        value = self.data[name]
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail(name, f"must be a number, got {show(value)}")
        if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
            self.fail(name, f"must be finite, got {show(value)}")
        # compared as given: an int of 400 digits must not be turned into a float first
        if positive and value <= 0:
            self.fail(name, f"must be > 0, got {show(value)}")
        if minimum is not None and value < minimum:
            self.fail(name, f"must be >= {minimum:g}, got {show(value)}")
        if maximum is not None and value > maximum:
            self.fail(name, f"must be <= {maximum:g}, got {show(value)}")
        if integer and isinstance(value, float) and not value.is_integer():
            self.fail(name, f"must be a whole number, got {show(value)}")
        return int(value) if integer else float(value)


def parse_date(value: Any) -> dt.date:
    """A ``YYYY-MM-DD`` string or date -> ``datetime.date`` (ValueError otherwise)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value).strip())
