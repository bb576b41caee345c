"""Repository context for prompts: per-file summaries of source code built with tree-sitter."""
