"""test_impaired_checks: ping and delivery checks judged against a link's configured impairment (the relay's live
configuration stands in as the JSON it answers)."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from testbed.plan.relay import Relay
from testbed.run.checks import impaired
from testbed.run.iputils import PingResult
from testbed.topology.schema import DeliveredCheck, PingCheck

PLAIN = {"down": False, "loss_ppm": 0, "ge": False, "ge_p_ppm": 0, "ge_r_ppm": 0, "ge_loss_good_ppm": 0,
         "ge_loss_bad_ppm": 0, "delay_ns": 0, "jitter_ns": 0, "dist": "uniform", "rate_bps": 0, "limit": 1000,
         "reorder_ppm": 0, "duplicate_ppm": 0, "corrupt_ppm": 0, "seed": 1}


def lab_with(monkeypatch, forward: dict, reverse: dict | None = None):
    relay = Relay(link=0, name="a:eth0--b:eth0", a_namespace="x", a_tap="eth0", b_namespace="y", b_tap="eth0",
                  link_id=1, seed=1, forward="", reverse="")
    directions = {"ab": {"config": {**PLAIN, **forward}}, "ba": {"config": {**PLAIN, **(reverse or {})}}}
    monkeypatch.setattr(impaired.relays, "stats", lambda run, r: {"directions": directions})
    return SimpleNamespace(plan=SimpleNamespace(relays=(relay,), traffic=()), run=None)


def ping_result(sent: int, received: int, rtts: tuple[float, ...]) -> PingResult:
    return PingResult(source="a", destination="10.0.0.2", transmitted=sent, received=received,
                      loss_percent=100 * (sent - received) / sent, rtt_ms=rtts, exit_status=0)


CHECK = PingCheck.model_validate({"from": "a", "to": "b", "count": 1000, "impaired": True})


@pytest.mark.parametrize("received, passed", [(900, True), (880, True), (1000, False), (700, False)])
def test_ping_loss_must_sit_within_the_binomial_bounds_of_the_link(monkeypatch, received, passed):
    lab = lab_with(monkeypatch, {"loss_ppm": 100_000})  # 10% one way: 10% round trip
    assert impaired.judge_ping(lab, CHECK, ping_result(1000, received, (1.0,))).passed is passed


def test_both_ways_add_up_to_the_round_trip_loss(monkeypatch):
    lab = lab_with(monkeypatch, {"loss_ppm": 100_000}, {"loss_ppm": 100_000})  # 19% round trip
    assert impaired.judge_ping(lab, CHECK, ping_result(1000, 810, (1.0,))).passed
    assert not impaired.judge_ping(lab, CHECK, ping_result(1000, 900, (1.0,))).passed


def test_a_round_trip_shorter_than_the_configured_delay_fails(monkeypatch):
    lab = lab_with(monkeypatch, {"delay_ns": 10_000_000, "jitter_ns": 1_000_000}, {"delay_ns": 5_000_000})
    assert impaired.judge_ping(lab, CHECK, ping_result(1000, 1000, (14.0, 16.2))).passed  # >= 10 - 1 + 5
    result = impaired.judge_ping(lab, CHECK, ping_result(1000, 1000, (13.5, 16.2)))
    assert not result.passed and "min rtt 13.5 ms < configured 13.999 ms" in result.message


def test_bursty_loss_widens_the_bounds(monkeypatch):
    # Gilbert-Elliott p 1%, r 10%: 1/11 of packets lost, in bursts of 10 on average.
    ge = {"ge": True, "ge_p_ppm": 10_000, "ge_r_ppm": 100_000, "ge_loss_bad_ppm": 1_000_000}
    lab = lab_with(monkeypatch, ge)
    assert impaired.judge_ping(lab, CHECK, ping_result(1000, 1000 - 150, (1.0,))).passed
    assert not impaired.judge_ping(lab, CHECK, ping_result(1000, 1000 - 400, (1.0,))).passed


def test_no_impaired_link_between_the_nodes_fails_with_a_reason(monkeypatch):
    lab = lab_with(monkeypatch, {})
    check = PingCheck.model_validate({"from": "a", "to": "c", "impaired": True})
    result = impaired.judge_ping(lab, check, ping_result(10, 10, (1.0,)))
    assert not result.passed and result.message == "no impaired link joins a and c directly"


def test_delivery_counts_against_forward_loss_and_duplication(monkeypatch):
    lab = lab_with(monkeypatch, {"loss_ppm": 200_000, "duplicate_ppm": 50_000})
    sender = SimpleNamespace(from_="a", to="b")
    check = DeliveredCheck.model_validate({"from": "tx", "to": "rx", "impaired": True})
    assert impaired.judge_delivered(lab, check, 8400, 10_000, sender).passed  # 10,000 x 0.8 x 1.05
    assert not impaired.judge_delivered(lab, check, 9900, 10_000, sender).passed
    assert not impaired.judge_delivered(lab, check, 7000, 10_000, sender).passed


def test_impaired_delivery_needs_a_sender():
    with pytest.raises(ValueError, match="give from"):
        DeliveredCheck.model_validate({"to": "rx", "impaired": True})
