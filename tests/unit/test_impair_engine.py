"""test_impair_engine: compiles the impairment engine (monitor/impair) with a host harness and checks every decision."""
from __future__ import annotations

import itertools
import json
import math
import shutil
import statistics
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ENGINE = ROOT / "monitor" / "impair"
MS = 1_000_000


@pytest.fixture(scope="module")
def harness(tmp_path_factory) -> Path:
    if shutil.which("gcc") is None:
        pytest.fail("gcc is needed to build the impairment harness")
    exe = tmp_path_factory.mktemp("impair") / "impair_harness"
    subprocess.run(["gcc", "-O2", "-g", "-Wall", "-Wextra", "-Werror", "-std=gnu11", f"-I{ENGINE}",
                    str(Path(__file__).with_name("impair_harness.c")), str(ENGINE / "impair.c"), "-lm", "-o", str(exe)],
                   check=True)
    return exe


def flow(harness: Path, count: int, length: int = 100, interval: int = 10_000, **config) -> dict:
    args = [f"{key}={value}" for key, value in config.items() if key != "then"]
    if "then" in config:
        at, second = config["then"]
        args += [f"set_at={at}", *(f"{key}={value}" for key, value in second.items())]
    done = subprocess.run([str(harness), str(count), str(length), str(interval), *args],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def indexes(result: dict) -> list[int]:
    return [index for index, _, _ in result["out"]]


def binomial_bounds(n: int, p: float, sigmas: float = 5.0) -> tuple[float, float]:
    spread = sigmas * math.sqrt(n * p * (1 - p))
    return n * p - spread, n * p + spread


def test_the_same_seed_drops_duplicates_and_reorders_the_same_packets(harness):
    config = {"seed": 42, "loss": 100_000, "reorder": 50_000, "duplicate": 50_000}
    first, second = flow(harness, 5000, **config), flow(harness, 5000, **config)
    assert first["out"] == second["out"]
    assert first["dropped"] > 0 and first["reordered"] > 0 and first["duplicated"] > 0
    other = flow(harness, 5000, **{**config, "seed": 43})
    assert indexes(other) != indexes(first)


def test_direction_and_link_are_part_of_the_key(harness):
    base = indexes(flow(harness, 2000, seed=7, loss=200_000))
    assert indexes(flow(harness, 2000, seed=7, loss=200_000, dir=1)) != base
    assert indexes(flow(harness, 2000, seed=7, loss=200_000, link=2)) != base


def test_chatter_in_between_never_moves_the_data_decisions(harness):
    # ARP (and multicast) frames are counted apart: a kernel sends them at times no experiment controls.
    quiet = flow(harness, 3000, seed=21, loss=100_000, duplicate=50_000, reorder=50_000)
    chatty = flow(harness, 3000, seed=21, loss=100_000, duplicate=50_000, reorder=50_000, chatter=7)
    assert indexes(chatty) == indexes(quiet)
    assert chatty["received"] > quiet["received"]


def test_each_decision_has_its_own_stream(harness):
    # Adding duplication must not move which packets are lost.
    lost_alone = set(range(3000)) - set(indexes(flow(harness, 3000, seed=5, loss=100_000)))
    with_dups = flow(harness, 3000, seed=5, loss=100_000, duplicate=300_000)
    assert set(range(3000)) - set(indexes(with_dups)) == lost_alone


@pytest.mark.parametrize("percent", [1, 10, 20])
def test_loss_rate_is_within_binomial_bounds_at_ten_to_the_fifth(harness, percent):
    result = flow(harness, 100_000, seed=1, loss=percent * 10_000)
    low, high = binomial_bounds(100_000, percent / 100)
    assert low <= result["dropped"] <= high
    assert result["sent"] == 100_000 - result["dropped"]


def test_gilbert_elliott_loses_in_bursts_at_the_stationary_rate(harness):
    # p = 1%, r = 10%: the bad state holds 1/11 of the time; all lost there, none in the good state.
    result = flow(harness, 20_000, seed=3, ge=1, p=10_000, r=100_000, lossgood=0, lossbad=1_000_000)
    lost = sorted(set(range(20_000)) - set(indexes(result)))
    rate = len(lost) / 20_000
    assert 0.06 < rate < 0.125
    bursts, run = [], 1
    for previous, current in itertools.pairwise(lost):
        if current == previous + 1:
            run += 1
        else:
            bursts.append(run)
            run = 1
    bursts.append(run)
    assert statistics.mean(bursts) > 5  # mean 1/r = 10 packets; independent loss at 9% would give ~1.1


def test_delay_holds_every_packet_exactly_that_long(harness):
    result = flow(harness, 1000, delay=10 * MS)
    assert [delay for _, delay, _ in result["out"]] == [10 * MS] * 1000
    assert indexes(result) == list(range(1000))
    assert result["delayed"] == 1000


@pytest.mark.parametrize("dist", [0, 1])
def test_jitter_spreads_the_delay_and_keeps_the_order(harness, dist):
    # Packets 10 ms apart: jitter never pushes one behind its predecessor, so the spread is the distribution's.
    result = flow(harness, 3000, interval=10 * MS, seed=9, delay=20 * MS, jitter=2 * MS, dist=dist)
    assert indexes(result) == list(range(3000))
    delays = [delay for _, delay, _ in result["out"]]
    assert abs(statistics.median(delays) - 20 * MS) < 0.2 * MS
    if dist == 0:
        assert min(delays) >= 18 * MS and max(delays) <= 22 * MS
    else:
        assert 1.3 * MS < statistics.pstdev(delays) < 2.5 * MS


def test_jitter_never_reorders_close_packets(harness):
    result = flow(harness, 3000, interval=100_000, seed=9, delay=20 * MS, jitter=5 * MS, dist=1)
    assert indexes(result) == list(range(3000))
    assert min(delay for _, delay, _ in result["out"]) >= 0


def test_rate_spaces_packets_by_their_time_on_the_wire(harness):
    # 1000-byte frames offered at 1 per 10 us (800 Mbit/s) to a 10 Mbit/s wire: one leaves per 800 us.
    result = flow(harness, 500, length=1000, interval=10_000, rate=10_000_000, limit=1000)
    assert result["queue_drops"] == 0
    seconds = result["end_ns"] / 1e9
    assert result["bytes_sent"] * 8 / seconds == pytest.approx(10_000_000, rel=0.02)


@pytest.mark.parametrize("extra", [{"duplicate": 300_000}, {"reorder": 300_000}])
def test_duplicates_and_held_back_frames_take_their_own_turn_on_the_wire(harness, extra):
    result = flow(harness, 500, length=1000, interval=10_000, rate=10_000_000, limit=100_000, seed=3, **extra)
    assert result["bytes_sent"] * 8 / (result["end_ns"] / 1e9) == pytest.approx(10_000_000, rel=0.02)
    arrivals = sorted(index * 10_000 + delay for index, delay, _ in result["out"])
    gaps = [later - earlier for earlier, later in itertools.pairwise(arrivals)]
    assert min(gaps) >= 800_000 - 1  # one 1000-byte frame per 800 us, copies included


def test_a_full_link_drops_at_its_limit(harness):
    result = flow(harness, 500, length=1000, interval=10_000, rate=10_000_000, limit=50)
    assert result["queue_drops"] > 300
    assert result["sent"] + result["queue_drops"] == 500


def test_a_reordered_packet_leaves_right_after_the_next(harness):
    result = flow(harness, 5000, seed=11, reorder=100_000)
    out = indexes(result)
    assert sorted(out) == list(range(5000))
    swapped = [i for i in range(len(out) - 1) if out[i] > out[i + 1]]
    # The last packet, when held back, has no successor to swap with: it leaves alone after the hold time.
    assert len(swapped) in (result["reordered"], result["reordered"] - 1)
    assert all(out[i] == out[i + 1] + 1 for i in swapped)  # neighbours swapped, nothing else moved
    low, high = binomial_bounds(5000, 0.1)
    assert low * 0.8 <= result["reordered"] <= high


def test_duplicates_follow_their_original(harness):
    result = flow(harness, 5000, seed=13, duplicate=100_000)
    out = indexes(result)
    assert len(out) == 5000 + result["duplicated"]
    assert sorted(set(out)) == list(range(5000))
    twins = [i for i in range(len(out) - 1) if out[i] == out[i + 1]]
    assert len(twins) == result["duplicated"]


def test_corruption_flips_one_bit_past_the_ethernet_header(harness):
    result = flow(harness, 5000, length=200, seed=17, corrupt=100_000)
    flips = [bits for _, _, bits in result["out"]]
    assert sum(flips) == result["corrupted"] > 0
    assert set(flips) == {0, 1}
    assert indexes(result) == list(range(5000))


def test_down_drops_everything_and_a_runtime_change_keeps_the_packet_index(harness):
    result = flow(harness, 1000, seed=19, then=(400, {"down": 1}))
    assert indexes(result) == list(range(400))
    assert result["down_drops"] == 600
    # Changing the configuration midway: packets after the change decide as they would have from the start.
    changed = flow(harness, 2000, seed=19, then=(1000, {"loss": 100_000}))
    always = flow(harness, 2000, seed=19, loss=100_000)
    assert [i for i in indexes(changed) if i >= 1000] == [i for i in indexes(always) if i >= 1000]
