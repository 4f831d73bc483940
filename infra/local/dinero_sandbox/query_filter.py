"""Dinero's `queryFilter` grammar: `<Field> eq|contains '<value>'`, conditions AND-joined with `;`.

Values are matched case-insensitively (spec, "List contacts"). ASSUMPTION: a quote inside a value is written
twice (`'O''Brien'`); Dinero does not document escaping.
"""

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

_CONDITION = re.compile(r"\s*(?P<field>[A-Za-z]+)\s+(?P<operator>eq|contains)\s+'(?P<value>(?:[^']|'')*)'\s*")


class QueryFilterError(ValueError):
    pass


@dataclass(frozen=True)
class Condition:
    field: str
    operator: Literal["eq", "contains"]
    value: str  # lower case

    def matches(self, item: Mapping[str, Any]) -> bool:
        actual = _as_text(item.get(self.field)).lower()
        return actual == self.value if self.operator == "eq" else self.value in actual


def _as_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def parse_query_filter(text: str, fields: Iterable[str]) -> list[Condition]:
    """Parses a filter on the given (case-insensitive) field names; an empty filter matches everything."""
    canonical = {name.lower(): name for name in fields}
    conditions: list[Condition] = []
    position = 0
    while text.strip() and position < len(text):
        match = _CONDITION.match(text, position)
        if match is None:
            raise QueryFilterError("expected <Field> eq|contains '<value>' conditions separated by ';'")
        field = canonical.get(match["field"].lower())
        if field is None:
            raise QueryFilterError(f"cannot filter on {match['field']}; filterable: {', '.join(canonical.values())}")
        operator: Literal["eq", "contains"] = "eq" if match["operator"] == "eq" else "contains"
        conditions.append(Condition(field, operator, match["value"].replace("''", "'").lower()))
        position = match.end()
        if position < len(text):
            if text[position] != ";" or not text[position + 1 :].strip():
                raise QueryFilterError("conditions must be separated by ';'")
            position += 1
    return conditions


def matches_all(item: Mapping[str, Any], conditions: Iterable[Condition]) -> bool:
    return all(condition.matches(item) for condition in conditions)
