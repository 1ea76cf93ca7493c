"""run.traffic.app: a unikernel app (udp-sink, udp-source) as sender or receiver: console JSON lines, monitor stats."""
from __future__ import annotations

import time

from testbed.run.traffic.base import Runner, TrafficError, per
from testbed.run.traffic.cpu import process_cpu_seconds
from testbed.run.traffic.guest import monitor_process, stats_metrics, stop_monitor, wait_stats
from testbed.run.traffic.jsonlines import json_objects

# Counters our apps print, in the order we look for them: what a sink received, what a source sent.
COUNTERS = ("rx_packets", "tx_packets")
TICK_WAIT_SECONDS = 1.5  # our apps print a line every second


class App(Runner):
    """A receiver unless the guest stops by itself before the traffic does (then `finite` after it printed a summary).

    The guest runs from `up`: this item only watches its console and, at the end, stops its monitor by pid so the
    monitor's --stats (VM exits, drops) are final for the results and the checks."""

    finite = False

    def start(self) -> None:
        self.node = self.spec.node
        process = monitor_process(self.lab, self.node)
        self.pid = process.pid if process else None
        self.cpu = [None, None]

    def window_started(self) -> None:
        self.cpu[0] = process_cpu_seconds(self.pid) if self.pid else None

    def window_ended(self) -> None:
        self.cpu[1] = process_cpu_seconds(self.pid) if self.pid else None

    def finish_by_itself(self, timeout: float) -> bool:
        """Wait (bounded) for the guest's summary line; True if it came."""
        deadline = time.monotonic() + timeout
        while self._summary() is None:
            if time.monotonic() > deadline or not self._running():
                return self._summary() is not None
            time.sleep(0.02)
        return True

    def _running(self) -> bool:
        process = monitor_process(self.lab, self.node)
        return process is not None and process.alive()

    def stop(self) -> None:
        if getattr(self, "stopped", False):
            return
        self.stopped = True
        if self._running() and self._summary() is None:
            self._next_tick()
        stop_monitor(self.lab, self.node)
        self.stats = wait_stats(self.lab, self.node)

    def _next_tick(self) -> None:
        """Wait for one more per-second line: stopped by a signal the app prints no summary, so its last tick
        line is the final count, and it must come after the traffic (bounded: a tick is due within a second)."""
        ticks = len(self._ticks())
        deadline = time.monotonic() + TICK_WAIT_SECONDS
        while len(self._ticks()) <= ticks and self._running() and time.monotonic() < deadline:
            time.sleep(0.02)

    def _ticks(self) -> list[dict]:
        return [o for o in self._objects() if "t" in o]

    def _objects(self) -> list[dict]:
        return json_objects(self.lab.console(self.node).splitlines())

    def _summary(self) -> dict | None:
        return next((o for o in reversed(self._objects()) if o.get("summary")), None)

    def result(self, window_s: float) -> dict:
        objects = self._objects()
        summary = next((o for o in reversed(objects) if o.get("summary")), None)
        last = summary or next((o for o in reversed(objects) if any(k in o for k in COUNTERS)), None)
        if last is None:
            raise TrafficError(f"{self.name}: node {self.node} printed no JSON report (console: "
                               f"{self.lab.run.console_path(self.node)})")
        counter = next(k for k in COUNTERS if k in last)
        packets = last[counter]
        own_seconds = last.get("seconds_x1000", 0) / 1000 if summary else 0
        seconds = own_seconds or window_s
        # The window's CPU when we could sample both ends, else the monitor's whole life from its stats.
        stats = getattr(self, "stats", None)
        cpu = self.cpu[1] - self.cpu[0] if None not in self.cpu else (stats or {}).get("cpu_seconds", {}).get("process")
        cpu_window = window_s if None not in self.cpu else (stats or {}).get("wall_seconds")
        figures = {counter: packets, "bytes": last.get("rx_bytes", last.get("tx_bytes")), "seconds": seconds,
                   "pps": per(packets, seconds), "summary": bool(summary),
                   "cpu_s": cpu, "cpu_pct": per(cpu, cpu_window, 100.0), "cpu_us_per_packet": per(cpu, packets, 1e6),
                   **stats_metrics(stats, packets)}
        if counter == "rx_packets":
            figures["rx_per_second"] = _per_second(objects, counter)
        return figures


def _per_second(objects: list[dict], counter: str) -> list[int]:
    """Packets counted in each second of the guest's life (its tick lines are cumulative)."""
    ticks = [o[counter] for o in objects if "t" in o and counter in o]
    return [b - a for a, b in zip([0, *ticks[:-1]], ticks, strict=True)]
