#!/usr/bin/env bash
# libFuzzer harnesses over every reader of outside bytes (tests/fuzz/README.md), built with clang
# and AddressSanitizer + UndefinedBehaviorSanitizer into out/fuzz/.
#
#   bash tools/fuzz.sh build               build the harnesses (and the models fuzz_run_inputs runs)
#   bash tools/fuzz.sh ci                  replay every seed corpus, then a short fuzz of each harness
#                                          (fixed seed and run count); ends with "fuzz: N passed, M failed"
#   bash tools/fuzz.sh campaign SECONDS    fuzz each harness for SECONDS; new inputs are kept in
#                                          out/fuzz/found/NAME, crashes in out/fuzz/crashes/NAME;
#                                          prints executions per harness
#
# A finding (crash, sanitizer report, hang, an exception other than aotic's one-line user error)
# stops the harness with the input saved; copy it into tests/fuzz/corpus/NAME/ as a regression case.
set -euo pipefail
cd "$(dirname "$0")/.."

harnesses=(fuzz_archive fuzz_model_json fuzz_safetensors fuzz_run_inputs)
out=out/fuzz
cxx=${FUZZ_CXX:-clang++}
common=(-std=c++17 -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
  -I. -Ishim/include -Iruntime/include)
jobs=$(nproc)

# Compiles each source into DIR/NAME.o (in parallel) unless the object is newer than its source.
# Headers are not tracked one by one: build() empties the object folders when any header changed.
compile_all() {
  local dir=$1 flags=$2
  shift 2
  printf '%s\n' "$@" | xargs -P "$jobs" -I{} bash -c \
    'o="$0/$(basename "${1%.cc}").o"; [[ -f $o && $o -nt $1 ]] || '"$cxx ${common[*]} $flags"' -c "$1" -o "$o"' \
    "$dir" {}
}

