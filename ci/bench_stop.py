"""bench_stop: SIGTERM to exit of tb-monitor in each state a guest can hold it in (goal: 100 ms in every one)."""
from __future__ import annotations

import os
import select
import signal
import subprocess
import time

from rich.table import Table

from bench_stats import summarise
from testbed import paths

GOAL_MS = 100.0
SETTLE_S = 0.2  # after the guest is ready: the monitor is in its steady state by then
IO_MODES = ("hypercall", "poll", "event", "hybrid")
PIPE_FULL_TIMEOUT_S = 20.0


def _console_flood(*args: str) -> list[str]:
    return [str(paths.monitor_path()), "--console-rate=0", str(paths.test_image("console-flood")), *args]


def _wait_for(stream: int, marker: bytes) -> None:
    seen = b""
    while marker not in seen:
        chunk = os.read(stream, 65536)
        if not chunk:
            raise RuntimeError(f"the monitor ended before printing {marker!r}: {seen[-300:]!r}")
        seen += chunk


def _wait_pipe_full(read_end: int, proc: subprocess.Popen) -> None:
    import array
    import fcntl
    import termios

    size, queued = fcntl.fcntl(read_end, 1032), array.array("i", [0])  # F_GETPIPE_SZ
    deadline = time.monotonic() + PIPE_FULL_TIMEOUT_S
    while time.monotonic() < deadline and proc.poll() is None:
        fcntl.ioctl(read_end, termios.FIONREAD, queued)
        if queued[0] >= size:
            return
        time.sleep(0.01)
    raise RuntimeError("the console pipe never filled")


def _stop_ms(proc: subprocess.Popen) -> float:
    """SIGTERM, then the time until the process is gone (pidfd: no polling interval in the figure)."""
    pidfd = os.pidfd_open(proc.pid)
    try:
        start = time.perf_counter()
        proc.send_signal(signal.SIGTERM)
        select.select([pidfd], [], [], 10)
        elapsed = (time.perf_counter() - start) * 1e3
    finally:
        os.close(pidfd)
    status = proc.wait(timeout=10)
    if status != 128 + signal.SIGTERM:
        raise RuntimeError(f"the monitor exited {status}, not {128 + signal.SIGTERM}")
    return elapsed


def _ready_sample(argv: list[str], marker: bytes) -> float:
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        _wait_for(proc.stdout.fileno(), marker)
        time.sleep(SETTLE_S)
        return _stop_ms(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()


def _blocked_stdout_sample() -> float:
    read_end, write_end = os.pipe()
    proc = subprocess.Popen(_console_flood("forever"), stdout=write_end, stderr=subprocess.DEVNULL)
    os.close(write_end)
    try:
        _wait_pipe_full(read_end, proc)
        time.sleep(SETTLE_S)
        return _stop_ms(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(read_end)


class _TapNamespace:
    """A throwaway namespace holding one TAP for the idle guests; removed on exit."""

    def __enter__(self):
        from pyroute2 import NetNS, netns

        self.name = f"tbstop-{os.getpid()}"
        self.tap = f"tbstop{os.getpid() % 100000}"
        netns.create(self.name)
        with NetNS(self.name) as ns:
            ns.link("add", ifname=self.tap, kind="tuntap", mode="tap")
            ns.link("set", index=ns.link_lookup(ifname=self.tap)[0], state="up")
        return self

    def __exit__(self, *exc):
        from pyroute2 import netns

        netns.remove(self.name)


def run(args, progress) -> dict:
    states: dict[str, list[float]] = {}
    cases = [("ring-3 spin, no exits", lambda _: _ready_sample(_console_flood("spin"), b"ready:")),
             ("PUTS blocked on a full stdout pipe", lambda _: _blocked_stdout_sample())]
    with _TapNamespace() as tap:
        sink = paths.images()["udp-sink"]
        for mode in IO_MODES:
            argv = [str(paths.monitor_path()), f"--io={mode}", f"--net:service0={tap.tap}@{tap.name}", str(sink),
                    "--ip=10.9.0.2/24", "--port=7000", "--seconds=60"]
            cases.append((f"idle guest, --io={mode}", lambda _, argv=argv: _ready_sample(argv, b"ready:")))
        for label, sample in cases:
            states[label] = []
            for i in range(args.runs):
                progress(f"stop: {label} {i + 1}/{args.runs}")
                states[label].append(sample(None))
    summary = {label: summarise(values) for label, values in states.items()}
    return {"bench": "stop", "goal_ms": GOAL_MS, "samples": states, "summary": summary,
            "goal_met": all(s["max"] <= GOAL_MS for s in summary.values())}


def tables(result: dict) -> list[Table]:
    table = Table(title="stop: SIGTERM to exit, per state (ms)",
                  caption=f"goal ≤ {result['goal_ms']:.0f} ms in every state, every run: "
                          f"{'met' if result['goal_met'] else 'NOT met'}")
    for header in ("state", "runs", "median", "min", "max"):
        table.add_column(header, justify="right" if header != "state" else "left")
    for label, s in result["summary"].items():
        table.add_row(label, str(s["n"]), f"{s['median']:.1f}", f"{s['min']:.1f}", f"{s['max']:.1f}")
    return [table]
