"""bench_udp_tx: guest -> host UDP: udp-source per --io mode against tapwrite (a host program writing the same frames
into the TAP, the ceiling), both counted as datagrams the host's UDP layer took for a bound socket (the TAP's own
counter counts skbs: a monitor writing GSO frames hands over up to 64 datagrams per skb)."""
from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import bench_procs
from bench_cpu import process_cpu_seconds
from bench_lab import lab_namespace
from bench_monitor import monitor_argv, read_stats, stats_metrics
from bench_stats import ratio, summarise, summarise_samples
from bench_udp_rx import CEILING, FRAME_BYTES, PAYLOAD, Variant, pinned, placement, variants, with_flags
from testbed import paths

PORT = 7001


def sender_argv(labns: lab_namespace, v: Variant, args, stats: Path) -> list[str]:
    lab = labns.lab
    cpus = placement(args.cpus)
    if v.io is None:
        # The ceiling writes from where the guest's vCPU would run.
        return pinned([str(paths.tool_path("tapwrite")), f"--tap={lab.tap}", f"--netns={lab.netns}",
                       f"--src={lab.guest_ip}", f"--dst={lab.host_ip}:{PORT}", f"--size={PAYLOAD}",
                       f"--seconds={args.seconds}", "--json"], cpus.vcpu)
    guest = [f"--ip={lab.guest_ip}/{lab.prefix}", f"--dst={lab.host_ip}:{PORT}", f"--size={PAYLOAD}",
             f"--seconds={args.seconds}"]
    return with_flags(monitor_argv("udp-source", guest, stats=stats, io=v.io, netns=lab.netns, nic=args.nic,
                                   tap=lab.tap, mac=lab.guest_mac), [*cpus.flags(), *args.monitor_flags])


def udp_taken(labns: lab_namespace) -> int:
    """Datagrams the namespace's UDP layer delivered to a socket or dropped at its full buffer (one per segment)."""
    text = subprocess.run(labns.lab.run_in(["cat", "/proc/net/snmp"]), capture_output=True, text=True,
                          check=True).stdout
    names, values = [line.split()[1:] for line in text.splitlines() if line.startswith("Udp:")][:2]
    row = dict(zip(names, map(int, values)))
    return row["InDatagrams"] + row["RcvbufErrors"]


def holder(labns: lab_namespace) -> subprocess.Popen:
    """A socket bound to PORT that never reads: the UDP layer takes (and counts) every datagram for it."""
    code = ("import socket,sys,time;s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);"
            f"s.bind(('{labns.lab.host_ip}',{PORT}));print('bound',flush=True);time.sleep(1e6)")
    proc = subprocess.Popen(labns.lab.run_in(["python3", "-c", code]), stdout=subprocess.PIPE, text=True)
    proc.stdout.readline()
    return proc


def sample(labns: lab_namespace, v: Variant, args, stats: Path) -> dict:
    stats.unlink(missing_ok=True)
    sender = bench_procs.Child(sender_argv(labns, v, args, stats))
    try:
        sender.wait_ready(timeout=15)
        taken0, cpu0 = udp_taken(labns), process_cpu_seconds(sender.proc.pid)
        done = sender.finish(timeout=args.seconds + 30)
        taken1 = udp_taken(labns)
    finally:
        sender.kill()
    got = done.last_json()
    if not got or "tx_packets" not in got:
        raise RuntimeError(f"{v.name}: no summary from the sender (exit {done.status}): "
                           f"{(done.stderr or ''.join(done.stdout)).strip()[-300:]}")
    secs = float(got["seconds"]) if "seconds" in got else int(got["seconds_x1000"]) / 1000
    delivered = taken1 - taken0
    m = stats_metrics(read_stats(stats)) if v.io else {}
    cpu = done.cpu if v.io is None else (m.get("monitor_cpu_s") or (done.cpu - (cpu0 or 0)))

    def per_packet(value, scale=1.0):
        return value * scale / delivered if value is not None and delivered else None

    return {
        "tx_packets": delivered,
        "pps": delivered / secs if secs else None,
        "sender_count": int(got["tx_packets"]),
        "exits_per_packet": per_packet(m.get("vm_exits")),
        "user_exits_per_packet": per_packet(m.get("userspace_exits")),
        "cpu_us_per_packet": per_packet(cpu, 1e6),
        "cpu_pct": 100.0 * cpu / secs if cpu is not None and secs else None,
        "exit_status": done.status,
    }


def run(args, progress) -> dict:
    vs = variants(args.modes)
    samples: dict[str, list[dict]] = {v.name: [] for v in vs}
    with lab_namespace() as labns, tempfile.TemporaryDirectory(prefix="tbbench-") as tmp:
        stats = Path(tmp) / "stats.json"
        sink = holder(labns)
        try:
            for r in range(args.repeats):  # interleaved rounds, as udp-rx
                for v in vs:
                    progress(f"udp-tx round {r + 1}/{args.repeats}: {v.name}")
                    samples[v.name].append(sample(labns, v, args, stats))
        finally:
            sink.kill()
            sink.wait(timeout=10)
    out = []
    for v in vs:
        own = samples[v.name]
        for s, c in zip(own, samples[CEILING]):
            s["ratio_to_ceiling"] = ratio(s["pps"], c["pps"])
        summary = summarise_samples(own)
        summary["ratio_to_ceiling"] = summarise([s["ratio_to_ceiling"] for s in own])
        out.append({"name": v.name, "io": v.io, "sender": "tapwrite" if v.io is None else "udp-source",
                    "samples": own, "summary": summary})
    return {"bench": "udp-tx", "frame_bytes": FRAME_BYTES, "seconds": args.seconds, "repeats": args.repeats,
            "modes": args.modes, "ceiling": "tapwrite", "cpus": placement(args.cpus).model_dump(),
            "monitor_flags": args.monitor_flags, "variants": out}


COLUMNS = [("pps", "tx pkt/s", "{:,.0f}"), ("pps:range", "min – max", None), ("ratio_to_ceiling", "× ceiling", "{:.3f}"),
           ("exits_per_packet", "exits/pkt", "{:.4f}"), ("user_exits_per_packet", "user exits/pkt", "{:.4f}"),
           ("cpu_us_per_packet", "CPU µs/pkt", "{:.2f}"), ("cpu_pct", "CPU %", "{:.0f}")]


def tables(result: dict) -> list:
    from bench_report import _placement, _variant_table

    head = (f"udp-tx: {result['frame_bytes']}-byte UDP frames guest -> host, {result['seconds']:g} s, "
            f"{result['repeats']} repeats, ceiling = tapwrite, cpus {_placement(result.get('cpus'))} (medians)")
    return [_variant_table(head, result["variants"], COLUMNS,
                           "tx pkt/s = datagrams the host's UDP layer took / the sender's seconds; CPU = the sender's process "
                           "(the monitor's, from its --stats)")]
