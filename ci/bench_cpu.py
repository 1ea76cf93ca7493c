"""bench_cpu: CPU time a running process has used, to measure a window of a run (shared with testbed's traffic)."""
from testbed.run.traffic.cpu import process_cpu_seconds

__all__ = ["process_cpu_seconds"]
