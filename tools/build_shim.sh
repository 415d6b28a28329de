#!/usr/bin/env bash
# Builds libaotic_shim.so, aotic's C shim over libtorch, without Bazel, against any libtorch:
# Debian's (libtorch-dev, 1.13; the default) or a PyTorch 2.x install.
#
#   tools/build_shim.sh [--torch DIR] [--cuda] [-o OUT.so] [--jobs N] [--cxx COMPILER]
#
# --torch DIR: the folder holding include/ and lib/ of a libtorch, e.g. a pip PyTorch's
#   $(python3 -c 'import torch, os; print(os.path.dirname(torch.__file__))'). The shim is then
#   compiled against its headers with the C++11 ABI and linked to its libraries (rpath DIR/lib).
# --cuda: that libtorch is a CUDA build: the CUDA stream functions become real (c10::cuda) and
#   the shim links libtorch_cuda and libc10_cuda (CUDA headers from $CUDA_HOME, default
#   /usr/local/cuda). Without it they fail with a message, and CUDA models cannot run.
# -o: where to write it (default out/shim/libaotic_shim.so).
#
# A model.so compiled once (`aotic compile`, bundled shim) runs under either shim: put the one
# built here beside it (over the copied libaotic_shim.so), or pass `aotic compile --shim-lib OUT.so`
# / `aotic run --shim-lib`, or set AOTIC_SHIM_LIBRARY.
set -euo pipefail
cd "$(dirname "$0")/.."

torch=""
out="out/shim/libaotic_shim.so"
jobs=$(nproc 2>/dev/null || echo 2)
cxx="${CXX:-g++}"
cuda=0
while (($#)); do
  case $1 in
    --torch) torch=${2:?--torch needs a directory}; shift 2 ;;
    --cuda) cuda=1; shift ;;
    -o) out=${2:?-o needs a path}; shift 2 ;;
    --jobs) jobs=${2:?--jobs needs a number}; shift 2 ;;
    --cxx) cxx=${2:?--cxx needs a compiler}; shift 2 ;;
    -h|--help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "build_shim.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done

flags=(-std=c++17 -O2 -fPIC -fvisibility=hidden -I. -Ishim/include)
libs=(-ltorch -ltorch_cpu -lc10)
if [[ -n $torch ]]; then
  if [[ ! -f $torch/include/ATen/ATen.h || ! -d $torch/lib ]]; then
    echo "build_shim.sh: $torch: no include/ATen/ATen.h and lib/ (not a libtorch folder)" >&2
    exit 2
  fi
  torch=$(cd "$torch" && pwd)
  flags+=(-D_GLIBCXX_USE_CXX11_ABI=1 -isystem "$torch/include" -isystem "$torch/include/torch/csrc/api/include")
  libs=(-L"$torch/lib" -Wl,-rpath,"$torch/lib" "${libs[@]}")
elif [[ ! -f /usr/include/ATen/ATen.h ]]; then
  echo "build_shim.sh: no libtorch headers in /usr/include (run tools/setup_debian.sh, or pass --torch DIR)" >&2
  exit 2
fi

if ((cuda)); then
  cuda_home=${CUDA_HOME:-/usr/local/cuda}
  if [[ -z $torch || ! -f $torch/include/c10/cuda/CUDAStream.h || ! -f $cuda_home/include/cuda_runtime_api.h ]]; then
    echo "build_shim.sh: --cuda needs --torch DIR of a CUDA libtorch and the CUDA headers in $cuda_home/include" >&2
    exit 2
  fi
  flags+=(-DAOTIC_SHIM_CUDA -isystem "$cuda_home/include")
  libs+=(-Wl,--no-as-needed -ltorch_cuda -lc10_cuda -Wl,--as-needed)
fi

objdir=$(mktemp -d "${TMPDIR:-/tmp}/aotic-shim-XXXXXX")
trap 'rm -rf "$objdir"' EXIT
# The generated fallback ops are one large file: compiled as `jobs` parts (cut between ops, each
# with the file's includes and its extern "C" block) so that they build in parallel.
total=$(grep -c '^// aten::' shim/generated/c_shim_cpu.cc)
per=$(( (total + jobs - 1) / jobs ))
mkdir -p "$objdir/parts"
awk -v per="$per" -v dir="$objdir/parts" '
  !body { prologue = prologue $0 "\n"; if ($0 ~ /^extern "C" \{/) body = 1; next }
  /^}  \/\/ extern "C"/ { next }
  /^\/\/ aten::/ {
    if (count % per == 0) {
      if (file) { print "}  // extern \"C\"" > file; close(file) }
      file = sprintf("%s/c_shim_cpu_%03d.cc", dir, part++)
      printf "%s", prologue > file
    }
    count++
  }
  file { print > file }
  END { if (file) print "}  // extern \"C\"" > file }
' shim/generated/c_shim_cpu.cc
sources=(shim/src/*.cc shim/generated/c_shim_cuda.cc "$objdir"/parts/*.cc)
pids=()
for src in "${sources[@]}"; do
  while (($(jobs -rp | wc -l) >= jobs)); do sleep 0.2; done
  "$cxx" "${flags[@]}" -c "$src" -o "$objdir/$(basename "$src" .cc).o" &
  pids+=($!)
done
failed=0
for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
if ((failed)); then echo "build_shim.sh: compiling failed" >&2; exit 1; fi
mkdir -p "$(dirname "$out")"
"$cxx" -shared -o "$out.tmp" "$objdir"/*.o "${libs[@]}"
mv "$out.tmp" "$out"
echo "wrote $out${torch:+ (libtorch at $torch)}"
