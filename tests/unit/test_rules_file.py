"""The generic YAML loader: plain data, line numbers, file:line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from postdesk.config.rulesfile import load_yaml, parse_yaml
from postdesk.errors import RuleError

TEXT = """\
# a comment
teams:
  hardware:
    agents:
      - alice@example.com
      - bob@example.com
  billing: {agents: [carol@example.com]}
on: yes
when: 2024-05-01
ratio: 0.5
"""


def test_data_is_plain_and_yaml_1_2() -> None:
    doc = parse_yaml(TEXT, "rules/teams.yaml")
    assert doc.data["teams"]["hardware"]["agents"] == ["alice@example.com", "bob@example.com"]
    assert type(doc.data) is dict and type(doc.data["teams"]["billing"]["agents"]) is list
    assert doc.data["on"] == "yes"  # YAML 1.2: no surprise booleans
    assert type(doc.data["ratio"]) is float


def test_every_key_and_item_has_its_line() -> None:
    doc = parse_yaml(TEXT, "rules/teams.yaml")
    assert doc.where(("teams",)) == "rules/teams.yaml:2"
    assert doc.where(("teams", "hardware", "agents", 1)) == "rules/teams.yaml:6"
    assert doc.where(("teams", "billing", "agents", 0)) == "rules/teams.yaml:7"
    assert doc.where(("ratio",)) == "rules/teams.yaml:10"
    # a path below a scalar falls back to the nearest node that has a line
    assert doc.where(("ratio", "nothing", 3)) == "rules/teams.yaml:10"


@pytest.mark.parametrize(("text", "line", "words"), [
    ("a: 1\nb: [1, 2\nc: 3\n", 3, "expected ',' or ']'"),
    ("a: 1\nb:\n  x: 1\n  x: 2\n", 4, 'duplicate key "x"'),
    ("a: 1\n\tb: 2\n", 2, "tab"),
])
def test_syntax_errors_and_duplicate_keys_name_file_and_line(text: str, line: int,
                                                              words: str) -> None:
    with pytest.raises(RuleError) as error:
        parse_yaml(text, "rules/x.yaml")
    message = str(error.value)
    assert message.startswith(f"rules/x.yaml:{line}: ")
    assert words in message


def test_type_checks_name_the_node() -> None:
    doc = parse_yaml("rules:\n  name: x\nlimit: true\n", "rules/a.yaml")
    root = doc.root()
    with pytest.raises(RuleError, match=r"^rules/a.yaml:1: 'rules' must be a list, not a mapping"):
        root.get("rules").as_list()  # type: ignore[union-attr]
    with pytest.raises(RuleError, match=r"^rules/a.yaml:3: 'limit' must be a whole number"):
        root.get("limit").expect(int)  # type: ignore[union-attr]


def test_unknown_keys_get_a_suggestion_and_missing_keys_are_named() -> None:
    root = parse_yaml("rules: []\nrulez: 1\n", "rules/a.yaml").root()
    with pytest.raises(RuleError, match=r"^rules/a.yaml:2: unknown key 'rulez' \(did you mean "
                                        r"'rules'\?\)"):
        root.check_keys(("rules", "version"))
    with pytest.raises(RuleError, match="needs the key 'version'"):
        parse_yaml("rules: []\n", "rules/a.yaml").root().check_keys(
            ("rules", "version"), required=("version",))


def test_files_that_cannot_be_read_are_rule_errors(tmp_path: Path) -> None:
    binary = tmp_path / "bad.yaml"
    binary.write_bytes(b"a: \xff\xfe\n")
    with pytest.raises(RuleError, match=r"^rules/bad.yaml:1: not UTF-8"):
        load_yaml(binary, display="rules/bad.yaml")
    with pytest.raises(RuleError, match="cannot read"):
        load_yaml(tmp_path / "missing.yaml")


def test_empty_file_is_none() -> None:
    assert parse_yaml("# nothing yet\n", "rules/a.yaml").data is None
