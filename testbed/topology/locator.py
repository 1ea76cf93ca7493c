"""topology.locator: turns a path into the data (e.g. ("nodes", "guest", "memory")) into a located Problem."""
from __future__ import annotations

from dataclasses import dataclass, field

from testbed.errors import Problem
from testbed.topology.overrides import override_label
from testbed.topology.source import DataPath, YamlSource


def dotted(path: DataPath) -> str:
    """The path as users write it in overrides: nodes.guest.memory, links.0.endpoints.1."""
    return ".".join(str(part) for part in path)


@dataclass(frozen=True)
class Locator:
    source: YamlSource
    overridden: list[DataPath] = field(default_factory=list)

    def problem(self, path: DataPath, message: str, at_key: bool = False) -> Problem:
        override = self._override_covering(path)
        if override is not None:
            return Problem(override_label(dotted(override)), None, None, dotted(path), message)
        line, col = self.source.position(path, at_key)
        return Problem(self.source.filename, line, col, dotted(path), message)

    def line(self, path: DataPath) -> str:
        """A short reference to another place, for messages such as "(first at line 7)"."""
        override = self._override_covering(path)
        if override is not None:
            return override_label(dotted(override))
        return f"line {self.source.position(path)[0]}"

    def _override_covering(self, path: DataPath) -> DataPath | None:
        """The override that set this value or one of its parents: the file says nothing about it."""
        for override in self.overridden:
            if path[: len(override)] == override:
                return override
        return None
