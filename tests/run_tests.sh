#!/bin/sh
# run_tests.sh: runs every test binary under $BUILD/tests and every tests/cli/*.sh script,
# prints each result, then one closing line "tests: N passed, N failed".
# Env: BUILD (default build), SHARED (default ../shared), ONLY (space-separated substrings:
# run only the tests whose name contains one of them).
# Skips: a test that exits 77 is skipped (its last output line says why), which is allowed
# only in a `make NOCV=1` build (no OpenCV: no video, PNG and JPEG only), as `$YOLO --version`
# tells; anywhere else exit 77 is a failure, so a normal build never skips a test.
BUILD=${BUILD:-build}; SHARED=${SHARED:-../shared}
export BUILD SHARED YOLO="$BUILD/yolo"
nocv=0
"$YOLO" --version 2>/dev/null | grep -q 'NOCV=1' && nocv=1
pass=0; fail=0; skip=0; failed=""
log=$(mktemp); trap 'rm -f "$log"' EXIT
run() {   # run NAME CMD...
    name=$1; shift
    if [ -n "${ONLY:-}" ]; then      # ONLY: space-separated substrings; any may match
        hit=0
        for o in $ONLY; do case "$name" in *"$o"*) hit=1 ;; esac; done
        [ $hit -eq 1 ] || return
    fi
    start=$(date +%s)
    "$@" >"$log" 2>&1; rc=$?
    if [ $rc -eq 0 ]; then
        pass=$((pass + 1)); echo "PASS $name ($(( $(date +%s) - start ))s)"
    elif [ $rc -eq 77 ] && [ $nocv -eq 1 ]; then
        skip=$((skip + 1)); echo "SKIP $name: $(tail -n 1 "$log")"
    else
        [ $rc -eq 77 ] && echo "    exit 77 (skip) outside a NOCV=1 build" >>"$log"
        fail=$((fail + 1)); failed="$failed $name"
        echo "FAIL $name ($(( $(date +%s) - start ))s)"; tail -n 40 "$log" | sed 's/^/    /'
    fi
}
for t in $(find "$BUILD/tests" -type f -perm -u+x 2>/dev/null | sort); do
    run "${t#$BUILD/tests/}" "$t"
done
for s in tests/cli/*.sh; do
    [ -f "$s" ] && run "$s" sh "$s"
done
[ -n "$failed" ] && echo "failed:$failed"
echo "tests: $pass passed, $fail failed$([ $skip -gt 0 ] && echo ", $skip skipped (NOCV=1 build)")"
[ "$fail" -eq 0 ]
