"""graph.formats: the output formats `testbed graph` offers (apart, so the CLI lists them without importing the rest)."""
FORMATS = ("mermaid", "dot", "json")
