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


class _YamlLoader(yaml.SafeLoader):
    """A SafeLoader that keeps an impossible date (``2026-13-01``) as text for the field check to report."""

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
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InputError(str(path), f"line {line}", f"not UTF-8 text (byte {data[exc.start]:#04x})") from None
    if not text.strip():
        raise InputError(str(path), None, "file is empty")
    try:
        if path.suffix.lower() == ".json":
            return json.loads(text)
        return yaml.load(text, Loader=_YamlLoader)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        line = getattr(getattr(exc, "problem_mark", None), "line", None)
        where = f"line {line + 1}" if line is not None else None
        if isinstance(exc, json.JSONDecodeError):
            where = f"line {exc.lineno}"
        msg = str(getattr(exc, "problem", None) or getattr(exc, "msg", exc))
        raise InputError(str(path), where, f"not valid {'JSON' if path.suffix == '.json' else 'YAML'}: {msg}") from None


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
            self.fail(name, f"must be a non-empty string, got {value!r}")
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
            self.fail(name, f"must be a number, got {value!r}")
        if math.isnan(value) or math.isinf(value):
            self.fail(name, f"must be finite, got {value!r}")
        if integer and float(value) != int(value):
            self.fail(name, f"must be a whole number, got {value!r}")
        if positive and value <= 0:
            self.fail(name, f"must be > 0, got {value!r}")
        if minimum is not None and value < minimum:
            self.fail(name, f"must be >= {minimum:g}, got {value!r}")
        if maximum is not None and value > maximum:
            self.fail(name, f"must be <= {maximum:g}, got {value!r}")
        return int(value) if integer else float(value)


def parse_date(value: Any) -> dt.date:
    """A ``YYYY-MM-DD`` string or date -> ``datetime.date`` (ValueError otherwise)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value).strip())
