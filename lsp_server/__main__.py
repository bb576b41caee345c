"""``python -m lsp_server`` runs the CLI."""

import sys

from lsp_server.cli import main

sys.exit(main())
