"""bench_links: impaired links (the relay, tb-wire) against a plain veth in the same run: UDP throughput at 64 and
1300-byte frames (goal: relay ≥ 0.8 × veth), configured vs measured loss at 10^5 packets (≤ 0.2 points), one-way
delay p50 error at 1, 10 and 100 ms (≤ 50 µs), rate accuracy (within 2%), and the same floods with the link's
`capture:` on vs off (goal: on ≥ 0.9 × off)."""
from __future__ import annotations

import json
import re
import resource
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

from rich.table import Table

import bench_report
from bench_cpu import process_cpu_seconds
from bench_stats import ratio, summarise
from testbed.apply import relay
from testbed.lab import Lab

GOAL_THROUGHPUT, GOAL_LOSS_POINTS, GOAL_DELAY_US, GOAL_RATE, GOAL_CAPTURE = 0.8, 0.2, 50.0, 0.02, 0.9
PARTS = ("throughput", "loss", "delay", "rate", "capture")
FRAMES = {64: 22, 1300: 1258}  # frame bytes -> UDP payload bytes
LOSS_PACKETS, LOSS_RATES = 100_000, (1.0, 5.0, 20.0)
LOSS_PPS = 10_000  # paced below the relay's ceiling on a loaded host
DELAYS_MS, PROBES, PROBE_PPS, DELAY_ROUNDS = (1, 10, 100), 150, 200, 3
# Read inside the receiving namespace, so the window's clock and its counters are read together.
RX_WINDOW = """
import json, sys, time
def read():
    return [int(open(f"/sys/class/net/eth0/statistics/{k}").read()) for k in ("rx_packets", "rx_bytes")]
(p0, b0), t0 = read(), time.monotonic()
time.sleep(float(sys.argv[1]))
(p1, b1), t1 = read(), time.monotonic()
print(json.dumps({"packets": p1 - p0, "bytes": b1 - b0, "seconds": t1 - t0}))
"""
FRAMEWORK = Path(__file__).resolve().parent.parent / "tests" / "framework"  # the UDP sender (with --times) and the
# sequence receiver, which note when each datagram left and arrived (one CLOCK_MONOTONIC across namespaces)
RATES_MBIT = (10, 50)
PAIR = """name: {name}
nodes:
  a: {{kind: netns}}
  b: {{kind: netns}}
links:
  - endpoints: [a:eth0, b:eth0]
    subnet: 10.70.0.0/30
{extra}
"""
CAPTURE = "    capture: true"  # as a user writes it: every default, a ring of 4 x 16 MB files of the first end, a:eth0
CAPTURE_STATS = re.compile(r"tb-capture: (\d+) frames written, (\d+) dropped by the kernel, (\d+) not written")


def _lab(folder: Path, name: str, impair: str | None, capture: bool = False) -> Lab:
    path = folder / f"{name}.yaml"
    extra = ([f"    impair: {impair}"] if impair is not None else []) + ([CAPTURE] if capture else [])
    path.write_text(PAIR.format(name=name, extra="\n".join(extra)))
    lab = Lab.up(path, name_prefix="bench-links")
    _static_neighbours(lab)
    return lab


def _static_neighbours(lab: Lab) -> None:
    """No ARP on the wire: the flood's first packets are never held back waiting for a neighbour."""
    for src, dst in (("a", "b"), ("b", "a")):
        mac = _exec(lab, dst, ["cat", "/sys/class/net/eth0/address"]).strip()
        _exec(lab, src, ["ip", "neigh", "replace", lab.address(dst), "lladdr", mac, "dev", "eth0", "nud",
                         "permanent"])


def _exec(lab: Lab, node: str, argv: list[str], timeout: float = 60) -> str:
    done = lab.exec(node, argv, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)}: {done.stderr.strip()[-300:]}")
    return done.stdout


def _load() -> float:
    """The host's 1-minute load average: the figures on this shared machine depend on it."""
    return bench_report.loadavg()[0]


def _rx(lab: Lab) -> tuple[int, int]:
    text = _exec(lab, "b", ["cat", "/sys/class/net/eth0/statistics/rx_packets", "/sys/class/net/eth0/statistics/rx_bytes"])
    packets, nbytes = text.split()
    return int(packets), int(nbytes)


def _udpgen(lab: Lab, payload: int, rate: str, seconds: float | None = None, count: int | None = None) -> dict:
    from testbed import paths

    argv = [str(paths.tool_path("udpgen")), f"--dst={lab.address('b')}:9", f"--size={payload}", f"--rate={rate}",
            "--json"]
    argv += [f"--seconds={seconds}"] if seconds else []
    argv += [f"--count={count}"] if count else []
    return json.loads(_exec(lab, "a", argv).strip().splitlines()[-1])


