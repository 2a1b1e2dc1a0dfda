"""Named component registries shared by built-ins and third-party plugins.

Built-in detectors, attack strategies, eval suites, judges and model backends register
themselves with :meth:`Registry.register`; plugins register through the entry-point group
``alignloop.<kind>`` and are found the same way, so a run record can store a component's
name and arguments and rebuild exactly what ran.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from alignloop._util.errors import UserError

T = TypeVar("T")


class Registry(Generic[T]):
    """A name -> factory map for one kind of component."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._items: dict[str, T] = {}
        self._plugins_loaded = False

    def register(self, name: str) -> Callable[[T], T]:
        """Decorator that registers ``obj`` under ``name``."""

        def deco(obj: T) -> T:
            if name in self._items and self._items[name] is not obj:
                raise ValueError(f"{self.kind} {name!r} is registered twice")
            self._items[name] = obj
            return obj

        return deco

    def _load_plugins(self) -> None:
        if self._plugins_loaded:
            return
        self._plugins_loaded = True
        from importlib.metadata import entry_points

        for ep in entry_points(group=f"alignloop.{self.kind}"):
            if ep.name not in self._items:
                self._items[ep.name] = ep.load()

    def get(self, name: str) -> T:
        """Return the component named ``name`` or raise a :class:`UserError` listing the choices."""
        if name not in self._items:
            self._load_plugins()
        if name not in self._items:
            raise UserError(
                f"unknown {self.kind} {name!r}",
                hint=f"choose one of: {', '.join(sorted(self._items)) or '(none registered)'}",
            )
        return self._items[name]

    def names(self) -> list[str]:
        """All registered names, plugins included."""
        self._load_plugins()
        return sorted(self._items)

    def __contains__(self, name: object) -> bool:
        return name in self._items
