"""capture: where a lab's packets are captured into pcapng (the monitor for guest NICs, tb-capture for kernel ends)."""