def flood(lab: Lab, payload: int, seconds: float) -> float:
    """Delivered packets per second at b for a flood from a at the sender's full speed."""
    before = _rx(lab)[0]
    started = time.monotonic()
    _udpgen(lab, payload, "max", seconds=seconds)
    time.sleep(0.2)  # what the relay still holds arrives
    return (_rx(lab)[0] - before) / (time.monotonic() - started - 0.2)


def throughput(folder: Path, args, progress) -> list[dict]:
    rows = []
    plain, wire = _lab(folder, "plain", None), _lab(folder, "wire", "{}")
    try:
        for frame, payload in FRAMES.items():
            samples = {"veth": [], "relay": []}
            for r in range(args.repeats):  # interleaved: the machine's drift hits both
                progress(f"throughput {frame} B, round {r + 1}/{args.repeats}")
                samples["veth"].append(flood(plain, payload, args.seconds))
                samples["relay"].append(flood(wire, payload, args.seconds))
            ratios = [ratio(w, v) for w, v in zip(samples["relay"], samples["veth"], strict=True)]
            rows.append({"frame_bytes": frame, "veth_pps": summarise(samples["veth"]),
                         "relay_pps": summarise(samples["relay"]), "ratio": summarise(ratios), "load": _load()})
    finally:
        plain.down()
        wire.down()
    return rows


def loss(folder: Path, progress) -> list[dict]:
    """The engine's share (its drops of what reached it) is what the goal judges; end to end also counts what the
    relay never saw (its TAP's queue overflowing on a busy host), shown apart."""
    rows = []
    for percent in LOSS_RATES:
        progress(f"loss {percent:g}% over {LOSS_PACKETS:,} packets")
        lab = _lab(folder, "loss", f"{{forward: {{loss: {percent}%}}}}")
        try:
            before = _rx(lab)[0]
            sent = _udpgen(lab, 22, str(LOSS_PPS), count=LOSS_PACKETS)["sent_packets"]
            time.sleep(0.3)
            received = _rx(lab)[0] - before
            counters = relay.stats(lab.run, lab.plan.relays[0])["directions"]["ab"]["counters"]
        finally:
            lab.down()
        engine = 100 * counters["dropped"] / counters["received"]
        end_to_end = 100 * (sent - received) / sent
        rows.append({"configured_percent": percent, "sent": sent, "relay_received": counters["received"],
                     "relay_dropped": counters["dropped"], "measured_percent": round(engine, 4),
                     "error_points": round(abs(engine - percent), 4), "received": received,
                     "end_to_end_percent": round(end_to_end, 4)})
    return rows


def _one_way_ms(lab: Lab) -> list[float]:
    """One-way delays a -> b of PROBES datagrams: arrival less departure, per sequence number."""
    import subprocess

    from testbed.apply import nsenter

    receiver = nsenter.popen(lab.plan.node("b").namespace, [sys.executable, str(FRAMEWORK / "seq_receiver.py"),
                                                             "0.0.0.0", "5301", "--idle=1"],
                             stdout=subprocess.PIPE, text=True)
    try:
        if receiver.stdout.readline().strip() != "listening":
            raise RuntimeError("the probe receiver did not start")
        sent = json.loads(_exec(lab, "a", [sys.executable, str(FRAMEWORK / "udp_sender.py"), lab.address("b"),
                                           "5301", str(PROBES), "64", str(PROBE_PPS), "--blocking", "--times"]))
        got = json.loads(receiver.communicate(timeout=60)[0].strip().splitlines()[-1])
    finally:
        if receiver.poll() is None:
            receiver.kill()
            receiver.wait()
    return [(arrival - sent["times"][seq]) * 1000 for seq, arrival in zip(got["seqs"], got["arrivals"], strict=True)]


