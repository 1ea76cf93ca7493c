"""plan: stage 2, pure: a validated Topology becomes a concrete Plan (names, addresses, mechanisms); no I/O."""
