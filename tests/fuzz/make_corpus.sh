#!/bin/sh
# make_corpus.sh: regenerates the committed fuzz seed corpus tests/fuzz/corpus/<target>/
# with tests/fuzz/gen_corpus.c (built with the normal compiler against build/libyolo.a).
# Run it when a file format changes; commit the result. Usage: sh tests/fuzz/make_corpus.sh
set -eu
cd "$(dirname "$0")/../.."
B=${BUILD:-build}
CC=${CC:-cc}
make --no-print-directory BUILD="$B" "$B/libyolo.a" "$B/obj/tests/onnx_writer.c.o" \
     "$B/obj/tests/tiny_model.c.o"
PKG_CFLAGS=$(pkg-config --cflags openblas libprotobuf-c libpng opencv4)
PKG_LIBS="$(pkg-config --libs openblas libprotobuf-c libpng) -lopencv_videoio -lopencv_imgcodecs -lopencv_imgproc -lopencv_core"
# shellcheck disable=SC2086
$CC -std=c11 -O1 -g -D_GNU_SOURCE -Iinclude -Icore -Icore/base -Ilabels -Ipostprocess -Idetect -I"$B/gen" \
    -Itests $PKG_CFLAGS tests/fuzz/gen_corpus.c "$B/obj/tests/onnx_writer.c.o" \
    "$B/obj/tests/tiny_model.c.o" "$B/libyolo.a" $PKG_LIBS -lstdc++ -lm -pthread -o "$B/gen_corpus"
rm -rf tests/fuzz/corpus
"$B/gen_corpus" tests/fuzz/corpus
echo "make_corpus: $(find tests/fuzz/corpus -type f | wc -l) files, $(du -sk tests/fuzz/corpus | cut -f1) KiB"
