#!/usr/bin/env bash
# Proves the aotic_model action is hermetic and cache-friendly: builds a model, cleans, builds
# again with the same disk cache, and checks that the AoticCompile action was a cache hit and
# that its outputs are byte-identical. Usage: tools/bazel/check_cache.sh [PACKAGE:NAME_aotic]
set -euo pipefail
cd "$(dirname "$0")/../.."
target=${1:-//examples/run_mlp:mlp_aotic}
package=${target#//}
package=${package%%:*}
name=${target##*:}
cache=$(mktemp -d)
log=$(mktemp)
outputs() { (cd "bazel-bin/$package/$name" && sha256sum ./*); }

# From scratch, so every action runs and fills the cache.
bazel clean >/dev/null 2>&1
bazel build --disk_cache="$cache" "$target" >/dev/null 2>&1
first=$(outputs)
bazel clean >/dev/null 2>&1
bazel build --disk_cache="$cache" --execution_log_json_file="$log" "$target" >/dev/null 2>&1
second=$(outputs)

hits=$(python3 - "$log" <<'PY'
import json, sys
text = open(sys.argv[1]).read()
dec, i, hits, total = json.JSONDecoder(), 0, 0, 0
while i < len(text):
    while i < len(text) and text[i].isspace():
        i += 1
    if i >= len(text):
        break
    entry, i = dec.raw_decode(text, i)
    if entry.get("mnemonic") == "AoticCompile":
        total += 1
        hits += bool(entry.get("remoteCacheHit"))
print(f"{hits} {total}")
PY
)
rm -rf "$cache" "$log"
read -r hit total <<<"$hits"
echo "AoticCompile actions after clean: $total, cache hits: $hit"
if [[ "$first" != "$second" ]]; then echo "outputs differ between the two builds"; exit 1; fi
echo "outputs identical:"; echo "$second"
if [[ "$total" -eq 0 || "$hit" -ne "$total" ]]; then exit 1; fi
