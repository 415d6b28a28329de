#!/usr/bin/env bash
# clang-format check (or fix with --fix) and clang-tidy over the project's C++ sources.
# Generated files (shim/generated/) are left as their generator writes them.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files '*.h' '*.cc' | grep -v '^shim/generated/')
if [[ ${1:-} == --fix ]]; then
  clang-format -i "${files[@]}"
  exit 0
fi
clang-format --dry-run --Werror "${files[@]}"
failed=0
# Generated code and templates/ include the fallback-op declarations as "aotic/c_shim_cpu.h" (the
# name Bazel gives them); give clang-tidy the same.
includes=$(mktemp -d)
trap 'rm -rf "$includes"' EXIT
mkdir -p "$includes/aotic"
ln -s "$PWD/shim/generated/c_shim_cpu.h" "$includes/aotic/c_shim_cpu.h"
ln -s "$PWD/shim/generated/c_shim_cuda.h" "$includes/aotic/c_shim_cuda.h"
for f in "${files[@]}"; do
  [[ $f == *.cc ]] || continue
  # These include headers that the aotic_model rule generates at build time.
  [[ $f == examples/* || $f == tests/bazel_rule/* ]] && continue
  clang-tidy --quiet "$f" -- -std=c++17 -I. -Ishim/include -Iruntime/include -Ishim/generated -I"$includes" \
    -isystem /usr/lib/llvm-14/include -isystem /usr/include/torch/csrc/api/include 2>/dev/null || failed=1
done
if ((failed)); then
  echo "lint: clang-tidy found problems"
  exit 1
fi
echo "lint: clean"
