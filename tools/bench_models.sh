#!/usr/bin/env bash
# The CPU benchmark: for each model (default: the bundled fixtures), compiles it with aotic twice
# (fused, the default, and --no-fuse: every op a libtorch call), then times both model.so files
# with `aotic bench` at 1 and N intra-op threads, all in one run, and prints compile time,
# p50/p90 latency and peak memory with the fused/--no-fuse ratios. Also writes JSON (--json).
#
#   tools/bench_models.sh [--threads N] [--iters N] [--json FILE] [MODEL.pt2 ...]
#
# A MODEL.pt2 needs its inputs beside it as MODEL.io.safetensors (input_0, input_1, ...).
# N defaults to the number of cores. Figures are for comparing within one run on one machine.
set -euo pipefail
cd "$(dirname "$0")/.."

threads=$(nproc)
iters=200
json=""
models=()
while (($#)); do
  case "$1" in
    --threads) threads="$2"; shift 2 ;;
    --iters) iters="$2"; shift 2 ;;
    --json) json="$2"; shift 2 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) models+=("$1"); shift ;;
  esac
done
if ((${#models[@]} == 0)); then
  models=(tests/data/fixtures/mlp.pt2 tests/data/fixtures/small_cnn.pt2 tests/data/fixtures/tiny_gpt.pt2
          tests/data/extra/tiny_vit.pt2 tests/data/extra/cnn_dim.pt2 tests/data/extra/lstm_tagger.pt2)
fi

bazel build //tools:aotic >/dev/null 2>&1 || bazel build //tools:aotic
aotic="$PWD/bazel-bin/tools/aotic"
work=$(mktemp -d "${TMPDIR:-/tmp}/aotic-bench-XXXXXX")
trap 'rm -rf "$work"' EXIT

# field NAME FILE: the number after "NAME:" in aotic bench's output.
field() { awk -v k="$1:" '$0 ~ "^"k { for (i = 1; i <= NF; ++i) if ($i ~ /^[0-9.]+$/) { print $i; exit } }' "$2"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }

printf '%-14s %-8s %9s %9s %6s | %9s %9s %6s | %8s %8s | %9s %9s\n' model threads p50_fused p50_nofuse ratio \
  p90_fused p90_nofuse ratio peakMB_f peakMB_n compile_f compile_n
rows=()
for model in "${models[@]}"; do
  name=$(basename "$model" .pt2)
  io="${model%.pt2}.io.safetensors"
  [[ -f "$io" ]] || { echo "$model: no inputs file $io" >&2; exit 1; }
  declare -A compile_s=()
  for mode in fused nofuse; do
    flags=""
    [[ $mode == nofuse ]] && flags="--no-fuse"
    start=$(date +%s.%N)
    "$aotic" compile "$model" -o "$work/$name.$mode.so" $flags >/dev/null
    compile_s[$mode]=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.2f", e - s }')
  done
  for t in 1 "$threads"; do
    for mode in fused nofuse; do
      "$aotic" bench "$work/$name.$mode.so" --inputs "$io" --iters "$iters" --warmup 20 \
        --intra-op-threads "$t" >"$work/$name.$mode.$t.txt"
    done
    pf=$(field "latency p50" "$work/$name.fused.$t.txt"); pn=$(field "latency p50" "$work/$name.nofuse.$t.txt")
    qf=$(field "latency p90" "$work/$name.fused.$t.txt"); qn=$(field "latency p90" "$work/$name.nofuse.$t.txt")
    mf=$(field "peak memory" "$work/$name.fused.$t.txt"); mn=$(field "peak memory" "$work/$name.nofuse.$t.txt")
    printf '%-14s %-8s %9s %9s %6s | %9s %9s %6s | %8s %8s | %9s %9s\n' "$name" "$t" "$pf" "$pn" \
      "$(ratio "$pf" "$pn")" "$qf" "$qn" "$(ratio "$qf" "$qn")" "$mf" "$mn" "${compile_s[fused]}" \
      "${compile_s[nofuse]}"
    rows+=("{\"model\": \"$name\", \"threads\": $t, \"p50_ms\": {\"fused\": $pf, \"no_fuse\": $pn}, \"p90_ms\": {\"fused\": $qf, \"no_fuse\": $qn}, \"peak_mb\": {\"fused\": $mf, \"no_fuse\": $mn}, \"compile_s\": {\"fused\": ${compile_s[fused]}, \"no_fuse\": ${compile_s[nofuse]}}}")
  done
done
if [[ -n "$json" ]]; then
  { echo "["; for i in "${!rows[@]}"; do echo "  ${rows[$i]}$( ((i + 1 < ${#rows[@]})) && echo ,)"; done; echo "]"; } >"$json"
  echo "wrote $json"
fi
