"""topology.schema.common: the base model, name patterns and the validators several parts of the schema share."""
from __future__ import annotations

import ipaddress
import re
from pathlib import Path
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, ValidationInfo, model_validator

NAME_RE = r"^[A-Za-z][A-Za-z0-9_-]{0,30}$"
MAC_RE = r"^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$"


class Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class FromTo(Strict):
    """Base of specs with a `from` field (a Python keyword, so `from_` in code; `from` when written out)."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True, serialize_by_alias=True)


def optional_subnet(value: str | None) -> str | None:
    """A subnet, when given, is NETWORK/PREFIX with no host bits set (shared by bridges and links)."""
    if value is not None:
        ipaddress.ip_network(value, strict=True)
    return value


def optional_address(value: str | None) -> str | None:
    """A gateway, when given, is a plain address."""
    if value is not None:
        ipaddress.ip_address(value)
    return value


class OneKind(Strict):
    """Base of an item with exactly one kind key set (a check, a traffic item): `kind` names it, `spec` is its value.

    Every field is a kind key but those in SHARED (fields every kind has, e.g. a traffic item's name)."""

    SHARED: ClassVar[tuple[str, ...]] = ()
    WHAT: ClassVar[str] = "an item"  # for the error message

    @classmethod
    def kinds(cls) -> tuple[str, ...]:
        return tuple(name for name in cls.model_fields if name not in cls.SHARED)

    @model_validator(mode="after")
    def _one_kind(self):
        if len(self._set_kinds()) != 1:
            raise ValueError(f"{self.WHAT} has exactly one kind, one of: {', '.join(self.kinds())}")
        return self

    def _set_kinds(self) -> list[str]:
        return [name for name in self.kinds() if getattr(self, name) is not None]

    @property
    def kind(self) -> str:
        return self._set_kinds()[0]

    @property
    def spec(self):
        return getattr(self, self.kind)


def beside_topology(path: str, info: ValidationInfo) -> str:
    """A relative path is relative to the topology file (as in containerlab), not to the caller's cwd."""
    base_dir = (info.context or {}).get("base_dir")
    if base_dir is not None and not Path(path).is_absolute():
        return str(Path(base_dir, path))
    return path


def check_regex(pattern: str) -> None:
    try:
        re.compile(pattern)
    except re.error as exc:  # not a ValueError: pydantic would let it escape as a crash
        raise ValueError(f"not a regular expression: {exc}") from None
