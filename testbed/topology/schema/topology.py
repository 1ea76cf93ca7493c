"""topology.schema.topology: the whole file: nodes, links, checks, traffic, sweep; its JSON Schema and error hints."""
from __future__ import annotations

from typing import Annotated

from pydantic import Field, field_validator

from testbed.topology.schema.checks import Check
from testbed.topology.schema.common import NAME_RE, Strict
from testbed.topology.schema.hosts import Hosts
from testbed.topology.schema.links import Link
from testbed.topology.schema.nodes import MEMORY_MAX_MIB, MEMORY_MIN_MIB, Node
from testbed.topology.schema.schedule import ScheduleEvent
from testbed.topology.schema.sweep import Sweep
from testbed.topology.schema.traffic import Traffic

# Added to any error about these fields: pydantic's own words don't say the unit or the form.
FIELD_HINTS = {
    "memory": f"memory is in MiB, from {MEMORY_MIN_MIB} to {MEMORY_MAX_MIB}, e.g. memory: 32",
    "endpoints": "a link joins exactly two endpoints NODE:IFNAME, e.g. [host:eth0, guest:service0]; "
                 "to join more, use a bridge node",
}



class Topology(Strict):
    """A topology file: nodes, the links between them, traffic to run and checks to judge."""

    name: str = Field(pattern=NAME_RE, description="the topology's name, shown in results")
    nodes: dict[Annotated[str, Field(pattern=NAME_RE)], Node] = Field(description="nodes by name; `kind` picks netns, "
                                                                      "unikernel or bridge")
    links: list[Link] = Field(default_factory=list, description="point-to-point links between node interfaces")
    seed: int = Field(default=0, ge=0, lt=2**64, description="of every random decision (each impaired link's default seed derives from it); sweep it to vary them")
    checks: list[Check] = Field(default_factory=list, description="judged after the traffic; any failure fails the run")
    traffic: list[Traffic] = Field(default_factory=list, description="started in order before the checks")
    schedule: list[ScheduleEvent] = Field(default_factory=list, description="timed events from the start of "
                                          "traffic: links down/up, impairment changes, nodes stopped/started")
    sweep: Sweep | None = Field(default=None,
                                description="variants for `testbed experiment` (`testbed run` ignores it)")
    hosts: Hosts = Field(default_factory=dict, description="machines the lab spans, by name (none: this machine)")

    @field_validator("nodes")
    @classmethod
    def _some_nodes(cls, value):
        if not value:
            raise ValueError("a topology needs at least one node")
        return value


def json_schema() -> dict:
    schema = Topology.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "testbed topology"
    return schema
