#!/usr/bin/env bash
# Installs the Debian 12 packages aotic builds and tests with. Idempotent: installs only what
# is missing, so running it again costs a second.
set -euo pipefail

packages=(
  bazel-bootstrap bazel-rules-java bazel-platforms  # the build (Bazel 4, offline)
  g++ clang                                         # compilers for aotic and for generated code
  lld                                               # model.so links (weights) faster than with GNU ld
  libclang-rt-14-dev                                # libFuzzer and the sanitizer runtimes (tools/fuzz.sh)
  cmake                                             # the CMake example (tests/tools/cmake_test.cc)
  python3                                           # tests/conformance/pytorch_runner_test.py
  libfmt-dev nlohmann-json3-dev doctest-dev libzip-dev libxxhash-dev
  libtorch-dev                                      # ATen behind the shim (libtorch 1.13)
  libopenblas0-openmp                               # else libtorch falls back to reference BLAS (13x slower)
  libclang-14-dev libclang-cpp14-dev llvm-14-dev    # libTooling for tools/abi_check
  clang-format clang-tidy
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

sudo=""
if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
if ((${#missing[@]} == 0)); then
  echo "setup: all ${#packages[@]} packages present"
else
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  echo "setup: done"
fi

# libtorch's BLAS is OpenBLAS's OpenMP build, so that its matrix products and aotic's generated
# kernels share the one OpenMP pool. With the pthread build (Debian's default when both are
# installed) the two pools spin against each other: tiny_gpt at 2 threads had a p90 of 9.6 ms
# against a p50 of 2.0 ms; with the OpenMP build 1.8 against 1.6.
for name in libblas.so.3 liblapack.so.3 libopenblas.so.0; do
  alternative="$name-x86_64-linux-gnu"
  want="/usr/lib/x86_64-linux-gnu/openblas-openmp/$name"
  if [[ "$(readlink -f "/etc/alternatives/$alternative")" != "$(readlink -f "$want")" ]]; then
    $sudo update-alternatives --set "$alternative" "$want" >/dev/null
    echo "setup: $name is OpenBLAS's OpenMP build"
  fi
done
