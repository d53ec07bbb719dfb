#!/bin/sh
# test_reliability_cli.sh: the commands under failure, as a user meets it.
#   - a file-size limit (`ulimit -f`, SIGXFSZ ignored: what a full disk looks like to a
#     writer) while `yolo build` writes an engine and `yolo detect` writes annotated
#     images, label files and detections.jsonl: exit 1, one error line per failed file
#     naming it, no file under a final name, no temp file, earlier outputs untouched; the
#     same without SIGXFSZ ignored by the caller; `yolo video`'s MP4 (whose writer hides
#     write errors) refused after reading it back, its detections kept;
#   - an image whose header claims 10^10 pixels, and --max-pixels: refused by name from the
#     header, the other images still processed; 0 = no limit; a negative value is a usage error;
#   - 40 unreadable files in a row in a folder: each reported, the run finishes;
#   - corrupt DICOM and HDR files (which crash or leak in OpenCV's decoders): refused by format.
# The model is the fuzz corpus's tiny detector (32x32 input, 2 classes): fast.
set -u
YOLO=${YOLO:-build/yolo}; SHARED=${SHARED:-../shared}
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
fails=0; checks=0
ok()   { checks=$((checks + 1)); }
fail() { checks=$((checks + 1)); fails=$((fails + 1)); echo "FAIL: $*"; }
# limited BLOCKS OUT ERR CMD...: runs CMD with a file-size limit of BLOCKS (SIGXFSZ ignored);
# its stdout and stderr reach OUT and ERR through FIFOs, since a limited process cannot
# write regular files (the log files this script itself runs under included). Returns CMD's
# exit code.
limited() {
    b=$1; lo=$2; le=$3; shift 3
    rm -f "$T/fo" "$T/fe"; mkfifo "$T/fo" "$T/fe"
    cat "$T/fo" > "$lo" & p1=$!
    cat "$T/fe" > "$le" & p2=$!
    (trap '' XFSZ; ulimit -f "$b"; exec "$@") >"$T/fo" 2>"$T/fe"; lrc=$?
    wait "$p1" "$p2"
    rm -f "$T/fo" "$T/fe"
    return $lrc
}
IMG=$SHARED/data/images
ONNX=tests/fuzz/corpus/onnx/ok-tiny.onnx

"$YOLO" build "$ONNX" -o "$T/t.engine" >/dev/null 2>"$T/err" && ok || fail "build: $(cat "$T/err")"

# ---- yolo build under a 4-block file-size limit: no engine, no temp; an earlier one kept
limited 4 /dev/null "$T/err" "$YOLO" build "$ONNX" -o "$T/new.engine"; rc=$?
[ "$rc" -eq 1 ] && grep -q "new.engine.*File too large" "$T/err" && ok ||
    fail "build under ulimit -f: exit $rc, stderr '$(cat "$T/err")'"
[ ! -e "$T/new.engine" ] && ok || fail "a failed build left new.engine"
cp "$T/t.engine" "$T/kept.engine"
limited 4 /dev/null "$T/err" "$YOLO" build "$ONNX" -o "$T/kept.engine"; rc=$?
[ "$rc" -eq 1 ] && cmp -s "$T/t.engine" "$T/kept.engine" && ok ||
    fail "build over an existing engine under ulimit -f: exit $rc, engine changed?"
left=$(ls "$T" | grep -c tmp)
[ "$left" -eq 0 ] && ok || fail "temp files left: $(ls "$T")"

# ---- yolo detect: first a normal run, then the same outputs again with no room at all
"$YOLO" detect "$T/t.engine" "$IMG/bus.jpg" "$IMG/zidane.jpg" --save-dir "$T/run" --save-txt --json \
    --conf 0.01 >/dev/null 2>"$T/err" && ok || fail "detect: $(cat "$T/err")"
