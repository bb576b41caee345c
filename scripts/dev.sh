#!/usr/bin/env bash
# Set up iquest-lsp on this machine (idempotent), then run the demo or the tests.
#   scripts/dev.sh demo [FILE[:LINE:COL]]   set up, fetch the default model, run the demo
#   scripts/dev.sh test [pytest args...]    set up, fetch the test models, run the checks and the test suite
#   scripts/dev.sh check                    set up, run the checks only (ruff, basedpyright, import contracts)
set -euo pipefail
cd "$(dirname "$0")/.."

action=${1:-demo}
shift || true
venv=.venv
python=${PYTHON:-python3}

say() { printf '==> %s\n' "$*" >&2; }

ensure_toolchain() {
  # llama-cpp-python compiles llama.cpp from source: it needs a C/C++ compiler (cmake comes from PyPI).
  if command -v cc >/dev/null && command -v c++ >/dev/null; then return; fi
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing a C/C++ compiler (build-essential)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq build-essential >/dev/null
  else
    say "a C/C++ compiler is needed (e.g. 'sudo apt-get install build-essential'); stopping"; exit 1
  fi
}

ensure_venv() {
  if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    say "Python >= 3.11 is required (found: $("$python" --version 2>&1)); set PYTHON=/path/to/python3.11"; exit 1
  fi
  [ -x "$venv/bin/python" ] || { say "creating $venv"; "$python" -m venv "$venv"; }
  local stamp="$venv/.iquest-installed" want
  want=$(cat pyproject.toml | sha256sum | cut -d' ' -f1)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && "$venv/bin/python" -c 'import llama_cpp, pygls, pytest_lsp' 2>/dev/null; then
    return
  fi
  ensure_toolchain
  say "installing iquest-lsp and its dependencies (llama-cpp-python builds once, ~8 min on 2 cores; pip caches the wheel)"
  "$venv/bin/python" -m pip install -q --upgrade pip
  "$venv/bin/python" -m pip install -q -e ".[dev]"
  echo "$want" >"$stamp"
}

run_checks() {
  # Lint, format, types and import contracts (settings in pyproject.toml); each one runs, any failure fails.
  local failed=0 tool
  for tool in "ruff check ." "ruff format --check ." "basedpyright" "lint-imports"; do
    say "check: $tool"
    # shellcheck disable=SC2086
    "$venv/bin/"$tool >/tmp/iquest-check.$$ 2>&1 || { cat /tmp/iquest-check.$$; say "check failed: $tool"; failed=1; }
  done
  rm -f /tmp/iquest-check.$$
  return "$failed"
}

ensure_venv
cli="$venv/bin/iquest-lsp"
case "$action" in
  demo)
    "$cli" model fetch
    "$cli" demo "$@"
    ;;
  check)
    run_checks
    ;;
  test)
    checks=0
    run_checks || checks=1
    "$cli" model fetch smollm2-135m
    "$cli" model fetch qwen2.5-coder-0.5b
    # Real-editor tests (tests/editors): Node 24, code-server, Chromium, the .vsix; they must run, not skip.
    bash scripts/editors.sh
    export IQUEST_EDITOR_TESTS=required
    # The remote-backend tests run a real llama-server: built once (minutes), then cached.
    server_bin=$("$venv/bin/python" scripts/llama_server_build.py)
    say "llama-server for the remote-backend tests: $server_bin"
    set +e
    "$venv/bin/python" -m pytest "$@"
    status=$?
    set -e
    # pytest exits 5 when no test was collected: that is not a pass.
    [ "$status" = 5 ] && say "no tests ran"
    [ "$checks" = 0 ] || { say "the checks failed (see 'check failed' above)"; [ "$status" = 0 ] && status=1; }
    exit "$status"
    ;;
  *)
    echo "usage: scripts/dev.sh demo [FILE[:LINE:COL]] | test [pytest args...] | check" >&2; exit 2
    ;;
esac
