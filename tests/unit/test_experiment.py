"""Experiment pieces without labs: summaries, the permutation test and `compare` (a planted 30% regression is
flagged, a 1% change is not), sweep expansion, ratios and warm-up handling, the table, plots, and bad sweeps."""
from __future__ import annotations

import io
import random

import pytest
from rich.console import Console

from testbed.errors import TopologyError
from testbed.experiment import results as r
from testbed.experiment.compare import compare, higher_is_better
from testbed.experiment.plots import write_plots
from testbed.experiment.report import variant_table
from testbed.experiment.run import plan
from testbed.experiment.stats import permutation_p, summarise
from testbed.experiment.variants import expand
from testbed.topology.schema import Sweep


def test_summarise():
    s = summarise([3, 1, 2, None, 4.0])
    assert (s["median"], s["min"], s["max"], s["n"]) == (2.5, 1, 4, 4)
    assert s["cv"] == pytest.approx(1.118034 / 2.5, rel=1e-5)
    assert summarise([None]) is None and summarise([5])["cv"] == 0.0


def test_permutation_p_exact_and_sampled():
    assert permutation_p([1, 2, 3], [1, 2, 3]) == 1.0
    # Fully separated 3 + 3: two of the 20 relabellings are as extreme (the observed one and its mirror).
    assert permutation_p([1, 2, 3], [10, 11, 12]) == pytest.approx(0.1)
    rng = random.Random(7)
    a = [rng.gauss(100, 2) for _ in range(15)]
    b = [rng.gauss(100, 2) for _ in range(15)]
    assert permutation_p(a, b) > 0.05  # C(30, 15) is too many: sampled, and seeded so it is repeatable
    assert permutation_p(a, b) == permutation_p(a, b)


def synthetic(scale: float, seed: int, n: int = 10, noise: float = 0.02) -> dict:
    """A results file whose 'hypercall' pps is 100k × scale with `noise` relative jitter; exits go the other way."""
    rng = random.Random(seed)
    samples = [{"round": i, "warmup": False, "error": None,
                "metrics": {"sink.pps": 100_000 * scale * rng.gauss(1, noise),
                            "sink.exits_per_packet": 0.5 / scale * rng.gauss(1, noise)}} for i in range(n)]
    variants = [{"name": "hypercall", "baseline": False, "overrides": {}, "samples": samples}]
    for variant in variants:
        variant["summary"] = r.summarise_variant(variant["samples"])
    return {"format": r.FORMAT, "topology": "udp-rx", "sweep": {"repeat": n, "warmup": 0,
                                                                 "metrics": ["sink.pps", "sink.exits_per_packet"]},
            "environment": {}, "skipped": [], "variants": variants}


def test_compare_flags_a_planted_30_percent_regression_and_not_1_percent():
    base = synthetic(1.0, seed=1)
    regressed = {c.metric: c for c in compare(base, synthetic(0.7, seed=2))}
    assert regressed["sink.pps"].significant and regressed["sink.pps"].worse
    assert regressed["sink.pps"].change == pytest.approx(-0.3, abs=0.03)
    assert regressed["sink.exits_per_packet"].worse  # a cost that rose is worse too
    slight = {c.metric: c for c in compare(base, synthetic(0.99, seed=3))}
    assert not slight["sink.pps"].significant and not slight["sink.pps"].worse
    improved = {c.metric: c for c in compare(base, synthetic(1.3, seed=4))}
    assert improved["sink.pps"].significant and not improved["sink.pps"].worse


def test_which_way_is_better():
    assert higher_is_better("sink.pps") and higher_is_better("sink.pps.vs_ceiling")
    assert not higher_is_better("sink.exits_per_packet") and not higher_is_better("sink.cpu_us_per_packet")


def test_expand_baselines_first_then_the_product_skipping_missing_io_modes():
    sweep = Sweep(parameters={"nodes.guest.io": ["hypercall", "poll", "hybrid"], "traffic.1.udpgen.size": [64, 1258]},
                  baselines={"ceiling": {"traffic.0": {"name": "sink", "tapread": {"node": "guest"}}}})
    variants, skipped = expand(sweep, supported_io=("hypercall", "poll"))
    assert [v.name for v in variants] == ["ceiling", "io=hypercall,size=64", "io=hypercall,size=1258",
                                          "io=poll,size=64", "io=poll,size=1258"]
    assert variants[0].baseline and variants[1].overrides == {"nodes.guest.io": "hypercall",
                                                              "traffic.1.udpgen.size": 64}
    assert [s["variant"] for s in skipped] == ["io=hybrid,size=64", "io=hybrid,size=1258"]
    assert "no io mode 'hybrid'" in skipped[0]["reason"]


