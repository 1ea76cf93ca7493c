"""Schema: node kinds as a discriminated union, frozen and extra=forbid models, the JSON Schema, `testbed schema`."""
from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from testbed.cli import main
from testbed.topology.schema import ENDPOINT_RE, NODE_KINDS, Topology, json_schema

PINGPAIR = {
    "name": "pingpair",
    "nodes": {"host": {"kind": "netns"},
              "guest": {"kind": "unikernel", "image": "ping-serve", "memory": 32, "io": "hypercall"}},
    "links": [{"endpoints": ["host:eth0", "guest:service0"], "subnet": "10.0.0.0/30"}],
    "checks": [{"ping": {"from": "host", "to": "guest", "count": 100, "interval": 0.01, "max_loss": 0}}],
}


def errors_of(data: dict) -> list[dict]:
    with pytest.raises(ValidationError) as caught:
        Topology.model_validate(data)
    return caught.value.errors()


def test_pingpair_validates_with_defaults_filled_in():
    topology = Topology.model_validate(PINGPAIR)
    assert topology.nodes["guest"].macs == {} and topology.links[0].mtu is None
    assert topology.checks[0].kind == "ping" and topology.checks[0].spec.count == 100


def test_the_kind_picks_the_model():
    assert [type(node).__name__ for node in Topology.model_validate(PINGPAIR).nodes.values()] == [
        "NetnsNode", "UnikernelNode"]
    assert NODE_KINDS == ("netns", "unikernel", "bridge")


def test_a_field_of_another_kind_is_refused():
    data = {"name": "x", "nodes": {"host": {"kind": "netns", "image": "ping-serve"}}}
    assert [(e["type"], e["loc"]) for e in errors_of(data)] == [
        ("extra_forbidden", ("nodes", "host", "netns", "image"))]


def test_models_are_frozen():
    topology = Topology.model_validate(PINGPAIR)
    with pytest.raises(ValidationError):
        topology.name = "other"
    with pytest.raises(ValidationError):
        topology.links[0].subnet = "10.1.0.0/30"


def test_memory_is_bounded():
    for memory in (3, 4097):
        data = {"name": "x", "nodes": {"g": {"kind": "unikernel", "image": "i", "memory": memory}}}
        assert errors_of(data)[0]["loc"] == ("nodes", "g", "unikernel", "memory")


def test_each_endpoint_is_checked_on_its_own():
    data = {**PINGPAIR, "links": [{"endpoints": ["host:eth0", "guest"]}]}
    assert errors_of(data)[0]["loc"] == ("links", 0, "endpoints", 1)


def test_a_check_has_exactly_one_kind():
    assert errors_of({**PINGPAIR, "checks": [{}]})[0]["loc"] == ("checks", 0)


def test_ping_accepts_from_as_written_in_yaml_and_by_name():
    check = {"ping": {"from_": "host", "to": "guest"}}
    assert Topology.model_validate({**PINGPAIR, "checks": [check]}).checks[0].spec.from_ == "host"


def test_a_relative_image_path_joins_the_base_dir_given_in_context(tmp_path):
    data = {"name": "x", "nodes": {"a": {"kind": "unikernel", "image": "build/a.hvt"},
                                    "b": {"kind": "unikernel", "image": "ping-serve"}}}
    nodes = Topology.model_validate(data, context={"base_dir": tmp_path}).nodes
    assert nodes["a"].image == str(tmp_path / "build/a.hvt") and nodes["b"].image == "ping-serve"


def test_json_schema_has_the_node_kinds_and_forbids_extra_fields():
    schema = json_schema()
    assert schema["title"] == "testbed topology"
    (node_schema,) = schema["properties"]["nodes"]["patternProperties"].values()
    assert set(node_schema["discriminator"]["mapping"]) == set(NODE_KINDS)
    assert schema["$defs"]["UnikernelNode"]["additionalProperties"] is False
    assert schema["$defs"]["UnikernelNode"]["properties"]["memory"]["maximum"] == 4096
    assert "from" in schema["$defs"]["PingCheck"]["properties"]


def test_schema_command_prints_the_json_schema(capsys):
    assert main(["schema"]) == 0
    assert json.loads(capsys.readouterr().out) == json.loads(json.dumps(json_schema()))


def test_json_schema_carries_the_endpoint_pattern_for_editors():
    (first, second) = json_schema()["$defs"]["Link"]["properties"]["endpoints"]["prefixItems"]
    assert first["pattern"] == second["pattern"] == ENDPOINT_RE
