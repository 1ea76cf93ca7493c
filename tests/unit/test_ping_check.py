"""The ping check's parsing and judgement on real iputils output (captured), no namespaces needed."""
from __future__ import annotations

from testbed.run.checks.ping import judge, parse
from testbed.run.iputils import percentile, ping_argv
from testbed.topology.schema import PingCheck

ALL_REPLIED = """PING 10.0.0.2 (10.0.0.2) 56(84) bytes of data.
64 bytes from 10.0.0.2: icmp_seq=1 ttl=64 time=0.410 ms
64 bytes from 10.0.0.2: icmp_seq=2 ttl=64 time=0.250 ms
64 bytes from 10.0.0.2: icmp_seq=3 ttl=64 time=0.300 ms

--- 10.0.0.2 ping statistics ---
3 packets transmitted, 3 received, 0% packet loss, time 20ms
rtt min/avg/max/mdev = 0.250/0.320/0.410/0.066 ms
"""

ONE_LOST_ONE_DUPLICATE = """PING 10.0.0.2 (10.0.0.2) 56(84) bytes of data.
64 bytes from 10.0.0.2: icmp_seq=1 ttl=64 time=0.400 ms
64 bytes from 10.0.0.2: icmp_seq=1 ttl=64 time=0.500 ms (DUP!)
64 bytes from 10.0.0.2: icmp_seq=3 ttl=64 time=0.300 ms

--- 10.0.0.2 ping statistics ---
3 packets transmitted, 2 received, +1 duplicates, 33.3333% packet loss, time 20ms
"""

UNREACHABLE = "ping: connect: Network is unreachable\n"


def spec(**fields) -> PingCheck:
    return PingCheck.model_validate({"from": "a", "to": "b", "count": 3, **fields})


def test_all_replies_parsed_in_order_with_median():
    result = parse(ALL_REPLIED, "a", "10.0.0.2", 3, 0)
    assert (result.transmitted, result.received, result.loss_percent) == (3, 3, 0.0)
    assert result.rtt_ms == (0.41, 0.25, 0.3)
    assert result.rtt_median_ms == 0.3 and result.rtt_max_ms == 0.41
    assert judge(spec(), result).passed


def test_duplicates_do_not_hide_a_loss():
    result = parse(ONE_LOST_ONE_DUPLICATE, "a", "10.0.0.2", 3, 1)
    assert result.received == 2 and round(result.loss_percent, 1) == 33.3
    assert len(result.rtt_ms) == 2
    verdict = judge(spec(), result)
    assert not verdict.passed and "loss" in verdict.message
    assert judge(spec(max_loss=50), result).passed


def test_no_output_counts_every_packet_lost():
    result = parse(UNREACHABLE, "a", "10.9.9.9", 5, 2)
    assert (result.transmitted, result.received, result.loss_percent) == (0, 0, 100.0)
    assert result.rtt_median_ms is None
    assert not judge(spec(count=5), result).passed


def test_rtt_bound_is_on_the_median():
    result = parse(ALL_REPLIED, "a", "10.0.0.2", 3, 0)
    assert judge(spec(max_rtt_ms=0.35), result).passed
    failed = judge(spec(max_rtt_ms=0.2), result)
    assert not failed.passed and failed.measured["rtt_median_ms"] == 0.3


def test_the_check_and_the_traffic_runner_send_exactly_count_echoes_without_a_deadline():
    """One command line for both: -w would keep pinging a slow peer until COUNT replies came back."""
    paced = ping_argv("10.0.0.2", 5, 0.01, 56, 2)
    assert paced == ["ping", "-n", "-c", "5", "-i", "0.01", "-s", "56", "-W", "2", "10.0.0.2"]
    flood = ping_argv("10.0.0.2", 500, 0.01, 1000, 0.5, flood=True)
    assert "-f" in flood and "-i" not in flood and "-w" not in flood and flood[-3:] == ["-W", "0.5", "10.0.0.2"]


def test_rtt_percentiles_are_nearest_rank_in_the_check_and_the_traffic_figures():
    rtts = tuple(float(ms) for ms in range(1, 61))
    assert (percentile(rtts, 50), percentile(rtts, 99), percentile(rtts, 100)) == (30.0, 60.0, 60.0)
    result = parse("", "a", "b", 1, 0).model_copy(update={"rtt_ms": rtts})
    assert result.rtt_p99_ms == percentile(rtts, 99) and percentile((), 99) is None