def delay(folder: Path, progress) -> list[dict]:
    """p50 of the one-way delay with D ms configured, less the p50 with none, against D. Undelayed and delayed batches
    alternate in one lab (the relay's delay set and cleared through its control socket), so a change in the host's
    load between them moves both alike. With it, the relay's own account of how late after their due time its frames
    left (a fresh lab per D, so that account is D's alone)."""
    rows = []
    for ms in DELAYS_MS:
        lab = _lab(folder, "delay", "{}")
        wire = lab.plan.relays[0]
        try:
            base, delayed = [], []
            for r in range(DELAY_ROUNDS):
                progress(f"delay {ms} ms, round {r + 1}/{DELAY_ROUNDS}")
                relay.command(lab.run, wire, "clear ab")
                base += _one_way_ms(lab)
                relay.command(lab.run, wire, f"set ab delay={ms * 1_000_000}")
                delayed += _one_way_ms(lab)
            account = relay.stats(lab.run, wire)
            late = account["directions"]["ab"]
        finally:
            lab.down()
        p50, base_p50 = statistics.median(delayed), statistics.median(base)
        rows.append({"delay_ms": ms, "one_way_p50_ms": round(p50, 4), "baseline_p50_ms": round(base_p50, 4),
                     "p99_ms": round(sorted(delayed)[int(0.99 * (len(delayed) - 1))], 4),
                     "error_us": round((p50 - base_p50 - ms) * 1000, 1),
                     "relay_late_p50_us": late["late_p50_ns"] / 1000, "relay_late_p99_us": late["late_p99_ns"] / 1000,
                     "relay_realtime": account.get("realtime"), "load": _load()})
    return rows


def rate(folder: Path, args, progress) -> list[dict]:
    """Frame bits per second at b over the middle of a flood offered at twice the rate (the queue full)."""
    rows = []
    for mbit in RATES_MBIT:
        progress(f"rate {mbit} mbit")
        lab = _lab(folder, "rate", f"{{forward: {{rate: {mbit}mbit}}}}")
        try:
            pps = 2 * mbit * 1e6 / (1300 * 8)
            sender = threading.Thread(target=_udpgen, args=(lab, 1258, str(int(pps))), kwargs={"seconds": 4})
            sender.start()
            time.sleep(1.5)
            window = json.loads(_exec(lab, "b", [sys.executable, "-c", RX_WINDOW, "2.0"]))
            sender.join()
        finally:
            lab.down()
        # rx_bytes count whole frames without the FCS, as the relay's rate does
        measured = window["bytes"] * 8 / window["seconds"]
        rows.append({"configured_bps": mbit * 1e6, "measured_bps": round(measured), "packets": window["packets"],
                     "error": round(measured / (mbit * 1e6) - 1, 5)})
    return rows


def _capture_pid(lab: Lab) -> int | None:
    return lab.processes().get(lab.captures[0].key, {}).get("pid") if lab.captures else None


def _capture_account(lab: Lab, keep: Path) -> dict:
    """Takes the lab down, keeping its run files, and reads tb-capture's own account (its last line, at its exit):
    a packet socket never slows the flow it copies, it loses frames of its own when its reader falls behind."""
    lab.down(keep=keep)
    log = keep / "console" / f"{lab.captures[0].key}.log"
    found = CAPTURE_STATS.findall(log.read_text(errors="replace")) if log.exists() else []
    if not found:
        return {"written": None, "kernel_drops": None, "not_written": None, "captured_share": None}
    written, drops, unwritten = (int(n) for n in found[-1])
    return {"written": written, "kernel_drops": drops, "not_written": unwritten,
            "captured_share": round(written / (written + drops + unwritten), 4) if written + drops else None}


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _captured_flood(lab: Lab, payload: int, seconds: float) -> dict:
    """flood()'s pps at b; with it, per packet sent, the CPU of the sender (udpgen, our child: its system time holds
    the packet tap's copy and, on a veth, b's receive softirq) and of the capturing process. CPU per packet barely
    moves with the other work on a shared machine, where pps swings by 2x between rounds."""
    pid = _capture_pid(lab)
    cpu0, kids0 = process_cpu_seconds(pid) if pid else None, _children_cpu()
    before, started = _rx(lab)[0], time.monotonic()
    sent = _udpgen(lab, payload, "max", seconds=seconds)["sent_packets"]
    cpu1, kids1 = process_cpu_seconds(pid) if pid else None, _children_cpu()
    time.sleep(0.2)  # what the relay still holds arrives
    pps = (_rx(lab)[0] - before) / (time.monotonic() - started - 0.2)
    capture_us = (cpu1 - cpu0) * 1e6 / sent if cpu0 is not None and cpu1 is not None and sent else None
    return {"pps": pps, "sender_cpu_us_per_packet": (kids1 - kids0) * 1e6 / sent if sent else None,
            "capture_cpu_us_per_frame": capture_us}


