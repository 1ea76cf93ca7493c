"""topology.load: reads a topology file, applies overrides, validates it and runs the static checks, or says every problem."""
from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from testbed.errors import Problem, TopologyError
from testbed.topology.locator import Locator
from testbed.topology.model_errors import problems_from
from testbed.topology.overrides import apply_overrides
from testbed.topology.rules.findings import Finding
from testbed.topology.rules.static import static_findings
from testbed.topology.schema import Topology
from testbed.topology.source import YamlSource


def load_topology(path: str | Path, overrides: dict[str, object] | None = None) -> Topology:
    """The validated topology; TopologyError listing every problem as FILE:LINE:COL: path.to.field: message."""
    source = YamlSource.read(path)
    if source.data is None:
        raise TopologyError.from_problems([Problem(source.filename, None, None, "", "the file is empty")])
    data, overridden, problems = apply_overrides(source.data, overrides or {})
    if problems:
        raise TopologyError.from_problems(problems)
    locator = Locator(source, overridden)
    try:
        # Relative image paths are relative to the file, so the topology works from any directory.
        topology = Topology.model_validate(data, context={"base_dir": Path(path).absolute().parent})
    except ValidationError as exc:
        raise TopologyError.from_problems(problems_from(exc, data, locator)) from None
    findings = static_findings(topology)
    if findings:
        raise TopologyError.from_problems([_located(finding, locator) for finding in findings])
    return topology


def _located(finding: Finding, locator: Locator) -> Problem:
    message = finding.message
    if finding.see is not None:
        message += f" (see {locator.line(finding.see)})"
    return locator.problem(finding.path, message, finding.at_key)
