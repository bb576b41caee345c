"""LLM code actions, refactor plans, multi-file edit proposals and self-verification; no pygls."""
