"""shm links: two unikernels joined by shared rings (no TAP, no kernel, no monitor copy) deliver exactly what was
sent in both directions at 64 B and full MTU, wrap their rings many times, hold a sender back while the receiver
stalls, survive a peer that corrupts the shared ring and a peer killed with -9, and leave no memfd behind."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from testbed import paths
from testbed.lab import Lab
from testbed.run import links

SLOTS = 512  # the monitor's default ring: 100,000 frames wrap it ~195 times


def pair_yaml(io: str, source_first: bool, source_args: str, sink: str = "udp-sink",
              sink_args: str = "[--count=1, --seconds=60]") -> str:
    src = f"src: {{kind: unikernel, image: udp-source, io: {io}, memory: 16, args: {source_args}}}"
    auto = "" if sink == "udp-sink" else ", auto_args: false"
    dst = f"dst: {{kind: unikernel, image: {sink}, io: {io}, memory: 16, args: {sink_args}{auto}}}"
    ends = "[src:service0, dst:service0]" if source_first else "[dst:service0, src:service0]"
    first, second = ("10.30.0.1", "10.30.0.2") if source_first else ("10.30.0.2", "10.30.0.1")
    return f"""
        name: shmpair
        nodes:
          {src}
          {dst}
        links:
          - endpoints: {ends}
            addresses: [{first}/24, {second}/24]
        """


def summary(lab: Lab, node: str, timeout: float = 60.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for line in lab.console(node).splitlines():
            if line.startswith('{"summary"'):
                return json.loads(line)
        time.sleep(0.05)
    raise AssertionError(f"{node} printed no summary:\n{lab.console(node)[-2000:]}")


def memfds_of(run_id: str) -> list[str]:
    """Every open fd on this machine that is one of the run's shm link memfds."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
                if target.startswith(f"/memfd:tb-shm-{run_id}"):
                    found.append(f"{pid}:{target}")
        except OSError:
            continue
    return found


def link_stats(stats: dict) -> dict:
    (link,) = stats["shm_links"].values()
    return link


@pytest.mark.parametrize("payload", [22, 1472], ids=["64B", "mtu1500"])
@pytest.mark.parametrize("source_first", [True, False], ids=["side0-sends", "side1-sends"])
def test_exact_counts_both_directions(kvm, topology_file, run_prefix, payload, source_first):
    count = 100_000
    path = topology_file("shmpair", pair_yaml(
        "event", source_first, f"[--dst=10.30.0.2:5000, --size={payload}, --count={count}, --rate=max]",
        sink_args=f"[--count={count}, --seconds=60]"))
    with Lab.up(path, name_prefix=run_prefix) as lab:
        sent, got = summary(lab, "src"), summary(lab, "dst")
        run_id = lab.run_id
    assert sent["tx_packets"] == count and sent["tx_errors"] == 0
    assert got["rx_packets"] == count and got["rx_bytes"] == count * payload
    src, dst = lab.stats("src"), lab.stats("dst")
    for stats in (src, dst):
        assert stats["nics"]["service0"]["tx_packets"] == stats["nics"]["service0"]["rx_packets"] == 0  # no monitor copy
    # The ring indices are free-running: frames through the ring = the ARP exchange plus the datagrams.
    assert link_stats(src)["tx_frames"] == count + 1 and link_stats(dst)["rx_frames"] == count + 1
    assert (count + 1) // SLOTS > 100  # the ring wrapped over a hundred times
    assert src["vm_exits"] / count < 0.05 and dst["vm_exits"] / count < 0.05
    assert memfds_of(run_id) == []


@pytest.mark.parametrize("io", ["poll", "event", "hybrid"])
def test_every_ring_mode_delivers(kvm, topology_file, run_prefix, io):
    count = 20_000
    path = topology_file("shmpair", pair_yaml(
        io, True, f"[--dst=10.30.0.2:5000, --size=1258, --count={count}, --rate=max]",
        sink_args=f"[--count={count}, --seconds=60]"))
    with Lab.up(path, name_prefix=run_prefix) as lab:
        assert summary(lab, "dst")["rx_packets"] == count


