"""`testbed graph`: every link setting is drawn (rate, MTU, capture, and whatever a link carries), output is the same
on every run, names are escaped per format, and a bad topology is reported as FILE:LINE:COL with nothing printed."""
from __future__ import annotations

import json

import pytest

from testbed.cli import main

TOPOLOGY = """\
name: drawn
nodes:
  a: {kind: netns}
  b: {kind: netns}
  sw: {kind: bridge, subnet: 10.0.9.0/24}
  g: {kind: unikernel, image: ping-serve, io: poll}
links:
  - endpoints: [a:eth0, b:eth0]
    subnet: 10.0.0.0/30
    mtu: 9000
    rate: 100mbit
    capture: {files: 2, size: 1MiB}
  - endpoints: [a:eth1, sw:p1]
  - endpoints: [g:service0, sw:p2]
"""


@pytest.fixture
def topology(tmp_path):
    path = tmp_path / "drawn.yaml"
    path.write_text(TOPOLOGY)
    return path


def graph(path, fmt, capsys) -> str:
    assert main(["graph", str(path), "--format", fmt]) == 0
    return capsys.readouterr().out


def test_json_has_kinds_mechanisms_addresses_and_settings(topology, capsys):
    drawing = json.loads(graph(topology, "json", capsys))
    assert [(n["name"], n["kind"]) for n in drawing["nodes"]] == [("a", "netns"), ("b", "netns"), ("sw", "bridge"),
                                                                  ("g", "unikernel")]
    first, to_bridge, guest = drawing["links"]
    assert first["mechanism"] == "veth" and guest["mechanism"] == "tap"
    assert [e["address"] for e in first["ends"]] == ["10.0.0.1/30", "10.0.0.2/30"]
    assert to_bridge["ends"][0]["address"] == "10.0.9.1/24" and to_bridge["ends"][1]["address"] is None
    assert first["settings"]["mtu"] == 9000 and first["settings"]["rate"] == "100mbit"
    assert first["settings"]["capture"]["files"] == 2
    assert to_bridge["settings"] == {}


def test_mermaid_and_dot_label_links_with_their_settings(topology, capsys):
    mermaid = graph(topology, "mermaid", capsys)
    assert "mtu: 9000" in mermaid and "rate: 100mbit" in mermaid and "capture: size 1048576, files 2" in mermaid
    assert "dir" not in mermaid  # a folder on this machine is not part of the network
    assert mermaid.startswith("%% drawn") and "n_sw{{" in mermaid and "n_g[[" in mermaid
    dot = graph(topology, "dot", capsys)
    assert dot.startswith('graph "drawn" {') and dot.rstrip().endswith("}")
    assert '"a" -- "b"' in dot and 'taillabel="eth0 10.0.0.1/30"' in dot and "shape=hexagon" in dot


def test_a_setting_a_link_carries_is_drawn_whatever_its_name():
    from testbed.graph.model import End, GraphLink
    from testbed.graph.render import link_lines

    link = GraphLink(0, "veth", (End("a", "eth0", None), End("b", "eth0", None)),
                     {"impair": {"loss": "1%", "delay": "5ms", "seed": 7}, "future": True})
    assert link_lines(link)[2:] == ["impair: loss 1%, delay 5ms, seed 7", "future: true"]


def test_the_same_drawing_every_time(topology, capsys):
    assert graph(topology, "dot", capsys) == graph(topology, "dot", capsys)
    assert "graph" not in json.dumps(json.loads(graph(topology, "json", capsys))["links"])  # no run id in names


def test_quotes_in_names_are_escaped():
    from testbed.graph.render import _dot_text, _mermaid_text

    assert _dot_text(['say "hi"\\']) == 'say \\"hi\\"\\\\'
    assert '"' not in _mermaid_text(['say "hi"'])


def test_a_bad_topology_is_located_and_draws_nothing(tmp_path, capsys):
    path = tmp_path / "bad.yaml"
    path.write_text(TOPOLOGY.replace("capture: {files: 2, size: 1MiB}", "capture: {at: a:eth9}"))
    assert main(["graph", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert f"{path}:12:19: " in err and "links.0.capture.at: a:eth9 is not an end of this link" in err


def test_impairments_read_as_people_write_them(capsys):
    from pathlib import Path

    lossy = Path(__file__).resolve().parents[2] / "topologies" / "lossy-pair.yaml"
    drawing = graph(lossy, "mermaid", capsys)
    assert "wire" in drawing and "impair: loss 5%, delay 10ms, jitter 1ms, rate 100mbit" in drawing


@pytest.mark.parametrize("link_type, mechanism", [("shm", "shm"), ("tap", "bridge")])
def test_guest_to_guest_links_show_what_joins_them(tmp_path, capsys, link_type, mechanism):
    path = tmp_path / "gg.yaml"
    path.write_text("name: gg\nnodes:\n  a: {kind: unikernel, image: ping-serve, io: poll}\n"
                    "  b: {kind: unikernel, image: ping-serve, io: poll}\n"
                    f"links:\n  - {{endpoints: [a:service0, b:service0], subnet: 10.0.0.0/30, type: {link_type}}}\n")
    (link,) = json.loads(graph(path, "json", capsys))["links"]
    assert link["mechanism"] == mechanism
