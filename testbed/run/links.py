"""run.links: a running lab's links at run time: find an impaired link by name, change or clear its impairment, take
it down or up, and read each link's state and counters (what `testbed impair`, `testbed links` and `schedule:` use);
the link's relay or the monitor that impairs it does the work (apply.relay)."""
from __future__ import annotations

from typing import Literal

from testbed.apply import relay as relays
from testbed.errors import LabError
from testbed.plan.netem import find_netem
from testbed.plan.relay import Relay, find_relay
from testbed.run import shm_counters
from testbed.topology.schema.impair import Impairment

Direction = Literal["both", "forward", "reverse"]
WIRE_DIRECTIONS = {"both": ("ab", "ba"), "forward": ("ab",), "reverse": ("ba",)}
# The relay's configuration JSON -> its key=value text keys.
CONFIG_KEYS = {"down": "down", "loss_ppm": "loss", "ge": "ge", "ge_p_ppm": "p", "ge_r_ppm": "r",
               "ge_loss_good_ppm": "lossgood", "ge_loss_bad_ppm": "lossbad", "delay_ns": "delay",
               "jitter_ns": "jitter", "dist": "dist", "rate_bps": "rate", "limit": "limit",
               "reorder_ppm": "reorder", "duplicate_ppm": "duplicate", "corrupt_ppm": "corrupt", "seed": "seed"}


def find(lab, name: str) -> Relay:
    """An impaired link by NODE:IF of either end, by NODE:IF--NODE:IF, or by its index in the topology's links."""
    relay = find_relay(lab.plan.relays, name)
    if relay is not None:
        return relay
    if find_netem(lab.plan.netem, name) is not None:
        raise LabError(f"link {name!r} in run {lab.run_id} has engine: netem, which does not change at run time here "
                       "(give it engine: ours to change it)")
    impaired = ", ".join(relay.name for relay in lab.plan.relays) or "none"
    raise LabError(f"no impaired link {name!r} in run {lab.run_id} (impaired links: {impaired}; a link needs "
                   "`impair:` in the topology to change at run time)")


def _text(config: dict) -> dict[str, str]:
    return {CONFIG_KEYS[key]: str(int(value) if isinstance(value, bool) else value) for key, value in config.items()
            if key in CONFIG_KEYS}


def _configured(lab, relay: Relay) -> dict[str, dict[str, str]]:
    """Each way's configuration as key=value fields: a relay's as in force; a monitor's as last written (a change
    its idle guest has not reached yet is not lost by the next one)."""
    if relay.by_monitor:
        return relays.monitor_specs(lab.run, relay)
    return {wire: _text(way["config"]) for wire, way in relays.stats(lab.run, relay)["directions"].items()}


def change(lab, relay: Relay, impairment: Impairment, direction: Direction = "both", clear: bool = False) -> None:
    """Set the fields `impairment` gives, keeping the others (clear: start from a plain wire), on each direction."""
    current = _configured(lab, relay)
    given = dict(item.split("=", 1) for item in impairment.engine_text(relay.seed).split(","))
    for wire in WIRE_DIRECTIONS[direction]:
        before = current[wire]
        # clear keeps the seed, and a link down
        fields = {key: before[key] for key in ("seed", "down") if key in before} if clear else before
        if "loss" in given:  # one loss model: the one just given
            fields["ge"] = "0"
        if "ge" in given:
            fields["loss"] = "0"
        fields.update(given)
        relays.set_direction(lab.run, relay, wire, ",".join(f"{k}={v}" for k, v in fields.items()))


def set_state(lab, relay: Relay, up: bool) -> None:
    """Link down: every packet dropped both ways (counted as down drops) until it is up again."""
    relays.set_down(lab.run, relay, down=not up)