n_before=$(find "$T/run" -type f | wc -l)
[ "$n_before" -ge 5 ] && ok || fail "detect wrote $n_before files, expected 2 images, 2 labels, jsonl"
# the JSON Lines of the first run are set aside: a second --json run into the same folder
# would (rightly) refuse to touch them without --resume
mv "$T/run/detections.jsonl" "$T/first.jsonl"
(cd "$T/run" && find . -type f -exec md5sum {} + | sort -k 2) > "$T/before.md5"
limited 0 "$T/out" "$T/err" "$YOLO" detect "$T/t.engine" "$IMG/bus.jpg" "$IMG/zidane.jpg" \
    --save-dir "$T/run" --exist-ok --save-txt --json --conf 0.01; rc=$?
[ "$rc" -eq 1 ] && ok || fail "detect with no room: exit $rc, want 1"
for f in bus.jpg zidane.jpg labels/bus.txt labels/zidane.txt detections.jsonl; do
    grep -q "error: .*$f.*File too large" "$T/err" && ok || fail "no error line for $f: $(cat "$T/err")"
done
(cd "$T/run" && find . -type f -exec md5sum {} + | sort -k 2) > "$T/after.md5"
cmp -s "$T/before.md5" "$T/after.md5" && ok || fail "earlier outputs changed: $(diff "$T/before.md5" "$T/after.md5")"
grep -q "2 images in" "$T/out" && ok || fail "the images themselves should still count as processed: $(tail -2 "$T/out")"

# ---- the same limit without SIGXFSZ ignored by the caller: yolo ignores it itself, so the
# user gets the error line, not a process killed with a temp file behind
rm -f "$T/fo" "$T/fe"
(ulimit -f 4; exec "$YOLO" build "$ONNX" -o "$T/plain.engine") >/dev/null 2>"$T/fe" < /dev/null; rc=$?
[ "$rc" -eq 1 ] && grep -q "plain.engine.*File too large" "$T/fe" && [ ! -e "$T/plain.engine" ] &&
    [ "$(ls "$T" | grep -c tmp)" -eq 0 ] && ok ||
    fail "build under a plain ulimit -f: exit $rc (153 = killed by SIGXFSZ), stderr '$(cat "$T/fe")'"
rm -f "$T/fe"

# ---- yolo video: OpenCV's writer ignores write errors (the MP4 just ends early, without its
# index), so a finished video is read back before it is kept; the detections still are
VID=$SHARED/data/videos/traffic_highway_720p.mp4
if "$YOLO" --version 2>/dev/null | grep -q 'NOCV=1'; then
    # a NOCV=1 build has no video: one error line naming the source, exit 1, no output file
    "$YOLO" video "$T/t.engine" "$VID" -o "$T/vid" --max-frames 12 >/dev/null 2>"$T/err"; rc=$?
    [ "$rc" -eq 1 ] && [ "$(wc -l < "$T/err")" -eq 1 ] &&
        grep -q "traffic_highway_720p.mp4: video needs a build with OpenCV (this one was built with NOCV=1)" "$T/err" &&
        [ -z "$(ls "$T/vid" 2>/dev/null)" ] && ok || fail "video in a NOCV=1 build: exit $rc, stderr '$(cat "$T/err")'"
    echo "skip: yolo video under ulimit -f (NOCV=1 build: no video)"
else
    limited 150 "$T/out" "$T/err" "$YOLO" video "$T/t.engine" "$VID" -o "$T/vid" --max-frames 12; rc=$?
    [ "$rc" -eq 1 ] && grep -q "traffic_highway_720p.mp4: the video written .*not kept" "$T/err" && ok ||
        fail "video under ulimit -f: exit $rc, stderr '$(cat "$T/err")'"
    [ ! -e "$T/vid/traffic_highway_720p.mp4" ] && ok || fail "a truncated video was kept"
    [ "$(wc -l < "$T/vid/traffic_highway_720p.jsonl" 2>/dev/null)" = 12 ] && ok ||
        fail "the 12 frames' detections should be kept: $(ls "$T/vid")"
    [ "$(ls "$T/vid" | grep -c tmp)" -eq 0 ] && ok || fail "temp files left: $(ls "$T/vid")"
    grep -q "FAILED -> $T/vid/traffic_highway_720p.jsonl\$" "$T/out" && ok ||
        fail "the summary should name only the file kept: $(grep FAILED "$T/out")"
    "$YOLO" video "$T/t.engine" "$VID" -o "$T/vid2" --max-frames 12 >/dev/null 2>"$T/err" &&
        [ -s "$T/vid2/traffic_highway_720p.mp4" ] && ok || fail "video with room: $(cat "$T/err")"
