"""`python -m testbed.cli`: the `testbed` command."""
from testbed.cli import run_and_exit

run_and_exit()
