"""Overrides: dotted paths set values before validation; problems they cause are located at the override."""
from __future__ import annotations

from pathlib import Path

import pytest

from testbed.errors import TopologyError
from testbed.topology.load import load_topology
from testbed.topology.overrides import apply_overrides, parse_assignment

LAB = """\
name: lab
nodes:
  host: {kind: netns}
  peer: {kind: netns}
links:
  - endpoints: [host:eth0, peer:eth0]
    subnet: 10.0.0.0/30
"""


@pytest.fixture
def lab(tmp_path) -> Path:
    path = tmp_path / "lab.yaml"
    path.write_text(LAB)
    return path


def problems_of(path: Path, overrides: dict) -> list[str]:
    with pytest.raises(TopologyError) as caught:
        load_topology(path, overrides)
    return caught.value.problems


def test_an_override_changes_an_existing_value(lab):
    assert load_topology(lab, {"links.0.subnet": "10.5.0.0/29"}).links[0].subnet == "10.5.0.0/29"


def test_an_override_may_set_a_field_left_at_its_default(lab):
    assert load_topology(lab, {"links.0.mtu": 1400}).links[0].mtu == 1400


def test_an_override_may_replace_a_whole_node(lab):
    topology = load_topology(lab, {"nodes.peer": {"kind": "bridge", "subnet": "10.0.0.0/24"}, "links.0.subnet": None})
    assert topology.nodes["peer"].kind == "bridge"


def test_a_path_that_does_not_exist_is_an_error(lab):
    assert problems_of(lab, {"nodes.gust.io": "event"}) == [
        "<override nodes.gust.io>: nodes.gust: does not exist in the file"]


def test_an_index_past_the_end_is_an_error(lab):
    assert problems_of(lab, {"links.3.mtu": 1400}) == [
        "<override links.3.mtu>: links: '3' is not an index of this list of 1"]


def test_a_bad_value_is_reported_at_the_override_not_the_file(lab):
    assert problems_of(lab, {"links.0.mtu": 10}) == [
        "<override links.0.mtu>: links.0.mtu: Input should be greater than or equal to 68, got 10"]


def test_an_unknown_field_set_by_override_is_reported_there(lab):
    problems = problems_of(lab, {"nodes.host.colour": "red"})
    assert problems[0].startswith("<override nodes.host.colour>: nodes.host.colour: unknown field 'colour'")


def test_static_problems_caused_by_an_override_point_at_it(lab):
    problems = problems_of(lab, {"links.0.endpoints": ["host:eth0", "host:eth1"]})
    assert problems == ["<override links.0.endpoints>: links.0.endpoints: a link from host to itself: "
                        "a link joins two different nodes"]


def test_problems_elsewhere_keep_their_file_position(lab):
    lab.write_text(LAB + "    mtu: 20\n")
    problems = problems_of(lab, {"links.0.subnet": "10.0.0.1/30"})
    assert problems == [f"{lab}:8:10: links.0.mtu: Input should be greater than or equal to 68, got 20",
                        "<override links.0.subnet>: links.0.subnet: 10.0.0.1/30 has host bits set"]


def test_apply_overrides_leaves_the_input_alone():
    data = {"nodes": {"a": {"kind": "netns"}}}
    changed, paths, problems = apply_overrides(data, {"nodes.a.kind": "bridge"})
    assert data == {"nodes": {"a": {"kind": "netns"}}}
    assert changed["nodes"]["a"]["kind"] == "bridge" and paths == [("nodes", "a", "kind")] and problems == []


@pytest.mark.parametrize("text, expected", [
    ("nodes.guest.io=event", ("nodes.guest.io", "event")),
    ("nodes.guest.memory=64", ("nodes.guest.memory", 64)),
    ("links.0.addresses=[10.0.0.1/24, null]", ("links.0.addresses", ["10.0.0.1/24", None])),
    ("nodes.guest.args=", ("nodes.guest.args", "")),
])
def test_parse_assignment_reads_values_as_yaml(text, expected):
    assert parse_assignment(text) == expected


@pytest.mark.parametrize("text", ["nodes.guest.io", "=event", "a=[1"])
def test_parse_assignment_refuses_malformed_text(text):
    with pytest.raises(ValueError):
        parse_assignment(text)
