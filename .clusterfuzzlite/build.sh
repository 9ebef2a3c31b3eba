#!/bin/bash -eu
# ClusterFuzzLite runs this inside its builder, with the repository at $SRC/synfin;
# the build itself is OSS-Fuzz's (one script for both).
exec bash "$SRC/synfin/ci/oss-fuzz/build.sh"
