#!/bin/sh
# test_install_cli.sh: the library as someone installs and uses it. `make install` into a
# temporary prefix, then samples/detect_image.c built with nothing but `pkg-config --cflags
# --libs yolo` and run against the installed libyolo.so; the shared library exports only the
# yolo_* functions of include/yolo.h; the man page covers every command; a DESTDIR install is
# staged; `make uninstall` removes every file it installed.
set -u
YOLO=${YOLO:-build/yolo}; SHARED=${SHARED:-../shared}; BUILD=${BUILD:-build}
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
fails=0; checks=0
ok()   { checks=$((checks + 1)); }
fail() { checks=$((checks + 1)); fails=$((fails + 1)); echo "FAIL: $*"; }
# A sanitizer build's libyolo.so needs the sanitizer runtime loaded first, which a program
# built from pkg-config's flags does not do: only plain builds are installed.
if nm "$YOLO" 2>/dev/null | grep -q '__asan_init\|__tsan_init\|__ubsan_handle'; then
    echo "install: skipped for a sanitizer build"; exit 0
fi
unset MAKEFLAGS MAKELEVEL MFLAGS       # a make of its own, not a part of make test's jobs

P=$T/prefix
make -s --no-print-directory BUILD="$BUILD" PREFIX="$P" install > "$T/make.out" 2>&1 && ok ||
    fail "make install: $(tail -5 "$T/make.out")"
for f in bin/yolo lib/libyolo.a lib/libyolo.so lib/pkgconfig/yolo.pc include/yolo.h share/man/man1/yolo.1; do
    [ -e "$P/$f" ] && ok || fail "not installed: $f"
done
soname=$(readelf -d "$P/lib/libyolo.so" | sed -n 's/.*SONAME.*\[\(.*\)\]/\1/p')
[ -n "$soname" ] && [ -e "$P/lib/$soname" ] && [ "$soname" != libyolo.so ] && ok || fail "soname '$soname'"

# only the public API leaves the shared library
nm -D --defined-only "$P/lib/libyolo.so" | awk '{print $3}' | sort > "$T/exported"
grep -o '^YOLO_API[^(]*[ *]yolo_[a-z0-9_]*(' include/yolo.h | sed 's/.*[ *]\(yolo_[a-z0-9_]*\)(/\1/' |
    sort > "$T/declared"
[ -s "$T/exported" ] && diff "$T/exported" "$T/declared" > "$T/diff" && ok ||
    fail "exported symbols differ from include/yolo.h's YOLO_API ones: $(head -20 "$T/diff")"

# a program of the user's, built with pkg-config only
export PKG_CONFIG_PATH="$P/lib/pkgconfig"
flags=$(pkg-config --cflags --libs yolo) && ok || fail "pkg-config yolo"
# shellcheck disable=SC2086
cc -std=c11 -Wall -Werror samples/detect_image.c $flags -o "$T/detect_image" 2> "$T/cc.err" && ok ||
    fail "cc samples/detect_image.c \$(pkg-config --cflags --libs yolo): $(head -5 "$T/cc.err")"
"$YOLO" build "$SHARED/data/models/yolov8n_dq.onnx" -o "$T/m.engine" > /dev/null 2>&1
LD_LIBRARY_PATH="$P/lib" "$T/detect_image" "$T/m.engine" "$SHARED/data/images/bus.jpg" "$T/out.jpg" \
    > "$T/run.out" 2>&1 && grep -q "^bus " "$T/run.out" && [ -s "$T/out.jpg" ] && ok ||
    fail "installed sample: $(cat "$T/run.out")"
LD_LIBRARY_PATH="$P/lib" ldd "$T/detect_image" | grep -q "$P/lib/$soname" && ok ||
    fail "sample not linked to the installed $soname: $(LD_LIBRARY_PATH="$P/lib" ldd "$T/detect_image")"
[ "$(pkg-config --modversion yolo)" = "$("$P/bin/yolo" --version | awk 'NR == 1 {print $2}')" ] && ok ||
    fail "pkg-config version $(pkg-config --modversion yolo) vs $("$P/bin/yolo" --version)"

# the man page covers every command and every option of their --help
for c in $("$YOLO" --help | sed -n '/^commands:/,/^$/p' | awk 'NR > 1 && NF {print $1}'); do
    grep -q "^\.SS yolo $c\$" "$P/share/man/man1/yolo.1" || { fail "man page lacks yolo $c"; continue; }
    for o in $("$YOLO" "$c" --help | grep -o -- '--[a-z][a-z0-9-]*' | sort -u); do
        grep -q -- "$o" "$P/share/man/man1/yolo.1" || fail "man page lacks yolo $c $o"
    done
    ok
done
if command -v groff > /dev/null; then
    groff -man -Tutf8 -ww "$P/share/man/man1/yolo.1" > /dev/null 2> "$T/groff.err" && [ ! -s "$T/groff.err" ] && ok ||
        fail "groff: $(head -5 "$T/groff.err")"
fi

# uninstall leaves nothing; DESTDIR stages under its root
make -s --no-print-directory BUILD="$BUILD" PREFIX="$P" uninstall > "$T/make.out" 2>&1 && ok || fail "make uninstall"
left=$(find "$P" ! -type d | head -5)
[ -z "$left" ] && ok || fail "left after uninstall: $left"
make -s --no-print-directory BUILD="$BUILD" PREFIX=/usr DESTDIR="$T/stage" install > "$T/make.out" 2>&1 &&
    [ -e "$T/stage/usr/lib/libyolo.so" ] && grep -q '^prefix=/usr$' "$T/stage/usr/lib/pkgconfig/yolo.pc" && ok ||
    fail "DESTDIR install: $(tail -3 "$T/make.out") $(cat "$T/stage/usr/lib/pkgconfig/yolo.pc" 2>&1)"

echo "install: $checks checks, $fails failed"
[ $fails -eq 0 ]
