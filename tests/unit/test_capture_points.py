"""`capture:` in a topology: the schema (shorthands, sizes, located errors) and the capture points the lab starts
from it (which end, who captures, the monitor's flags, tb-capture's command line, the ring's file names)."""
from __future__ import annotations

import pytest

from testbed.capture.points import (
    monitor_flags,
    plan_captures,
    ring_files,
    socket_launches,
    tool_argv,
    with_monitor_flags,
)
from testbed.errors import TopologyError
from testbed.plan import planner
from testbed.topology.load import load_topology

TOPOLOGY = """\
name: cap
nodes:
  host: {kind: netns}
  peer: {kind: netns}
  guest: {kind: unikernel, image: ping-serve}
links:
  - endpoints: [host:eth0, guest:service0]
    subnet: 10.0.0.0/30
    capture: {CAPTURE_A}
  - endpoints: [host:eth1, peer:eth0]
    subnet: 10.0.1.0/30
    capture: {CAPTURE_B}
"""


def load(tmp_path, a="true", b="true"):
    path = tmp_path / "cap.yaml"
    path.write_text(TOPOLOGY.replace("{CAPTURE_A}", a).replace("{CAPTURE_B}", b))
    return load_topology(path)


def points(tmp_path, **kwargs):
    topology = load(tmp_path, **kwargs)
    plan = planner.make_plan(topology, "t1", resolve_image=lambda image: tmp_path / image)
    return plan_captures(topology, plan)


def test_the_unikernel_end_by_default_else_the_first(tmp_path):
    guest, veth = points(tmp_path)
    assert (guest.node, guest.ifname, guest.by_monitor) == ("guest", "service0", True)
    assert (veth.node, veth.ifname, veth.by_monitor, veth.namespace) == ("host", "eth1", False, "tb-t1-host")
    assert guest.path == str(tmp_path / "captures" / "t1" / "guest-service0.pcapng")  # beside the topology
    assert (guest.size, guest.files, guest.snaplen) == (16 * 1024**2, 4, 65535)


def test_at_picks_the_end_and_sizes_read_as_written(tmp_path):
    (veth,) = points(tmp_path, a="false", b="{at: peer:eth0, size: 2MB, files: 1, snaplen: 128, dir: /tmp/x}")
    assert (veth.node, veth.ifname, veth.size, veth.files, veth.snaplen) == ("peer", "eth0", 2_000_000, 1, 128)
    assert veth.path == "/tmp/x/t1/peer-eth0.pcapng"
    assert veth.label == "peer:eth0"


def test_the_monitor_gets_flags_and_the_kernel_end_a_tool(tmp_path):
    guest, veth = points(tmp_path, a="{size: 1MiB, files: 3, snaplen: 128}")
    flags = monitor_flags([guest, veth], "guest")
    assert flags == [f"--capture:service0={guest.path}", "--capture-size=1048576", "--capture-files=3",
                     "--capture-snaplen=128", "--capture-name=guest"]
    assert monitor_flags([guest, veth], "host") == []
    assert with_monitor_flags(["m", "--mem=32", "--", "img", "--ip=x"], ["--f"]) == ["m", "--mem=32", "--f", "--",
                                                                                      "img", "--ip=x"]
    (launch,) = socket_launches([guest, veth], "/bin/tb-capture")
    assert launch["node"] == "capture:host:eth1"
    assert launch["argv"] == ["/bin/tb-capture", "--netns=tb-t1-host", "--if=eth1", "--name=host:eth1", "-w",
                              veth.path, "--peer-netns=tb-t1-peer", "--peer-if=eth0", f"--size={16 * 1024**2}",
                              "--files=4", "--snaplen=65535"]


def test_tool_argv_leaves_out_what_is_not_asked():
    assert tool_argv("t", "ns", "eth0", "a:eth0", "-") == ["t", "--netns=ns", "--if=eth0", "--name=a:eth0", "-w", "-"]
    assert tool_argv("t", "ns", "e", "l", "f", count=5)[-1] == "--count=5"


def test_ring_file_names_match_the_writer():
    assert [p.name for p in ring_files("/d/x.pcapng", 3)] == ["x.0.pcapng", "x.1.pcapng", "x.2.pcapng"]
    assert [str(p) for p in ring_files("/d/x.pcapng", 1)] == ["/d/x.pcapng"]


@pytest.mark.parametrize("capture, where, message", [
    ("{at: guest:eth9}", "9:19: links.0.capture.at", "guest:eth9 is not an end of this link"),
    ("{size: 12zb}", "9:21: links.0.capture.size", "size '12zb' is not NUMBER"),
    ("{size: 100}", "9:21: links.0.capture.size", "greater than or equal to 4096"),
    ("{files: 0}", "9:22: links.0.capture.files", "greater than or equal to 1"),
    ("{files: 65}", "9:22: links.0.capture.files", "less than or equal to 64"),
    ("{snaplen: 10}", "9:24: links.0.capture.snaplen", "greater than or equal to 64"),
    ("{sise: 1MB}", "9:15: links.0.capture.sise", "did you mean 'size'"),
    ("yes please", "9:14: links.0.capture", ""),
])
def test_bad_capture_values_are_located(tmp_path, capture, where, message):
    with pytest.raises(TopologyError) as caught:
        load(tmp_path, a=capture)
    problems = "\n".join(caught.value.problems)
    assert f"cap.yaml:{where}" in problems and message in problems, problems


def test_a_shm_link_is_captured_by_the_monitor_of_its_end(tmp_path):
    path = tmp_path / "gg.yaml"
    path.write_text("name: gg\nnodes:\n  a: {kind: unikernel, image: ping-serve, io: poll}\n"
                    "  b: {kind: unikernel, image: ping-serve, io: poll}\n"
                    "links:\n  - endpoints: [a:service0, b:service0]\n    type: shm\n    capture: {at: 'b:service0'}\n")
    topology = load_topology(path)  # the capturing monitor's IO thread carries the link's frames (a mediated link)
    plan = planner.make_plan(topology, "t2", resolve_image=lambda image: tmp_path / image)
    assert [nic.name for nic in plan.monitor("b").shm_nics] == ["service0"]
    (point,) = plan_captures(topology, plan)
    assert (point.node, point.ifname, point.by_monitor) == ("b", "service0", True)
    assert monitor_flags([point], "a") == [] and monitor_flags([point], "b")[0].startswith("--capture:service0=")


def test_testbed_capture_names_a_missing_lab(tmp_path, monkeypatch, capsys):
    from testbed.cli import main

    monkeypatch.setenv("TESTBED_STATE_DIR", str(tmp_path))
    assert main(["capture", "nosuchrun", "host:eth0"]) == 1
    assert "testbed capture: no run 'nosuchrun'" in capsys.readouterr().err
