#!/usr/bin/env bash
# Concurrency stress under ThreadSanitizer (tests/stress/stress.cc): threads x container instances
# x runs on compiled models while their constants are updated and swapped; every result checked.
# The runtime, model.cpp and the stress program are built with clang -fsanitize=thread into
# out/stress/ (libtorch, behind the shim, is not instrumented).
#
#   bash tools/stress.sh ci       a fixed part: 4 threads x 2 instances x 300 runs per model
#   bash tools/stress.sh full     16 threads x 4 instances x 5000 runs per model
#   bash tools/stress.sh run T I R
# Ends with "stress: N passed, M failed" (one case per model).
set -euo pipefail
cd "$(dirname "$0")/.."

out=out/stress
cxx=${STRESS_CXX:-clang++}
tsan=(-fsanitize=thread -fno-omit-frame-pointer -g -O1)
models=(tests/data/fixtures/mlp tests/data/fixtures/small_cnn)

build() {
  bazel build //tools:aotic //shim:libaotic_shim.so >/dev/null 2>&1 || bazel build //tools:aotic //shim:libaotic_shim.so
  mkdir -p "$out/runtime"
  local archive=$out/runtime/libaotic_runtime.a
  local stamp
  stamp=$(cat runtime/src/*.cc runtime/include/aotic/runtime/*.h shim/include/aotic/*.h | md5sum)
  if [[ ! -f $archive || $(cat "$out/stamp" 2>/dev/null) != "$stamp" ]]; then
    rm -f "$out"/runtime/*.o "$archive"
    for f in runtime/src/*.cc; do
      "$cxx" -std=c++17 "${tsan[@]}" -fPIC -fvisibility=hidden -fvisibility-inlines-hidden -Iruntime/include \
        -Ishim/include -c "$f" -o "$out/runtime/$(basename "${f%.cc}").o" &
    done
    wait
    ar rcs "$archive" "$out"/runtime/*.o
    echo "$stamp" >"$out/stamp"
  fi
  printf '#!/bin/sh\nexec %s %s "$@"\n' "$cxx" "${tsan[*]}" >"$out/cxx.sh"
  chmod +x "$out/cxx.sh"
  for model in "${models[@]}"; do
    local so=$out/$(basename "$model").so
    [[ -f $so && $so -nt $archive && $so -nt bazel-bin/tools/aotic ]] && continue
    bazel-bin/tools/aotic compile "$model.pt2" -o "$so" --opt 1 --cxx "$PWD/$out/cxx.sh" \
      --runtime-lib "$archive" --shim-lib bazel-bin/shim/libaotic_shim.so >/dev/null
  done
  if [[ ! -x $out/stress || tests/stress/stress.cc -nt $out/stress ]]; then
    "$cxx" -std=c++17 "${tsan[@]}" -Iruntime/include -Ishim/include tests/stress/stress.cc -L"$out" \
      -laotic_shim -Wl,-rpath,'$ORIGIN' -ldl -o "$out/stress"
  fi
}

run() {
  local threads=$1 instances=$2 runs=$3 passed=0 failed=0
  build
  # One OpenMP thread inside each run: the callers are the concurrency under test.
  export OMP_NUM_THREADS=1
  export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1}
  for model in "${models[@]}"; do
    local name
    name=$(basename "$model")
    if "$out/stress" "$out/$name.so" "$model.io.safetensors" --threads "$threads" --instances "$instances" \
      --runs "$runs" >"$out/$name.log" 2>&1; then
      echo "stress: $name: $(grep -a '^stress:' "$out/$name.log" | tail -1 | sed 's/^stress: //')"
      passed=$((passed + 1))
    else
      echo "stress: $name FAILED (log: $out/$name.log)"
      tail -30 "$out/$name.log" | sed 's/^/    /'
      failed=$((failed + 1))
    fi
  done
  echo "stress: ${passed} passed, ${failed} failed"
  ((failed == 0))
}

case ${1:-} in
  ci) run 4 2 300 ;;
  full) run 16 4 5000 ;;
  run) run "${2:?threads}" "${3:?instances}" "${4:?runs}" ;;
  *)
    sed -n '2,10p' "$0"
    exit 2
    ;;
esac