build() {
  bazel build //ir:aten_schemas_embedded //tools:aotic //shim:libaotic_shim.so >/dev/null 2>&1 ||
    bazel build //ir:aten_schemas_embedded //tools:aotic //shim:libaotic_shim.so
  mkdir -p "$out/obj" "$out/runtime" "$out/models"
  # Any change to a header or to the flags rebuilds every object.
  local stamp
  stamp=$(cat ir/*.h runtime/include/aotic/runtime/*.h shim/include/aotic/*.h tests/fuzz/*.h | md5sum)
  stamp="$stamp $cxx ${common[*]}"
  if [[ $(cat "$out/stamp" 2>/dev/null) != "$stamp" ]]; then
    rm -f "$out"/obj/*.o "$out"/runtime/*.o
    echo "$stamp" >"$out/stamp"
  fi

  # The readers (ir/), instrumented for coverage.
  compile_all "$out/obj" -fsanitize=fuzzer-no-link ir/*.cc bazel-bin/ir/aten_schemas_embedded.cc
  local objects=("$out"/obj/*.o)
  for h in fuzz_archive fuzz_model_json fuzz_safetensors; do
    "$cxx" "${common[@]}" -fsanitize=fuzzer "tests/fuzz/$h.cc" "${objects[@]}" -lfmt -lzip -o "$out/$h"
  done

  # fuzz_run_inputs: models whose runtime (the input checks) and model.cpp are instrumented too.
  compile_all "$out/runtime" "-fsanitize=fuzzer-no-link -fPIC -fvisibility=hidden -fvisibility-inlines-hidden" \
    runtime/src/*.cc
  local archive=$out/runtime/libaotic_runtime.a
  if [[ ! -f $archive || -n $(find "$out/runtime" -name '*.o' -newer "$archive") ]]; then
    rm -f "$archive"
    ar rcs "$archive" "$out"/runtime/*.o
  fi
  cat >"$out/cxx.sh" <<SCRIPT
#!/bin/sh
exec $cxx -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer "\$@"
SCRIPT
  chmod +x "$out/cxx.sh"
  for model in tests/data/fixtures/mlp_dyn.pt2 tests/data/extra/derived_dims.pt2; do
    local so=$out/models/$(basename "${model%.pt2}").so
    [[ -f $so && $so -nt $archive && $so -nt bazel-bin/tools/aotic && $so -nt $model ]] && continue
    bazel-bin/tools/aotic compile "$model" -o "$so" --opt 1 \
      --cxx "$PWD/$out/cxx.sh" --runtime-lib "$out/runtime/libaotic_runtime.a" \
      --shim-lib bazel-bin/shim/libaotic_shim.so >/dev/null
  done
  cp -f bazel-bin/shim/libaotic_shim.so "$out/libaotic_shim.so"
  chmod u+w "$out/libaotic_shim.so"
  "$cxx" "${common[@]}" -fsanitize=fuzzer tests/fuzz/fuzz_run_inputs.cc -L"$out" -laotic_shim \
    -Wl,-rpath,'$ORIGIN' -ldl -o "$out/fuzz_run_inputs"
}

# Options every run shares: no leak check (libtorch keeps its own caches), memory and time caps.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:allocator_may_return_null=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
limits=(-rss_limit_mb=4096 -malloc_limit_mb=2048 -timeout=20)

# Runs of the fixed CI fuzz per harness (about 15 s each on 2 cores).
declare -A ci_runs=([fuzz_archive]=8000 [fuzz_model_json]=15000 [fuzz_safetensors]=25000 [fuzz_run_inputs]=10000)
# Options of one harness: Run's choices fit in a few dozen bytes.
declare -A options=([fuzz_run_inputs]=-max_len=96)

ci() {
  build
  local passed=0 failed=0
  for h in "${harnesses[@]}"; do
    local scratch
    scratch=$(mktemp -d)
    if "$out/$h" "${limits[@]}" -runs=0 -artifact_prefix="$out/$h-" "tests/fuzz/corpus/$h" >"$out/$h.replay.log" 2>&1 &&
      "$out/$h" "${limits[@]}" ${options[$h]:-} -seed=1 -runs="${ci_runs[$h]}" -max_total_time=120 \
        -artifact_prefix="$out/$h-" "$scratch" "tests/fuzz/corpus/$h" >"$out/$h.ci.log" 2>&1; then
      echo "fuzz: $h ok (corpus replayed; $(grep -aoE 'Done [0-9]+ runs in [0-9]+ second' "$out/$h.ci.log" | tail -1)s)"
      passed=$((passed + 1))
    else
      echo "fuzz: $h FAILED; log: $out/$h.replay.log, $out/$h.ci.log"
      tail -20 "$out/$h.ci.log" "$out/$h.replay.log" 2>/dev/null | sed 's/^/    /'
      failed=$((failed + 1))
    fi
    rm -rf "$scratch"
  done
  echo "fuzz: ${passed} passed, ${failed} failed"
  ((failed == 0))
}

campaign() {
  local seconds=${1:?seconds per harness}
  build
  for h in "${harnesses[@]}"; do
    mkdir -p "$out/found/$h" "$out/crashes/$h"
    "$out/$h" "${limits[@]}" ${options[$h]:-} -max_total_time="$seconds" -print_final_stats=1 \
      -artifact_prefix="$out/crashes/$h/" "$out/found/$h" "tests/fuzz/corpus/$h" >"$out/$h.campaign.log" 2>&1 ||
      echo "fuzz: $h stopped on a finding (see $out/crashes/$h/ and $out/$h.campaign.log)"
    local runs
    runs=$(grep -aoE 'stat::number_of_executed_units: *[0-9]+' "$out/$h.campaign.log" | grep -oE '[0-9]+$' || echo 0)
    echo "fuzz: $h: $runs executions in ${seconds} s, crashes: $(find "$out/crashes/$h" -type f | wc -l)"
  done
}

case ${1:-} in
  build) build ;;
  ci) ci ;;
  campaign) campaign "${2:-}" ;;
  *)
    sed -n '2,13p' "$0"
    exit 2
    ;;
esac
