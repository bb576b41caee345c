"""`iquest-lsp doctor`: versions, llama.cpp capabilities, model state and paths."""

from __future__ import annotations

import json
import platform
import sys
from importlib import metadata
from typing import Any, TextIO

from lsp_server import __version__
from lsp_server.actions.sandbox import probe
from lsp_server.model.catalog import UnknownModelError, load_catalog
from lsp_server.model.fetch import is_verified, resolve_model
from lsp_server.model.gguf import GGUFError, read_gguf_info
from lsp_server.model.gpu import gpu_offload_supported
from lsp_server.paths import models_dir, state_dir
from lsp_server.scan.semgrep import find_semgrep


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def _llama_report(report: dict[str, Any]) -> list[str]:
    """Record llama.cpp's build capabilities; return problems."""
    try:
        import llama_cpp
    except Exception as exc:
        return [f"llama-cpp-python cannot be imported: {exc}. Fix: run the README's set-up command."]
    system = llama_cpp.llama_print_system_info()
    system = system.decode("utf-8", errors="replace") if isinstance(system, bytes) else str(system)
    report["gpu_offload"] = gpu_offload_supported()
    report["gpu_layers_default"] = "-1: all layers" if report["gpu_offload"] else "-1: none, CPU only"
    report["cpu_features"] = system.strip()
    return []


def _model_report(report: dict[str, Any], spec: str | None) -> list[str]:
    """Check that the model would load; return problems."""
    catalog = load_catalog()
    spec = spec or catalog.default
    model: dict[str, Any] = {"spec": spec, "state": "unknown"}
    report["model"] = model
    try:
        resolved = resolve_model(spec, catalog)
    except UnknownModelError as exc:
        return [str(exc)]
    model["path"] = str(resolved.path)
    entry = resolved.entry
    if entry is not None and not entry.loadable:
        model["state"] = "not loadable"
        return [f"model {entry.name} cannot be loaded: {entry.note}"]
    if not resolved.path.is_file():
        model["state"] = "missing"
        fix = f"run `iquest-lsp model fetch {entry.name}`" if entry else "check the path"
        return [f"model file missing: {resolved.path}. Fix: {fix}."]
    if entry is not None and entry.sha256 and not is_verified(resolved.path, entry.sha256, entry.size):
        model["state"] = "failed verification"
        return [
            f"model file {resolved.path} fails sha256 verification. Fix: run `iquest-lsp model fetch {entry.name}`."
        ]
    try:
        info = read_gguf_info(resolved.path)
    except GGUFError as exc:
        model["state"] = "invalid"
        return [f"model file {resolved.path} is not a valid GGUF file: {exc}"]
    model.update(
        state="verified", gguf_version=info.version, architecture=info.architecture, context_length=info.context_length
    )
    return []


def collect_report(model: str | None = None) -> dict[str, Any]:
    """Everything doctor checks, as plain data; ``problems`` is empty when completions can work."""
    report: dict[str, Any] = {
        "iquest_lsp": __version__,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "packages": {},
    }
    problems: list[str] = []
    for package in ("pygls", "lsprotocol", "llama-cpp-python"):
        version = _version(package)
        report["packages"][package] = version
        if version is None:
            problems.append(f"{package} is not installed. Fix: run the README's set-up command.")
    problems += _llama_report(report)
    report["models_dir"] = str(models_dir())
    report["audit_log"] = str(state_dir() / "audit.jsonl")
    problems += _model_report(report, model)
    # Not problems (completions work without them): what proposed edits and test runs get here.
    report["security"] = {
        "semgrep": find_semgrep(),
        "semgrep_version": _version("semgrep"),
        "verify_sandbox": probe().describe(),
    }
    report["problems"] = problems
    report["ok"] = not problems
    return report


def run_doctor(out: TextIO, model: str | None = None, *, as_json: bool = False) -> int:
    """Print the report (text or JSON); 0 when everything needed for completions is in place, else 1."""
    report = collect_report(model)
    if as_json:
        json.dump(report, out, indent=2)
        out.write("\n")
        return 0 if report["ok"] else 1
    out.write(f"iquest-lsp {report['iquest_lsp']}\n")
    out.write(f"python {report['python']} on {report['platform']}\n")
    for package, version in report["packages"].items():
        out.write(f"{package}: {version or 'NOT INSTALLED'}\n")
    if "gpu_offload" in report:
        offload = "yes" if report["gpu_offload"] else "no (CPU only)"
        out.write(f"llama.cpp GPU offload: {offload}; gpuLayers default: {report['gpu_layers_default']}\n")
        out.write(f"llama.cpp CPU features: {report['cpu_features']}\n")
    out.write(f"models directory: {report['models_dir']}\n")
    out.write(f"audit log: {report['audit_log']}\n")
    model_info = report["model"]
    if "path" in model_info:
        out.write(f"model: {model_info['spec']} -> {model_info['path']}\n")
    if model_info["state"] == "verified":
        out.write(
            f"model state: verified, GGUF v{model_info['gguf_version']}, architecture {model_info['architecture']}, "
            f"trained context {model_info['context_length']}\n"
        )
    security = report["security"]
    if security["semgrep"]:
        out.write(f"semgrep: {security['semgrep_version']} ({security['semgrep']}); proposed edits are scanned\n")
    else:
        out.write("semgrep: NOT INSTALLED; proposed edits get the built-in patterns only\n")
    out.write(f"fixAndVerify {security['verify_sandbox']}\n")
    for problem in report["problems"]:
        out.write(f"PROBLEM: {problem}\n")
    out.write("doctor: OK\n" if report["ok"] else f"doctor: {len(report['problems'])} problem(s)\n")
    return 0 if report["ok"] else 1
