#!/usr/bin/env bash
# Benchmarks (never run as tests): prints figures and ratios, writes results/bench.json (git-ignored).
#   1. build          2. data: MNIST loading           3. nn-core: GEMM + elementwise kernels
#   4. peers: PyTorch and numpy MLPs measured on THIS machine (scripts/peers/*.py), when python3 imports them
#   5. nn-core: training seconds per epoch, setups (a)-(d) of issue 6 and (a) in bfloat16 (issue 14), on the
#      OpenBLAS and built-in GEMM tiers vs TypeScript vs the peers, the issue 14 ratios from 3 alternating rounds
#      (PyTorch (a) by default and with flush-denormal, sweeplab (a) float32 and bfloat16) and from 10 paired epochs
#      (one of PyTorch's right after each of sweeplab's, same core), and where an epoch of (a) goes
#   6. runner: sweep throughput on 1 vs 2 workers       7. merge everything + the machine description
# Single-core steps pin themselves to CPU 0 with one OpenBLAS thread. About 17 minutes on 2 cores (steps 1-6: about 8).
# Usage: npm run bench [-- --quick]      (--quick: short runs for a smoke test, not for figures)
# Env: BENCH_PYTHON=/path/to/python3 to pick the interpreter for the peers (default: the first of
#      /usr/bin/python3 and python3 that imports numpy / torch).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
export OPENBLAS_NUM_THREADS=1 PYTHONDONTWRITEBYTECODE=1

quick=""
for a in "$@"; do
  case "$a" in
    --quick) quick="--quick" ;;
    *) echo "bench.sh: unknown option '$a' (use --quick)" >&2; exit 2 ;;
  esac
done

start=$SECONDS
step() { printf '\n== [%s/8] %s (%ss elapsed)\n' "$1" "$2" "$((SECONDS - start))"; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

step 1 "build"
npx --no-install nx run-many -t build --outputStyle=static </dev/null
# nn-core's built-in GEMM tier (OpenBLAS hidden, build-builtin/): steps 3 and 5 measure it next to the main addon
npm run -s build:builtin -w @sweeplab/nn-core </dev/null || true

step 2 "data: loading MNIST"
node packages/data/dist/bench/load.bench.js | tee "$tmp/data.txt"

step 3 "nn-core: GEMM and elementwise kernels, built-in GEMM vs OpenBLAS"
node packages/nn-core/dist/bench/kernels.bench.js $quick --json "$tmp/kernels.json"

step 4 "peers: PyTorch and numpy on this machine (one thread, CPU 0)"
# The first interpreter that imports the module; the issue's peers are Debian's python3-torch and python3-numpy.
find_python() {
  local c
  for c in ${BENCH_PYTHON:-} /usr/bin/python3 python3; do
    if command -v "$c" >/dev/null 2>&1 && "$c" -c "import $1" >/dev/null 2>&1; then echo "$c"; return 0; fi
  done
  return 1
}
peers=""
run_peer() { # name module script
  local py
  if py=$(find_python "$2"); then
    echo "-- $1 ($py)"
    if "$py" "scripts/peers/$3" $quick --json "$tmp/$1.json" >/dev/null; then
      peers="$peers${peers:+,}$tmp/$1.json"
      return 0
    fi
    echo "   $1 failed: not measured"
    printf '{"peer":"%s","setups":{},"skipped":"scripts/peers/%s failed"}\n' "$1" "$3" >"$tmp/$1.json"
  else
    echo "-- $1: python3 cannot import $2: not measured on this machine (install python3-$2 to measure it)"
    printf '{"peer":"%s","setups":{},"skipped":"no python3 here imports %s (apt-get install python3-%s)"}\n' "$1" "$2" "$2" >"$tmp/$1.json"
  fi
  peers="$peers${peers:+,}$tmp/$1.json"
}
run_peer pytorch torch torch_mlp.py
run_peer numpy numpy numpy_mlp.py

step 5 "nn-core: training, setups (a)-(d) and (a) in bfloat16, OpenBLAS vs built-in GEMM vs TypeScript vs peers, profile of (a)"
# --torch: the issue 14 ratios again from alternating rounds (PyTorch (a), then sweeplab's), robust to load changes
torch_py=$(find_python torch || true)
node packages/nn-core/dist/bench/train.bench.js $quick --json "$tmp/train.json" ${peers:+--peers "$peers"} ${torch_py:+--torch "$torch_py"}

step 6 "runner: sweep of 8 trials on 1 vs 2 workers"
node packages/runner/dist/bench/sweep.bench.js ${quick:+--runs 1} --json "$tmp/sweep.json"

step 7 "search (ASHA vs grid, TPE vs random; ~7 min), serve (10,000-trial dashboard; ~1 min), queue (BullMQ; ~75 s)"
node packages/runner/dist/bench/search.bench.js ${quick:+--quick} --json "$tmp/search.json" || echo "search bench failed"
npm run -s bench -w @sweeplab/serve -- --json "$tmp/serve.json" || echo "serve bench failed"
node packages/runner/dist/bench/queue.bench.js ${quick:+--quick} --json "$tmp/queue.json" || echo "queue bench failed (needs redis-server)"

step 8 "merge -> results/bench.json"
mkdir -p results
BENCH_TMP="$tmp" BENCH_QUICK="$quick" node --input-type=module -e '
import { readFileSync, writeFileSync, existsSync } from "node:fs";
import { cpus, availableParallelism, platform, release } from "node:os";
import { execSync } from "node:child_process";
const dir = process.env.BENCH_TMP;
const json = (f) => (existsSync(`${dir}/${f}`) ? JSON.parse(readFileSync(`${dir}/${f}`, "utf8")) : null);
const cpuinfo = readFileSync("/proc/cpuinfo", "utf8");
const field = (k) => (new RegExp(`^${k}\\s*:\\s*(.*)$`, "m").exec(cpuinfo) ?? [])[1] ?? null;
let commit = null;
try { commit = execSync("git rev-parse --short HEAD", { stdio: ["ignore", "pipe", "ignore"] }).toString().trim(); } catch {}
const kernels = json("kernels.json");
const out = {
  date: new Date().toISOString(), commit, quick: process.env.BENCH_QUICK !== "",
  machine: {
    cpu: field("model name") ?? cpus()[0]?.model, cpuFamily: field("cpu family"), cpuModel: field("model"),
    cores: availableParallelism(), platform: `${platform()} ${release()}`, node: process.version,
    openblasCore: kernels?.openblasCore ?? null, openblasConfig: kernels?.openblasConfig ?? null,
  },
  data: { lines: existsSync(`${dir}/data.txt`) ? readFileSync(`${dir}/data.txt`, "utf8").trim().split("\n") : [] },
  kernels, peers: { pytorch: json("pytorch.json"), numpy: json("numpy.json") },
  train: json("train.json"), sweep: json("sweep.json"), search: json("search.json"), serve: json("serve.json"), queue: json("queue.json"),
};
writeFileSync("results/bench.json", JSON.stringify(out, null, 2) + "\n");
console.log(`wrote results/bench.json (${out.machine.cpu}, ${out.machine.cores} cores, OpenBLAS ${out.machine.openblasCore}, node ${out.machine.node})`);
'
echo "bench: done in $((SECONDS - start)) s"
