"""iquest-lsp: a local, offline AI code completion language server."""

__version__ = "0.1.0"
