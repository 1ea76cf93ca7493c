"""Example: two Linux hosts and a unikernel on one bridge reach each other, and the topology's own checks pass."""


def test_three_nodes_share_a_segment(testbed_lab):
    with testbed_lab("../../topologies/bridge3.yaml") as lab:
        assert lab.address("alice") == "10.0.2.1" and lab.address("guest") == "10.0.2.3"
        for src, dst in [("alice", "guest"), ("bob", "guest"), ("alice", "bob")]:
            assert lab.ping(src, dst, count=10, interval=0.005).loss_percent == 0, f"{src} -> {dst}"
        failed = [result for result in lab.run_checks() if not result.passed]
        assert not failed, failed
        assert "ready:" in lab.console("guest")