def test_one_parameter_may_set_several_paths():
    variants, _ = expand(Sweep(parameters={"nodes.a.io,nodes.b.io": ["poll"]}), supported_io=("poll",))
    assert [(v.name, v.overrides) for v in variants] == [("poll", {"nodes.a.io": "poll", "nodes.b.io": "poll"})]


def test_ratios_pair_rounds_and_summaries_leave_out_warmup_and_failures():
    def sample(round_, pps, warmup=False, error=None):
        return {"round": round_, "warmup": warmup, "error": error, "metrics": {} if error else {"sink.pps": pps}}

    variants = [{"name": "ceiling", "samples": [sample(0, 1000, True), sample(1, 400), sample(2, 500)]},
                {"name": "poll", "samples": [sample(0, 1, True), sample(1, 100), sample(2, 0, error="boom")]}]
    r.add_ratios(variants, "sink.pps", "ceiling")
    assert variants[1]["samples"][1]["metrics"]["sink.pps.vs_ceiling"] == 0.25
    summary = r.summarise_variant(variants[1]["samples"])
    assert summary["sink.pps"]["n"] == 1 and summary["sink.pps"]["median"] == 100
    assert r.summarise_variant(variants[0]["samples"])["sink.pps.vs_ceiling"]["median"] == 1.0


def test_table_and_plots(tmp_path):
    results = synthetic(1.0, seed=5)
    results["skipped"] = [{"variant": "event", "reason": "the monitor has no io mode 'event'"}]
    console = Console(file=io.StringIO(), width=200)
    console.print(variant_table(results))
    text = console.file.getvalue()
    assert "hypercall" in text and "sink pkt/s" in text and "skipped event" in text and "10/10" in text
    written = write_plots(results, tmp_path / "plots")
    assert [p.name for p in written] == ["udp-rx-sink.pps.png", "udp-rx-sink.exits_per_packet.png"]
    assert all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in written)


def test_results_files_are_checked_on_read(tmp_path):
    good = tmp_path / "good.json"
    r.write(synthetic(1.0, seed=6), good)
    assert r.read(good)["topology"] == "udp-rx"
    bad = tmp_path / "bad.json"
    bad.write_text('{"variants": []}')
    with pytest.raises(r.ResultsError, match="not a testbed experiment results file"):
        r.read(bad)


SWEEP_TOPOLOGY = """\
name: lab
nodes:
  host: {kind: netns}
  peer: {kind: netns}
links:
  - endpoints: [host:eth0, peer:eth0]
    subnet: 10.0.0.0/30
traffic:
  - {name: flood, udpgen: {from: host, to: peer, count: 10}}
sweep:
  parameters:
    traffic.0.udpgen.size: [64, 70000]
"""


def test_a_bad_sweep_value_is_refused_before_any_lab(tmp_path):
    path = tmp_path / "lab.yaml"
    path.write_text(SWEEP_TOPOLOGY)
    with pytest.raises(TopologyError) as caught:
        plan(path, supported_io=("hypercall",))
    assert caught.value.problems == ["<override traffic.0.udpgen.size>: traffic.0.udpgen.size: "
                                     "Input should be less than or equal to 65507, got 70000"]


def test_flatten_keeps_measured_numbers_only():
    traffic = {"sink": {"kind": "app", "pps": 5.0, "rx_packets": 10, "summary": True, "started_s": 0.1,
                        "exit_status": 0, "rx_per_second": [5, 5]}}
    assert r.flatten(traffic) == {"sink.pps": 5.0, "sink.rx_packets": 10}


def test_compare_command_exits_1_on_a_regression_only(tmp_path, capsys):
    from testbed.cli import main

    paths = {}
    for name, scale, seed in (("a", 1.0, 1), ("slower", 0.7, 2), ("same", 0.99, 3)):
        paths[name] = tmp_path / f"{name}.json"
        r.write(synthetic(scale, seed), paths[name])
    assert main(["compare", str(paths["a"]), str(paths["slower"])]) == 1
    out = capsys.readouterr().out
    assert "sink.pps" in out and "worse" in out and "-3" in out
    assert main(["compare", str(paths["a"]), str(paths["same"])]) == 0
    assert "0 of 2 metrics outside the noise" in capsys.readouterr().out
    assert main(["compare", str(paths["a"]), str(tmp_path / "missing.json")]) == 2


def test_a_moving_baseline_is_called_machine_drift():
    from testbed.experiment.compare import baseline_drift

    a, b = synthetic(1.0, seed=8), synthetic(0.7, seed=9)
    for results in (a, b):
        results["variants"][0]["baseline"] = True
    drift = baseline_drift(a, compare(a, b))
    assert [c.metric for c in drift] == ["sink.exits_per_packet", "sink.pps"]
    a["variants"][0]["baseline"] = False
    assert baseline_drift(a, compare(a, b)) == []
