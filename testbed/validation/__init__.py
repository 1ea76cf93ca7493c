"""validation: reading topology files with positions, mapping errors back to them, and the static checks."""
