"""topology.rules: the static rules a valid topology obeys beyond its schema (addresses, names, images, ...)."""
