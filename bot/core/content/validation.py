"""Turning pydantic's validation errors into sentences an admin understands, with the line."""
from __future__ import annotations

import difflib
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from bot.core.content.problems import Problem
from bot.core.content.schema import NODE_TYPES
from bot.core.content.source import Key, SourceFile

_KIND_OF = {bool: "a yes/no value", int: "a number", float: "a number", list: "a list",
            dict: "a group of keys", type(None): "nothing"}


def validate(model: type[BaseModel], source: SourceFile, data: Any) -> tuple[Any, list[Problem]]:
    """Validate `data` (the plain form of `source`) against `model`."""
    try:
        return model.model_validate(data), []
    except ValidationError as exc:
        problems = {_problem(model, source, err) for err in exc.errors()}
        return None, sorted(problems)


def _problem(model: type[BaseModel], source: SourceFile, err: Any) -> Problem:
    keys = _document_keys(source, err["loc"])
    kind, value = err["type"], err.get("input")
    # The name an admin wrote: for an item of a list ("mon": ["9-12"]) the list's key, not "0".
    field = next((str(k) for k in reversed(keys) if isinstance(k, str)), "the file")
    line = source.line(keys)
    if kind == "missing":
        return Problem(source.path, source.line(keys[:-1]) if keys else 1,
                       f"missing key '{field}'")
    if kind == "extra_forbidden":
        allowed = _allowed_keys(model, tuple(err["loc"]))
        hint = difflib.get_close_matches(field, allowed, n=1)
        suffix = f"; did you mean '{hint[0]}'?" if hint else (
            f"; allowed here: {', '.join(sorted(allowed))}" if allowed else "")
        return Problem(source.path, source.key_line(keys), f"unknown key '{field}'{suffix}")
    if kind == "string_type" and isinstance(value, float | int) and not isinstance(value, bool):
        raw = source.raw_value(keys)
        return Problem(source.path, line, f"'{field}': YAML reads {raw} as the number {value!r}, "
                       f"not as text; put it in quotes: \"{raw}\"")
    if kind == "string_type" and isinstance(value, bool):
        raw = source.raw_value(keys)
        return Problem(source.path, line, f"'{field}': YAML reads {raw} as {str(value).lower()}, "
                       f"not as text; put it in quotes: \"{raw}\"")
    if kind == "bool_type":
        return Problem(source.path, line, f"'{field}': expected true or false, got {value!r}")
    if kind in ("string_type", "int_type", "list_type", "dict_type", "model_type", "date_type",
                "model_attributes_type"):
        wanted = {"string_type": "text", "int_type": "a whole number", "list_type": "a list",
                  "dict_type": "a group of keys", "model_type": "a group of keys",
                  "model_attributes_type": "a group of keys",
                  "date_type": "a date like 2026-11-21"}[kind]
        got = _KIND_OF.get(type(value), "text")
        return Problem(source.path, line, f"'{field}': expected {wanted}, got {got}")
    if kind.startswith("date"):
        return Problem(source.path, line, f"'{field}': expected a date like 2026-11-21")
    if kind == "string_pattern_mismatch":
        return Problem(source.path, line, _pattern_message(field, value, err))
    if kind == "string_too_short":
        return Problem(source.path, line, f"'{field}' is empty")
    if kind == "too_short":
        return Problem(source.path, line, f"'{field}' needs at least one item")
    if kind == "literal_error":
        expected = err["ctx"]["expected"].replace("'", "")
        prefix = "" if value == field else f"'{field}': "  # a key itself (a weekday) is wrong
        return Problem(source.path, line, f"{prefix}{value!r} is not one of {expected}")
    if kind == "union_tag_invalid":
        return Problem(source.path, source.line((*keys, "type")),
                       f"unknown node type {err['ctx']['tag']!r}; "
                       f"expected one of {err['ctx']['expected_tags'].replace(chr(39), '')}")
    if kind == "union_tag_not_found":
        return Problem(source.path, line, "this node has no 'type' "
                       "(menu, ask, answer, branch or handoff)")
    if kind == "value_error":
        return Problem(source.path, line, str(err["msg"]).removeprefix("Value error, "))
    return Problem(source.path, line, f"'{field}': {err['msg']}")


def _pattern_message(field: str, value: Any, err: Any) -> str:
    pattern = err["ctx"]["pattern"]
    if "https?" in pattern:
        return f"'{field}': {value!r} is not a web address starting with https://"
    if pattern.startswith("^[a-z]{2,3}"):
        return f"{value!r} is not a language code like de, en or ar"
    if "[01]" in pattern:
        return f"'{field}': {value!r} is not a time range like 09:00-12:30"
    return (f"'{field}': {value!r} may use only small letters a-z, digits, '-' and '_', "
            f"and must start with a letter or digit")


def _document_keys(source: SourceFile, loc: tuple[Any, ...]) -> tuple[Key, ...]:
    """pydantic's location without the names it adds itself (union members like 'menu')."""
    keys: list[Key] = []
    node = source.data
    for index, part in enumerate(loc):
        if isinstance(node, dict) and part in node:
            keys.append(part)
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int):
            keys.append(part)
            node = node[part] if 0 <= part < len(node) else None
        elif isinstance(node, dict) and isinstance(part, str) and part not in node:
            if part == "[key]" or (part in NODE_TYPES and index < len(loc) - 1):
                continue  # pydantic's names, not the file's ('answer' last is a missing key)
            keys.append(part)  # a missing key: keep it so the message can name it
            node = None
        else:
            continue
    return tuple(keys)


def _allowed_keys(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """The keys the schema allows where the unknown key `loc[-1]` was written."""
    current: Any = model
    for part in loc[:-1]:
        current = _step_into(current, part)
    current = _resolve(current, None)
    return list(current.model_fields) if _is_model(current) else []


def _step_into(annotation: Any, part: Any) -> Any:
    """The type one step below `annotation` along pydantic's location part `part`."""
    annotation = _resolve(annotation, part)
    if _is_model(annotation):
        if part in annotation.model_fields:
            return annotation.model_fields[part].annotation
        tag = annotation.model_fields.get("type")
        return annotation if tag is not None and get_args(tag.annotation) == (part,) else None
    if get_origin(annotation) in (list, dict):
        return get_args(annotation)[-1]
    return None


def _resolve(annotation: Any, part: Any) -> Any:
    """Strip Annotated and Optional; pick the member of a tagged union that `part` names."""
    while get_origin(annotation) in (Annotated, Union, UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        tagged = [a for a in args if _is_model(a) and "type" in a.model_fields
                  and get_args(a.model_fields["type"].annotation) == (part,)]
        annotation = tagged[0] if tagged else args[0]
    return annotation


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)
