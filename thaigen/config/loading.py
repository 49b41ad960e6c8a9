"""Loading a build configuration: YAML files, embedded recipes and overrides merged, then validated once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from thaigen.config.recipes import RECIPES
from thaigen.config.schema import (
    DEFAULT_DET_RECIPE,
    DEFAULT_RECIPE,
    TASKS,
    AugmentConfig,
    BackgroundConfig,
    FontsConfig,
    FrameConfig,
    GenConfig,
    PageConfig,
    RenderConfig,
    StyleConfig,
)
from thaigen.errors import ConfigError, did_you_mean

WEIGHTS = ("sources", "presets", "kinds", "layouts", "focus_characters")
"""Mappings of relative weights: a config file's replaces the recipe's instead of merging into it."""

SECTIONS: dict[str, type[BaseModel]] = {
    "fonts": FontsConfig,
    "render": RenderConfig,
    "style": StyleConfig,
    "background": BackgroundConfig,
    "frame": FrameConfig,
    "augment": AugmentConfig,
    "page": PageConfig,
}
"""Nested sections: a recipe's or file's partial section is merged over the section's defaults."""


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Deep-merge `override` into a copy of `base` (mappings merge, everything else replaces)."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict) and key not in WEIGHTS:
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _keys_at(location: tuple[int | str, ...]) -> list[str]:
    """The keys GenConfig accepts beside the one at `location` ([] where that is not a section of fields)."""
    model: type[BaseModel] = GenConfig
    for part in location[:-1]:
        field = model.model_fields.get(str(part))
        inner = field.annotation if field else None
        if not (isinstance(inner, type) and issubclass(inner, BaseModel)):
            return []
        model = inner
    return list(model.model_fields)


def _describe(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    if first["type"] == "extra_forbidden":
        return f"unknown config key '{where}'{did_you_mean(str(first['loc'][-1]), _keys_at(first['loc']))}"
    message = first["msg"].removeprefix("Value error, ")
    return f"{where}: {message}" if where else message


def read_yaml(path: Path) -> dict[str, Any]:
    """Read a YAML config file into a mapping, with one-line errors."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}") from None
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror or exc}") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        start = exc.context_mark
        opened = f" at {start.line + 1}:{start.column + 1}" if start and exc.context else ""
        context = f" ({exc.context}{opened})" if exc.context else ""
        raise ConfigError(f"{where}: not valid YAML: {exc.problem}{context}") from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ConfigError(f"config file {path} is not valid YAML: {str(exc).splitlines()[0]}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"config file {path} must hold a mapping of keys, not {type(data).__name__}")
    return data


def make_config(
    recipe: str | None = None, file_values: dict[str, Any] | None = None, **overrides: Any
) -> GenConfig:
    """Build a GenConfig: recipe defaults, then the config file's values, then explicit overrides.

    Raises:
        ConfigError: unknown recipe, unknown key, or an invalid value (the message names it).
    """
    values = dict(file_values or {})
    name = recipe if recipe is not None else values.get("recipe")
    task = overrides.get("task") or values.get("task")
    if task is not None and task not in TASKS:
        raise ConfigError(f"task: must be one of {', '.join(TASKS)}, not {task!r}")
    if name is None:
        name = DEFAULT_DET_RECIPE if task == "det" else DEFAULT_RECIPE
    known = ", ".join(sorted(RECIPES))
    if not isinstance(name, str):
        raise ConfigError(f"recipe: must be a recipe name, not {type(name).__name__}; known: {known}")
    if name not in RECIPES:
        raise ConfigError(f"unknown recipe '{name}'; known: {known}")
    recipe_task = RECIPES[name].get("task", "rec")
    if task is not None and task != recipe_task:
        raise ConfigError(
            f"recipe '{name}' makes {recipe_task} data, not {task}; {task} recipes: "
            + ", ".join(sorted(n for n, r in RECIPES.items() if r.get("task", "rec") == task))
        )
    defaults = {key: model().model_dump() for key, model in SECTIONS.items()}
    merged = _merge(_merge(_merge(defaults, RECIPES[name]), values), {k: v for k, v in overrides.items() if v is not None})
    merged["recipe"] = name
    try:
        return GenConfig.model_validate(merged)
    except ValidationError as exc:
        raise ConfigError(_describe(exc)) from None


def load_config(path: Path | None = None, recipe: str | None = None, **overrides: Any) -> GenConfig:
    """Load a YAML config (optional) over a recipe, with keyword overrides (None means unset)."""
    return make_config(recipe, read_yaml(path) if path else None, **overrides)


def resolve_paths(config: GenConfig) -> GenConfig:
    """The config with every path in it (fonts, backgrounds, corpus files, dictionary) made absolute against the
    current folder, for a process that runs in another one."""

    def absolute(value: Any) -> Any:
        if isinstance(value, Path):
            return value.resolve()
        if isinstance(value, dict):
            return {key: absolute(item) for key, item in value.items()}
        if isinstance(value, (list, tuple)):
            return type(value)(absolute(item) for item in value)
        return value

    return GenConfig.model_validate(absolute(config.model_dump()))
