#!/usr/bin/env bash
# Regenerates shim/abi_manifest.txt from shim/include/aotic/shim.h. Run it only for a deliberate
# ABI addition: a changed or removed signature breaks every model.so built against the old one.
set -euo pipefail
cd "$(dirname "$0")/../.."
bazel run //tools/abi_check -- manifest "$PWD/shim/include/aotic/shim.h" > shim/abi_manifest.txt.new
mv shim/abi_manifest.txt.new shim/abi_manifest.txt
echo "shim/abi_manifest.txt: $(grep -vc '^#' shim/abi_manifest.txt) functions"
