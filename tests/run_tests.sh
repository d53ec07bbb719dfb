#!/bin/sh
# run_tests.sh: runs every test binary under $BUILD/tests and every tests/cli/*.sh script,
# prints each result, then one closing line "tests: N passed, N failed".
# Env: BUILD (default build), SHARED (default ../shared), ONLY (space-separated substrings:
# run only the tests whose name contains one of them).
BUILD=${BUILD:-build}; SHARED=${SHARED:-../shared}
export BUILD SHARED YOLO="$BUILD/yolo"
pass=0; fail=0; failed=""
log=$(mktemp); trap 'rm -f "$log"' EXIT
run() {   # run NAME CMD...
    name=$1; shift
    if [ -n "${ONLY:-}" ]; then      # ONLY: space-separated substrings; any may match
        hit=0
        for o in $ONLY; do case "$name" in *"$o"*) hit=1 ;; esac; done
        [ $hit -eq 1 ] || return
    fi
    start=$(date +%s)
    if "$@" >"$log" 2>&1; then
        pass=$((pass + 1)); echo "PASS $name ($(( $(date +%s) - start ))s)"
    else
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
echo "tests: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
