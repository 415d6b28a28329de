#!/usr/bin/env bash
# Builds aotic and installs it under PREFIX (default /usr/local) for CMake projects and shells:
#   PREFIX/bin/aotic
#   PREFIX/lib/libaotic_shim.so, PREFIX/lib/libaotic_runtime.a   (found by aotic beside ../lib)
#   PREFIX/include/aotic/                                         (model_api.h, shim.h, runtime/)
#   PREFIX/lib/cmake/aotic/aoticConfig.cmake, aoticConfigVersion.cmake
# Usage: bash tools/install.sh [--no-build] [PREFIX]
#   --no-build installs what is already built, from $AOTIC_BUILD_ROOT (default bazel-bin).
set -euo pipefail
cd "$(dirname "$0")/.."
build=1
if [[ ${1:-} == --no-build ]]; then
  build=0
  shift
fi
prefix=${1:-/usr/local}
built=${AOTIC_BUILD_ROOT:-bazel-bin}

if ((build)); then
  bash tools/setup_debian.sh >/dev/null
  bazel build //tools:aotic //shim:libaotic_shim.so //runtime:libaotic_runtime.a >/dev/null 2>&1 ||
    bazel build //tools:aotic //shim:libaotic_shim.so //runtime:libaotic_runtime.a
fi

mkdir -p "$prefix/bin" "$prefix/lib/cmake/aotic" "$prefix/include/aotic/runtime"
install -m 755 "$built/tools/aotic" "$prefix/bin/aotic"
install -m 755 "$built/shim/libaotic_shim.so" "$prefix/lib/libaotic_shim.so"
install -m 644 "$built/runtime/libaotic_runtime.a" "$prefix/lib/libaotic_runtime.a"
install -m 644 runtime/include/aotic/model_api.h shim/include/aotic/shim.h "$prefix/include/aotic/"
install -m 644 runtime/include/aotic/runtime/*.h "$prefix/include/aotic/runtime/"
install -m 644 cmake/aoticConfig.cmake "$prefix/lib/cmake/aotic/aoticConfig.cmake"
version=$(sed -nE 's/.*kVersion = "([^"]+)".*/\1/p' ir/version.h)
cat >"$prefix/lib/cmake/aotic/aoticConfigVersion.cmake" <<CMAKE
# Written by tools/install.sh: aotic $version; any request for the same major version is compatible.
set(PACKAGE_VERSION "$version")
string(REGEX MATCH "^[0-9]+" _aotic_major "\${PACKAGE_VERSION}")
string(REGEX MATCH "^[0-9]+" _wanted_major "\${PACKAGE_FIND_VERSION}")
if(PACKAGE_FIND_VERSION VERSION_GREATER PACKAGE_VERSION OR NOT _aotic_major STREQUAL _wanted_major)
  set(PACKAGE_VERSION_COMPATIBLE FALSE)
else()
  set(PACKAGE_VERSION_COMPATIBLE TRUE)
  if(PACKAGE_FIND_VERSION STREQUAL PACKAGE_VERSION)
    set(PACKAGE_VERSION_EXACT TRUE)
  endif()
endif()
CMAKE
echo "installed aotic $version under $prefix"
