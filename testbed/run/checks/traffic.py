"""run.checks.traffic: packets delivered (exact or at least) and receive rate, judged on the traffic's own figures."""
from __future__ import annotations

from testbed.errors import LabError
from testbed.run.checks import CheckResult
from testbed.topology.schema import DeliveredCheck, RxRateCheck

SENT_KEYS = ("sent_packets", "tx_packets", "transmitted")
RECEIVED_KEYS = ("rx_packets", "received", "window_rx_packets")


def _first(figures: dict, keys: tuple[str, ...]) -> int | None:
    return next((figures[k] for k in keys if isinstance(figures.get(k), (int, float))), None)


def _figures(traffic: dict, name: str) -> dict:
    if name not in traffic:
        raise LabError(f"no traffic item {name!r} ran (figures of: {', '.join(traffic) or 'none'}; "
                       "Lab.run_checks() runs the traffic first, or call Lab.run_traffic())")
    return traffic[name]


def delivered(spec: DeliveredCheck, traffic: dict) -> CheckResult:
    received = _first(_figures(traffic, spec.to), RECEIVED_KEYS)
    sent = _first(_figures(traffic, spec.from_), SENT_KEYS) if spec.from_ else None
    problems = []
    if received is None:
        problems.append(f"{spec.to} counted no packets")
    elif spec.exact and received != sent:
        problems.append(f"received {received} != sent {sent}")
    if received is not None and spec.min_packets is not None and received < spec.min_packets:
        problems.append(f"received {received} < min_packets {spec.min_packets}")
    ratio = received / sent if received is not None and sent else None
    if spec.min_ratio is not None and (ratio is None or ratio < spec.min_ratio):
        problems.append(f"received/sent {ratio if ratio is None else round(ratio, 4)} < min_ratio {spec.min_ratio:g}")
    summary = f"received {received}" + (f" of {sent} sent" if sent is not None else "")
    return CheckResult(kind="delivered", name=f"delivered {spec.from_ or '?'} -> {spec.to}", passed=not problems,
                       message="; ".join(problems) or summary, spec=spec.model_dump(by_alias=True),
                       measured={"received": received, "sent": sent, "ratio": ratio})


def rx_rate(spec: RxRateCheck, traffic: dict) -> CheckResult:
    pps = _figures(traffic, spec.traffic).get("pps")
    passed = pps is not None and pps >= spec.min_pps
    message = (f"{pps:,.0f} packets/s" if pps is not None else "no rate") + \
        ("" if passed else f" < min_pps {spec.min_pps:,.0f}")
    return CheckResult(kind="rx_rate", name=f"rx rate {spec.traffic}", passed=passed, message=message,
                       spec=spec.model_dump(by_alias=True), measured={"pps": pps})
