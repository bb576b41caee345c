"""Security scanning of generated code: Semgrep on proposed edits, a quick in-process check for ghost text."""
