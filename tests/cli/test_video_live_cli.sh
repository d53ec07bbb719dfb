#!/bin/sh
# test_video_live_cli.sh: `yolo video` on live streams served by FFmpeg on the loopback
# (127.0.0.1 only; every server is started and stopped here, every run bounded by timeout):
#  - UDP (MPEG-TS at the source's real rate, -re) with yolov8n, slower than the source on
#    this machine: frames are dropped, not queued: skipped frames reported, the median
#    capture-to-result latency bounded and the last frames no later than the first ones;
#    no FFmpeg log lines on stderr; the output named host_port;
#  - HTTP (-listen 1) beside a second UDP stream: the HTTP server is killed and restarted;
#    the stream is reconnected and goes on, while the UDP stream runs without a gap;
#  - a lost stream with --reconnect 0 fails alone, its outputs kept.
# Under sanitizers the tiny detector replaces yolov8n and the latency bound is loosened.
set -u
YOLO=${YOLO:-build/yolo}; SHARED=${SHARED:-../shared}; BUILD=${BUILD:-build}
# a NOCV=1 build has no video (README.md, "Building without OpenCV"): skipped (run_tests.sh
# accepts exit 77 only from such a build; test_reliability_cli.sh checks its error)
"$YOLO" --version 2>/dev/null | grep -q 'NOCV=1' && { echo "yolo video needs OpenCV: NOCV=1 build"; exit 77; }
V=$SHARED/data/videos/traffic_highway_720p.mp4
PY=/usr/bin/python3
T=$(mktemp -d)
PIDS=""
cleanup() {
    for p in $PIDS; do kill "$p" 2>/dev/null; done
    for p in $PIDS; do wait "$p" 2>/dev/null; done
    rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
fails=0; checks=0
ok()   { checks=$((checks + 1)); }
fail() { checks=$((checks + 1)); fails=$((fails + 1)); echo "FAIL: $*"; }
if ! command -v ffmpeg > /dev/null; then
    echo "FAIL: ffmpeg is not installed (scripts/install-deps.sh installs it)"
    echo "test_video_live_cli: 0 passed, 1 failed"; exit 1
fi
case "$BUILD" in *asan*|*ubsan*|*tsan*) SAN=1;; *) SAN="";; esac

