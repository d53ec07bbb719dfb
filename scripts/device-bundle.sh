#!/bin/sh
# device-bundle.sh BUILD OUT: stages a folder to carry to a machine that has no OpenCV, FFmpeg
# or protobuf-c and where nothing can be installed (the GPU test machine: Ubuntu 24.04, glibc
# 2.39). Run by `make NOCV=1 bundle` (BUILD build/nocv, OUT build/nocv/bundle).
#
#   OUT/build/yolo, OUT/build/tests/..., OUT/build/samples/...   debug info stripped
#   OUT/lib/         the shared libraries that machine lacks: libprotobuf-c.so.1 and Debian's
#                    libjpeg.so.62 (it has libjpeg.so.8 only), copied from this one
#   OUT/tests/ OUT/labels/   what the test scripts read (run_tests.sh, cli/, fuzz corpus)
#   OUT/run.sh CMD...        runs CMD with LD_LIBRARY_PATH=OUT/lib (e.g. run.sh build/yolo ...)
#   OUT/run_tests.sh         the test suite there (SHARED: the shared models and data, default
#                            OUT/../shared; ONLY as in tests/run_tests.sh)
#   OUT/MANIFEST.txt         what each binary needs, what the machine lacks, GLIBC versions
#
# Checks, failing the script: every NEEDED library is bundled or on the list of what the
# device has (DEVICE_HAS below; extend with DEVICE_HAS_EXTRA="libfoo.so.1 ..."), and no
# binary or bundled library asks for a GLIBC symbol version above GLIBC_MAX (2.39).
set -eu
BUILD=${1:-build/nocv}
OUT=${2:-$BUILD/bundle}
GLIBC_MAX=${GLIBC_MAX:-2.39}
. "$(dirname "$0")/device_libs.sh"
# What this script carries (found with ldconfig -p: Debian's libprotobuf-c1, libjpeg62-turbo).
CARRY="libprotobuf-c.so.1 libjpeg.so.62 libyaml-0.so.2 libfreetype.so.6 libbrotlidec.so.1
    libbrotlicommon.so.1"

die() { echo "device-bundle: error: $*" >&2; exit 1; }
[ -x "$BUILD/yolo" ] || die "$BUILD/yolo: not built (make NOCV=1 all tests)"
"$BUILD/yolo" --version | grep -q 'NOCV=1' ||
    echo "device-bundle: warning: $BUILD/yolo is not a NOCV=1 build: it needs OpenCV" >&2

rm -rf "$OUT"
mkdir -p "$OUT/build" "$OUT/lib" "$OUT/tests"
cp "$BUILD/yolo" "$OUT/build/"
for d in tests samples; do
    [ -d "$BUILD/$d" ] && (cd "$BUILD" && find "$d" -type f -perm -u+x) | while read -r f; do
        mkdir -p "$OUT/build/$(dirname "$f")"
        cp "$BUILD/$f" "$OUT/build/$f"
    done
done
find "$OUT/build" -type f -exec strip --strip-debug {} +
cp tests/run_tests.sh "$OUT/tests/"
cp -r tests/cli "$OUT/tests/cli"
mkdir -p "$OUT/tests/fuzz"
cp -r tests/fuzz/corpus tests/fuzz/regress "$OUT/tests/fuzz/"
cp -r labels "$OUT/labels"

for lib in $CARRY; do
    path=$(ldconfig -p | awk -v l="$lib" '$1 == l && /x86-64/ { print $NF; exit }')
    [ -n "$path" ] || die "$lib: not found by ldconfig -p (install libprotobuf-c1 / libjpeg62-turbo)"
    cp -L "$path" "$OUT/lib/$lib"
done

