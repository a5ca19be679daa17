#!/bin/sh
# Builds the prebuilt kernels that ship in the package (users never run this: there is no install
# script, and the loader falls back to WASM, then JS, when a prebuilt does not load).
#
#   sh dsl/native/build.sh          # both
#   sh dsl/native/build.sh addon    # prebuilt/linux-x64/spkernels.node: gcc (or $CC), vendored N-API headers
#   sh dsl/native/build.sh wasm     # prebuilt/spkernels.wasm: clang + lld with the wasm32 target
#
# Needs no node-gyp, no Node headers and no network. The addon depends on libc only (pthreads,
# no OpenMP) and is compiled for x86-64 with AVX2/FMA in the kernel files alone: addon.c checks
# the CPU at load time and disables the kernels without AVX2/FMA.
set -eu
cd "$(dirname "$0")"
what="${1:-all}"

build_addon() {
  cc="${CC:-gcc}"
  out=prebuilt/linux-x64
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  mkdir -p "$out"
  common="-O3 -std=gnu11 -fPIC -fvisibility=hidden -Wall -Wextra -Wno-unused-parameter -Iinclude"
  for f in gemm sparse; do
    "$cc" $common -mavx2 -mfma -c "src/$f.c" -o "$tmp/$f.o"
  done
  for f in addon pool; do
    "$cc" $common -c "src/$f.c" -o "$tmp/$f.o"
  done
  "$cc" -shared -pthread -static-libgcc -Wl,--as-needed -Wl,-z,noexecstack -s \
    "$tmp/addon.o" "$tmp/pool.o" "$tmp/gemm.o" "$tmp/sparse.o" -o "$out/spkernels.node"
  echo "built $out/spkernels.node ($(wc -c < "$out/spkernels.node") bytes)"
}

build_wasm() {
  clang="${CLANG:-clang}"
  "$clang" --target=wasm32 -O3 -msimd128 -mbulk-memory -nostdlib -fno-builtin \
    -Wall -Wextra \
    -Wl,--no-entry -Wl,--export-dynamic -Wl,--import-memory -Wl,--export=__heap_base \
    -Wl,-z,stack-size=65536 \
    wasm/kernels.c -o prebuilt/spkernels.wasm
  echo "built prebuilt/spkernels.wasm ($(wc -c < prebuilt/spkernels.wasm) bytes)"
}

case "$what" in
  addon) build_addon ;;
  wasm) build_wasm ;;
  all) build_addon; build_wasm ;;
  *) echo "usage: build.sh [addon|wasm|all]" >&2; exit 2 ;;
esac
