"""run.checks.impaired: ping and delivery checks judged against the impairment the link between two nodes has now
(loss within binomial bounds of its configured rate, round trips no shorter than its configured delay)."""
from __future__ import annotations

import math
from dataclasses import dataclass

from testbed.apply import relay as relays
from testbed.run.checks import CheckResult
from testbed.run.iputils import PingResult

SIGMAS = 4.0  # a bound this wide fails a correct link about once in 16,000 checks
RTT_ROUNDING_MS = 0.001  # ping prints round trips to the microsecond
PPM = 1e6


@dataclass(frozen=True)
class Way:
    """One direction of the impaired link between two nodes, as configured now."""

    loss: float  # mean loss fraction (Gilbert-Elliott: its stationary rate)
    variance_factor: float  # > 1 for bursty loss: consecutive packets' fates are correlated
    duplicate: float
    min_delay_ms: float  # the least one-way delay the configuration allows


def _way(config: dict) -> Way:
    if config["down"]:
        return Way(1.0, 1.0, 0.0, 0.0)
    if config["ge"]:
        p, r = config["ge_p_ppm"] / PPM, config["ge_r_ppm"] / PPM
        bad = p / (p + r) if p + r else 0.0
        loss = bad * config["ge_loss_bad_ppm"] / PPM + (1 - bad) * config["ge_loss_good_ppm"] / PPM
        correlation = 1 - p - r  # of the state from one packet to the next
        factor = (1 + correlation) / (1 - correlation) if correlation < 1 else 1e6
    else:
        loss, factor = config["loss_ppm"] / PPM, 1.0
    spread = config["jitter_ns"] * (1 if config["dist"] == "uniform" else SIGMAS)
    return Way(loss, max(factor, 1.0), config["duplicate_ppm"] / PPM, max(0, config["delay_ns"] - spread) / 1e6)


def ways(lab, a: str, b: str) -> tuple[Way, Way] | None:
    """(a -> b, b -> a) of the impaired link joining nodes a and b directly; None when there is none."""
    for relay in lab.plan.relays:
        ends = [end.split(":", 1)[0] for end in relay.ends()]
        if sorted(ends) == sorted((a, b)):
            directions = relays.stats(lab.run, relay)["directions"]
            forward, reverse = _way(directions["ab"]["config"]), _way(directions["ba"]["config"])
            return (forward, reverse) if ends[0] == a else (reverse, forward)
    return None


def bounds(count: int, loss: float, factor: float) -> tuple[float, float]:
    """Lost packets of `count` expected at this loss rate, SIGMAS standard deviations either side."""
    spread = SIGMAS * math.sqrt(count * loss * (1 - loss) * factor) + 1
    return count * loss - spread, count * loss + spread


def judge_ping(lab, spec, result: PingResult) -> CheckResult:
    name = f"ping {spec.from_} -> {spec.to} (impaired)"
    path = ways(lab, spec.from_, spec.to)
    if path is None:
        return CheckResult(kind="ping", name=name, passed=False, spec=spec.model_dump(by_alias=True),
                           measured=result.summary(),
                           message=f"no impaired link joins {spec.from_} and {spec.to} directly")
    there, back = path
    round_trip = 1 - (1 - there.loss) * (1 - back.loss)
    sent, lost = result.transmitted, result.transmitted - result.received
    low, high = bounds(sent, round_trip, max(there.variance_factor, back.variance_factor))
    least_rtt = there.min_delay_ms + back.min_delay_ms - RTT_ROUNDING_MS
    problems = []
    if not low <= lost <= high:
        problems.append(f"{lost} of {sent} lost, outside {max(0, low):.0f}..{high:.0f} for {round_trip:.2%} "
                        "round-trip loss")
    if result.rtt_min_ms is not None and result.rtt_min_ms < least_rtt:
        problems.append(f"min rtt {result.rtt_min_ms} ms < configured {least_rtt:.3f} ms")
    if spec.max_loss and "max_loss" in spec.model_fields_set and result.loss_percent > spec.max_loss:
        problems.append(f"loss {result.loss_percent:g}% > max_loss {spec.max_loss:g}%")
    measured = {**result.summary(), "expected_loss_percent": round(100 * round_trip, 4), "lost_low": low,
                "lost_high": high, "configured_min_rtt_ms": least_rtt}
    summary = (f"{lost}/{sent} lost (expected {round_trip:.2%}), min rtt {result.rtt_min_ms} ms >= "
               f"{least_rtt:.3f} ms")
    return CheckResult(kind="ping", name=name, passed=not problems, message="; ".join(problems) or summary,
                       spec=spec.model_dump(by_alias=True), measured=measured)


def judge_delivered(lab, spec, received: int | None, sent: int | None, sender) -> CheckResult:
    """received of sent datagrams from the sender item's node to its destination node, against the forward loss
    (and duplication) the link between them has."""
    name = f"delivered {spec.from_} -> {spec.to} (impaired)"
    path = ways(lab, sender.from_, sender.to) if sender is not None else None
    if path is None or received is None or not sent:
        why = ("no impaired link joins the sender's nodes directly" if path is None else "no counts to judge")
        return CheckResult(kind="delivered", name=name, passed=False, message=why,
                           spec=spec.model_dump(by_alias=True), measured={"received": received, "sent": sent})
    way = path[0]
    expected = sent * (1 - way.loss) * (1 + way.duplicate)
    low, high = bounds(sent, way.loss, way.variance_factor)
    fewest, most = sent - high, (sent - low) * (1 + way.duplicate) + SIGMAS * math.sqrt(sent * way.duplicate + 1)
    passed = fewest <= received <= most
    message = (f"received {received} of {sent}, expected {expected:.0f} ({fewest:.0f}..{most:.0f}) at "
               f"{way.loss:.2%} loss")
    return CheckResult(kind="delivered", name=name, passed=passed, message=message,
                       spec=spec.model_dump(by_alias=True),
                       measured={"received": received, "sent": sent, "expected": expected, "low": fewest,
                                 "high": most})


def delivered_against_link(lab, spec, figures: dict) -> CheckResult:
    """The delivery check with `impaired: true`: the counts from the traffic items, the link from the sender's."""
    from testbed.run.checks.traffic import RECEIVED_KEYS, SENT_KEYS, _figures, _first

    sender = next((item.spec for item in lab.plan.traffic if item.name == spec.from_), None)
    nodes = sender if sender is not None and hasattr(sender, "from_") and hasattr(sender, "to") else None
    return judge_delivered(lab, spec, _first(_figures(figures, spec.to), RECEIVED_KEYS),
                           _first(_figures(figures, spec.from_), SENT_KEYS), nodes)
