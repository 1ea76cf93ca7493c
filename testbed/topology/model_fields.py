"""topology.model_fields: which fields the model allows at a pydantic error location, to name them in messages."""
from __future__ import annotations

import types
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel

from testbed.topology.schema import Topology


def allowed_fields(loc: tuple) -> list[str]:
    """The field names (as written in YAML) of the mapping holding loc's last part; [] if not a model."""
    annotation: Any = Topology
    for part in loc[:-1]:
        annotation = _step(annotation, part)
        if annotation is None:
            return []
    model = _unwrap(annotation)
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        return []
    return [info.alias or name for name, info in model.model_fields.items()]


def _step(annotation: Any, part: str | int) -> Any:
    annotation = _unwrap(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return next((info.annotation for name, info in annotation.model_fields.items()
                     if part in (name, info.alias)), None)
    origin, args = get_origin(annotation), get_args(annotation)
    if origin in (Union, types.UnionType):
        return next((member for member in args if _kind_of(member) == part), None)
    if origin is list:
        return args[0]
    if origin is tuple and isinstance(part, int) and part < len(args):
        return args[part]
    if origin is dict:
        return args[1]
    return None


def _unwrap(annotation: Any) -> Any:
    """Strip Annotated[...] and Optional[...] down to the type that holds fields."""
    while True:
        origin, args = get_origin(annotation), get_args(annotation)
        if origin is Annotated:
            annotation = args[0]
        elif origin in (Union, types.UnionType) and type(None) in args and len(args) == 2:
            annotation = next(arg for arg in args if arg is not type(None))
        else:
            return annotation


def _kind_of(model: Any) -> str | None:
    """The tag of a discriminated-union member: its Literal `kind`."""
    if not (isinstance(model, type) and issubclass(model, BaseModel)) or "kind" not in model.model_fields:
        return None
    kind = model.model_fields["kind"].annotation
    return get_args(kind)[0] if get_origin(kind) is Literal else None
