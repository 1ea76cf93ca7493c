"""netlink: makes a Plan real in the kernel and takes it away again, with pyroute2 only."""