def rows(lab) -> list[dict]:
    """Every link: impaired links (mechanism wire: a relay; monitor: a unikernel end's monitor) with their
    impairment and counters per direction, plain links by mechanism."""
    by_link = {relay.link: relay for relay in lab.plan.relays}
    seen: set[int] = set()
    result = []
    for node in lab.plan.nodes:
        for interface in node.interfaces:
            if interface.link in seen:
                continue
            seen.add(interface.link)
            relay = by_link.get(interface.link)
            name = f"{node.name}:{interface.name}--{interface.peer}"
            if relay is None:
                result.append(shm_counters.row(lab, interface.link)
                              or {"link": name, "index": interface.link, "mechanism": interface.mechanism,
                                  "kernel": _kernel_end(lab, node.name, interface)})
                continue
            stats = relays.stats(lab.run, relay)
            result.append({"link": relay.name, "index": relay.link, "seed": relay.seed,
                           "mechanism": "monitor" if relay.by_monitor else "wire", "directions": stats["directions"]})
    return sorted(result, key=lambda row: row["index"])


def _kernel_end(lab, node: str, interface) -> dict | None:
    """A plain link's counters as its first kernel end sees them (a netns or bridge end; a link between two
    unikernels has none of its own): operstate, frames sent (tx) and received (rx), drops."""
    ends = [(node, interface.name), (interface.peer.node, interface.peer.ifname)]
    kernel = [(n, i) for n, i in ends if lab.plan.node(n).kind in ("netns", "bridge")]
    if not kernel:
        return None
    owner, ifname = kernel[0]

    def read() -> dict:
        from pyroute2 import IPRoute

        with IPRoute() as ipr:
            link = ipr.link("get", ifname=ifname)[0]
        stats = link.get_attr("IFLA_STATS64")
        return {"end": f"{owner}:{ifname}", "state": str(link.get_attr("IFLA_OPERSTATE")).lower(),
                **{key: stats[key] for key in ("tx_packets", "rx_packets", "tx_dropped", "rx_dropped")}}

    from testbed.apply import nsenter

    try:
        return nsenter.call_in(lab.plan.node(owner).namespace, read)
    except OSError:  # gone (a lab being taken down): no counters rather than a failed listing
        return None


def describe(config: dict) -> str:
    """The relay's configuration as people write it: `loss 5% delay 10ms ±1ms (normal) rate 100mbit`."""
    parts = []
    if config.get("down"):
        parts.append("DOWN")
    if config.get("ge"):
        parts.append(f"gilbert-elliott p {_pct(config['ge_p_ppm'])} r {_pct(config['ge_r_ppm'])} "
                     f"bad {_pct(config['ge_loss_bad_ppm'])} good {_pct(config['ge_loss_good_ppm'])}")
    elif config.get("loss_ppm"):
        parts.append(f"loss {_pct(config['loss_ppm'])}")
    if config.get("delay_ns"):
        parts.append(f"delay {_duration(config['delay_ns'])}")
    if config.get("jitter_ns"):
        parts.append(f"jitter {_duration(config['jitter_ns'])} ({config.get('dist', 'uniform')})")
    if config.get("rate_bps"):
        parts.append(f"rate {_rate(config['rate_bps'])} limit {config.get('limit')}")
    for key, label in (("reorder_ppm", "reorder"), ("duplicate_ppm", "duplicate"), ("corrupt_ppm", "corrupt")):
        if config.get(key):
            parts.append(f"{label} {_pct(config[key])}")
    return " ".join(parts) or "none"


def _pct(ppm: int) -> str:
    return f"{ppm / 10_000:g}%"


def _duration(ns: int) -> str:
    for unit, scale in (("s", 10**9), ("ms", 10**6), ("us", 10**3)):
        if ns >= scale:
            return f"{ns / scale:g}{unit}"
    return f"{ns}ns"


def _rate(bps: int) -> str:
    for unit, scale in (("gbit", 10**9), ("mbit", 10**6), ("kbit", 10**3)):
        if bps >= scale:
            return f"{bps / scale:g}{unit}"
    return f"{bps}bit"
