#!/bin/sh
# test_video_cli.sh: `yolo video` as a user runs it, and samples/multi_thread.
#  - both shared videos in full with --instances 2 on a tiny generated detector (the pipeline:
#    decode, order, MP4 and JSON Lines; fast): output MP4 frame counts, size and fps read back
#    with OpenCV, 751 and 302 JSON lines with frames 0..n-1 in order and their timestamps;
#  - yolov8n on a cut of both videos (--max-frames): identical JSON Lines for --instances 1,
#    --instances 4 and --instances 2 --batch 4 --batch-timeout 10, and frames equal to
#    `yolo detect` on the same frames extracted as PNG;
#  - memory: peak RSS with 4 instances minus with 1 <= 3 x (context + frame buffers) + 32 MiB;
#  - bad input: the traffic video cut to 40% with head -c (index lost: named, nothing written),
#    a cut of an index-first copy (the decodable frames processed, playable outputs kept), a
#    missing file and an unreachable URL failing alone; --vid-stride; usage errors.
# Under sanitizers (BUILD names asan/ubsan/tsan) the yolov8n runs are cut further and the
# RSS check (meaningless with shadow memory) is skipped; TSan reports from FFmpeg's own
# threads are suppressed by tests/tsan.supp (third-party frames only).
set -u
YOLO=${YOLO:-build/yolo}; SHARED=${SHARED:-../shared}; BUILD=${BUILD:-build}
# a NOCV=1 build has no video (README.md, "Building without OpenCV"): skipped (run_tests.sh
# accepts exit 77 only from such a build; test_reliability_cli.sh checks its error)
"$YOLO" --version 2>/dev/null | grep -q 'NOCV=1' && { echo "yolo video needs OpenCV: NOCV=1 build"; exit 77; }
V=$SHARED/data/videos
PY=/usr/bin/python3
T=$(mktemp -d); trap 'chmod -R u+w "$T" 2>/dev/null; rm -rf "$T"' EXIT
TSAN_OPTIONS="suppressions=$PWD/tests/tsan.supp${TSAN_OPTIONS:+ $TSAN_OPTIONS}"; export TSAN_OPTIONS
fails=0; checks=0
ok()   { checks=$((checks + 1)); }
fail() { checks=$((checks + 1)); fails=$((fails + 1)); echo "FAIL: $*"; }
case "$BUILD" in
    *tsan*) SAN=tsan; N=1; FULL="--max-frames 120";;
    *asan*|*ubsan*) SAN=asan; N=2; FULL="";;
    *) SAN=""; N=6; FULL="";;
esac

# ---------------------------------------------------------------- models
# tiny: [1,3,32,32] -> boxes on a 4x4 grid + 3 sigmoid class scores -> [1,7,16] (v8 layout)
$PY tests/cli/make_tiny_detector.py "$T/tiny.onnx"
TE=$T/tiny.engine; E=$T/yolov8n.engine
if "$YOLO" build "$T/tiny.onnx" -o "$TE" > /dev/null 2> "$T/err" &&
   "$YOLO" build "$SHARED/data/models/yolov8n_dq.onnx" -o "$E" > /dev/null 2>> "$T/err"; then ok
else fail "build: $(cat "$T/err")"; echo "test_video_cli: $((checks - fails)) passed, $fails failed"; exit 1; fi

