"""A repeatable fill-in-the-middle quality eval on pinned real projects (see scripts/eval_fim.py)."""
