"""experiment: sweeps over topology parameters × repeats on fresh labs, their results JSON, reports, plots, A/B compare."""