# checks DIR/NAME.jsonl has N lines, frames 0..N-1 (x stride) in order, t = frame / fps, and
# DIR/NAME.mp4 (unless "-") has N frames of W x H at FPS, as OpenCV reads it back.
check_out() {   # DIR NAME N W H FPS STRIDE MP4(1/0)
    $PY - "$@" <<'EOF'
import json, sys, cv2
d, name, n, w, h, fps, stride, mp4 = sys.argv[1:]
n, w, h, fps, stride = int(n), int(w), int(h), float(fps), int(stride)
lines = open(f"{d}/{name}.jsonl").read().splitlines()
assert len(lines) == n, f"{name}.jsonl: {len(lines)} lines, want {n}"
for i, l in enumerate(lines):
    o = json.loads(l)
    assert list(o) == ["frame", "t", "detections"], f"line {i}: keys {list(o)}"
    assert o["frame"] == i * stride, f"line {i}: frame {o['frame']}, want {i * stride}"
    assert abs(o["t"] - i * stride / fps) < 0.0011, f"line {i}: t {o['t']}"
if mp4 == "1":
    c = cv2.VideoCapture(f"{d}/{name}.mp4", cv2.CAP_FFMPEG)
    assert c.isOpened(), f"{name}.mp4: OpenCV cannot open it"
    got = 0
    while c.read()[0]:
        got += 1
    props = (c.get(cv2.CAP_PROP_FRAME_COUNT), c.get(cv2.CAP_PROP_FRAME_WIDTH), c.get(cv2.CAP_PROP_FRAME_HEIGHT),
             c.get(cv2.CAP_PROP_FPS))
    assert got == n and props[:3] == (n, w, h) and abs(props[3] - fps / stride) < 0.01, \
        f"{name}.mp4: {got} frames read, (count, w, h, fps) = {props}, want {n}, {w}x{h}, {fps / stride}"
EOF
}

# ---------------------------------------------------------------- full videos, in order
"$YOLO" video "$TE" "$V/traffic_highway_720p.mp4" "$V/pedestrian_street_1080p.mp4" -o "$T/full" --instances 2 \
    $FULL > "$T/full.out" 2> "$T/full.err"; rc=$?
[ $rc -eq 0 ] && ok || fail "full run: exit $rc: $(cat "$T/full.err")"
if [ -z "$FULL" ]; then NT=751; NP=302; else NT=120; NP=120; fi
check_out "$T/full" traffic_highway_720p $NT 1280 720 25 1 1 && ok || fail "traffic outputs"
check_out "$T/full" pedestrian_street_1080p $NP 1920 1080 30 1 1 && ok || fail "pedestrian outputs"
grep -q "2 streams, $((NT + NP)) frames in .* 0 failed" "$T/full.out" && ok || fail "full summary: $(tail -3 "$T/full.out")"
[ -z "$(ls "$T/full" | grep -v '\.mp4$\|\.jsonl$')" ] && ok || fail "stray files: $(ls "$T/full")"

# --vid-stride: every 5th frame, frame numbers of the source, MP4 at 25 / 5 fps
"$YOLO" video "$TE" "$V/traffic_highway_720p.mp4" -o "$T/stride" --vid-stride 5 --max-frames 40 -q > /dev/null 2>&1 &&
    check_out "$T/stride" traffic_highway_720p 40 1280 720 25 5 1 && ok || fail "--vid-stride 5"

# Ctrl-C ends a recording: outputs finished at the frames processed, exit 130 (the signal goes
# out once the first frame is being written, i.e. once the temporary MP4 (.ismv) exists)
"$YOLO" video "$TE" "$V/traffic_highway_720p.mp4" -o "$T/int" -q > "$T/int.out" 2> "$T/e" &
pid=$!
for i in $(seq 300); do ls "$T/int" 2>/dev/null | grep -q '\.ismv$' && break; sleep 0.1; done
kill -INT $pid; wait $pid; rc=$?
ni=$(wc -l < "$T/int/traffic_highway_720p.jsonl" 2>/dev/null)
[ $rc -eq 130 ] && grep -q "^interrupted" "$T/int.out" && [ "${ni:-0}" -gt 0 ] && [ "$ni" -lt 751 ] &&
    check_out "$T/int" traffic_highway_720p "$ni" 1280 720 25 1 1 && ok || fail "SIGINT: exit $rc, ${ni:-no} lines: $(cat "$T/e")"

# ---------------------------------------------------------------- tracking and counting
# IDs are assigned in frame order per stream: identical for any --instances / --batch
NTR=150; [ "$SAN" = tsan ] && NTR=40
for cfg in "1 1" "3 2"; do
    set -- $cfg
    "$YOLO" video "$TE" "$V/traffic_highway_720p.mp4" -o "$T/trk$1" --max-frames $NTR --track --instances $1 --batch $2 \
        --line 0,16,1280,16 --zone 0,0,640,0,640,360,0,360 > "$T/trk$1.out" 2> "$T/e" || fail "--track --instances $1: $(cat "$T/e")"
