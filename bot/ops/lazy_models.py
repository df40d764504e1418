"""aiogram's pydantic models built on first use instead of at import (issue 18; aiogram issue
#1513): `import aiogram` otherwise costs about 155 MB and 2 s of CPU on the machine of
BENCHMARKS.md, and the bot uses a few dozen of its several hundred models.

Two things make the import eager. `aiogram/types/__init__.py` ends in a loop that calls
`model_rebuild(_types_namespace=...)` on every type, which builds every validator although
`TelegramObject` sets `defer_build=True`; the types need the loop only because their modules import
the types their fields name under `TYPE_CHECKING`, so only the loop's namespace can resolve those
names. And `TelegramMethod` does not defer at all: each method model builds its validator when its
class is defined.

`install()`, called by `bot/__init__.py` before anything imports aiogram, hooks the import of two
modules (a finder on `sys.meta_path` that wraps their loaders): while `aiogram.types` runs, the
loop's calls are skipped and the namespace they carry is kept; when it has run, every
`aiogram.types.*` module gets the names of that namespace it does not define itself
(`setdefault`: nothing a module defines changes), so pydantic's own deferred build resolves the
forward references wherever a model is first used (on its own or inside another model). After
`aiogram.methods.base` has run, `TelegramMethod`'s config gets `defer_build=True`, which every
method class inherits.

It does nothing (the normal, eager import) for an aiogram or pydantic version other than those
tested (`TESTED`, pinned in pyproject.toml) or when aiogram has been imported already, and says so
with a warning; if aiogram's loop changes shape the calls are not recognised and run as they
would. `tests/test_lazy_models.py` fails when the shim stops taking effect or a model the bot uses
no longer validates and serialises through it."""
from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.metadata
import sys
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from pydantic import BaseModel

TESTED = {"aiogram": "3.31.0", "pydantic": "2.13.5"}
TYPES = "aiogram.types"
METHODS_BASE = "aiogram.methods.base"


@dataclass
class Effect:
    """What the shim did in this process (read by its tests)."""

    installed: bool = False
    why_not: str | None = None
    deferred: list[str] = field(default_factory=list)
    """The types whose rebuild at import was skipped."""
    namespace: Mapping[str, Any] | None = None
    methods_deferred: bool = False


effect = Effect()


def install() -> Effect:
    """Hook aiogram's import (idempotent). Falls back to the normal import, with a warning, where
    the versions are not the tested ones or aiogram is already imported."""
    if effect.installed or effect.why_not is not None:
        return effect
    effect.why_not = _why_not()
    if effect.why_not is not None:
        warnings.warn(f"aiogram's models are built at import: {effect.why_not}", stacklevel=2)
        return effect
    sys.meta_path.insert(0, _Finder({TYPES: (_skip_rebuilds, _lend_namespace),
                                     METHODS_BASE: (_nothing, _defer_methods)}))
    effect.installed = True
    return effect


def _why_not() -> str | None:
    if "aiogram" in sys.modules:
        return "aiogram was imported before the shim"
    for name, version in TESTED.items():
        found = importlib.metadata.version(name)
        if found != version:
            return f"{name} {found} is not the version the shim is tested with ({version})"
    return None


Hook = Callable[[ModuleType], None]


class _Finder(importlib.abc.MetaPathFinder):
    """Finds the hooked modules as the other finders would, with their loader wrapped."""

    def __init__(self, hooks: dict[str, tuple[Hook, Hook]]) -> None:
        self.hooks = hooks

    def find_spec(self, fullname: str, path: Sequence[str] | None,
                  target: ModuleType | None = None) -> importlib.machinery.ModuleSpec | None:
        if fullname not in self.hooks:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path, target)
        if spec is None or spec.loader is None:
            return None
        before, after = self.hooks.pop(fullname)
        spec.loader = _Loader(spec.loader, before, after)
        return spec


class _Loader(importlib.abc.Loader):
    def __init__(self, loader: Any, before: Hook, after: Hook) -> None:
        self.loader, self.before, self.after = loader, before, after

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self.loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        self.before(module)
        try:
            self.loader.exec_module(module)
        finally:
            _restore_rebuild()
        self.after(module)


_original_rebuild = BaseModel.__dict__["model_rebuild"]


def _skip_rebuilds(module: ModuleType) -> None:
    """While `aiogram.types` runs: its own module-level calls to `model_rebuild` with a types
    namespace are skipped and the namespace kept; every other call runs as usual."""
    rebuild = _original_rebuild.__func__

    def model_rebuild(cls: type[BaseModel], /, **arguments: Any) -> bool | None:
        caller = sys._getframe(1).f_globals.get("__name__")
        if caller == TYPES and set(arguments) == {"_types_namespace"}:
            effect.namespace = arguments["_types_namespace"]
            effect.deferred.append(cls.__name__)
            return None
        return rebuild(cls, **arguments)

    BaseModel.model_rebuild = classmethod(model_rebuild)  # type: ignore[assignment,method-assign]


def _restore_rebuild() -> None:
    BaseModel.model_rebuild = _original_rebuild  # type: ignore[method-assign]


def _lend_namespace(package: ModuleType) -> None:
    """Each `aiogram.types.*` module gets the names of the loop's namespace it lacks."""
    if effect.namespace is None:
        warnings.warn("aiogram.types no longer rebuilds its models with a types namespace: "
                      "the shim left its import as it was", stacklevel=2)
        return
    prefix = package.__name__ + "."
    for name, module in list(sys.modules.items()):
        if name.startswith(prefix) and module is not None:
            for key, value in effect.namespace.items():
                module.__dict__.setdefault(key, value)


def _nothing(module: ModuleType) -> None:
    pass


def _defer_methods(module: ModuleType) -> None:
    """Every method class defined from now on inherits `defer_build=True`."""
    module.TelegramMethod.model_config["defer_build"] = True
    effect.methods_deferred = True
