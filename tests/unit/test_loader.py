"""Loader: good files load into frozen models, every problem is listed at once, positions and paths are exact."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from testbed.errors import TopologyError
from testbed.topology.load import load_topology
from testbed.topology.schema import BridgeNode, NetnsNode, UnikernelNode

PROBLEM_RE = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+):(?P<col>\d+): (?P<path>[\w.-]+): (?P<message>.+)$")


@pytest.fixture
def write(tmp_path):
    def write(text: str, name: str = "lab.yaml") -> Path:
        path = tmp_path / name
        path.write_text(text)
        return path
    return write


@pytest.fixture
def elf(tmp_path) -> Path:
    path = tmp_path / "images" / "app.hvt"
    path.parent.mkdir()
    path.write_bytes(b"\x7fELF" + bytes(60))
    return path


def problems_of(path: Path, overrides: dict | None = None) -> list[str]:
    with pytest.raises(TopologyError) as caught:
        load_topology(path, overrides)
    return caught.value.problems


def test_a_good_file_loads_into_its_node_kinds(write, elf):
    topology = load_topology(write(f"""\
name: lab
nodes:
  host: {{kind: netns, sysctls: {{net.ipv4.ip_forward: 1}}, routes: [{{dst: 10.9.0.0/24, via: 10.0.0.2}}]}}
  guest: {{kind: unikernel, image: {elf}, memory: 64, io: event, macs: {{service0: "02:00:00:00:00:01"}}}}
  sw: {{kind: bridge, subnet: 10.1.0.0/24}}
  peer: {{kind: netns}}
links:
  - endpoints: [host:eth0, guest:service0]
    subnet: 10.0.0.0/30
    mtu: 1400
    rate: 100mbit
  - endpoints: [host:eth1, sw:p1]
  - endpoints: [peer:eth0, sw:p2]
checks:
  - ping: {{from: host, to: guest, count: 3}}
"""))
    assert isinstance(topology.nodes["host"], NetnsNode)
    assert isinstance(topology.nodes["guest"], UnikernelNode) and topology.nodes["guest"].io == "event"
    assert isinstance(topology.nodes["sw"], BridgeNode)
    assert topology.links[0].ends[1].ifname == "service0"
    assert topology.checks[0].spec.from_ == "host"


def test_the_model_is_frozen(write):
    topology = load_topology(write("name: lab\nnodes:\n  host: {kind: netns}\n"))
    with pytest.raises(ValidationError):
        topology.nodes["host"].commands = ["true"]


def test_every_problem_is_listed_in_file_order_with_its_position(write):
    path = write("""\
name: lab
nodes:
  host: {kind: netns, colour: red}
  guest: {kind: unikernel, image: nope, memory: 1}
links:
  - endpoints: [host:eth0, guest:service0]
    mtu: 20
""")
    problems = problems_of(path)
    located = [PROBLEM_RE.match(problem) for problem in problems]
    assert all(located), problems
    assert [(m["line"], m["col"], m["path"]) for m in located] == [
        ("3", "23", "nodes.host.colour"),
        ("4", "49", "nodes.guest.memory"),
        ("7", "10", "links.0.mtu"),
    ]
    assert {m["file"] for m in located} == {str(path)}


def test_static_problems_are_all_listed_too(write):
    problems = problems_of(write("""\
name: lab
nodes:
  a: {kind: netns}
links:
  - endpoints: [a:eth0, b:eth0]
  - endpoints: [a:eth0, c:eth0]
"""))
    assert [p.split(": ")[1] for p in problems] == ["links.0.endpoints.1", "links.1.endpoints.0",
                                                     "links.1.endpoints.1"]


def test_a_clash_names_the_line_of_its_other_half(write):
    problems = problems_of(write("""\
name: lab
nodes:
  a: {kind: netns}
  b: {kind: netns}
  c: {kind: netns}
links:
  - endpoints: [a:eth0, b:eth0]
  - endpoints: [a:eth0, c:eth0]
"""))
    assert problems == [f"{problems[0].split(':')[0]}:8:17: links.1.endpoints.0: a:eth0 is already on another "
                        "link: an interface joins one link (to join more, put a bridge node between them) "
                        "(see line 7)"]


def test_a_relative_image_path_is_relative_to_the_topology_file(write, elf, monkeypatch, tmp_path):
    path = write("name: lab\nnodes:\n  guest: {kind: unikernel, image: images/app.hvt}\n")
    monkeypatch.chdir("/")
    assert load_topology(path).nodes["guest"].image == str(elf)


def test_a_missing_file_is_a_problem_not_a_crash(tmp_path):
    problems = problems_of(tmp_path / "nope.yaml")
    assert problems == [f"{tmp_path / 'nope.yaml'}: cannot read: No such file or directory"]


def test_topology_error_str_is_one_problem_per_line(write):
    with pytest.raises(TopologyError) as caught:
        load_topology(write("name: lab\nnodes:\n  a: {kind: vm}\n  b: {kind: vm}\n"))
    assert str(caught.value).splitlines() == caught.value.problems
    assert len(caught.value.problems) == 2


def test_values_merged_from_an_anchor_are_located_where_they_are_written(write):
    path = write("""\
name: lab
nodes:
  base: &netns {kind: netns, colour: red}
  other:
    <<: *netns
    commands: [true]
""")
    assert problems_of(path) == [
        f"{path}:3:30: nodes.base.colour: unknown field 'colour' (allowed: kind, sysctls, routes, commands, host)",
        f"{path}:3:30: nodes.other.colour: unknown field 'colour' (allowed: kind, sysctls, routes, commands, host)",
        f"{path}:6:16: nodes.other.commands.0: Input should be a valid string, got True",
    ]