done
cmp -s "$T/trk1/traffic_highway_720p.jsonl" "$T/trk3/traffic_highway_720p.jsonl" && ok ||
    fail "--track: IDs differ between --instances 1 and --instances 3 --batch 2"
cmp -s "$T/trk1/traffic_highway_720p.counts.json" "$T/trk3/traffic_highway_720p.counts.json" && ok || fail "counts differ"
$PY - "$T/trk1/traffic_highway_720p.jsonl" "$T/trk1/traffic_highway_720p.counts.json" $NTR <<'EOF' && ok || fail "--track outputs"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert len(rows) == int(sys.argv[3]), len(rows)
ids = set()
for r in rows:
    assert list(r) == ["frame", "t", "detections", "counts"], list(r)
    for d in r["detections"]:
        assert list(d) == ["id", "cls", "name", "conf", "box"], list(d)
        ids.add(d["id"])
    assert [list(c) for c in r["counts"]] == [["line", "in", "out"], ["zone", "inside", "in", "out"]], r["counts"]
    assert r["counts"][1]["inside"] <= len(r["detections"])
assert ids and min(ids) == 1, sorted(ids)[:5]
c = json.load(open(sys.argv[2]))
assert [s["type"] for s in c["shapes"]] == ["line", "zone"] and c["frames"] == len(rows), c
for s in c["shapes"]:
    per_frame = sum(r["counts"][s["index"] - 1]["in"] for r in rows)
    assert s["in"]["all"] == per_frame, (s, per_frame)
print(f"tracking: {len(ids)} IDs over {len(rows)} frames; counts {[(s['type'], s['in']['all'], s['out']['all']) for s in c['shapes']]}")
EOF
grep -q "tracks: [0-9]* IDs; line 1: in [0-9]*.*zone 2:" "$T/trk1.out" && ok || fail "track summary: $(cat "$T/trk1.out")"
"$YOLO" video "$TE" "$V/traffic_highway_720p.mp4" --line 0,1,2,3 > /dev/null 2> "$T/e"; rc=$?
[ $rc -eq 2 ] && grep -q "add --track" "$T/e" && ok || fail "--line without --track: exit $rc"
"$YOLO" video "$TE" "$V/traffic_highway_720p.mp4" --track --zone 0,1,2,3 > /dev/null 2> "$T/e"; rc=$?
[ $rc -eq 2 ] && grep -q "zone x1,y1,x2,y2,x3,y3" "$T/e" && ok || fail "2-point zone: exit $rc"

# a second run without -o goes to runs/video2 (as detect), unless --exist-ok
mkdir -p "$T/cwd"
Y=$(cd "$(dirname "$YOLO")" && pwd)/$(basename "$YOLO"); VA=$(cd "$V" && pwd)/traffic_highway_720p.mp4
for i in 1 2; do (cd "$T/cwd" && "$Y" video "$TE" "$VA" --max-frames 2 -q > /dev/null 2>&1); done
(cd "$T/cwd" && "$Y" video "$TE" "$VA" --max-frames 2 -q --exist-ok > /dev/null 2>&1)
[ -s "$T/cwd/runs/video/traffic_highway_720p.jsonl" ] && [ -s "$T/cwd/runs/video2/traffic_highway_720p.jsonl" ] &&
    [ ! -e "$T/cwd/runs/video3" ] && ok || fail "runs/video2: $(ls "$T/cwd/runs")"

