#!/usr/bin/env bash
# Runs every test target (`bazel test //...`) and ends with one line, "N passed, M failed": the
# totals of doctest test cases over all test binaries, plus one case for the Bazel cache check
# (tools/bazel/check_cache.sh; skip it with AOTIC_SKIP_CACHE_CHECK=1) and one per fuzz harness
# (tools/fuzz.sh ci; skip with AOTIC_SKIP_FUZZ=1) and one per stress model (tools/stress.sh ci;
# AOTIC_SKIP_STRESS=1). A binary that died before printing its summary
# counts as one failed case.
set -uo pipefail
cd "$(dirname "$0")/.."

bazel test //... "$@"
status=$?

passed=0
failed=0
for target in $(bazel query 'tests(//...)' 2>/dev/null | sort); do
  log="bazel-testlogs/$(echo "${target#//}" | tr ':' '/')/test.log"
  line=$(grep -a '^\[doctest\] test cases:' "$log" 2>/dev/null | tail -1)
  if [[ -z $line ]]; then
    echo "no doctest summary from $target (crashed or did not run)"
    failed=$((failed + 1))
    continue
  fi
  p=$(sed -E 's/.*\| *([0-9]+) passed.*/\1/' <<<"$line")
  f=$(sed -E 's/.*\| *([0-9]+) failed.*/\1/' <<<"$line")
  passed=$((passed + p))
  failed=$((failed + f))
done

# Fuzzing (tools/fuzz.sh ci): every seed corpus replayed, then a short fixed fuzz of each harness;
# one case per harness. Skip with AOTIC_SKIP_FUZZ=1.
if [[ ${AOTIC_SKIP_FUZZ:-0} != 1 ]]; then
  fuzz_log=$(mktemp)
  bash tools/fuzz.sh ci 2>&1 | tee "$fuzz_log"
  line=$(grep -aE '^fuzz: [0-9]+ passed, [0-9]+ failed$' "$fuzz_log" | tail -1)
  if [[ -z $line ]]; then
    echo "tools/fuzz.sh ci did not finish"
    failed=$((failed + 1))
  else
    passed=$((passed + $(sed -E 's/^fuzz: ([0-9]+) passed.*/\1/' <<<"$line")))
    failed=$((failed + $(sed -E 's/.* ([0-9]+) failed$/\1/' <<<"$line")))
  fi
  rm -f "$fuzz_log"
fi

# Concurrency stress under ThreadSanitizer (tools/stress.sh ci): one case per model. Skip with
# AOTIC_SKIP_STRESS=1.
if [[ ${AOTIC_SKIP_STRESS:-0} != 1 ]]; then
  stress_log=$(mktemp)
  bash tools/stress.sh ci 2>&1 | tee "$stress_log"
  line=$(grep -aE '^stress: [0-9]+ passed, [0-9]+ failed$' "$stress_log" | tail -1)
  if [[ -z $line ]]; then
    echo "tools/stress.sh ci did not finish"
    failed=$((failed + 1))
  else
    passed=$((passed + $(sed -E 's/^stress: ([0-9]+) passed.*/\1/' <<<"$line")))
    failed=$((failed + $(sed -E 's/.* ([0-9]+) failed$/\1/' <<<"$line")))
  fi
  rm -f "$stress_log"
fi

# The aotic_model action must be hermetic: a clean rebuild takes it from the cache, byte-identical.
# (Last, because it cleans the output tree the test logs above live in.)
if [[ ${AOTIC_SKIP_CACHE_CHECK:-0} != 1 ]]; then
  if bash tools/bazel/check_cache.sh; then
    passed=$((passed + 1))
  else
    echo "tools/bazel/check_cache.sh failed"
    failed=$((failed + 1))
  fi
fi

echo "${passed} passed, ${failed} failed"
if ((status != 0 || failed != 0)); then exit 1; fi
