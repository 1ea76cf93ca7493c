"""bench_ping: round-trip times host -> guest with iputils ping, reduced to loss and percentiles."""
from __future__ import annotations

import re

import bench_procs
from bench_lab import Lab
from testbed.run.traffic.ping import percentile  # shared with testbed's ping traffic

_RTT = re.compile(r"icmp_seq=\d+ .*time=([0-9.]+) ms")
DEFAULT_INTERVAL = 0.005  # the udp-rx bench's ping spacing before --ping-intervals: its figures keep their names


def interval_label(interval: float) -> str:
    """"" for the default 5 ms (ping_p50_us, as before), else the spacing: ping_1ms_p50_us, ping_0.2ms_p50_us."""
    return "" if interval == DEFAULT_INTERVAL else f"{interval * 1000:g}ms_"


def ping_guest(lab: Lab, count: int, interval: float = DEFAULT_INTERVAL) -> dict:
    """Ping the guest from the lab's namespace; p50/p99 in µs, loss in %."""
    argv = lab.run_in(["ping", "-n", "-c", str(count), "-i", f"{interval:g}", "-W", "1", lab.guest_ip])
    done = bench_procs.run(argv, timeout=count * max(interval, 0.01) + 30)
    rtts = sorted(float(m.group(1)) * 1000 for line in done.stdout if (m := _RTT.search(line)))
    loss = 100.0 * (count - len(rtts)) / count
    if not rtts:
        return {"ping_loss_pct": loss}
    return {"ping_p50_us": percentile(rtts, 50), "ping_p99_us": percentile(rtts, 99),
            "ping_max_us": rtts[-1], "ping_loss_pct": loss}
