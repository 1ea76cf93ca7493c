"""test_netem_plan: `impair: {engine: netem}` — parsed, refused where netem cannot do it (FILE:LINE:COL), planned as a
veth with a qdisc per impaired direction, and the qdisc's options as the kernel reads them."""
from __future__ import annotations

import struct
from pathlib import Path
from types import SimpleNamespace

import pytest
from pyroute2.netlink.rtnl.marshal import MarshalRtnl

from testbed.apply import netem
from testbed.errors import LabError, TopologyError
from testbed.plan import planner
from testbed.plan.netem import NetemParams, netem_params
from testbed.run.links import find
from testbed.topology.load import load_topology
from testbed.topology.schema import Topology

LAB = """\
name: lab
nodes:
  a: {{kind: netns}}
  b: {{kind: {b_kind}}}
links:
  - endpoints: [a:eth0, b:eth0]
    subnet: 10.0.0.0/30
    impair:
{impair}
"""


@pytest.fixture
def write(tmp_path):
    def write(impair: str, b_kind: str = "netns", extra: str = "") -> Path:
        path = tmp_path / "lab.yaml"
        path.write_text(LAB.format(impair=impair, b_kind=b_kind) + extra)
        return path
    return write


def problems_of(path: Path) -> list[str]:
    with pytest.raises(TopologyError) as caught:
        load_topology(path)
    return caught.value.problems


def make(impair: dict, **extra):
    data = {"name": "p", "nodes": {"a": {"kind": "netns"}, "b": {"kind": "netns"}},
            "links": [{"endpoints": ["a:eth0", "b:eth0"], "subnet": "10.0.0.0/30", "impair": impair}], **extra}
    return planner.make_plan(Topology.model_validate(data), "t1", resolve_image=lambda image: Path("/x.hvt"))


# --- the schema and the rules


def test_the_engine_is_ours_unless_netem_is_asked_for(write):
    assert load_topology(write("      loss: 1%")).links[0].impair.engine == "ours"
    assert load_topology(write("      engine: netem\n      loss: 1%")).links[0].impair.engine == "netem"


def test_an_unknown_engine_is_reported_at_its_place(write):
    path = write("      loss: 1%\n      engine: tc")
    (problem,) = problems_of(path)
    assert problem.startswith(f"{path}:10:15: links.0.impair.engine: ")
    assert "'ours' or 'netem'" in problem


def test_netem_on_a_unikernel_end_is_refused_at_the_engine(write, tmp_path):
    image = tmp_path / "app.hvt"
    image.write_bytes(b"\x7fELF" + bytes(60))
    path = write("      engine: netem\n      delay: 5ms", b_kind=f"unikernel, image: {image}")
    (problem,) = problems_of(path)
    assert problem.startswith(f"{path}:9:15: links.0.impair.engine: engine: netem is a qdisc on a kernel interface")
    assert "b is a unikernel" in problem


def test_a_seed_is_refused_with_netem(write):
    path = write("      engine: netem\n      loss: 1%\n      seed: 7")
    (problem,) = problems_of(path)
    assert problem.startswith(f"{path}:11:13: links.0.impair.seed: engine: netem ")
    assert "not reproducible to the packet" in problem


def test_reorder_without_a_delay_is_refused_where_it_is_written(write):
    path = write("      engine: netem\n      delay: 5ms\n      reverse: {delay: 0, reorder: 2%}")
    (problem,) = problems_of(path)
    assert problem.startswith(f"{path}:11:36: links.0.impair.reverse.reorder: engine: netem reorders only packets "
                              "it delays: give the reverse direction a delay")


def test_a_link_rate_is_refused_with_netem(write):
    path = write("      engine: netem\n      loss: 1%\n    rate: 10mbit")
    (problem,) = problems_of(path)
    assert problem.startswith(f"{path}:11:11: links.0.rate: engine: netem takes the interface's root qdisc")


def test_an_impaired_ping_across_a_netem_link_is_refused(write):
    path = write("      engine: netem\n      loss: 1%", extra="checks:\n  - ping: {from: b, to: a, impaired: true}\n")
    (problem,) = problems_of(path)
    assert problem.startswith(f"{path}:12:38: checks.0.ping.impaired: b and a are joined by an engine: netem link")


