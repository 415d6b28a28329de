#!/usr/bin/env bash
# Rewrites the golden files (tests/golden/) from the current code. Review the diff like code.
set -euo pipefail
cd "$(dirname "$0")/.."
AOTIC_UPDATE_GOLDENS=1 bazel run //tests:inspect_golden_test
AOTIC_UPDATE_GOLDENS=1 bazel run //tests:codegen_golden_test
git status --short tests/golden
