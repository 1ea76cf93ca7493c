"""graph: a topology drawn as Mermaid, Graphviz DOT or JSON: nodes and kinds, links and mechanisms, addresses, settings."""