# frames too large: --max-pixels refuses them at open; an 8192x8192 video, which the MP4
# encoder cannot take, says so before decoding a frame (it used to decode ~1 GB of frames and
# blame the folder)
if command -v ffmpeg > /dev/null; then
    ffmpeg -nostdin -loglevel error -y -f lavfi -i color=c=gray:s=8192x8192:r=2:d=1 -c:v mjpeg -q:v 20 "$T/big.avi"
    "$YOLO" video "$TE" "$T/big.avi" -o "$T/big" -q > /dev/null 2> "$T/e"; rc=$?
    [ $rc -eq 1 ] && grep -q "big.avi: frames of 8192x8192 cannot be written as MP4: its encoder (MPEG-4 part 2) takes at most 8191" "$T/e" &&
        ! grep -q "writable" "$T/e" && [ -z "$(ls "$T/big")" ] && ok || fail "8192x8192: exit $rc: $(cat "$T/e")"
    "$YOLO" video "$TE" "$T/big.avi" -o "$T/big" -q --nosave --max-pixels 1000000 > /dev/null 2> "$T/e"; rc=$?
    [ $rc -eq 1 ] && grep -q "big.avi: video frames of 8192x8192 (67108864 pixels) are over the limit of 1000000 pixels (--max-pixels)" "$T/e" &&
        ok || fail "--max-pixels: exit $rc: $(cat "$T/e")"
else
    fail "ffmpeg is not installed (scripts/install-deps.sh installs it)"
fi

# kill -9 leaves temporary files; the next run in the folder keeps the JSON Lines of the
# frames finished (whole lines) as <name>.killed-<pid>.jsonl and the video of the finished
# fragments (fragmented MP4, one fragment per 12 frames, cut after the last whole one) as
# <name>.killed-<pid>.mp4, which plays: every frame decodes, without a decoder complaint
"$YOLO" video "$TE" "$V/traffic_highway_720p.mp4" -o "$T/k9" -q > /dev/null 2>&1 &
pid=$!
for i in $(seq 300); do [ "$(cat "$T"/k9/*.jsonl.tmp.* 2>/dev/null | wc -l)" -gt 30 ] && break; sleep 0.1; done
kill -9 $pid; wait $pid 2>/dev/null
"$YOLO" video "$TE" "$V/traffic_highway_720p.mp4" -o "$T/k9" --max-frames 2 > "$T/k9.out" 2> "$T/e"; rc=$?
nk=$(wc -l < "$T/k9/traffic_highway_720p.killed-$pid.jsonl" 2>/dev/null)
[ $rc -eq 0 ] && [ -z "$(ls "$T/k9" | grep tmp)" ] && [ "${nk:-0}" -gt 30 ] &&
    grep -q "kept the finished frames of killed runs: .*killed-$pid" "$T/k9.out" &&
    $PY -c "import json, sys; [json.loads(l) for l in open(sys.argv[1])]" "$T/k9/traffic_highway_720p.killed-$pid.jsonl" &&
    ok || fail "after kill -9: exit $rc, ${nk:-no} lines kept, left: $(ls "$T/k9"): $(cat "$T/k9.out" "$T/e")"
