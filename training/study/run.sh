#!/usr/bin/env bash
# The MNIST DD-GAN recipe study (training/STUDY.md): trains one configuration from scratch in
# segments of SEG iterations and, after each, evaluates the EMA generator (n = 500, seed 0)
# and appends one JSON line to training/study/results.jsonl.
#   bash training/study/run.sh NAME SEGMENTS SEG -- <extra train flags>
# e.g. bash training/study/run.sh g16-d24 3 200 -- --g-base 16 --d-base 24
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
name=$1 segments=$2 seg=$3; shift 4
threads=${THREADS:-1}
out=training/study/runs/$name
mkdir -p "$out"
for ((s = 1; s <= segments; s++)); do
  target=$((s * seg))
  if [ -f "$out/state/model.json" ]; then
    npx tsx src/cli/train.ts --model ddgan --data mnist --T 4 --iters "$target" --out "$out/model" --resume "$out/state" \
      --save-every "$seg" --threads "$threads" > "$out/train-$s.log" 2>&1
  else
    npx tsx src/cli/train.ts --model ddgan --data mnist --T 4 --iters "$target" --out "$out/model" --state "$out/state" \
      --save-every "$seg" --threads "$threads" "$@" > "$out/train-$s.log" 2>&1
  fi
  npx tsx src/cli/eval.ts --checkpoint "$out/model" --n 500 --seed 0 --threads "$threads" > "$out/eval-$s.log" 2>&1
  cp "$out/state/preview.png" "$out/preview-$target.png"
  gflop=$(grep -ho '~[0-9.]* GFLOP/iteration' "$out"/train-1.log | head -1 | tr -d '~' | cut -d' ' -f1)
  node -e '
    const fs = require("fs");
    const [dir, name, flags, gflop] = process.argv.slice(1);
    const m = JSON.parse(fs.readFileSync(dir + "/model/model.json", "utf8"));
    const t = m.meta?.training ?? m.training, q = m.meta?.metrics ?? m.metrics;
    const line = { name, flags, gflopPerIteration: Number(gflop), iterations: t.iterations, batch: t.batch, imagesSeen: t.iterations * t.batch,
      wallSeconds: t.wallSeconds, imagesPerSecond: t.imagesPerSecond, effectiveGflops: t.effectiveGflops,
      frechetDistance: q.frechetDistance, precision: q.precision, recall: q.recall,
      classKlToUniform: q.classKlToUniform, confidentShare: q.confidentShare, classesPresent: q.classesPresent };
    fs.appendFileSync("training/study/results.jsonl", JSON.stringify(line) + "\n");
    console.log(JSON.stringify(line));
  ' "$out" "$name" "$*" "$gflop"
done