cat > "$OUT/run.sh" <<'EOF'
#!/bin/sh
# run.sh CMD...: runs CMD with this bundle's libraries first on the search path.
here=$(cd "$(dirname "$0")" && pwd)
LD_LIBRARY_PATH="$here/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"; export LD_LIBRARY_PATH
exec "$@"
EOF
cat > "$OUT/run_tests.sh" <<'EOF'
#!/bin/sh
# run_tests.sh: the test suite of this bundle (video tests are skipped: NOCV=1 build).
# SHARED: the shared models and data (default: ../shared next to this folder); ONLY: see
# tests/run_tests.sh. Some CLI tests use /usr/bin/python3 with numpy.
here=$(cd "$(dirname "$0")" && pwd)
SHARED=$(cd "${SHARED:-$here/../shared}" 2>/dev/null && pwd) || { echo "run_tests.sh: set SHARED to the shared folder" >&2; exit 2; }
LD_LIBRARY_PATH="$here/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export LD_LIBRARY_PATH SHARED
cd "$here" && BUILD=build sh tests/run_tests.sh
EOF
chmod +x "$OUT/run.sh" "$OUT/run_tests.sh"

# ---- checks: libraries and GLIBC versions
man="$OUT/MANIFEST.txt"
{
    echo "device bundle of $("$BUILD/yolo" --version | tr '\n' ' ')"
    echo "made $(date -u +%Y-%m-%dT%H:%MZ) on $(. /etc/os-release && echo "$PRETTY_NAME"), glibc $(ldd --version | head -1 | awk '{print $NF}')"
    echo
    echo "carried in lib/ (the device lacks them):"
    for lib in $CARRY; do echo "  $lib"; done
    echo
} > "$man"
missing=""; glibc_bad=""
needed_all=""
for f in $(find "$OUT/build" "$OUT/lib" -type f | sort); do
    file -b "$f" | grep -q '^ELF' || continue
    needed=$(objdump -p "$f" | awk '$1 == "NEEDED" { print $2 }')
    needed_all="$needed_all $needed"
    v=$(objdump -T "$f" | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -1)
    if [ -n "$v" ] && [ "$(printf '%s\n%s\n' "$v" "$GLIBC_MAX" | sort -V | tail -1)" != "$GLIBC_MAX" ]; then
        glibc_bad="$glibc_bad ${f#$OUT/}(GLIBC_$v)"
    fi
done
{
    echo "libraries the binaries and carried libraries need (NEEDED), and where they come from:"
    for lib in $(echo "$needed_all" | tr ' ' '\n' | sed '/^$/d' | sort -u); do
        where="MISSING on the device"
        case " $(echo $CARRY) " in *" $lib "*) where="carried (lib/)" ;; esac
        case " $(echo $DEVICE_HAS) " in *" $lib "*) where="on the device" ;; esac
        [ "$where" = "MISSING on the device" ] && missing="$missing $lib"
        printf '  %-24s %s\n' "$lib" "$where"
    done
    echo
    echo "highest GLIBC symbol version asked for: $(for f in $(find "$OUT/build" "$OUT/lib" -type f); do
        objdump -T "$f" 2>/dev/null | grep -o 'GLIBC_[0-9][0-9.]*'; done | sed 's/GLIBC_//' | sort -uV | tail -1) (device: $GLIBC_MAX)"
    cxx=$(for f in $(find "$OUT/build" "$OUT/lib" -type f); do
        objdump -T "$f" 2>/dev/null | grep -o 'GLIBCXX_[0-9][0-9.]*'; done | sed 's/GLIBCXX_//' | sort -uV | tail -1)
    echo "highest GLIBCXX (libstdc++) symbol version asked for: ${cxx:-none} (device: GCC 14's libstdc++, 3.4.33)"
    echo
    echo "yolo itself: ldd here"
    ldd "$BUILD/yolo" | sed 's/^/  /'
} >> "$man"
cat "$man"
[ -z "$missing" ] || die "libraries the device lacks and the bundle does not carry:$missing"
[ -z "$glibc_bad" ] || die "binaries needing a glibc above $GLIBC_MAX:$glibc_bad"
echo "device-bundle: $OUT ($(du -sh "$OUT" | cut -f1)): copy it over, then $OUT/run.sh $OUT/build/yolo --version, SHARED=... $OUT/run_tests.sh"
