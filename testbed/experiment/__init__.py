"""experiment: sweeps over topology parameters × repeats on fresh labs; results JSON, reports, plots, A/B compare."""
