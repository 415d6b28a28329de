#!/usr/bin/env bash
# clang-format check (or fix with --fix) and clang-tidy over the project's C++ sources.
set -euo pipefail
cd "$(dirname "$0")/.."
files=$(git ls-files '*.h' '*.cc')
if [[ ${1:-} == --fix ]]; then
  clang-format -i $files
  exit 0
fi
clang-format --dry-run --Werror $files
for f in $(git ls-files '*.cc'); do
  clang-tidy --quiet "$f" -- -std=c++17 -I. -isystem /usr/lib/llvm-14/include 2>/dev/null
done
echo "lint: clean"