def test_both_ends_take_the_nodes_ring_size(kvm, topology_file, run_prefix):
    count = 20_000
    path = topology_file("shmpair", pair_yaml(
        "event", True, f"[--dst=10.30.0.2:5000, --size=1258, --count={count}, --rate=max]",
        sink_args=f"[--count={count}, --seconds=60]"))
    path.write_text(path.read_text().replace("memory: 16,", "memory: 16, ring_slots: 64,"))
    with Lab.up(path, name_prefix=run_prefix) as lab:
        assert all("--shm-slots=64" in lab.processes()[n]["argv"] for n in ("src", "dst"))
        assert summary(lab, "dst")["rx_packets"] == count  # 64-slot rings wrapped ~300 times


@pytest.mark.parametrize("io", ["event", "hybrid"])
def test_guest_to_guest_ping_over_an_shm_link(kvm, topology_file, run_prefix, io):
    path = topology_file("shmping", f"""
        name: shmping
        nodes:
          a: {{kind: unikernel, image: ping-guest, io: {io}, memory: 16, args: [--to=10.34.0.2, --count=500]}}
          b: {{kind: unikernel, image: ping-serve, io: {io}, memory: 16}}
        links:
          - {{endpoints: [a:service0, b:service0], subnet: 10.34.0.0/24}}
        """)
    with Lab.up(path, name_prefix=run_prefix) as lab:
        assert [m.node for m in lab.plan.monitors if m.shm_nics] == ["a", "b"]
        result = summary(lab, "a")
    assert result["received"] == 500 and result["lost"] == 0
    assert 0 < result["rtt_min_us"] <= result["rtt_p50_us"] <= result["rtt_p99_us"]


def test_a_stalled_receiver_holds_the_sender_back_then_gets_everything(kvm, topology_file, run_prefix):
    """An shm link has no queue to drop from: a full ring makes the sender wait (its TX ring stays full), and once
    the receiver reads again every frame arrives."""
    count = 5_000
    path = topology_file("shmpair", pair_yaml(
        "event", True, f"[--dst=10.30.0.2:5000, --size=100, --count={count}, --rate=max]",
        sink=str(paths.test_image("shm_link_stall")), sink_args=f"['1500', '{count}']"))
    with Lab.up(path, name_prefix=run_prefix) as lab:
        _wait_line(lab, "dst", "stalling")
        time.sleep(0.5)
        assert '"summary"' not in lab.console("src")  # blocked on a full ring, not dropping
        sent = summary(lab, "src", timeout=30)
        done = _wait_line(lab, "dst", "received")
    assert sent["tx_packets"] == count and sent["tx_errors"] == 0
    assert done == f"received {count}", done


def test_a_corrupting_peer_crashes_neither_monitor(kvm, topology_file, run_prefix):
    """The peer scribbles over both shared rings for 2 s: the victim's runtime drops what it cannot trust, its
    monitor never reads the rings' slots, and both monitors end as their guests decide."""
    path = topology_file("shmpair", f"""
        name: shmcorrupt
        nodes:
          bad: {{kind: unikernel, image: {paths.test_image("shm_link_corrupt")}, io: event, memory: 16, auto_args: false, args: ['2']}}
          victim: {{kind: unikernel, image: udp-sink, io: event, memory: 16, args: []}}
        links:
          - {{endpoints: [bad:service0, victim:service0], subnet: 10.31.0.0/24}}
        """)
    with Lab.up(path, name_prefix=run_prefix) as lab:
        bad_summary = summary(lab, "bad", timeout=20)
        tick = _wait_line(lab, "victim", '{"t":4,')  # still running its loop after the peer is done and gone
        run_id = lab.run_id
    assert bad_summary["rounds"] > 10
    assert '"rx_packets":0' in tick  # no garbage passed for a datagram
    bad, victim = lab.stats("bad"), lab.stats("victim")
    assert bad["exit_status"] == 0, bad
    assert victim["exit_status"] == 128 + signal.SIGTERM, victim  # stopped by down, not by the corruption
    assert link_stats(victim)["state"] == "down"
    assert link_stats(victim)["guest_rx_bad"] > 0  # the victim's runtime refused and counted the impossible lengths
    assert memfds_of(run_id) == []


