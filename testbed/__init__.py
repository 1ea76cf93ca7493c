"""testbed: a declarative testbed for unikernel networking."""

__version__ = "0.1.0"
