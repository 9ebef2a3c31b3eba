#!/bin/bash -eu
# OSS-Fuzz / ClusterFuzzLite build script. The contract: compilers and flags come
# in $CC $CXX $CFLAGS $CXXFLAGS, the engine's link flags in $LIB_FUZZING_ENGINE;
# sources are under $SRC, outputs go to $OUT: one binary per target, plus
# <target>_seed_corpus.zip, <target>.dict and <target>.options.
#
# OSS-Fuzz compiles C++ with -stdlib=libc++, so the system's Abseil (built against
# libstdc++) cannot be linked: when the Dockerfile has fetched Abseil's source to
# $SRC/abseil-cpp it is built here with the same flags; otherwise (a local
# emulation with libstdc++) the system Abseil is used.
src_dir=${SYNFIN_SRC:-$SRC/synfin}
work=${WORK:-$(mktemp -d)}
targets="segment_codec_fuzzer endpoint_fuzzer connection_fuzzer scenario_text_fuzzer pcap_import_fuzzer"

prefix_args=()
if [ -d "$SRC/abseil-cpp" ]; then
  cmake -S "$SRC/abseil-cpp" -B "$work/absl-build" -G Ninja \
    -DCMAKE_C_COMPILER="$CC" -DCMAKE_CXX_COMPILER="$CXX" \
    -DCMAKE_C_FLAGS="$CFLAGS" -DCMAKE_CXX_FLAGS="$CXXFLAGS" \
    -DCMAKE_CXX_STANDARD=20 -DABSL_PROPAGATE_CXX_STD=ON -DBUILD_TESTING=OFF \
    -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$work/absl-install" >/dev/null
  cmake --build "$work/absl-build" --target install >/dev/null
  prefix_args=(-DCMAKE_PREFIX_PATH="$work/absl-install")
fi

cmake -S "$src_dir" -B "$work/synfin-build" -G Ninja \
  -DCMAKE_C_COMPILER="$CC" -DCMAKE_CXX_COMPILER="$CXX" \
  -DCMAKE_C_FLAGS="$CFLAGS" -DCMAKE_CXX_FLAGS="$CXXFLAGS" \
  -DCMAKE_BUILD_TYPE=Release -DSYNFIN_BUILD_TESTS=OFF \
  -DSYNFIN_FUZZ_ENGINE=external -DSYNFIN_LIB_FUZZING_ENGINE="$LIB_FUZZING_ENGINE" \
  "${prefix_args[@]}" >/dev/null
# shellcheck disable=SC2086
cmake --build "$work/synfin-build" --target $targets

for t in $targets; do
  cp "$work/synfin-build/fuzz/$t" "$OUT/"
  [ -f "$src_dir/fuzz/$t.dict" ] && cp "$src_dir/fuzz/$t.dict" "$OUT/"
  [ -f "$src_dir/fuzz/$t.options" ] && cp "$src_dir/fuzz/$t.options" "$OUT/"
  if [ -d "$src_dir/corpus/$t" ]; then
    rm -f "$OUT/${t}_seed_corpus.zip"
    (cd "$src_dir/corpus/$t" && zip -q -j "$OUT/${t}_seed_corpus.zip" ./*)
  fi
done