def test_testbed_links_lists_an_shm_link_with_its_counters(kvm, topology_file, run_prefix, testbed_cli):
    path = topology_file("shmpair", pair_yaml(
        "event", True, "[--dst=10.30.0.2:5000, --size=100, --rate=5000, --seconds=30]", sink_args="[--seconds=60]"))
    with Lab.up(path, name_prefix=run_prefix) as lab:
        _wait_line(lab, "dst", '"rx_packets"')
        table = testbed_cli("links", lab.run_id, check=True).stdout
        (row,) = json.loads(testbed_cli("links", lab.run_id, "--json", check=True).stdout)
    assert "src:service0--dst:service0" in table and "none (shm)" in table and "forward" in table
    assert row["mechanism"] == "shm" and row["state"] == "up" and row["directions"]["ab"]["frames"] > 0


def test_kill_9_of_one_monitor_leaves_the_peer_running_with_the_link_down(kvm, topology_file, run_prefix):
    path = topology_file("shmpair", pair_yaml(
        "event", True, "[--dst=10.30.0.2:5000, --size=100, --rate=20000, --seconds=30]",
        sink_args="[--seconds=60]"))
    with Lab.up(path, name_prefix=run_prefix) as lab:
        _wait_line(lab, "dst", '"rx_packets"')  # traffic flows
        assert len(memfds_of(lab.run_id)) == 2  # each monitor holds the link's memfd, the supervisor no longer
        (row,) = links.rows(lab)  # what `testbed links` shows
        assert row["mechanism"] == "shm" and row["state"] == "up" and row["directions"]["ab"]["frames"] > 0
        sink_pid = lab.processes()["dst"]["pid"]
        os.kill(sink_pid, signal.SIGKILL)
        _wait_line(lab, "src", "shm link down")
        (row,) = links.rows(lab)
        assert row["state"] == "down" and row["alive"] == {"src": True, "dst": False}
        assert row["directions"]["ab"]["frames"] > 0  # read through the survivor's memfd
        time.sleep(0.5)
        source_pid = lab.processes()["src"]["pid"]
        assert Path(f"/proc/{source_pid}").exists()  # still running, still sending into a dead link
        run_id = lab.run_id
    src = lab.stats("src")
    assert src["exit_status"] == 128 + signal.SIGTERM  # stopped by down, not by the peer's death
    link = link_stats(src)
    assert link["state"] == "down" and link["down_drops"] > 0, link
    assert memfds_of(run_id) == []


def _wait_line(lab: Lab, node: str, word: str, timeout: float = 30.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lines = [line for line in lab.console(node).splitlines() if word in line]
        if lines:
            return lines[-1]
        time.sleep(0.05)
    raise AssertionError(f"{node}: no line with {word!r}:\n{lab.console(node)[-2000:]}")


@pytest.mark.parametrize(("spec", "io", "message"), [
    ("{memfd},{e1},{e2},{sock},0", "hypercall", "an shm link needs --io=poll, event or hybrid (not hypercall)"),
    ("{memfd},{e1},{e2},{sock}", "event", "SIDE must be an integer in 0..1"),
    ("{memfd},{e1},{e2},999,0", "event", "socket fd 999 is not open"),
    ("{e1},{e1},{e2},{sock},0", "event", "is not a memfd"),
    ("{memfd},{e1},{e2},{sock},0,9000", "event", "MTU must be an integer in 68..2026"),
    ("{memfd},{e1},{e2},{sock},2", "event", "SIDE must be an integer in 0..1"),
    # The peer's kick wakes only a guest sleeping in POLL: a direct link under --sleep=hlt would never deliver.
    ("{memfd},{e1},{e2},{sock},0", "event --sleep=hlt", "--sleep=hlt does not work on a direct shm link"),
])
def test_a_bad_net_shm_option_is_one_line_and_exit_125(kvm, spec, io, message):
    io, *flags = io.split()
    memfd = os.memfd_create("tb-shm-badarg", 0)
    e1, e2 = os.eventfd(0), os.eventfd(0)
    ends = socket.socketpair()
    fds = {"memfd": memfd, "e1": e1, "e2": e2, "sock": ends[0].fileno()}
    try:
        done = subprocess.run([str(paths.monitor_path()), f"--io={io}", *flags,
                               f"--net-shm:service0={spec.format(**fds)}", "--", str(paths.images()["udp-sink"]), "--ip=10.0.0.1/24"],
                              pass_fds=tuple(fds.values()), capture_output=True, text=True, timeout=30, check=False)
    finally:
        for fd in (memfd, e1, e2):
            os.close(fd)
        for end in ends:
            end.close()
    assert done.returncode == 125, done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("tb-monitor: ") and message in line, line
