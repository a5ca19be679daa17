#!/bin/sh
# Builds the prebuilt kernels that ship in the package (users never run this: there is no install
# script, and the loader falls back to WASM, then JS, when a prebuilt does not load).
#
#   sh dsl/native/build.sh          # both
#   sh dsl/native/build.sh addon    # prebuilt/linux-x64/spkernels.node: gcc (or $CC), vendored N-API headers
#   sh dsl/native/build.sh wasm     # prebuilt/spkernels{,-mt}.wasm: clang + lld with the wasm32 target
#
# Needs no node-gyp, no Node headers and no network. The addon depends on libc only (pthreads,
# no OpenMP) and is compiled for x86-64 with AVX2/FMA in the kernel files alone: addon.c checks
# the CPU at load time and disables the kernels without AVX2/FMA.
set -eu
cd "$(dirname "$0")"
what="${1:-all}"

# A hash of every native source, compiled into both outputs: a test compares it with the sources
# so that a forgotten rebuild fails CI (dsl/src/kernels/prebuilt.test.ts computes it the same way).
source_hash="$(for f in $(ls src/*.c src/*.h wasm/*.c | LC_ALL=C sort); do printf '%s\n' "$f"; cat "$f"; done | sha256sum | cut -c1-8)"

build_addon() {
  cc="${CC:-gcc}"
  out=prebuilt/linux-x64
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  mkdir -p "$out"
  common="-O3 -std=gnu11 -fPIC -fvisibility=hidden -Wall -Wextra -Wno-unused-parameter -Iinclude -DSPK_SOURCE_HASH=0x$source_hash"
  for f in gemm sparse update conv spconv; do
    "$cc" $common -mavx2 -mfma -fno-math-errno -c "src/$f.c" -o "$tmp/$f.o"
  done
  for f in addon pool; do
    "$cc" $common -c "src/$f.c" -o "$tmp/$f.o"
  done
  "$cc" -shared -pthread -static-libgcc -Wl,--as-needed -Wl,-z,noexecstack -s \
    "$tmp/addon.o" "$tmp/pool.o" "$tmp/gemm.o" "$tmp/sparse.o" "$tmp/update.o" "$tmp/conv.o" "$tmp/spconv.o" -o "$out/spkernels.node"
  echo "built $out/spkernels.node (sources $source_hash, $(wc -c < "$out/spkernels.node") bytes)"
}

build_wasm() {
  clang="${CLANG:-clang}"
  flags="--target=wasm32 -O3 -msimd128 -mbulk-memory -nostdlib -fno-builtin -Wall -Wextra -DSPK_SOURCE_HASH=0x$source_hash
    -Wl,--no-entry -Wl,--export-dynamic -Wl,--import-memory -Wl,--export=__heap_base -Wl,--export=spk_update -Wl,--export=spk_im2col_rows -Wl,--export=spk_maxpool_rows -Wl,--export=spk_unpool -Wl,--export=spk_spconv_images -Wl,--export=spk_spconv_scratch_floats -Wl,--export=spk_spconv_grad_images -Wl,--export=spk_spconv_grad_scratch_floats -Wl,-z,stack-size=65536"
  # one thread: a plain imported memory
  "$clang" $flags wasm/kernels.c src/update.c src/conv.c src/spconv.c -o prebuilt/spkernels.wasm
  # worker threads: the same code on a shared memory (the kernels use no shadow stack, so every
  # instance can run on the one memory)
  "$clang" $flags -matomics -Wl,--shared-memory -Wl,--max-memory=4294967296 wasm/kernels.c src/update.c src/conv.c src/spconv.c -o prebuilt/spkernels-mt.wasm
  echo "built prebuilt/spkernels.wasm, prebuilt/spkernels-mt.wasm (sources $source_hash, $(wc -c < prebuilt/spkernels.wasm) bytes)"
}

case "$what" in
  addon) build_addon ;;
  wasm) build_wasm ;;
  all) build_addon; build_wasm ;;
  *) echo "usage: build.sh [addon|wasm|all]" >&2; exit 2 ;;
esac
