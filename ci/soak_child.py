"""soak_child: one lab's up, a one-packet ping and down, in its own process: the target of the soak's faults.

python3 ci/soak_child.py STATE_ROOT PREFIX TOPOLOGY   (the state root is an argument, not only the environment,
so that this process and anything it forks carry the soak's root, and so its token, in their command line)
"""
import os
import signal
import sys

from testbed.lab import Lab

os.environ["TESTBED_STATE_DIR"] = sys.argv[1]  # read by testbed at each use, so setting it after the import is fine
signal.signal(signal.SIGINT, signal.default_int_handler)  # Ctrl-C as at a terminal, even if the soak runs in the
                                                          # background (where the shell leaves SIGINT ignored)

print("start", flush=True)  # imports done: the fault's clock starts here
lab = Lab.up(sys.argv[3], name_prefix=sys.argv[2])
try:  # "up" is announced inside the try: a Ctrl-C aimed at the running lab must find the teardown armed
    print("up", flush=True)
    lab.ping(next(iter(lab.nodes)), lab.plan.nodes[-1].name, count=1)
finally:
    print("down", flush=True)  # a fault aimed at teardown lands after this line
    lab.down()