fi

# ---- an end-to-end model that outputs broken rows (classes outside its 80, NaN/inf values):
# `yolo video` drops them and says so in one warning, as detect and val do (6 per frame)
BUILD=${BUILD:-build}
if "$BUILD/tests/test_image_limits" --e2e-onnx "$T/e2e.onnx" && "$YOLO" build "$T/e2e.onnx" -o "$T/e2e.engine" > /dev/null 2>"$T/err"; then
    "$YOLO" video "$T/e2e.engine" "$VID" -o "$T/e2e" --max-frames 3 --nosave > "$T/out" 2> "$T/err"; rc=$?
    [ "$rc" -eq 0 ] && [ "$(cat "$T/err")" = "yolo video: warning: 18 candidates in 3 frames dropped: the model output a NaN or infinite box or score, or a class id outside its 80 classes" ] &&
        [ "$(grep -o '"cls"' "$T/e2e/traffic_highway_720p.jsonl" | wc -l)" -eq 6 ] && ok ||
        fail "video with broken e2e rows: exit $rc, stderr '$(cat "$T/err")', $(grep -o '"cls"' "$T/e2e/traffic_highway_720p.jsonl" | wc -l) detections (want 6)"
else
    fail "e2e model: $(cat "$T/err")"
fi

# ---- a video whose frame size changes mid-stream (10 MJPEG frames of 320x240, then 10 of
# 640x480): OpenCV rescales the rest silently; the run stops at the change, says so, keeps the
# 10 frames done and exits 1
if command -v ffmpeg > /dev/null; then
    ffmpeg -v error -f lavfi -i testsrc=size=320x240:rate=25 -frames:v 10 -c:v mjpeg "$T/s1.mjpeg" &&
        ffmpeg -v error -f lavfi -i testsrc=size=640x480:rate=25 -frames:v 10 -c:v mjpeg "$T/s2.mjpeg" &&
        cat "$T/s1.mjpeg" "$T/s2.mjpeg" > "$T/resize.mjpeg" && ffmpeg -v error -i "$T/resize.mjpeg" -c copy "$T/resize.avi"
    for f in resize.mjpeg resize.avi; do
        "$YOLO" video "$T/t.engine" "$T/$f" -o "$T/rs" > "$T/out" 2> "$T/err"; rc=$?
        nf=$(ffprobe -v error -count_frames -show_entries stream=nb_read_frames -of csv=p=0 "$T/rs/resize.mp4" 2>/dev/null)
        [ "$rc" -eq 1 ] && [ "$(wc -l < "$T/err")" -eq 1 ] &&
            grep -q "^yolo video: error: $T/$f: frame 10 is 640x480 in the file, not the 320x240 the video starts with: the frame size changes mid-stream" "$T/err" &&
            [ "$(wc -l < "$T/rs/resize.jsonl")" -eq 10 ] && [ "$nf" = 10 ] && ok ||
            fail "$f (size change): exit $rc, $(wc -l < "$T/rs/resize.jsonl") lines, ${nf:-no} MP4 frames, stderr '$(cat "$T/err")'"
    done
else
    fail "ffmpeg is not installed (scripts/install-deps.sh installs it)"
fi

