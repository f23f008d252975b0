"""Value classes without the cost of a dataclass at import.

Creating a dataclass generates and compiles its methods, about a millisecond
per class at every cold start. A ``Value`` subclass lists its fields in
``__slots__``, takes each as a keyword in ``__init__`` and marks them ``Final``
there (so mypy refuses a write, as a frozen dataclass would at run time); this
base gives it what ``@dataclass(frozen=True)`` gave: equality and hashing by
value, a readable repr, and ``replace``.
"""

from __future__ import annotations

from typing import Any, Self


class Value:
    __slots__: tuple[str, ...] = ()

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self.__slots__)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, Value)
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash((type(self), self._values()))

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__)
        return f"{type(self).__name__}({shown})"

    def replace(self, **changes: Any) -> Self:
        """A copy with some fields changed, as ``dataclasses.replace`` makes one."""
        unknown = sorted(set(changes) - set(self.__slots__))
        if unknown:
            raise TypeError(f"{type(self).__name__} has no field {', '.join(unknown)}")
        return type(self)(**{name: changes.get(name, getattr(self, name)) for name in self.__slots__})
