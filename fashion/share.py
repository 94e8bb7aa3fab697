"""Training settings as a link's query parameters: each setting as text and back, checked as any other.

The Train tab writes the settings it shows into the page's URL and reads them back from a link; the text,
the parsing and the checks live here, free of Streamlit. Each setting's parameter is its TrainConfig name
(`epochs=10&augment=true`), a custom design is `spec`, compact JSON of the fields that differ from the
defaults. A value that is not allowed gets a sentence and is left out, so its setting keeps its default.
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict
from typing import Any

from fashion.config import CUSTOM, Setting, TrainConfig, setting_of
from fashion.spec import CustomSpec

SPEC = "spec"           # the parameter of a custom design
TRUE, FALSE = ("true", "1", "yes", "on"), ("false", "0", "no", "off")


def link_of(config: TrainConfig, names: Iterable[str]) -> dict[str, str]:
    """The query parameters of a config's settings `names` that differ from their defaults (a link without
    them gets the defaults), and its design if it is a custom one."""
    values = {name: getattr(config, name) for name in names if getattr(config, name) != setting_of(name).default}
    return encode(values | ({SPEC: config.spec} if config.arch == CUSTOM and config.spec is not None else {}))


def encode(values: Mapping[str, Any]) -> dict[str, str]:
    """Settings (name -> value, and `spec` -> a CustomSpec) as query parameters."""
    return {name: encode_spec(value) if name == SPEC else as_text(value) for name, value in values.items()}


def as_text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, float) else str(value)      # repr gives back the same float


def encode_spec(spec: CustomSpec) -> str:
    """A design as compact JSON: only what differs from the default design, which from_dict fills in."""
    default = asdict(CustomSpec())
    changed = {name: value for name, value in asdict(spec).items() if value != default[name]}
    return json.dumps(changed, separators=(",", ":"))


def decode(params: Mapping[str, str], described: Iterable[Setting]) -> tuple[dict[str, Any], list[str]]:
    """The settings a link gives, each read as the kind of its default and checked against its bounds or
    choices (as `described`, the settings the link may set, give them), with a CustomSpec under `spec` if it
    has one; and a sentence for each value refused, which is left out. Other parameters are not looked at."""
    values, problems = {}, []
    for setting in described:
        if setting.name in params:
            try:
                values[setting.name] = parse(setting, params[setting.name])
            except ValueError as e:
                problems.append(f"The link's {setting.label.lower()} is not used, so it is "
                                f"{as_text(setting.default)}: {e}")
    if SPEC in params:
        try:
            values[SPEC] = decode_spec(params[SPEC])
        except ValueError as e:
            problems.append(f"The link's design is not used, so the builder shows the default one: {e}")
    return values, problems


def parse(setting: Setting, text: str):
    """One setting's value from its text, as the kind of its default; ValueError with a sentence if it is not
    one, or not allowed."""
    kind = type(setting.default)
    if kind is bool:
        if text.strip().lower() not in TRUE + FALSE:
            raise ValueError(f"{setting.label} is true or false, not {text!r}.")
        value = text.strip().lower() in TRUE
    elif kind in (int, float):
        try:
            value = kind(text)
        except ValueError:
            raise ValueError(f"{setting.label} must be {'a whole number' if kind is int else 'a number'}, "
                             f"not {text!r}.") from None
    else:
        value = text
    setting.check(value)
    return value


def decode_spec(text: str) -> CustomSpec:
    """A design from its JSON, held to the same bounds as a design from the builder or a file."""
    try:
        values = json.loads(text)
    except (ValueError, RecursionError):      # RecursionError: brackets nested thousands deep
        raise ValueError(f"it is not JSON: {text[:80]!r}.") from None
    return CustomSpec.from_dict(values)
