"""sleep / halt_poll_ns: a unikernel's way of sleeping reaches its monitor as --sleep=hlt [--halt-poll-ns=N]; bad
values, and hlt where its wakes cannot arrive (io: hypercall, a direct shm link end), are refused at load in place."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from testbed.errors import TopologyError
from testbed.experiment.run import plan as experiment_plan
from testbed.plan import planner
from testbed.topology.load import load_topology

HOST_GUEST = """\
name: t
nodes:
  h: {kind: netns}
  g: {kind: unikernel, image: udp-sink, GUEST}
links:
  - {endpoints: [h:e0, g:service0]}
"""
GUEST_PAIR = """\
name: t
nodes:
  a: {kind: unikernel, image: ping-guest, io: event, A}
  b: {kind: unikernel, image: ping-serve, io: event, B}
links:
  - {endpoints: [a:service0, b:service0], subnet: 10.9.0.0/24, LINK}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "t.yaml"
    path.write_text(text)
    return path


def host_guest(tmp_path: Path, guest: str) -> Path:
    """The guest in event mode unless `guest` names its io."""
    guest = guest if "io:" in guest else f"io: event, {guest}"
    return write(tmp_path, HOST_GUEST.replace("GUEST", guest).replace(", }", "}"))


def guest_pair(tmp_path: Path, a: str = "", b: str = "", link: str = "type: shm") -> Path:
    text = GUEST_PAIR.replace("A}", f"{a}}}").replace("B}", f"{b}}}").replace("LINK", link)
    return write(tmp_path, text.replace(", }", "}"))


def argv(path: Path, node: str) -> list[str]:
    plan = planner.make_plan(load_topology(path), "sl", resolve_image=lambda name: Path("/img.hvt"))
    return plan.monitor(node).argv("/bin/tb-monitor", "/s.json")


def problems(path: Path, overrides: dict | None = None) -> list[str]:
    with pytest.raises(TopologyError) as caught:
        load_topology(path, overrides)
    return caught.value.problems


def test_hlt_and_its_polling_window_become_the_monitor_flags(tmp_path):
    flags = argv(host_guest(tmp_path, "sleep: hlt, halt_poll_ns: 200000"), "g")
    assert flags.index("--sleep=hlt") < flags.index("--halt-poll-ns=200000") < flags.index("--")


def test_hlt_without_a_window_leaves_kvm_its_default(tmp_path):
    flags = argv(host_guest(tmp_path, "sleep: hlt"), "g")
    assert "--sleep=hlt" in flags and not any(f.startswith("--halt-poll-ns") for f in flags)


@pytest.mark.parametrize("guest", ["", "sleep: exit"])
def test_exit_is_the_monitors_default_and_left_unsaid(tmp_path, guest):
    flags = argv(host_guest(tmp_path, guest), "g")
    assert not any(f.startswith(("--sleep", "--halt-poll-ns")) for f in flags)


def test_the_plan_carries_the_setting(tmp_path):
    plan = planner.make_plan(load_topology(host_guest(tmp_path, "sleep: hlt, halt_poll_ns: 0")), "sl",
                             resolve_image=lambda name: Path("/img.hvt"))
    dumped = plan.model_dump(mode="json")["monitors"][0]
    assert (dumped["sleep"], dumped["halt_poll_ns"]) == ("hlt", 0)
    assert type(plan).model_validate(plan.model_dump(mode="json")) == plan  # a lab's saved plan reads back


@pytest.mark.parametrize("guest, column, message", [
    ("sleep: nap", "59", "nodes.g.sleep: Input should be 'exit' or 'hlt'"),
    ("sleep: hlt, io: hypercall", "48", ("nodes.g.sleep: hlt needs io: poll, event or hybrid (this node has io: "
                                         "hypercall), or sleep: exit")),
    ("halt_poll_ns: 200000", "66", "nodes.g.halt_poll_ns: KVM polls only for a halted guest: add sleep: hlt"),
    ("sleep: exit, halt_poll_ns: 1", "79", "nodes.g.halt_poll_ns: KVM polls only for a halted guest"),
    ("sleep: hlt, halt_poll_ns: -1", "78", "nodes.g.halt_poll_ns: Input should be greater than or equal to 0"),
    ("sleep: hlt, halt_poll_ns: 100000001", "78", ("nodes.g.halt_poll_ns: Input should be less than or equal to "
                                                   "100000000")),
])
def test_bad_settings_are_refused_at_file_line_col(tmp_path, guest, column, message):
    path = host_guest(tmp_path, guest)
    (problem,) = problems(path)
    assert problem.startswith(f"{path}:4:{column}: {message}"), problem


def test_a_direct_shm_link_end_cannot_sleep_halted(tmp_path):
    path = guest_pair(tmp_path, b="sleep: hlt")
    (problem,) = problems(path)
    assert re.match(rf"{re.escape(str(path))}:4:\d+: nodes\.b\.sleep: hlt does not work on b:service0, a direct end "
                    r"of an shm link .* \(see line 6\)$", problem), problem


def test_a_link_that_becomes_shm_by_default_is_checked_too(tmp_path):
    (problem,) = problems(guest_pair(tmp_path, a="sleep: hlt", link="mtu: 1500"))
    assert "nodes.a.sleep: hlt does not work on a:service0" in problem


@pytest.mark.parametrize("a, b, link", [
    ("sleep: hlt", "", "impair: {loss: 0%}"),  # the first end mediates an impaired link
    ("sleep: hlt", "", "capture: {files: 2}"),  # ... and a captured one by default
    ("sleep: hlt", "sleep: hlt", "impair: {loss: 0%}, capture: {at: 'b:service0'}"),  # both ends mediate
    ("sleep: hlt", "sleep: hlt, halt_poll_ns: 50000", "type: tap"),
])
def test_hlt_where_a_monitor_wakes_the_guest(tmp_path, a, b, link):
    path = guest_pair(tmp_path, a, b, link)
    assert "--sleep=hlt" in argv(path, "a")
    assert ("--sleep=hlt" in argv(path, "b")) == ("hlt" in b)


def test_the_second_end_of_an_impaired_link_is_direct(tmp_path):
    (problem,) = problems(guest_pair(tmp_path, b="sleep: hlt", link="impair: {loss: 0%}"))
    assert "nodes.b.sleep: hlt does not work on b:service0" in problem


def test_an_experiment_sweeps_the_setting_as_any_node_field(tmp_path):
    path = host_guest(tmp_path, "")
    path.write_text(path.read_text() + """\
traffic:
  - {name: sink, tapread: {node: g}}
sweep:
  parameters:
    nodes.g.sleep: [exit, hlt]
""")
    _, _, variants, _ = experiment_plan(path)
    assert [(v.name, v.overrides) for v in variants] == [("exit", {"nodes.g.sleep": "exit"}),
                                                         ("hlt", {"nodes.g.sleep": "hlt"})]
    assert "--sleep=hlt" in argv_with(path, {"nodes.g.sleep": "hlt", "nodes.g.halt_poll_ns": 1000})
    assert problems(path, {"nodes.g.halt_poll_ns": 1000}) == [
        ("<override nodes.g.halt_poll_ns>: nodes.g.halt_poll_ns: KVM polls only for a halted guest: add sleep: hlt, "
         "or leave halt_poll_ns out, got 1000")]


def argv_with(path: Path, overrides: dict) -> list[str]:
    plan = planner.make_plan(load_topology(path, overrides), "sl", resolve_image=lambda name: Path("/img.hvt"))
    return plan.monitor("g").argv("/bin/tb-monitor", "/s.json")
