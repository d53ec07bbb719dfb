#!/bin/sh
# test_shard_cli.sh: batch runs that survive a kill and spread over machines, and the output
# path under failure:
#   - `yolo detect ... --json` killed with SIGKILL mid-run (one shard of two): every line of
#     its JSON Lines parses; `--resume` completes it; `yolo merge --source` of both shards has
#     no image missing or doubled and equals a single uninterrupted run (apart from timings);
#   - a torn last line is cut off and reported by --resume; --exist-ok alone refuses to
#     overwrite earlier results; shards chosen from JOB_COMPLETION_INDEX / SLURM_ARRAY_*;
#     bad --shard values are usage errors;
#   - a FIFO as a source (or in a list) is refused at once, never blocks (17.1);
#   - a full disk (a file-size limit) during --save-txt --json: the failed writes are counted
#     in the summary and exit code, the JSON lines written before are kept whole (17.9);
#   - a 249-byte file name: its annotated image and label file are written (17.10).
# The yolov8n runs (kill, resume, merge) go over a folder of links to the first 64 coco128
# images, which checks the same as all 128 (test_detect_cli.sh runs those) in half the time;
# the shard arithmetic from the environment runs on all 128 with the tiny engine.
set -u
YOLO=${YOLO:-build/yolo}; SHARED=${SHARED:-../shared}
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
fails=0; checks=0
ok()   { checks=$((checks + 1)); }
fail() { checks=$((checks + 1)); fails=$((fails + 1)); echo "FAIL: $*"; }
strip_ms() { sed 's/"ms": {[^}]*}, //' "$1"; }
parses() { /usr/bin/python3 -c "
import json, sys
for l in open(sys.argv[1]):
    assert l.endswith('\n'); json.loads(l)" "$1" 2>/dev/null; }
unset SLURM_ARRAY_TASK_ID JOB_COMPLETION_INDEX
C=$SHARED/data/coco128/images/train2017
E=$T/e.engine
C64=$T/c64; mkdir -p "$C64"
CA=$(cd "$C" && pwd)
for f in $(ls "$CA" | sort | head -n 64); do ln -s "$CA/$f" "$C64/$f"; done
"$YOLO" build "$SHARED/data/models/yolov8n_dq.onnx" -o "$E" > /dev/null 2> "$T/err" || { echo "FAIL: build: $(cat "$T/err")"; exit 1; }
"$YOLO" build tests/fuzz/corpus/onnx/ok-tiny.onnx -o "$T/t.engine" > /dev/null 2> "$T/err" || { echo "FAIL: build: $(cat "$T/err")"; exit 1; }

# ---- the reference: one uninterrupted run over the 64 images
"$YOLO" detect "$E" "$C64" --json --nosave --save-dir "$T/one" -q > /dev/null 2> "$T/err" && ok || fail "single run: $(cat "$T/err")"
strip_ms "$T/one/detections.jsonl" > "$T/ref"

# ---- shard 1 of 2 killed with SIGKILL once it has written 8 lines, then resumed
"$YOLO" detect "$E" "$C64" --json --save-dir "$T/D" --exist-ok --shard 0/2 -q > "$T/s0.out" 2>&1 && ok ||
    fail "shard 0/2: $(cat "$T/s0.out")"
J1=$T/D/detections.00001-of-00002.jsonl
"$YOLO" detect "$E" "$C64" --json --save-dir "$T/D" --exist-ok --shard 1/2 -t 1 -j 1 -q > /dev/null 2>&1 &
pid=$!
for i in $(seq 600); do
    [ -f "$J1" ] && [ "$(wc -l < "$J1")" -ge 8 ] && break; sleep 0.05
done
kill -9 $pid; wait $pid 2>/dev/null
n_killed=$(wc -l < "$J1")
[ "$n_killed" -ge 8 ] && [ "$n_killed" -lt 32 ] && ok || fail "killed shard: $n_killed lines, expected 8..31"
parses "$J1" && ok || fail "a line of the killed run's JSON Lines does not parse: $(tail -c 300 "$J1")"
[ -z "$(ls "$T/D" | grep tmp)" ] && ok || fail "temp files left: $(ls "$T/D" | grep tmp)"
# a write torn by a crash: --resume cuts it off, says so, and runs that image again
printf '{"path": "%s/0000' "$C64" >> "$J1"
"$YOLO" detect "$E" "$C64" --json --save-dir "$T/D" --shard 1/2 --exist-ok > /dev/null 2> "$T/err"; rc=$?
[ "$rc" -eq 1 ] && grep -q "holds the results of an earlier run.*--resume" "$T/err" && ok ||
    fail "--exist-ok over earlier results: exit $rc, $(cat "$T/err")"
"$YOLO" detect "$E" "$C64" --json --save-dir "$T/D" --shard 1/2 --resume > "$T/r.out" 2> "$T/r.err"; rc=$?
[ "$rc" -eq 0 ] && ok || fail "--resume: exit $rc: $(cat "$T/r.err")"
grep -q "cut off a torn last line" "$T/r.err" && ok || fail "torn line not reported: $(cat "$T/r.err")"
grep -q "^resume: .*holds $n_killed lines; $n_killed of this run's 32 images are done, $((32 - n_killed)) to go" "$T/r.out" &&
    ok || fail "resume line: $(head -3 "$T/r.out")"
"$YOLO" merge "$T/D" -o "$T/m.jsonl" --source "$C64" > "$T/m.out" 2>&1 && ok || fail "merge: exit $?: $(cat "$T/m.out")"
grep -q "^merged 2 files, 64 lines: 64 images, .*0 duplicates dropped" "$T/m.out" && grep -q ": 64 images, 0 gaps" "$T/m.out" &&
    ok || fail "merge report: $(cat "$T/m.out")"
strip_ms "$T/m.jsonl" > "$T/a"
cmp -s "$T/a" "$T/ref" && ok || fail "killed + resumed + merged differs from one run: $(diff "$T/a" "$T/ref" | head -3 | cut -c1-160)"
[ "$(ls "$T/D" | grep -c '\.jpg$')" -eq 64 ] && ok || fail "annotated images: $(ls "$T/D" | grep -c '\.jpg$') of 64"
# resuming a finished shard does nothing; merge without the shard reports the gap
"$YOLO" detect "$E" "$C64" --json --save-dir "$T/D" --shard 1/2 --resume > "$T/r.out" 2>&1 &&
    grep -q "32 of this run's 32 images are done, 0 to go" "$T/r.out" && ok || fail "resume when done: $(cat "$T/r.out")"
"$YOLO" merge "$T/D/detections.00000-of-00002.jsonl" --source "$C64" > /dev/null 2> "$T/m.err"; rc=$?
[ "$rc" -eq 1 ] && grep -q "32 gaps" "$T/m.err" && ok || fail "merge with a shard missing: exit $rc, $(cat "$T/m.err")"

# ---- the shard from the environment, and usage errors
JOB_COMPLETION_INDEX=2 "$YOLO" detect "$T/t.engine" "$C" --json --nosave --save-dir "$T/K" --shards 3 -q > "$T/k.out" 2>&1 &&
    grep -q "^shard 2/3 (from JOB_COMPLETION_INDEX=2 and --shards 3): images 87 to 128 of 128" "$T/k.out" &&
    [ "$(wc -l < "$T/K/detections.00002-of-00003.jsonl")" -eq 42 ] && ok || fail "JOB_COMPLETION_INDEX: $(cat "$T/k.out")"
SLURM_ARRAY_TASK_ID=5 SLURM_ARRAY_TASK_MIN=4 SLURM_ARRAY_TASK_MAX=7 "$YOLO" detect "$T/t.engine" "$C" --json \
    --nosave --save-dir "$T/K" -q > "$T/k.out" 2>&1 &&
    grep -q "^shard 1/4 (from SLURM_ARRAY_TASK_ID=5 of 4 array tasks): images 33 to 64" "$T/k.out" && ok ||
    fail "SLURM_ARRAY_TASK_MIN/MAX: $(cat "$T/k.out")"
SLURM_ARRAY_TASK_ID=17 SLURM_ARRAY_TASK_COUNT=2 SLURM_ARRAY_TASK_MIN=5 SLURM_ARRAY_TASK_MAX=17 "$YOLO" detect \
    "$T/t.engine" "$C" --json --nosave --save-dir "$T/K" --shards 64 -q > "$T/k.out" 2>&1 &&
    grep -q "^shard 17/64 (from SLURM_ARRAY_TASK_ID=17 and --shards 64): images 35 to 36 of 128" "$T/k.out" && ok ||
    fail "a partial Slurm array with --shards: $(cat "$T/k.out")"
SLURM_ARRAY_TASK_ID=17 SLURM_ARRAY_TASK_COUNT=2 SLURM_ARRAY_TASK_MIN=5 SLURM_ARRAY_TASK_MAX=17 "$YOLO" detect \
    "$T/t.engine" "$C" --json --nosave --save-dir "$T/K" -q > /dev/null 2> "$T/err"; rc=$?
[ "$rc" -eq 2 ] && grep -q "not a contiguous array" "$T/err" && ok || fail "a partial Slurm array alone: exit $rc, $(cat "$T/err")"
for bad in "--shard 2/2" "--shard 1" "--shard -1/2" "--shard 0/0" "--resume"; do
    "$YOLO" detect "$T/t.engine" "$C" --nosave $bad > /dev/null 2>&1; rc=$?
    [ "$rc" -eq 2 ] && ok || fail "detect $bad: exit $rc, want 2"
done
JOB_COMPLETION_INDEX=1 "$YOLO" detect "$T/t.engine" "$C" --nosave > /dev/null 2> "$T/err"; rc=$?
[ "$rc" -eq 2 ] && grep -q "shards N" "$T/err" && ok || fail "JOB_COMPLETION_INDEX without --shards: exit $rc, $(cat "$T/err")"

# ---- 17.1: a FIFO as a source is refused at once; in a list it fails alone, without blocking
mkfifo "$T/f.jpg"
timeout 10 "$YOLO" detect "$T/t.engine" "$T/f.jpg" --json --save-dir "$T/fifo" > /dev/null 2> "$T/err"; rc=$?
[ "$rc" -eq 1 ] && grep -q "f.jpg: not a regular file (a FIFO)" "$T/err" && ok || fail "FIFO source: exit $rc (124 = blocked), $(cat "$T/err")"
[ -z "$(ls "$T/fifo" 2>/dev/null)" ] && ok || fail "FIFO source left files: $(ls "$T/fifo")"
printf '%s\n%s\n' "$T/f.jpg" "$(pwd)/$SHARED/data/images/bus.jpg" > "$T/list.txt"
timeout 10 "$YOLO" detect "$T/t.engine" "$T/list.txt" --json --nosave --save-dir "$T/fifo2" > "$T/out" 2> "$T/err"; rc=$?
[ "$rc" -eq 1 ] && grep -q "f.jpg: not a regular file" "$T/err" && grep -q "1 failed" "$T/out" &&
    [ "$(wc -l < "$T/fifo2/detections.jsonl")" -eq 2 ] && grep -q '"error": ".*not a regular file"' "$T/fifo2/detections.jsonl" &&
    ok || fail "FIFO in a list: exit $rc (124 = blocked), $(cat "$T/err" "$T/out")"

# ---- 17.9: a full disk (file-size limit of 40 blocks, SIGXFSZ ignored) with 32 images
head -32 "$T/one/detections.jsonl" | sed 's/^{"path": "\([^"]*\)".*/\1/' > "$T/l32.txt"
sed 's|^\([^/]\)|'"$(pwd)"'/\1|' "$T/l32.txt" > "$T/l32abs.txt"
rm -f "$T/fo"; mkfifo "$T/fo"
cat "$T/fo" > "$T/full.out" & pc=$!
(trap '' XFSZ; ulimit -f 40; exec "$YOLO" detect "$T/t.engine" "$T/l32abs.txt" --save-txt --json --conf 0.01 \
    --save-dir "$T/full") > "$T/fo" 2>&1; rc=$?
wait $pc
[ "$rc" -eq 1 ] && ok || fail "full disk: exit $rc, want 1"
grep -q "0 failed; [1-9][0-9]* outputs not written" "$T/full.out" && grep -q "are incomplete" "$T/full.out" &&
    ! grep -q "^Results saved to" "$T/full.out" && ok || fail "full disk summary: $(tail -3 "$T/full.out")"
grep -q "detections.jsonl: write failed: File too large" "$T/full.out" && ok || fail "no jsonl error line: $(grep jsonl "$T/full.out")"
nj=$(wc -l < "$T/full/detections.jsonl" 2>/dev/null || echo 0)
[ "$nj" -ge 1 ] && [ "$nj" -lt 32 ] && parses "$T/full/detections.jsonl" && ok ||
    fail "full disk: the JSON lines written before it filled are lost or torn ($nj lines)"
[ -z "$(ls "$T/full" | grep tmp)" ] && ok || fail "temp files left: $(ls "$T/full" | grep tmp)"

# ---- 17.10: a 249-byte file name (the old .tmp.PID.TID suffix passed the 255-byte limit)
LONG=$(printf 'a%.0s' $(seq 245)).jpg
cp "$SHARED/data/images/bus.jpg" "$T/$LONG"
"$YOLO" detect "$T/t.engine" "$T/$LONG" --save-txt --json --conf 0.01 --save-dir "$T/long" > /dev/null 2> "$T/err"; rc=$?
[ "$rc" -eq 0 ] && [ -s "$T/long/$LONG" ] && [ -s "$T/long/labels/${LONG%.jpg}.txt" ] && ok ||
    fail "249-byte name: exit $rc, $(cat "$T/err" | cut -c1-200)"

echo "test_shard_cli: $checks checks, $fails failed"
[ "$fails" -eq 0 ]