# ---- a long run of unreadable files (more than the pipeline has slots) between good images:
# the inference stage once waited forever for a slot only it could free
mkdir -p "$T/many"
cp "$IMG/bus.jpg" "$T/many/a000.jpg"; cp "$IMG/zidane.jpg" "$T/many/z999.jpg"
for k in $(seq 1 40); do : > "$T/many/b$(printf %03d "$k").jpg"; done
timeout 120 "$YOLO" detect "$T/t.engine" "$T/many" --save-dir "$T/r5" --nosave >"$T/out" 2>"$T/err"; rc=$?
[ "$rc" -eq 1 ] && grep -q "2 images in .* 40 failed" "$T/out" && [ "$(grep -c 'cannot decode image (empty file)' "$T/err")" -eq 40 ] &&
    ok || fail "40 unreadable files in a row: exit $rc (124 = hung), $(tail -1 "$T/out")"

# ---- an image claiming 100000 x 100000 pixels, among good ones
cp tests/fuzz/corpus/image/bad-huge.png "$T/huge.png"
"$YOLO" detect "$T/t.engine" "$IMG/bus.jpg" "$T/huge.png" "$IMG/zidane.jpg" --save-dir "$T/r2" \
    --nosave >"$T/out" 2>"$T/err"; rc=$?
[ "$rc" -eq 1 ] && [ "$(wc -l < "$T/err")" -eq 1 ] &&
    grep -q "huge.png: PNG 100000x100000 image (10000000000 pixels) is over the limit of 100000000" "$T/err" &&
    ok || fail "huge PNG: exit $rc, stderr '$(cat "$T/err")'"
grep -q "2 images in .* 1 failed" "$T/out" && ok || fail "the other images: $(tail -1 "$T/out")"
# a corrupt DICOM file (it made OpenCV's GDCM decoder abort the process) and a corrupt HDR
# one (its decoder leaked a file descriptor): refused by format, the run goes on
cp tests/fuzz/regress/image/crash-gdcm-abort.dcm "$T/scan.jpg"
cp tests/fuzz/regress/image/fd-leak-corrupt.hdr "$T/sky.png"
"$YOLO" detect "$T/t.engine" "$T/scan.jpg" "$T/sky.png" "$IMG/bus.jpg" --save-dir "$T/r4" --nosave \
    >"$T/out" 2>"$T/err"; rc=$?
[ "$rc" -eq 1 ] && grep -q "scan.jpg: DICOM images are not supported" "$T/err" &&
    grep -q "sky.png: Radiance HDR images are not supported" "$T/err" && grep -q "1 images in .* 2 failed" "$T/out" &&
    ok || fail "DICOM/HDR: exit $rc, stderr '$(cat "$T/err")', $(tail -1 "$T/out")"
"$YOLO" detect "$T/t.engine" "$IMG/bus.jpg" --max-pixels 874799 --save-dir "$T/r3" --nosave >/dev/null 2>"$T/err"
[ $? -eq 1 ] && grep -q "bus.jpg: JPEG 810x1080 image (874800 pixels) is over the limit of 874799" "$T/err" && ok ||
    fail "--max-pixels 874799: $(cat "$T/err")"
"$YOLO" detect "$T/t.engine" "$IMG/bus.jpg" --max-pixels 874800 --save-dir "$T/r3" --exist-ok --nosave >/dev/null 2>"$T/err" &&
    ok || fail "--max-pixels 874800: $(cat "$T/err")"
"$YOLO" detect "$T/t.engine" "$IMG/bus.jpg" --max-pixels 0 --save-dir "$T/r3" --exist-ok --nosave >/dev/null 2>"$T/err" &&
    ok || fail "--max-pixels 0: $(cat "$T/err")"
"$YOLO" detect "$T/t.engine" "$IMG/bus.jpg" --max-pixels -1 >/dev/null 2>"$T/err"
[ $? -eq 2 ] && ok || fail "--max-pixels -1 should be a usage error"

[ -n "${VERBOSE:-}" ] && cat "$T/err"
echo "test_reliability_cli: $checks checks, $fails failed"
[ "$fails" -eq 0 ]
