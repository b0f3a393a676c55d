#!/usr/bin/env bash
# Prepares, on this machine, what scripts/gpu-run.sh needs on a bare x86-64 GPU machine that
# has no network and no node_modules: everything goes into .gl/ (ignored by git through
# .git/info/exclude), which a run carries along.
#
#   .gl/libvulkan1_*.deb     the Vulkan loader (Debian amd64), unpacked there if it has none
#   .gl/ddgan-gpu.tar.xz     the train and bench CLIs bundled with tfjs (scripts/gpu-bundle.mjs),
#                            dawn.node for linux-x64, the tfjs wasm binaries, and the data sets
#                            of public/data (built by `npm run build:data`, ignored by git)
#
# usage: scripts/gpu-pack.sh [--no-deb] [--with-node]
#   --no-deb     skip the apt download (no network; the GPU machine then needs its own loader)
#   --with-node  also pack this machine's node binary (xz, ~24 MB) into .gl-node1/ and
#                .gl-node2/ (two halves: see README.md, "WebGPU in Node, and on a GPU machine")
#
# Needs: node_modules (npm install), public/data (npm run build:data), xz; apt-get for the deb.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)

deb=1
with_node=0
for a in "$@"; do
  case "$a" in
    --no-deb) deb=0 ;;
    --with-node) with_node=1 ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "gpu-pack: unknown option $a" >&2; exit 2 ;;
  esac
done

fail() { echo "gpu-pack: $*" >&2; exit 1; }
[ -d node_modules/webgpu ] && [ -d node_modules/esbuild ] || fail "node_modules is incomplete: run npm install"
[ -f public/data/mnist-train.json ] || fail "public/data is missing: run npm run build:data"
command -v xz >/dev/null || fail "xz is missing: apt-get install xz-utils"

touch .git/info/exclude
for p in /.gl/ /.gl-node1/ /.gl-node2/; do
  grep -qxF "$p" .git/info/exclude || echo "$p" >>.git/info/exclude
done
mkdir -p .gl

if [ "$deb" = 1 ]; then
  if ls .gl/libvulkan1_*.deb >/dev/null 2>&1; then
    echo "gpu-pack: $(ls .gl/libvulkan1_*.deb) already there"
  else
    mkdir -p /tmp/amd64/partial
    o='-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64'
    # shellcheck disable=SC2086
    apt-get $o update >/dev/null
    # shellcheck disable=SC2086
    (cd .gl && apt-get $o download libvulkan1)
  fi
fi

stage=$(mktemp -d /tmp/ddgan-gpu-stage.XXXXXX)
trap 'rm -rf "$stage"' EXIT
node scripts/gpu-bundle.mjs "$stage/app"
mkdir -p "$stage/app/data"
cp public/data/mnist-* public/data/emoji* "$stage/app/data/"
tar -C "$stage/app" -cf - . | xz -9 -T0 >.gl/ddgan-gpu.tar.xz.tmp
mv .gl/ddgan-gpu.tar.xz.tmp .gl/ddgan-gpu.tar.xz

if [ "$with_node" = 1 ]; then
  node_bin=$(command -v node)
  mkdir -p .gl-node1 .gl-node2
  xz -9 -T0 -c "$node_bin" >"$stage/node.xz"
  half=$(( ($(stat -c %s "$stage/node.xz") + 1) / 2 ))
  (cd "$stage" && split -b "$half" -d -a 1 node.xz node.xz.part)
  mv "$stage/node.xz.part0" .gl-node1/
  mv "$stage/node.xz.part1" .gl-node2/
  node --version >.gl-node1/VERSION
fi

# What a device run sends: tracked files, untracked files git does not ignore, and the carried
# paths; the limit is 64 MiB for all of it together.
tree=$(git ls-files -z --cached --others --exclude-standard | xargs -0 stat -c %s 2>/dev/null | awk '{s+=$1} END {print s+0}')
gl=$(du -sb .gl | cut -f1)
limit=$((64 * 1024 * 1024))
mib() { awk -v b="$1" 'BEGIN {printf "%.1f MiB", b / 1048576}'; }
echo "gpu-pack: .gl/: $(ls .gl | tr '\n' ' ')"
echo "gpu-pack: working tree $(mib "$tree") + .gl $(mib "$gl") = $(mib $((tree + gl))) of the 64 MiB a device run carries"
[ $((tree + gl)) -le $limit ] || echo "gpu-pack: WARNING: over 64 MiB: the run would be refused" >&2
if [ "$with_node" = 1 ]; then
  for d in .gl-node1 .gl-node2; do
    s=$(du -sb $d | cut -f1)
    echo "gpu-pack: $d $(mib "$s"): working tree + $d = $(mib $((tree + s)))"
  done
fi
echo "gpu-pack: on the GPU machine: carry .gl, then run scripts/gpu-run.sh (README.md, 'WebGPU in Node, and on a GPU machine')"
