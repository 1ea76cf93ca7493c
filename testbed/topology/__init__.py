"""topology: stage 1, reading a topology file (YAML with positions), its schema and its static rules."""
