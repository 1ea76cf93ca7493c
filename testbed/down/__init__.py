"""down: stage 5, what a run owns (its recorded state) and tearing exactly that down."""