def test_a_netem_link_cannot_be_scheduled():
    with pytest.raises(TopologyError) as caught:
        make({"engine": "netem", "loss": "1%"}, traffic=[{"name": "rx", "counters": {"node": "b", "interface": "eth0"}}],
             schedule=[{"at": "1s", "link_down": "a:eth0"}])
    expected = ("schedule.0.link_down: 'a:eth0' has engine: netem, which does not change at run time here (use "
                "engine: ours to schedule it)")
    assert caught.value.problems == [expected]


# --- planning


def test_a_netem_link_is_a_plain_veth_with_a_qdisc_on_each_sender():
    plan = make({"engine": "netem", "delay": "10ms", "forward": {"loss": "5%"}})
    assert plan.relays == () and plan.taps == ()
    (veth,) = plan.veths
    assert (veth.namespace, veth.ifname, veth.peer_namespace) == ("tb-t1-a", "eth0", "tb-t1-b")
    forward, reverse = plan.netem
    assert (forward.direction, forward.namespace, forward.ifname) == ("forward", "tb-t1-a", "eth0")
    assert (reverse.direction, reverse.namespace, reverse.ifname) == ("reverse", "tb-t1-b", "eth0")
    assert forward.params == NetemParams(delay_ns=10_000_000, loss=5.0)
    assert reverse.params == NetemParams(delay_ns=10_000_000)
    assert [i.mechanism for i in plan.node("a").interfaces] == ["veth"]


def test_the_planner_refuses_a_unikernel_end_of_a_topology_built_in_python():
    data = {"name": "p", "nodes": {"a": {"kind": "netns"}, "b": {"kind": "unikernel", "image": "x"}},
            "links": [{"endpoints": ["a:eth0", "b:service0"], "subnet": "10.0.0.0/30",
                       "impair": {"engine": "netem", "loss": "1%"}}]}
    with pytest.raises(TopologyError) as caught:
        planner.make_plan(Topology.model_validate(data), "t1", resolve_image=lambda image: Path("/x.hvt"))
    assert caught.value.problems == [("links[0]: engine: netem needs kernel interfaces at both ends, and b is a "
                                     "unikernel")]


def test_a_direction_that_asks_for_nothing_gets_no_qdisc():
    plan = make({"engine": "netem", "forward": {"rate": "1mbit"}})
    (only,) = plan.netem
    assert only.direction == "forward" and only.params.rate_bps == 1_000_000
    assert make({"engine": "netem"}).netem == ()


def test_units_percentages_and_the_bursty_loss_carry_over():
    plan = make({"engine": "netem", "delay": "1.5ms", "jitter": "250us", "distribution": "normal", "rate": "10mbps",
                 "limit": 200, "reorder": "0.5", "duplicate": "1%", "corrupt": "0.1%",
                 "gilbert_elliott": {"p": "1%", "r": "10%", "bad_loss": "50%"}})
    params = plan.netem[0].params
    assert (params.delay_ns, params.jitter_ns, params.distribution) == (1_500_000, 250_000, "normal")
    assert (params.rate_bps, params.limit) == (80_000_000, 200)
    assert (params.reorder, params.duplicate, params.corrupt, params.loss) == (0.5, 1.0, 0.1, 0.0)
    assert params.gilbert_elliott.model_dump() == {"p": 1.0, "r": 10.0, "bad_loss": 50.0, "good_loss": 0.0}
    assert params.describe() == ("delay 1500us 250us distribution normal loss gemodel 1% 10% 50% 0% duplicate 1% "
                                 "corrupt 0.1% reorder 0.5% rate 80000000bit limit 200")


def test_netem_params_of_an_empty_direction_is_none():
    from testbed.topology.schema.impair import Impairment

    assert netem_params(Impairment()) is None
    assert netem_params(Impairment(loss=0)) == NetemParams()


# --- the kernel's view of the options


def decoded(params: NetemParams):
    """The request as pyroute2 parses an RTM_NEWQDISC: tcmsg, kind, and netem's qopt and known attributes."""
    (message,) = MarshalRtnl().parse(netem.request(7, params))
    return message


