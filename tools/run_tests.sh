#!/usr/bin/env bash
# Runs every test target (`bazel test //...`) and ends with one line, "N passed, M failed": the
# totals of doctest test cases over all test binaries. A binary that died before printing its
# summary counts as one failed case.
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

echo "${passed} passed, ${failed} failed"
if ((status != 0 || failed != 0)); then exit 1; fi
