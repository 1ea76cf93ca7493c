"""Example: two Linux hosts and a unikernel on one bridge all reach each other."""


def test_three_nodes_share_a_segment(testbed_lab):
    with testbed_lab("../../topologies/bridge3.yaml") as lab:
        assert lab.address("alice") == "10.0.2.1" and lab.address("guest") == "10.0.2.3"
        for src, dst in [("alice", "bob"), ("alice", "guest"), ("bob", "guest")]:
            assert lab.ping(src, dst, count=20, interval=0.01).received >= 20, f"{src} -> {dst}"
        assert lab.exec("alice", ["ip", "neigh", "show", "10.0.2.3"]).stdout.count("lladdr") == 1