free_port() { $PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
# serve_udp PORT: the traffic video in a loop at its real rate (25 fps), 640x360 MPEG-2 with a
# key frame every 12 frames (a receiver starts within half a second)
serve_udp() {
    ffmpeg -nostdin -loglevel error -re -stream_loop -1 -i "$V" -an -vf scale=640:360 -c:v mpeg2video -g 12 \
        -q:v 6 -f mpegts "udp://127.0.0.1:$1?pkt_size=1316" > /dev/null 2>&1 &
    PIDS="$PIDS $!"; LAST=$!
}
serve_http() {
    ffmpeg -nostdin -loglevel error -re -stream_loop -1 -i "$V" -an -vf scale=640:360 -c:v mpeg2video -g 12 \
        -q:v 6 -f mpegts -listen 1 "http://127.0.0.1:$1" > /dev/null 2>&1 &
    PIDS="$PIDS $!"; LAST=$!
}

$PY "$(dirname "$0")/make_tiny_detector.py" "$T/tiny.onnx" 2> "$T/err" || fail "tiny model: $(cat "$T/err")"
TE=$T/tiny.engine; E=$T/yolov8n.engine
"$YOLO" build "$T/tiny.onnx" -o "$TE" > /dev/null 2>> "$T/err" || fail "build tiny: $(cat "$T/err")"
if [ -z "$SAN" ]; then
    "$YOLO" build "$SHARED/data/models/yolov8n_dq.onnx" -o "$E" > /dev/null 2>> "$T/err" || fail "build: $(cat "$T/err")"
else
    E=$TE
fi

# ---------------------------------------------------------------- UDP: dropped, not queued
P1=$(free_port); NU=40
serve_udp "$P1"; U1=$LAST
timeout 90 "$YOLO" video "$E" "udp://127.0.0.1:$P1" --max-frames $NU -o "$T/udp" --instances 1 --threads 2 \
    > "$T/udp.out" 2> "$T/udp.err"; rc=$?
kill $U1 2>/dev/null
[ $rc -eq 0 ] && ok || fail "udp: exit $rc: $(head -5 "$T/udp.err")"
[ ! -s "$T/udp.err" ] && ok || fail "udp: stderr not empty (FFmpeg log lines?): $(head -3 "$T/udp.err") ($(wc -l < "$T/udp.err") lines)"
# 300 ms is the bound on a quiet 2-core machine; on one busy with other work (load average
# above the core count) or under sanitizers a frame's inference alone takes longer, so only the
# shape is checked there: dropped frames and a latency that does not grow
BOUND=300; LOADED=""; [ -n "$SAN" ] && { BOUND=2000; LOADED=1; }
if awk -v n="$(nproc)" '{ exit !($1 > n) }' /proc/loadavg; then
    BOUND=1500; LOADED=1; echo "note: load average $(cut -d' ' -f1 /proc/loadavg) on $(nproc) cores: latency bound $BOUND ms"
fi
$PY - "$T/udp/127.0.0.1_$P1.jsonl" "$BOUND" "$SAN" "$NU" "$LOADED" > "$T/udp.py" 2>&1 <<'EOF'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
bound, san, n = float(sys.argv[2]), sys.argv[3], int(sys.argv[4])
assert len(rows) == n, f"{len(rows)} lines, want {n}"
lat = [r["latency_ms"] for r in rows]
frames = [r["frame"] for r in rows]
assert frames == sorted(frames) and len(set(frames)) == n, "frame numbers not increasing"
q = n // 4
med, first, last = statistics.median(lat), statistics.median(lat[:q]), statistics.median(lat[-q:])
gaps = frames[-1] - frames[0] + 1 - len(frames)
print(f"udp: latency median {med:.0f} ms (first {q}: {first:.0f}, last {q}: {last:.0f}, max {max(lat):.0f}); "
      f"{gaps} source frames skipped between the first and last result")
assert med < bound, f"median latency {med:.0f} ms >= {bound}"
# queued frames would make the latency grow frame after frame
# (queued frames: 16 s of stream for 40 results would add seconds; a busy machine adds noise)
grow = 1000 if sys.argv[5] else 150
assert last < first + grow, f"latency grows: {first:.0f} -> {last:.0f} ms"
if not san:
    assert gaps > 0, "yolov8n on 2 cores cannot keep up with 25 fps: frames must have been skipped"
EOF
[ $? -eq 0 ] && ok || fail "udp latency / drops: $(tail -1 "$T/udp.py")"
head -1 "$T/udp.py"
grep -q "live: [0-9]* frames skipped to stay real time, 0 reconnects, capture-to-result latency median" "$T/udp.out" &&
    ok || fail "udp summary: $(grep live "$T/udp.out")"
[ -s "$T/udp/127.0.0.1_$P1.mp4" ] && ok || fail "udp: no 127.0.0.1_$P1.mp4: $(ls "$T/udp")"

# ---------------------------------------------------------------- HTTP killed and restarted, UDP beside it
P2=$(free_port); P3=$(free_port)
serve_http "$P2"; H1=$LAST
serve_udp "$P3"; U3=$LAST
sleep 2   # the HTTP server listening
timeout 90 "$YOLO" video "$TE" "http://127.0.0.1:$P2/live.ts" "udp://127.0.0.1:$P3" --max-frames 150 \
    -o "$T/two" > "$T/two.out" 2> "$T/two.err" &
Y=$!; PIDS="$PIDS $Y"
# once the HTTP stream's results flow, kill its server; start a new one 1 s later
for i in $(seq 200); do ls "$T/two" 2>/dev/null | grep -q "_live.jsonl.tmp" && break; sleep 0.1; done
sleep 2
kill $H1; wait $H1 2>/dev/null   # its port free before the new server binds it
sleep 1
serve_http "$P2"
wait $Y; rc=$?
[ $rc -eq 0 ] && ok || fail "http + udp: exit $rc: $(cat "$T/two.err")"
grep -q "127.0.0.1:$P2/live.ts: stream lost after [0-9]* frames; reconnecting" "$T/two.err" &&
    grep -q "127.0.0.1:$P2/live.ts: reconnected" "$T/two.err" && ok || fail "no reconnect: $(cat "$T/two.err")"
$PY - "$T/two/127.0.0.1_${P2}_live.jsonl" "$T/two/127.0.0.1_$P3.jsonl" > "$T/two.py" 2>&1 <<'EOF'
import json, sys
h = [json.loads(l) for l in open(sys.argv[1])]
u = [json.loads(l) for l in open(sys.argv[2])]
assert len(h) == 150 and len(u) == 150, f"{len(h)} http lines, {len(u)} udp lines, want 150 each"
hf = [r["frame"] for r in h]
assert hf == sorted(hf), "http frame numbers go back after the reconnect"
ht = [r["t"] for r in h]
hgap = max(b - a for a, b in zip(ht, ht[1:]))
ut = [r["t"] for r in u]
ugap = max(b - a for a, b in zip(ut, ut[1:]))
print(f"http: longest gap {hgap:.2f} s (the outage); udp beside it: longest gap {ugap:.2f} s")
assert hgap > 0.8, f"http: no outage seen ({hgap:.2f} s)"
# "Undisturbed" means not held up by the other stream's outage: a UDP stream blocked by it
# would stall for the whole outage (>= 1.5 s: one failed reconnect at 0.5 s, the next at
# 1.5 s). The bound is half the outage, at most 2 s, whatever the load: a tighter one (it was
# 0.5 s when the 1-minute load average, read before the run, was at most the core count)
# measured the machine's scheduling instead, and failed when other work started meanwhile.
limit = min(2.0, hgap / 2)
assert ugap < limit, f"udp stalled {ugap:.2f} s while the http stream was down {hgap:.2f} s"
EOF
[ $? -eq 0 ] && ok || fail "http reconnect / udp undisturbed: $(tail -1 "$T/two.py")"
head -1 "$T/two.py"
grep -q "127.0.0.1:$P2/live.ts: .* 1 reconnect," "$T/two.out" || grep -A1 "live.ts:" "$T/two.out" | grep -q "1 reconnect," &&
    ok || fail "summary lacks the reconnect: $(cat "$T/two.out")"

# ---------------------------------------------------------------- lost for good (--reconnect 0): fails alone, outputs kept
P4=$(free_port)
serve_http "$P4"; H4=$LAST
sleep 2
timeout 60 "$YOLO" video "$TE" "http://127.0.0.1:$P4" -o "$T/lost" --reconnect 0 > "$T/lost.out" 2> "$T/lost.err" &
Y=$!; PIDS="$PIDS $Y"
sleep 3; kill $H4
wait $Y; rc=$?
n=$(wc -l < "$T/lost/127.0.0.1_$P4.jsonl" 2>/dev/null)
[ $rc -eq 1 ] && grep -q "127.0.0.1:$P4: stream lost after [0-9]* frames (--reconnect 0)" "$T/lost.err" &&
    [ "${n:-0}" -gt 0 ] && ok || fail "lost stream: exit $rc, ${n:-no} lines: $(cat "$T/lost.err")"

echo "test_video_live_cli: $((checks - fails)) passed, $fails failed"
[ "$fails" -eq 0 ]
