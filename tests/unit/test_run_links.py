"""test_run_links: an impaired link's configuration as people write it, and back to the relay's text."""
from __future__ import annotations

from testbed.run import links

CONFIG = {"down": False, "loss_ppm": 50_000, "ge": False, "ge_p_ppm": 0, "ge_r_ppm": 0, "ge_loss_good_ppm": 0,
          "ge_loss_bad_ppm": 0, "delay_ns": 10_000_000, "jitter_ns": 1_500_000, "dist": "normal",
          "rate_bps": 100_000_000, "limit": 1000, "reorder_ppm": 10_000, "duplicate_ppm": 0, "corrupt_ppm": 1_000,
          "seed": 42}


def test_a_configuration_reads_as_written():
    assert links.describe(CONFIG) == ("loss 5% delay 10ms jitter 1.5ms (normal) rate 100mbit limit 1000 "
                                      "reorder 1% corrupt 0.1%")
    assert links.describe({**CONFIG, "down": True}).startswith("DOWN loss 5%")
    bursty = {**CONFIG, "ge": True, "ge_p_ppm": 10_000, "ge_r_ppm": 100_000, "ge_loss_bad_ppm": 1_000_000}
    assert links.describe(bursty).startswith("gilbert-elliott p 1% r 10% bad 100% good 0% delay")
    plain = {**CONFIG, "loss_ppm": 0, "delay_ns": 0, "jitter_ns": 0, "rate_bps": 0, "reorder_ppm": 0,
             "corrupt_ppm": 0}
    assert links.describe(plain) == "none"


def test_the_relays_json_turns_back_into_its_text():
    text = links._text(CONFIG)
    assert text["loss"] == "50000" and text["down"] == "0" and text["dist"] == "normal" and text["seed"] == "42"
    assert set(text) == set(links.CONFIG_KEYS.values())
