"""run.traffic.schedule: runs a topology's traffic items: start in order (after their delay), wait for the generators,
let the receivers linger, stop everything it started, and return each item's figures."""
from __future__ import annotations

import time

from testbed.run.schedule import KEY as SCHEDULE
from testbed.run.schedule import Schedule
from testbed.run.traffic.app import App
from testbed.run.traffic.base import Runner, TrafficError
from testbed.run.traffic.counters import Counters
from testbed.run.traffic.iperf3 import Iperf3
from testbed.run.traffic.ping import Ping
from testbed.run.traffic.tapread import Tapread
from testbed.run.traffic.udpgen import Udpgen

RUNNERS: dict[str, type[Runner]] = {"udpgen": Udpgen, "ping": Ping, "iperf3": Iperf3, "app": App,
                                    "tapread": Tapread, "counters": Counters}
TOTAL = "receivers"  # the sum over receivers (e.g. several guests on one bridge)


def run_traffic(lab, items, on_event=None) -> dict[str, dict]:
    """{item name: figures}, plus TOTAL when several receivers counted packets. on_event(text) reports progress."""
    say = on_event or (lambda text: None)
    runners: list[Runner] = []
    window = [None, None]
    started = time.monotonic()
    timeline = Schedule(lab, getattr(lab.plan, "schedule", ()), started).start()  # `schedule:` runs alongside
    try:
        for item in items:
            _sleep_until(started + item.delay)
            runner = RUNNERS[item.kind](lab, item.name, item.spec)
            runners.append(runner)
            if isinstance(runner, App):
                runner.finite = item.spec.finishes
            if runner.finite and window[0] is None:
                window[0] = time.monotonic()  # the window opens with the first generator
                for receiver in runners[:-1]:
                    receiver.window_started()
            say(f"{item.name}: {item.kind}")
            runner.started_s = time.monotonic() - started
            runner.start()
            if window[0] is not None and not runner.finite:
                runner.window_started()
        if window[0] is None:  # receivers only: the window is the instant they were read
            window[0] = time.monotonic()
            for runner in runners:
                runner.window_started()
        for runner in runners:
            if runner.finite:
                say(f"waiting for {runner.name}")
                if isinstance(runner, App):
                    if not runner.finish_by_itself(runner.spec.timeout):
                        raise TrafficError(f"{runner.name}: node {runner.spec.node} printed no summary within "
                                           f"{runner.spec.timeout:g} s")
                else:
                    runner.wait()
        window[1] = time.monotonic()
        for runner in runners:
            if not runner.finite:
                runner.window_ended()
        linger = max((getattr(r.spec, "linger", 0) for r in runners if not r.finite), default=0)
        _sleep_until(window[1] + linger)  # the TAP queue drains and the guests print one more tick
    finally:
        timeline.stop()
        for runner in reversed(runners):
            runner.stop()
    seconds = window[1] - window[0]
    results = {runner.name: {"kind": type(runner).__name__.lower(), "started_s": round(runner.started_s, 4),
                             **runner.result(seconds)} for runner in runners}
    _add_total(results, [r for r in runners if not r.finite])
    if timeline.events:
        results[SCHEDULE] = timeline.log()
    return results


def _add_total(results: dict[str, dict], receivers: list[Runner]) -> None:
    counted = [results[r.name] for r in receivers if isinstance(results[r.name].get("rx_packets"), (int, float))]
    if len(counted) > 1:
        results[TOTAL] = {"kind": "total", "rx_packets": sum(r["rx_packets"] for r in counted),
                          "pps": sum(r["pps"] or 0 for r in counted), "count": len(counted)}


def _sleep_until(moment: float) -> None:
    delay = moment - time.monotonic()
    if delay > 0:
        time.sleep(delay)