def _cost(sender_off: dict | None, sender_on: dict | None, capture_cpu: dict | None) -> float | None:
    """What capturing adds per frame: the sender's extra (the kernel's tap) plus the capturing process's own."""
    if not (sender_off and sender_on and capture_cpu):
        return None
    return round(sender_on["median"] - sender_off["median"] + capture_cpu["median"], 4)


def capture(folder: Path, args, progress) -> list[dict]:
    """The throughput floods with the link's `capture:` off and on, relay and veth, a fresh lab per frame size (so
    tb-capture's account is that size's alone); within a round off and on run back to back, in alternating order."""
    rows = []
    for frame, payload in FRAMES.items():
        labs = {(link, on): _lab(folder, f"cap-{link}-{'on' if on else 'off'}", impair, capture=on)
                for link, impair in (("veth", None), ("relay", "{}")) for on in (False, True)}
        samples = {key: [] for key in labs}
        accounts = {}
        try:
            for r in range(args.repeats):
                for link in ("veth", "relay"):
                    for on in ((False, True) if r % 2 == 0 else (True, False)):
                        progress(f"capture {link} {frame} B {'on' if on else 'off'}, round {r + 1}/{args.repeats}")
                        samples[link, on].append(_captured_flood(labs[link, on], payload, args.seconds))
            for link in ("veth", "relay"):
                accounts[link] = _capture_account(labs[link, True], folder / f"kept-{link}-{frame}")
        finally:
            for lab in labs.values():
                lab.down()
        for link in ("veth", "relay"):
            off, on = samples[link, False], samples[link, True]
            ratios = [ratio(b["pps"], a["pps"]) for a, b in zip(off, on, strict=True)]
            sender_off = summarise([s["sender_cpu_us_per_packet"] for s in off])
            sender_on = summarise([s["sender_cpu_us_per_packet"] for s in on])
            capture_cpu = summarise([s["capture_cpu_us_per_frame"] for s in on])
            rows.append({"link": link, "frame_bytes": frame, "off_pps": summarise([s["pps"] for s in off]),
                         "on_pps": summarise([s["pps"] for s in on]), "ratio": summarise(ratios),
                         "ratios": [round(x, 4) for x in ratios if x is not None],
                         "sender_cpu_us_per_packet_off": sender_off, "sender_cpu_us_per_packet_on": sender_on,
                         "capture_cpu_us_per_frame": capture_cpu, "cpu_cost_us_per_frame": _cost(sender_off, sender_on,
                                                                                                  capture_cpu),
                         "capture": accounts[link], "load": _load()})
    return rows


def run(args, progress) -> dict:
    with tempfile.TemporaryDirectory(prefix="tbbench-links-") as tmp:
        folder = Path(tmp)
        parts = {"throughput": lambda: throughput(folder, args, progress), "loss": lambda: loss(folder, progress),
                 "delay": lambda: delay(folder, progress), "rate": lambda: rate(folder, args, progress),
                 "capture": lambda: capture(folder, args, progress)}
        result = {"bench": "links", "seconds": args.seconds, "repeats": args.repeats, "parts": args.parts,
                  **{part: parts[part]() for part in args.parts}}
    judges = {
        "throughput": lambda rows: all(r["ratio"]["median"] >= GOAL_THROUGHPUT for r in rows),
        "loss": lambda rows: all(r["error_points"] <= GOAL_LOSS_POINTS for r in rows),
        "delay": lambda rows: all(abs(r["error_us"]) <= GOAL_DELAY_US for r in rows),
        "rate": lambda rows: all(abs(r["error"]) <= GOAL_RATE for r in rows),
        "capture": lambda rows: all(r["ratio"]["median"] >= GOAL_CAPTURE for r in rows),
    }
    result["goals"] = {part: judges[part](result[part]) for part in args.parts}
    return result


def _met(result: dict, goal: str) -> str:
    return "met" if result["goals"][goal] else "NOT met"


def tables(result: dict) -> list[Table]:
    builders = {"throughput": _throughput_table, "loss": _loss_table, "delay": _delay_table, "rate": _rate_table,
                "capture": _capture_table}
    return [builders[part](result) for part in result.get("parts", PARTS[:4])]


def _throughput_table(result: dict) -> Table:
    throughput_table = Table(title=f"links: UDP flood a -> b, {result['seconds']:g} s x {result['repeats']} rounds "
                                   "(medians)", caption=f"goal relay ≥ {GOAL_THROUGHPUT} × veth: "
                                                        f"{_met(result, 'throughput')}")
    for header in ("frame", "veth pps", "relay pps", "relay / veth", "load"):
        throughput_table.add_column(header, justify="right")
    for row in result["throughput"]:
        throughput_table.add_row(f"{row['frame_bytes']} B", f"{row['veth_pps']['median']:,.0f}",
                                 f"{row['relay_pps']['median']:,.0f}", f"{row['ratio']['median']:.3f}",
                                 f"{row['load']:.1f}")
    return throughput_table