def netem_attrs(params: NetemParams) -> dict[int, bytes]:
    """TCA_OPTIONS' attributes after struct tc_netem_qopt, by type."""
    data, attrs = netem.options(params)[24:], {}
    while data:
        length, kind = struct.unpack_from("=HH", data)
        attrs[kind] = data[4:length]
        data = data[(length + 3) & ~3:]
    return attrs


def test_the_request_is_a_root_netem_qdisc_with_the_fixed_point_probabilities():
    params = NetemParams(delay_ns=10_000_000, jitter_ns=1_000_000, loss=5.0, limit=300, duplicate=0.5, reorder=1.0,
                         corrupt=0.1, rate_bps=100_000_000)
    message = decoded(params)
    assert (message["index"], message["parent"]) == (7, 0xFFFFFFFF)
    assert message.get_attr("TCA_KIND") == "netem"
    options = message.get_attr("TCA_OPTIONS")
    assert (options["limit"], options["loss"], options["gap"]) == (300, round(0.05 * 0xFFFFFFFF), 1)
    assert options["duplicate"] == round(0.005 * 0xFFFFFFFF)
    assert options.get_attr("TCA_NETEM_REORDER")["prob_reorder"] == round(0.01 * 0xFFFFFFFF)
    assert options.get_attr("TCA_NETEM_CORRUPT")["prob_corrupt"] == round(0.001 * 0xFFFFFFFF)
    assert options.get_attr("TCA_NETEM_RATE")["rate"] == 12_500_000  # bytes/s
    attrs = netem_attrs(params)
    assert struct.unpack("=q", attrs[netem.TCA_NETEM_LATENCY64]) == (10_000_000,)
    assert struct.unpack("=q", attrs[netem.TCA_NETEM_JITTER64]) == (1_000_000,)
    assert netem.TCA_NETEM_LOSS not in attrs and netem.TCA_NETEM_DELAY_DIST not in attrs  # uniform: no table


def test_gilbert_elliott_is_a_gemodel_whose_h_is_the_chance_to_keep_a_packet_when_bad():
    from testbed.plan.netem import GilbertElliottParams

    params = NetemParams(loss=3.0, gilbert_elliott=GilbertElliottParams(p=1, r=10, bad_loss=80, good_loss=2))
    assert decoded(params).get_attr("TCA_OPTIONS")["loss"] == 0  # the random-loss field stays off
    nested = netem_attrs(params)[netem.TCA_NETEM_LOSS]
    length, kind = struct.unpack_from("=HH", nested)
    assert (length, kind) == (20, netem.NETEM_LOSS_GE)
    assert struct.unpack_from("=4I", nested, 4) == tuple(round(x / 100 * 0xFFFFFFFF) for x in (1, 10, 20, 2))


def test_a_rate_past_32_bits_of_bytes_goes_in_rate64():
    attrs = netem_attrs(NetemParams(rate_bps=40_000_000_000))
    assert struct.unpack_from("=I", attrs[netem.TCA_NETEM_RATE]) == (0xFFFFFFFF,)
    assert struct.unpack("=Q", attrs[netem.TCA_NETEM_RATE64]) == (5_000_000_000,)
    assert netem.TCA_NETEM_RATE64 not in netem_attrs(NetemParams(rate_bps=8 * 0xFFFFFFFF))  # exactly the u32's top


def test_normal_jitter_sends_a_distribution_table_of_standard_normal_quantiles():
    table = netem_attrs(NetemParams(delay_ns=10, jitter_ns=5, distribution="normal"))[netem.TCA_NETEM_DELAY_DIST]
    values = struct.unpack(f"={len(table) // 2}h", table)
    assert len(values) == netem.DIST_TABLE_SIZE
    assert values == tuple(sorted(values)) and values[0] == -values[-1]
    assert abs(values[len(values) // 2]) < 5  # the median is 0
    share_within_one_sigma = sum(abs(v) <= netem.NETEM_DIST_SCALE for v in values) / len(values)
    assert 0.67 < share_within_one_sigma < 0.70


# --- at run time


def test_testbed_impair_on_a_netem_link_says_it_does_not_change():
    plan = make({"engine": "netem", "loss": "1%"})
    with pytest.raises(LabError, match="has engine: netem, which does not change at run time"):
        find(SimpleNamespace(plan=plan, run_id="t1"), "b:eth0")
