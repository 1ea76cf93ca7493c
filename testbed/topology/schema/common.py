"""topology.schema.common: the base model, name patterns and the validators several parts of the schema share."""
from __future__ import annotations

import ipaddress
import re

from pydantic import BaseModel, ConfigDict

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


def set_kinds(model: BaseModel, kinds) -> list[str]:
    """The kind keys an item has set (one-of-several models: checks, traffic items)."""
    return [name for name in kinds if getattr(model, name) is not None]


def require_one_kind(model: BaseModel, kinds, what: str) -> None:
    if len(set_kinds(model, kinds)) != 1:
        raise ValueError(f"{what} has exactly one kind, one of: {', '.join(kinds)}")


def check_regex(pattern: str) -> None:
    try:
        re.compile(pattern)
    except re.error as exc:  # not a ValueError: pydantic would let it escape as a crash
        raise ValueError(f"not a regular expression: {exc}") from None