def _loss_table(result: dict) -> Table:
    loss_table = Table(title=f"links: loss over {LOSS_PACKETS:,} packets at {LOSS_PPS:,}/s",
                       caption=f"goal error ≤ {GOAL_LOSS_POINTS} points (the relay's drops of what reached it): "
                               f"{_met(result, 'loss')}")
    for header in ("configured %", "relay received", "relay dropped", "measured %", "error (points)",
                   "end to end %"):
        loss_table.add_column(header, justify="right")
    for row in result["loss"]:
        loss_table.add_row(f"{row['configured_percent']:g}", f"{row['relay_received']:,}",
                           f"{row['relay_dropped']:,}", f"{row['measured_percent']:.3f}", f"{row['error_points']:.3f}",
                           f"{row['end_to_end_percent']:.3f}")
    return loss_table


def _delay_table(result: dict) -> Table:
    delay_table = Table(title=f"links: one-way delay, {DELAY_ROUNDS} x {PROBES} UDP probes, p50 less the undelayed "
                              f"p50 of {DELAY_ROUNDS} x {PROBES} alternating with them",
                        caption=f"goal |error| ≤ {GOAL_DELAY_US:g} µs: {_met(result, 'delay')}")
    for header in ("delay", "p50 ms", "p99 ms", "undelayed p50 ms", "error µs", "relay late p50 / p99 µs", "load"):
        delay_table.add_column(header, justify="right")
    for row in result["delay"]:
        delay_table.add_row(f"{row['delay_ms']} ms", f"{row['one_way_p50_ms']:.3f}", f"{row['p99_ms']:.3f}",
                            f"{row['baseline_p50_ms']:.3f}", f"{row['error_us']:+.1f}",
                            f"≤{row['relay_late_p50_us']:g} / ≤{row['relay_late_p99_us']:g}", f"{row['load']:.1f}")
    return delay_table


def _rate_table(result: dict) -> Table:
    rate_table = Table(title="links: rate, frame bits/s received while offered twice the rate",
                       caption=f"goal within {GOAL_RATE:.0%}: {_met(result, 'rate')}")
    for header in ("configured", "measured", "error"):
        rate_table.add_column(header, justify="right")
    for row in result["rate"]:
        rate_table.add_row(f"{row['configured_bps'] / 1e6:g} Mbit/s", f"{row['measured_bps'] / 1e6:.3f} Mbit/s",
                           f"{row['error']:+.2%}")
    return rate_table


def _capture_table(result: dict) -> Table:
    table = Table(title=f"links: the same UDP floods with the link's `capture: true` off and on (tb-capture on a:eth0), "
                        f"{result['seconds']:g} s x {result['repeats']} paired rounds (medians)",
                  caption=f"goal capture on ≥ {GOAL_CAPTURE} × off: {_met(result, 'capture')}; added: the sender's extra "
                          "CPU (the kernel's packet tap) plus tb-capture's, per frame; captured: the share of the "
                          "frames tb-capture saw that it wrote (the rest dropped by the kernel, its reader behind)")
    for header in ("link", "frame", "off pps", "on pps", "on / off", "rounds", "sender µs/pkt off → on",
                   "tb-capture µs/frame", "added µs/frame", "captured", "load"):
        table.add_column(header, justify="right")
    for row in result["capture"]:
        share, cost = row["capture"]["captured_share"], row.get("cpu_cost_us_per_frame")
        senders = [row.get(f"sender_cpu_us_per_packet_{k}") for k in ("off", "on")]
        table.add_row(row["link"], f"{row['frame_bytes']} B", f"{row['off_pps']['median']:,.0f}",
                      f"{row['on_pps']['median']:,.0f}", f"{row['ratio']['median']:.3f}",
                      " ".join(f"{x:.2f}" for x in row["ratios"]),
                      " → ".join(_us(s) for s in senders), _us(row["capture_cpu_us_per_frame"]),
                      f"{cost:+.2f}" if cost is not None else "—", f"{share:.1%}" if share is not None else "—",
                      f"{row['load']:.1f}")
    return table


def _us(summary: dict | None) -> str:
    return f"{summary['median']:.2f}" if summary else "—"
