"""Command line: serve (default), demo, model {list,fetch,verify}, doctor, audit, stats."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO


def _protect_stdout() -> BinaryIO:
    """Give the LSP transport its own copy of fd 1 and point fd 1 at stderr.

    llama.cpp (and llama-cpp-python's ``suppress_stdout_stderr``) write to or redirect fd 1 while
    a model loads; with this, nothing but our JSON-RPC ever reaches the client's pipe.
    """
    transport = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return transport


def _serve(args: argparse.Namespace) -> int:
    from lsp_server.heap import pin_mmap_threshold
    from lsp_server.server import build_server

    pin_mmap_threshold()
    server = build_server()
    if args.tcp:
        host, _, port = args.tcp.rpartition(":")
        server.start_tcp(host or "127.0.0.1", int(port))
    else:
        transport = _protect_stdout()
        server.start_io(sys.stdin.buffer, transport)
    return 0


def _demo(args: argparse.Namespace) -> int:
    from lsp_server.demo import main as demo_main

    return demo_main(args.target, args.model, sys.stdout, verbose=args.verbose)


def _model(args: argparse.Namespace) -> int:
    from lsp_server.model import commands

    if args.model_command == "list":
        return commands.list_models(sys.stdout, as_json=args.json)
    if args.model_command == "fetch":
        return commands.fetch_models(args.name, sys.stdout)
    return commands.verify_models(args.name, sys.stdout, as_json=args.json)


def _audit(args: argparse.Namespace) -> int:
    import json

    from lsp_server.audit import format_entry, read_recent
    from lsp_server.paths import state_dir

    path = args.path or state_dir() / "audit.jsonl"
    entries = read_recent(Path(path).expanduser(), args.limit)
    if not entries:
        print(f"no audit entries in {path}", file=sys.stderr)
        return 0
    for entry in entries:
        print(json.dumps(entry, ensure_ascii=False) if args.json else format_entry(entry))
    return 0


def _stats(args: argparse.Namespace) -> int:
    from lsp_server.paths import state_dir
    from lsp_server.stats import run_stats

    path = Path(args.path).expanduser() if args.path else state_dir() / "audit.jsonl"
    plot_to = Path(args.plot).expanduser() if args.plot else None
    return run_stats(path, args.since, args.json, plot_to, sys.stdout)


def _doctor(args: argparse.Namespace) -> int:
    from lsp_server.doctor import run_doctor

    return run_doctor(sys.stdout, model=args.model, as_json=args.json)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for ``iquest-lsp``."""
    parser = argparse.ArgumentParser(
        prog="iquest-lsp", description="Local, offline AI code completion language server."
    )
    parser.add_argument("--log-level", default=os.environ.get("IQUEST_LOG_LEVEL", "INFO"), help="stderr log level")
    commands = parser.add_subparsers(dest="command")

    serve = commands.add_parser("serve", help="run the language server (default)")
    mode = serve.add_mutually_exclusive_group()
    mode.add_argument("--stdio", action="store_true", help="talk LSP over stdin/stdout (default)")
    mode.add_argument("--tcp", metavar="HOST:PORT", help="listen on a TCP port instead")
    serve.set_defaults(handler=_serve)

    demo = commands.add_parser("demo", help="run a real LSP session and print a suggestion")
    demo.add_argument("target", nargs="?", help="FILE[:LINE:COL] (1-based); default: the sample project")
    demo.add_argument("--model", help="catalog name or .gguf path (default: the catalog default)")
    demo.add_argument("--verbose", action="store_true", help="show the server's log")
    demo.set_defaults(handler=_demo)

    model = commands.add_parser("model", help="list, fetch and verify models")
    model_commands = model.add_subparsers(dest="model_command", required=True)
    listing = model_commands.add_parser("list", help="show the catalog and what is fetched")
    listing.add_argument("--json", action="store_true", help="print one JSON document instead of a table")
    for name, text in (("fetch", "download and verify a model"), ("verify", "re-hash fetched models")):
        sub = model_commands.add_parser(name, help=text)
        sub.add_argument(
            "name", nargs="?", help="catalog name (default: the catalog default for fetch, all for verify)"
        )
        if name == "verify":
            sub.add_argument("--json", action="store_true", help="print one JSON document with every result")
    model.set_defaults(handler=_model)

    doctor = commands.add_parser("doctor", help="check the installation; non-zero exit when something is wrong")
    doctor.add_argument("--model", help="catalog name or .gguf path to check (default: the catalog default)")
    doctor.add_argument("--json", action="store_true", help="print the report as one JSON document")
    doctor.set_defaults(handler=_doctor)

    audit = commands.add_parser(
        "audit", help="print recent audit log entries (suggestions shown, edits proposed and accepted)"
    )
    audit.add_argument("-n", "--limit", type=int, default=20, help="how many entries (default 20)")
    audit.add_argument("--path", help="the audit log (default: the iquest.auditLogPath default under the state folder)")
    audit.add_argument("--json", action="store_true", help="print the raw JSON lines")
    audit.set_defaults(handler=_audit)

    stats = commands.add_parser(
        "stats",
        help="acceptance figures of the suggestions shown (from the local audit log; nothing leaves the machine)",
    )
    stats.add_argument("--since", type=float, metavar="DAYS", help="only the last DAYS days (default: all of the log)")
    stats.add_argument("--json", action="store_true", help="print the figures as JSON")
    stats.add_argument(
        "--plot", metavar="FILE.png", help="also write acceptance and latency per day as a PNG (matplotlib)"
    )
    stats.add_argument("--path", help="the audit log (default: the iquest.auditLogPath default under the state folder)")
    stats.set_defaults(handler=_stats)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=getattr(logging, str(args.log_level).upper(), logging.INFO),
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if logging.getLogger().level > logging.DEBUG:
        logging.getLogger("pygls").setLevel(logging.WARNING)  # it logs every message at INFO
    if args.command is None:
        args = parser.parse_args([*(argv or sys.argv[1:]), "serve"])
    return args.handler(args)
