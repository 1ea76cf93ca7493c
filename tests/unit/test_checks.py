"""Checks judged on measured figures: each kind passes inside its bound and fails outside it, saying the value;
bad check specs and unknown names are refused by the loader at FILE:LINE:COL."""
from __future__ import annotations

import re

import pytest
from pydantic import ValidationError

from testbed.errors import TopologyError
from testbed.run.checks import console, exit_status, monitor_stats, traffic
from testbed.topology.load import load_topology
from testbed.topology.schema import (
    Check,
    ConsoleCheck,
    DeliveredCheck,
    ExitStatusCheck,
    MonitorCheck,
    RxRateCheck,
    Traffic,
)

FIGURES = {"flood": {"sent_packets": 1000, "pps": 1000.0}, "sink": {"rx_packets": 990, "pps": 980.0}}
STATS = {"vm_exits": 50, "nics": {"service0": {"rx_packets": 990, "tx_packets": 10, "rx_drops": 3, "tx_drops": 0}},
         "exit_status": 0}


def delivered(**spec):
    return traffic.delivered(DeliveredCheck.model_validate({"to": "sink", **spec}), FIGURES)


def test_delivered_exact_and_at_least():
    assert not delivered(**{"from": "flood", "exact": True}).passed
    assert "received 990 != sent 1000" in delivered(**{"from": "flood", "exact": True}).message
    exact = traffic.delivered(DeliveredCheck.model_validate({"to": "sink", "from": "flood", "exact": True}),
                              {**FIGURES, "sink": {"rx_packets": 1000}})
    assert exact.passed and exact.measured == {"received": 1000, "sent": 1000, "ratio": 1.0}
    assert delivered(min_packets=990).passed and not delivered(min_packets=991).passed
    assert delivered(**{"from": "flood", "min_ratio": 0.99}).passed
    failed = delivered(**{"from": "flood", "min_ratio": 0.995})
    assert not failed.passed and "0.99 < min_ratio 0.995" in failed.message


def test_rx_rate():
    assert traffic.rx_rate(RxRateCheck(traffic="sink", min_pps=980), FIGURES).passed
    failed = traffic.rx_rate(RxRateCheck(traffic="sink", min_pps=981), FIGURES)
    assert not failed.passed and "980 packets/s < min_pps 981" in failed.message


def test_monitor_stats_bounds():
    assert monitor_stats.judge(MonitorCheck(node="g", max_exits_per_packet=0.05, max_drops=3), STATS).passed
    failed = monitor_stats.judge(MonitorCheck(node="g", max_exits_per_packet=0.04, max_drops=2), STATS)
    assert not failed.passed
    assert "exits/packet 0.05 > max_exits_per_packet 0.04" in failed.message and "drops 3 > max_drops 2" in \
        failed.message
    missing = monitor_stats.judge(MonitorCheck(node="g", max_drops=0), None)
    assert not missing.passed and "still running" in missing.message


def test_console_contains_and_matches():
    text = 'ready: udp-sink\n{"summary":true,"rx_packets":12}\n'
    assert console.judge(text, ConsoleCheck(node="g", contains="ready: udp")).passed
    assert console.judge(text, ConsoleCheck(node="g", matches=r'"rx_packets":\d+')).passed
    failed = console.judge(text, ConsoleCheck(node="g", matches=r'"rx_packets":0\b'))
    assert not failed.passed and "not found" in failed.message


class StoppedLab:
    """What exit_status reads: the monitor's stats, else the supervisor's record."""

    def __init__(self, stats, exit=None):
        self._stats, self._exit = stats, exit

    def stats(self, node):
        return self._stats

    def processes(self):
        return {"g": {"exit": self._exit}}


def test_exit_status():
    assert exit_status.judge(StoppedLab({"exit_status": 0}), ExitStatusCheck(node="g")).passed
    failed = exit_status.judge(StoppedLab(None, exit=143), ExitStatusCheck(node="g"))
    assert not failed.passed and failed.message == "exit status 143, expected 0"
    running = exit_status.judge(StoppedLab(None), ExitStatusCheck(node="g", timeout=0.05))
    assert not running.passed and "still running" in running.message


