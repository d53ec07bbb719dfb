#!/bin/sh
# run_tests.sh: runs every test binary under $BUILD/tests and every tests/cli/*.sh script,
# prints each result, then one closing line "tests: N passed, N failed".
# Env: BUILD (default build), SHARED (default ../shared), ONLY (space-separated substrings:
# run only the tests whose name contains one of them), JOBS (tests run at once; default the
# number of cores, JOBS=1 runs them one after another).
# Tests run in parallel, each with its output in its own file; the results are printed whole
# (the PASS line, or the FAIL line and the last 40 lines of output) in the same sorted order
# as a sequential run, so logs of two runs compare line by line. The longest tests start
# first (LONG below), so the last minutes are not one long test running alone. Tests in
# ALONE (timing bounds on a loaded machine) run by themselves once the others are done.
# Skips: a test that exits 77 is skipped (its last output line says why), which is allowed
# only in a `make NOCV=1` build (no OpenCV: no video, PNG and JPEG only), as `$YOLO --version`
# tells; anywhere else exit 77 is a failure, so a normal build never skips a test.
BUILD=${BUILD:-build}; SHARED=${SHARED:-../shared}
export BUILD SHARED YOLO="$BUILD/yolo"
JOBS=${JOBS:-$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)}
case "$JOBS" in ''|*[!0-9]*|0) echo "run_tests.sh: JOBS must be a positive number, not '$JOBS'" >&2; exit 2;; esac
# Started first, longest first (seconds under ASan on the 2-core CI machine, where the order
# matters most). A test missing here only starts later; a name here that no longer exists is
# ignored.
LONG="test_golden tests/cli/test_detect_cli.sh tests/cli/test_val_cli.sh tests/cli/test_video_cli.sh
      tests/cli/test_shard_cli.sh tests/cli/test_slurm_cli.sh tests/cli/test_int8_cli.sh
      test_build_limits tests/cli/test_engine_cli.sh tests/cli/test_ultralytics_cli.sh"
# Run with no other test beside them, since they bound wall time, which another test on the
# same cores stretches: the live-stream test (latencies and stalls against real-time sources
# at 25 fps); and refusals of hostile files within 0.5 to 3 s (test_resource_bounds,
# test_engine, test_onnx_import: a million-node ONNX took 3.9 s of its 3 s beside another
# test under load). They take a few seconds.
ALONE="test_engine test_onnx_import test_resource_bounds tests/cli/test_video_live_cli.sh"
nocv=0
"$YOLO" --version 2>/dev/null | grep -q 'NOCV=1' && nocv=1
W=$(mktemp -d) || exit 1
pids=""; rd=""
# on exit (or Ctrl-C) no test is left running, and nothing of ours is left in /tmp
trap 'for p in $pids $rd; do kill "$p" 2>/dev/null; done; rm -rf "$W"' EXIT
trap 'exit 130' INT; trap 'exit 143' TERM

# ---- the list, in print order: W/N.name, W/N.cmd (one argument per line)
n=0
add() {   # add NAME CMD...
    name=$1; shift
    if [ -n "${ONLY:-}" ]; then      # ONLY: space-separated substrings; any may match
        hit=0
        for o in $ONLY; do case "$name" in *"$o"*) hit=1 ;; esac; done
        [ $hit -eq 1 ] || return
    fi
    n=$((n + 1))
    printf '%s\n' "$name" > "$W/$n.name"
    printf '%s\n' "$name" >> "$W/names"
    printf '%s\n' "$@" > "$W/$n.cmd"
}
# build/tests/perf holds the benchmark tools (tests/perf/*.c, built on demand): they time
# and check nothing, so they are no tests
for t in $(find "$BUILD/tests" -path "$BUILD/tests/perf" -prune -o -type f -perm -u+x -print 2>/dev/null | sort); do
    add "${t#$BUILD/tests/}" "$t"
done
for s in tests/cli/*.sh; do
    [ -f "$s" ] && add "$s" sh "$s"
done

# ---- the launch order: LONG (in its order), the rest (in print order), ALONE at the end
index_of() {   # index_of NAME: its number in the list, or nothing
    [ -f "$W/names" ] && grep -nxF -e "$1" "$W/names" | cut -d: -f1
}
first=""; last=""
for name in $LONG; do first="$first $(index_of "$name")"; done
for name in $ALONE; do last="$last $(index_of "$name")"; done
order=$first
i=1
while [ $i -le $n ]; do
    case " $first $last " in *" $i "*) ;; *) order="$order $i";; esac
    i=$((i + 1))
done
order="$order $last"

# ---- running: a finished test writes W/N.rc, then its number into the FIFO W/done, which
# the loop below reads to know a slot is free (no polling)
mkfifo "$W/done" || exit 1
exec 3<>"$W/done"     # read-write: opening it never blocks, and it is never at EOF
next_done() {   # waits until a test has finished
    # The line is read by a child the shell waits for: a trap (Ctrl-C, TERM) interrupts
    # `wait` at once, whereas dash runs it only after a `read` of its own has returned.
    ( read -r x <&3 ) &
    rd=$!
    wait "$rd"
    rd=""
}
start() {   # start N
    k=$1
    set --
    while IFS= read -r a; do set -- "$@" "$a"; done < "$W/$k.cmd"
    (
        # the test runs as a background command of this subshell, which passes a TERM (our
        # exit trap's) on to it
        tp=""; stop=""
        trap 'stop=1; [ -n "$tp" ] && kill "$tp" 2>/dev/null' TERM
        s=$(date +%s)
        [ -z "$stop" ] || exit 1
        "$@" > "$W/$k.log" 2>&1 3>&- &
        tp=$!
        wait "$tp"; rc=$?
        [ -z "$stop" ] || exit 1
        echo "$rc $(( $(date +%s) - s ))" > "$W/$k.rc.tmp" && mv "$W/$k.rc.tmp" "$W/$k.rc"
        echo "$k" >&3
    ) &
    pids="$pids $!"
}
pass=0; fail=0; skip=0; failed=""; printed=1
report() {   # prints every finished result not yet printed, in list order
    while [ -f "$W/$printed.rc" ]; do
        name=$(cat "$W/$printed.name"); log=$W/$printed.log
        read -r rc secs < "$W/$printed.rc"
        if [ "$rc" -eq 0 ]; then
            pass=$((pass + 1)); echo "PASS $name (${secs}s)"
        elif [ "$rc" -eq 77 ] && [ $nocv -eq 1 ]; then
            skip=$((skip + 1)); echo "SKIP $name: $(tail -n 1 "$log")"
        else
            [ "$rc" -eq 77 ] && echo "    exit 77 (skip) outside a NOCV=1 build" >> "$log"
            fail=$((fail + 1)); failed="$failed $name"
            echo "FAIL $name (${secs}s)"; tail -n 40 "$log" | sed 's/^/    /'
        fi
        rm -f "$W/$printed.log"
        printed=$((printed + 1))
    done
}
running=0
for k in $order; do
    case " $last " in
        *" $k "*) limit=1 ;;      # ALONE: wait until nothing else runs
        *) limit=$JOBS ;;
    esac
    while [ $running -ge $limit ]; do
        next_done; running=$((running - 1)); report
    done
    start "$k"; running=$((running + 1))
done
while [ $running -gt 0 ]; do
    next_done; running=$((running - 1)); report
done
pids=""
report

[ -n "$failed" ] && echo "failed:$failed"
echo "tests: $pass passed, $fail failed$([ $skip -gt 0 ] && echo ", $skip skipped (NOCV=1 build)")"
[ "$fail" -eq 0 ]