KM=$T/k9/traffic_highway_720p.killed-$pid.mp4
nv=$(ffprobe -v error -count_frames -select_streams v -show_entries stream=nb_read_frames,width -of csv=p=0 "$KM" 2> "$T/e")
[ -n "$nv" ] && [ ! -s "$T/e" ] && [ "${nv#1280,}" -ge 12 ] && [ "${nv#1280,}" -le "${nk:-0}" ] && [ $(( ${nv#1280,} % 12 )) -eq 0 ] &&
    ok || fail "killed run's video: '$nv' (width,frames) for ${nk:-no} lines: $(head -3 "$T/e")"

# ---------------------------------------------------------------- yolov8n: instances and batching agree
run8() {   # OUTDIR ARGS...: both videos cut to N frames
    d=$1; shift
    "$YOLO" video "$E" "$V/traffic_highway_720p.mp4" "$V/pedestrian_street_1080p.mp4" -o "$T/$d" \
        --max-frames $N "$@" > "$T/$d.out" 2> "$T/$d.err" || fail "$d: exit $?: $(cat "$T/$d.err")"
}
run8 i4 --instances 4
run8 b4 --instances 2 --batch 4 --batch-timeout 10
[ "$SAN" = tsan ] || run8 i1 --instances 1
for f in traffic_highway_720p pedestrian_street_1080p; do
    check_out "$T/i4" $f $N $( [ $f = traffic_highway_720p ] && echo "1280 720 25" || echo "1920 1080 30") 1 1 &&
        ok || fail "i4: $f outputs"
    cmp -s "$T/i4/$f.jsonl" "$T/b4/$f.jsonl" && ok || fail "$f: --instances 4 and --batch 4 differ"
    [ "$SAN" = tsan ] || { cmp -s "$T/i1/$f.jsonl" "$T/i4/$f.jsonl" && ok || fail "$f: --instances 1 and 4 differ"; }
done
[ "$(grep -c '"cls": 2' "$T/i4/traffic_highway_720p.jsonl")" -ge 1 ] && ok || fail "no car found in the traffic video"
grep -q "^batching: up to 4 frames, timeout 10 ms: .*engine batch 1: one frame per call" "$T/b4.out" && ok ||
    fail "batched summary: $(tail -3 "$T/b4.out")"

# frame K of the JSON Lines == `yolo detect` on frame K extracted as PNG
FR="0 $((N - 1))"; [ $N -gt 3 ] && FR="0 3 $((N - 1))"
$PY - "$V/traffic_highway_720p.mp4" "$T/png" $FR <<'EOF'
import os, sys, cv2
want = set(int(k) for k in sys.argv[3:]); os.makedirs(sys.argv[2], exist_ok=True)
c = cv2.VideoCapture(sys.argv[1], cv2.CAP_FFMPEG)
for i in range(max(want) + 1):
    ok, f = c.read()
    if i in want:
        cv2.imwrite(f"{sys.argv[2]}/frame{i}.png", f)
EOF
"$YOLO" detect "$E" "$T/png" --save-dir "$T/det" --exist-ok --json --nosave -q > /dev/null 2> "$T/e" ||
    fail "detect on frames: $(cat "$T/e")"
$PY - "$T/det/detections.jsonl" "$T/i4/traffic_highway_720p.jsonl" <<'EOF' && ok || fail "video frames differ from yolo detect"
import json, os, sys
det = {os.path.basename(json.loads(l)["path"]): json.loads(l)["detections"] for l in open(sys.argv[1])}
vid = [json.loads(l)["detections"] for l in open(sys.argv[2])]
assert det, "no frames detected"
for name, d in det.items():
    k = int(name[5:-4])
    assert vid[k] == d, f"frame {k}: video {len(vid[k])} detections, detect {len(d)}"
    print(f"frame {k}: {len(d)} detections, identical")
EOF

# memory: 3 more contexts cost at most 3 x (context + frame buffers) + 32 MiB
if [ -z "$SAN" ]; then
    $PY - "$T/i1.out" "$T/i4.out" <<'EOF' && ok || fail "memory: 4 instances cost too much"
import re, sys
def mem(p):
    m = re.search(r"peak RSS ([\d.]+) MiB; per instance ([\d.]+) MiB .* \+ ([\d.]+) MiB frame buffers", open(p).read())
    return [float(x) for x in m.groups()]
r1, ctx, frames = mem(sys.argv[1])
r4 = mem(sys.argv[2])[0]
bound = 3 * (ctx + frames) + 32
print(f"memory: peak RSS {r1:.1f} MiB (1 instance), {r4:.1f} MiB (4): +{r4 - r1:.1f} MiB, bound {bound:.1f} MiB")
assert r4 - r1 <= bound
EOF
fi

# ---------------------------------------------------------------- bad input
S=$(stat -c %s "$V/traffic_highway_720p.mp4")
head -c $((S * 40 / 100)) "$V/traffic_highway_720p.mp4" > "$T/cut40.mp4"
$PY tests/cli/mp4_faststart.py "$V/traffic_highway_720p.mp4" "$T/fs.mp4" &&
    head -c $(($(stat -c %s "$T/fs.mp4") * 40 / 100)) "$T/fs.mp4" > "$T/fs_cut40.mp4" || fail "faststart copy"
cp "$T/stride/traffic_highway_720p.mp4" "$T/good.mp4"   # 40 frames at 5 fps, written above
"$YOLO" video "$TE" "$T/cut40.mp4" "$T/fs_cut40.mp4" "$T/no_such.mp4" "http://127.0.0.1:9/cam.mp4" \
    "$T/good.mp4" -o "$T/bad" > "$T/bad.out" 2> "$T/bad.err"; rc=$?
[ $rc -eq 1 ] && ok || fail "bad sources: exit $rc"
grep -q "cut40.mp4: .*truncated MP4.*'moov'.*no frame can be decoded" "$T/bad.err" && [ ! -e "$T/bad/cut40.mp4" ] &&
    [ ! -e "$T/bad/cut40.jsonl" ] && ok || fail "40% cut: $(grep cut40 "$T/bad.err")"
grep -q "no_such.mp4: cannot open file: No such file" "$T/bad.err" && ok || fail "missing file: $(cat "$T/bad.err")"
grep -q "http://127.0.0.1:9/cam.mp4: cannot open stream" "$T/bad.err" && ok || fail "URL: $(cat "$T/bad.err")"
nd=$(grep -o "decoding stopped after [0-9]* of the 751 frames" "$T/bad.err" | grep -o "after [0-9]*" | cut -c7-)
[ -n "$nd" ] && [ "$nd" -gt 100 ] && [ "$nd" -lt 400 ] && check_out "$T/bad" fs_cut40 "$nd" 1280 720 25 1 1 && ok ||
    fail "index-first 40% cut: '$nd' frames: $(grep fs_cut40 "$T/bad.err")"
check_out "$T/bad" good 40 1280 720 5 1 1 && ok || fail "the good stream beside bad ones"
grep -q "5 streams, $((nd + 40)) frames .* 4 failed" "$T/bad.out" && ok || fail "bad summary: $(tail -3 "$T/bad.out")"
[ -z "$(ls "$T/bad" | grep tmp)" ] && ok || fail "temp files left: $(ls "$T/bad")"

# usage errors and an unwritable output folder
"$YOLO" video "$TE" > /dev/null 2>&1; [ $? -eq 2 ] && ok || fail "no source: not a usage error"
"$YOLO" video "$TE" "$V/traffic_highway_720p.mp4" --batch 0 > /dev/null 2>&1; [ $? -eq 2 ] && ok || fail "--batch 0"
"$YOLO" video "$TE" "$V/traffic_highway_720p.mp4" --frob > /dev/null 2>&1; [ $? -eq 2 ] && ok || fail "--frob"
: > "$T/file"
"$YOLO" video "$TE" "$V/traffic_highway_720p.mp4" -o "$T/file/x" > /dev/null 2> "$T/e"; rc=$?
[ $rc -eq 1 ] && grep -q "file/x" "$T/e" && ok || fail "uncreatable -o: exit $rc $(cat "$T/e")"
"$YOLO" video --help | grep -q "one frame per engine call" && ok || fail "--help lacks the batching note"

# ---------------------------------------------------------------- samples/multi_thread
IMGS=$(ls "$SHARED"/data/coco128/images/train2017/*.jpg | head -9)
if "$BUILD/samples/multi_thread" "$TE" 3 $IMGS > "$T/mt.out" 2> "$T/e" &&
   "$YOLO" detect "$TE" $IMGS --save-dir "$T/mtd" --exist-ok --json --nosave -q > /dev/null 2>> "$T/e"; then
    $PY - "$T/mt.out" "$T/mtd/detections.jsonl" <<'EOF' && ok || fail "multi_thread differs from yolo detect"
import json, sys
got = {l.split(": ")[0]: int(l.split(": ")[1].split()[0]) for l in open(sys.argv[1])}
want = {json.loads(l)["path"]: len(json.loads(l)["detections"]) for l in open(sys.argv[2])}
assert got == want and len(got) == 9, (got, want)
EOF
else fail "multi_thread: $(cat "$T/e")"; fi

echo "test_video_cli: $((checks - fails)) passed, $fails failed"
[ "$fails" -eq 0 ]
