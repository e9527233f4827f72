"""YAML files under `rules/`, loaded as plain data that remembers its line numbers.

Every admin-edited YAML file (automations, routing, teams, queues, SLA
policies) is read through this module so that all of them report problems
the same way: `rules/automation.yaml:14: what is wrong and how to fix it`.

    doc = load_yaml(Path("rules/automation.yaml"), display="rules/automation.yaml")
    doc.data                      # plain dicts, lists, str, int, float, bool, None
    doc.where(("rules", 3, "then", 0))   # -> "rules/automation.yaml:27"
    root = doc.root()             # a Node: walk the data with type checks
    for rule in root.get("rules").as_list(): ...

YAML 1.2 rules apply (ruamel.yaml): `on`, `yes` and `no` are plain strings, not
booleans; write `true` / `false`. Duplicate keys in a mapping are an error,
not a silent "last one wins".
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.scalarbool import ScalarBoolean

from postdesk.errors import RuleError

Key = str | int
PathT = tuple[Key, ...]

_TYPE_NAMES = {
    dict: "a mapping (key: value)", list: "a list", str: "a text", bool: "true or false",
    int: "a whole number", float: "a number",
}


@dataclass(frozen=True)
class YamlDocument:
    """One parsed file: its plain data and the 1-based line of every key and list item."""

    display: str
    data: Any
    lines: Mapping[PathT, int]

    def line(self, path: PathT = ()) -> int:
        """The line of the node at `path`, or of its nearest ancestor that has one."""
        while path:
            found = self.lines.get(path)
            if found is not None:
                return found
            path = path[:-1]
        return self.lines.get((), 1)

    def where(self, path: PathT = ()) -> str:
        """`file:line` of the node at `path`."""
        return f"{self.display}:{self.line(path)}"

    def error(self, path: PathT, message: str) -> RuleError:
        """A RuleError reading `file:line: message` for the node at `path`."""
        return RuleError(f"{self.where(path)}: {message}")

    def root(self) -> Node:
        return Node(self, (), self.data)


@dataclass(frozen=True)
class Node:
    """A value inside a YamlDocument with its path; the `as_*` methods check its type."""

    doc: YamlDocument
    path: PathT
    value: Any

    @property
    def where(self) -> str:
        return self.doc.where(self.path)

    @property
    def key(self) -> Key | None:
        return self.path[-1] if self.path else None

    def error(self, message: str) -> RuleError:
        return self.doc.error(self.path, message)

    def expect(self, kind: type | tuple[type, ...], what: str | None = None) -> Any:
        """The value if it has the wanted type (bool is never an int here), else an error."""
        kinds = kind if isinstance(kind, tuple) else (kind,)
        value = self.value
        if (isinstance(value, bool) and bool not in kinds) or not isinstance(value, kinds):
            wanted = what or " or ".join(_TYPE_NAMES.get(k, k.__name__) for k in kinds)
            raise self.error(f"{self._label()} must be {wanted}, not {describe_value(value)}")
        return value

    def as_mapping(self, what: str | None = None) -> dict[str, Node]:
        """The children of a mapping, by key (keys must be text)."""
        data = self.expect(dict, what)
        children: dict[str, Node] = {}
        for key, value in data.items():
            if not isinstance(key, str):
                raise self.doc.error((*self.path, key), f"key {key!r} must be a text")
            children[key] = Node(self.doc, (*self.path, key), value)
        return children

    def as_list(self, what: str | None = None, *, allow_single: bool = False) -> list[Node]:
        """The items of a list; with allow_single a lone scalar counts as a list of one."""
        if allow_single and not isinstance(self.value, list | dict):
            return [self]
        data = self.expect(list, what)
        return [Node(self.doc, (*self.path, i), v) for i, v in enumerate(data)]

    def as_str(self, what: str | None = None) -> str:
        value: str = self.expect(str, what)
        if not value.strip():
            raise self.error(f"{self._label()} must not be empty")
        return value

    def check_keys(self, allowed: Collection[str], required: Collection[str] = ()) -> None:
        """Refuse unknown keys (with a suggestion) and missing required ones."""
        children = self.as_mapping()
        for key, child in children.items():
            if key not in allowed:
                hint = suggest(key, allowed)
                raise child.error(f"unknown key '{key}'{hint}")
        for key in required:
            if key not in children:
                raise self.error(f"{self._label()} needs the key '{key}'")

    def get(self, key: str) -> Node | None:
        """The child `key` of a mapping, or None when absent."""
        data = self.expect(dict)
        return Node(self.doc, (*self.path, key), data[key]) if key in data else None

    def _label(self) -> str:
        key = self.key
        if key is None:
            return "the file"
        return f"item {key + 1}" if isinstance(key, int) else f"'{key}'"


def suggest(word: str, known: Collection[str]) -> str:
    """` (did you mean 'x'?)` for a near miss, else an empty string."""
    close = difflib.get_close_matches(word, list(known), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def describe_value(value: Any) -> str:
    """How a wrong value reads in an error message."""
    for kind, name in (
        (bool, "true/false"), (dict, "a mapping"), (list, "a list"), (str, "a text"),
        (int, "a number"), (float, "a number"),
    ):
        if isinstance(value, kind):
            return f"{name} ({value!r})" if kind in (str, int, float, bool) else name
    return "nothing" if value is None else type(value).__name__


def load_yaml(path: Path, *, display: str | None = None) -> YamlDocument:
    """Read and parse one file; `display` is how errors name it (default: the path)."""
    label = display or str(path)
    return parse_yaml(read_rules_text(path, label), label)


def read_rules_text(path: Path, display: str) -> str:
    """A rules file's text; absent, unreadable or non-UTF-8 files raise RuleError naming
    `display` (FileNotFoundError for an absent one is its `__cause__`)."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError as error:
        raise RuleError(f"{display}: cannot read: {error.strerror or error}") from error
    except UnicodeDecodeError as error:
        raise RuleError(f"{display}:1: not UTF-8 text ({error.reason})") from None
    except OSError as error:
        raise RuleError(f"{display}: cannot read: {error.strerror or error}") from None


