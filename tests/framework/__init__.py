"""framework: what the tests share: event waits, a monitor process, a UDP receiver and sender, and the fixtures."""