@pytest.mark.parametrize("spec, says", [
    ({"delivered": {"to": "sink"}}, "give exact: true, impaired: true, min_packets or min_ratio"),
    ({"delivered": {"to": "sink", "exact": True}}, "give from"),
    ({"monitor": {"node": "g"}}, "max_exits_per_packet or max_drops"),
    ({"console": {"node": "g", "contains": "a", "matches": "b"}}, "exactly one of contains or matches"),
    ({"console": {"node": "g", "matches": "("}}, "missing )"),
    ({"ping": {"from": "a", "to": "b"}, "rx_rate": {"traffic": "x", "min_pps": 1}}, "exactly one kind"),
])
def test_bad_check_specs_are_refused(spec, says):
    with pytest.raises(ValidationError, match=re.escape(says)):
        Check.model_validate(spec)


@pytest.mark.parametrize("spec, says", [
    ({"name": "f", "udpgen": {"from": "h", "to": "g"}}, "give seconds or count"),
    ({"name": "f", "udpgen": {"from": "h", "to": "g", "count": 1, "rate": "fast"}}, "is not packets/s"),
    ({"name": "f"}, "exactly one kind"),
])
def test_bad_traffic_is_refused(spec, says):
    with pytest.raises(ValidationError, match=re.escape(says)):
        Traffic.model_validate(spec)


TOPOLOGY = """\
name: lab
nodes:
  host: {kind: netns}
  guest: {kind: unikernel, image: IMAGE}
links:
  - endpoints: [host:eth0, guest:service0]
    subnet: 10.0.0.0/30
traffic:
  - {name: sink, app: {node: guest}}
  - {name: flood, udpgen: {from: guest, to: host, count: 10}}
  - {name: sink, tapread: {node: host}}
checks:
  - delivered: {from: flod, to: sink, min_packets: 1}
  - command: {node: guest, run: "true"}
"""


def test_unknown_names_and_wrong_kinds_point_at_their_place(tmp_path):
    image = tmp_path / "app.hvt"
    image.write_bytes(b"\x7fELF" + bytes(60))
    path = tmp_path / "lab.yaml"
    path.write_text(TOPOLOGY.replace("IMAGE", str(image)))
    with pytest.raises(TopologyError) as caught:
        load_topology(path)
    problems = caught.value.problems
    expected = [
        ":10:34: traffic.1.udpgen.from: guest is a unikernel node; this needs a netns node",
        ":11:12: traffic.2.name: traffic name 'sink' is used twice (see line 9)",
        ":11:34: traffic.2.tapread.node: host is a netns node; this needs a unikernel node",
        ":13:23: checks.0.delivered.from: unknown traffic item 'flod': did you mean 'flood'?",
        ":14:21: checks.1.command.node: guest is a unikernel node; this needs a netns node",
    ]
    for fragment in expected:
        assert any(fragment in problem for problem in problems), f"{fragment}\nnot in:\n" + "\n".join(problems)


def test_sweep_metrics_name_traffic_items(tmp_path):
    path = tmp_path / "lab.yaml"
    path.write_text("""\
name: lab
nodes:
  a: {kind: netns}
  b: {kind: netns}
links:
  - {endpoints: [a:eth0, b:eth0], subnet: 10.0.0.0/30}
traffic:
  - {name: flood, udpgen: {from: a, to: b, count: 10}}
sweep:
  parameters: {traffic.0.udpgen.size: [64]}
  metrics: [flod.pps, receivers.pps, pps]
""")
    with pytest.raises(TopologyError) as caught:
        load_topology(path)
    assert [p.split(": ", 1)[1] for p in caught.value.problems] == [
        "sweep.metrics.0: unknown traffic item 'flod': did you mean 'flood'? (traffic items: flood, receivers)",
        "sweep.metrics.2: 'pps' is not TRAFFIC.FIGURE, e.g. sink.pps"]
    assert caught.value.problems[0].startswith(f"{path}:11:13: ")


@pytest.mark.parametrize("rate, pps", [(20000, 20000), ("50k", 50000), ("1.5m", 1.5e6), ("300pps", 300),
                                       ("104mbit", 1e4), ("max", None)])
def test_udpgen_rates_in_packets_per_second(rate, pps):
    from testbed.run.traffic.udpgen import packets_per_second

    assert packets_per_second(rate, 1258) == pps  # 1300-byte frames: 104 Mbit/s is 10k packets/s
