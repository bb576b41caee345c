#!/usr/bin/env bash
# Build Neovim 0.12 from source into /opt/nvim-0.12 for tests/editors/test_neovim.py's 0.12 test (manual,
# optional: CI does not run it, and the test skips without the binary). Needs root, Debian's source packages
# and, for the bundled dependencies, their GitHub repositories already on this machine as bare git dirs under
# $MIRROR (<owner>+<name>/repo, e.g. libuv+libuv/repo): nothing is downloaded from GitHub.
#   bash scripts/build_nvim_012.sh
# Neovim's own repository is too large to fetch whole, so its source is Debian's upstream tarball of the
# release (neovim_0.12.4.orig.tar.xz); so are lpeg, tree-sitter-lua, tree-sitter-markdown (the fetched
# snapshots predate the tags deps.txt names) and tree-sitter-vim (its snapshot lacks the large parser.c).
# Everything else is `git archive` of the exact tag or commit in the release's cmake.deps/deps.txt.
# Two cores: -j2, about 12 minutes.
set -euo pipefail

NVIM_VERSION=0.12.4
PREFIX=${PREFIX:-/opt/nvim-0.12}
WORK=${WORK:-/opt/nvim-0.12-src}
MIRROR=${MIRROR:-/work/.mirror}
JOBS=${JOBS:-2}

say() { printf '==> %s\n' "$*" >&2; }

# deps.txt name -> mirror repo and ref (the tag or commit deps.txt downloads).
declare -A GIT_DEPS=(
  [LIBUV]="libuv+libuv v1.52.1"
  [LUAJIT]="LuaJIT+LuaJIT fbb36bb6bfa88716a47c58bcf9ce9f2ef752abac"
  [UNIBILIUM]="neovim+unibilium v2.1.2"
  [LUV]="luvit+luv 1.52.1-0"
  [LUA_COMPAT53]="lunarmodules+lua-compat-5.3 v0.13"
  [UTF8PROC]="JuliaStrings+utf8proc v2.11.3"
  [TREESITTER]="tree-sitter+tree-sitter v0.26.7"
  [TREESITTER_C]="tree-sitter+tree-sitter-c v0.24.1"
  [TREESITTER_VIMDOC]="neovim+tree-sitter-vimdoc v4.1.0"
  [TREESITTER_QUERY]="tree-sitter-grammars+tree-sitter-query v0.8.0"
)
# deps.txt name -> Debian source package and its upstream tarball.
declare -A DEBIAN_DEPS=(
  [LPEG]="lua-lpeg lua-lpeg_1.1.0.orig.tar.gz"
  [TREESITTER_LUA]="tree-sitter-lua tree-sitter-lua_0.5.0.orig.tar.xz"
  [TREESITTER_MARKDOWN]="tree-sitter-markdown tree-sitter-markdown_0.5.3.orig.tar.xz"
  [TREESITTER_VIM]="tree-sitter-vim tree-sitter-vim_0.8.1.orig.tar.xz"
)

say "build tools (Debian)"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq build-essential cmake ninja-build gettext unzip curl xz-utils >/dev/null

# Debian unstable's source index in a private apt state: the system's sources stay as they are.
apt_dir=$WORK/apt
mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache" "$WORK/downloads"
uri=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources)
printf 'Types: deb-src\nURIs: %s\nSuites: sid\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
  "$uri" >"$apt_dir/sid.sources"
apt_sid=(-o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$apt_dir" -o "Dir::State::Lists=$apt_dir/lists"
  -o "Dir::Cache=$apt_dir/cache")
say "Debian unstable source index"
apt-get "${apt_sid[@]}" update -qq
say "source packages: neovim $NVIM_VERSION, lpeg and three tree-sitter parsers"
packages=("neovim=$NVIM_VERSION-1")
for dep in "${!DEBIAN_DEPS[@]}"; do
  read -r package _ <<<"${DEBIAN_DEPS[$dep]}"
  packages+=("$package")
done
(cd "$WORK/downloads" && apt-get "${apt_sid[@]}" source --download-only -qq "${packages[@]}")

src=$WORK/neovim-$NVIM_VERSION
rm -rf "$src"
tar -C "$WORK" -xf "$WORK/downloads/neovim_$NVIM_VERSION.orig.tar.xz"
test -f "$src/runtime/lua/vim/lsp/inline_completion.lua"

say "dependency tarballs from the fetched repositories"
deps_txt=$src/cmake.deps/deps.txt
point() { # point NAME FILE: deps.txt's NAME_URL at a local file
  sed -i "s|^$1_URL .*|$1_URL file://$2|" "$deps_txt"
}
for dep in "${!GIT_DEPS[@]}"; do
  read -r repo ref <<<"${GIT_DEPS[$dep]}"
  git_dir=$MIRROR/$repo/repo
  if ! git -C "$git_dir" rev-parse -q --verify "$ref^{commit}" >/dev/null; then
    say "missing $ref in $git_dir: fetch github:${repo/+//} first"; exit 1
  fi
  tarball=$WORK/downloads/${repo#*+}-$ref.tar.gz
  git -C "$git_dir" archive --format=tar.gz --prefix="${repo#*+}-$ref/" -o "$tarball" "$ref"
  point "$dep" "$tarball"
done
for dep in "${!DEBIAN_DEPS[@]}"; do
  read -r _ file <<<"${DEBIAN_DEPS[$dep]}"
  point "$dep" "$WORK/downloads/$file"
done
if grep -E '^(LIBUV|LUAJIT|UNIBILIUM|LUV|LPEG|LUA_COMPAT53|UTF8PROC|TREESITTER[A-Z_]*)_URL ' "$deps_txt" | grep -v file://; then
  say "a dependency above still points outside this machine"; exit 1
fi

say "bundled dependencies (-j$JOBS)"
cmake -S "$src/cmake.deps" -B "$src/.deps" -G Ninja -D CMAKE_BUILD_TYPE=Release -D DEPS_IGNORE_SHA=ON
cmake --build "$src/.deps" -j "$JOBS"
say "Neovim (-j$JOBS) into $PREFIX"
cmake -S "$src" -B "$src/build" -G Ninja -D CMAKE_BUILD_TYPE=Release -D "CMAKE_INSTALL_PREFIX=$PREFIX"
cmake --build "$src/build" -j "$JOBS"
cmake --install "$src/build"
"$PREFIX/bin/nvim" --version | head -n 1