def parse_yaml(text: str, display: str) -> YamlDocument:
    """Parse YAML text; syntax errors and duplicate keys raise RuleError with file:line."""
    yaml = YAML(typ="rt", pure=True)
    try:
        raw = yaml.load(text)
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else 1
        problem = error.problem or error.context or "invalid YAML"
        if "duplicate key" in problem:
            problem = problem.split(" with value")[0] + "; each key may appear once"
        elif "'\\t'" in problem:
            problem = "a tab character; YAML is indented with spaces only"
        raise RuleError(f"{display}:{line}: {problem}") from None
    except YAMLError as error:
        raise RuleError(f"{display}:1: invalid YAML: {error}") from None
    lines: dict[PathT, int] = {}
    data = _plain(raw, (), lines)
    return YamlDocument(display, data, lines)


def _plain(node: Any, path: PathT, lines: dict[PathT, int]) -> Any:
    """ruamel's commented containers -> dict/list/str..., recording each child's line."""
    if isinstance(node, CommentedMap):
        lines.setdefault(path, node.lc.line + 1)
        result: dict[Any, Any] = {}
        for key, value in node.items():
            child = (*path, key)
            position = node.lc.data.get(key)
            lines[child] = (position[0] if position else node.lc.line) + 1
            result[_scalar(key)] = _plain(value, child, lines)
        return result
    if isinstance(node, CommentedSeq):
        lines.setdefault(path, node.lc.line + 1)
        items = []
        for index, value in enumerate(node):
            position = node.lc.data.get(index)
            lines[(*path, index)] = (position[0] if position else node.lc.line) + 1
            items.append(_plain(value, (*path, index), lines))
        return items
    return _scalar(node)


def _scalar(value: Any) -> Any:
    """ruamel's scalar subclasses (ScalarFloat, LiteralScalarString...) -> builtins."""
    if isinstance(value, ScalarBoolean):
        return bool(value)
    for kind in (bool, str, int, float):
        if isinstance(value, kind):
            return kind(value)
    return value
