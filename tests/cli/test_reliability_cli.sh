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

# ---- a video whose frame size changes mid-stream (10 frames of 320x240, then 10 of 640x480):
# OpenCV converts every frame at the first size, so the rest come out rescaled (MJPEG), cropped
# to their top-left corner (a larger size) or garbled, silently. The size is read from the
# packets' own headers (JPEG SOF, H.264/HEVC SPS, MPEG-4 VOL, MPEG-1/2 sequence header, VP8/VP9
# key frames, AV1 sequence header, FLV picture header): the run stops at the change, says so,
# keeps the 10 frames done and exits 1.
# Two files joined end to end (the issue's .m4v: two MP4 files, of which FFmpeg reads the first
# only, 10 frames and rc 0 before) are named as such. The inputs are made here with ffmpeg.
# vsize CODEC EXT [ffmpeg options]: $T/rs/s1.EXT (320x240) and s2.EXT (640x480), 10 frames each
vsize() {
    c=$1; e=$2; shift 2
    mkdir -p "$T/rs"
    ffmpeg -v error -y -f lavfi -i testsrc=size=320x240:rate=25 -frames:v 10 -c:v "$c" "$@" "$T/rs/s1.$e" &&
        ffmpeg -v error -y -f lavfi -i testsrc=size=640x480:rate=25 -frames:v 10 -c:v "$c" "$@" "$T/rs/s2.$e"
}
# joined NAME EXT: the two parts one after the other in one stream, through FFmpeg's concat
# demuxer (each part keeps its own headers in its packets)
joined() {
    printf "file '%s'\nfile '%s'\n" "$T/rs/s1.$2" "$T/rs/s2.$2" > "$T/rs/list.txt"
    ffmpeg -v error -y -f concat -safe 0 -i "$T/rs/list.txt" -c copy "$T/rs/$1"
}
# expect FILE MSG NLINES: exit 1, one stderr line with MSG (a regex after "FILE: "), NLINES
# JSON lines and as many frames in the MP4
expect() {
    b=$(basename "$1"); b=${b%.*}
    rm -rf "$T/rso"
    "$YOLO" video "$T/t.engine" "$1" -o "$T/rso" > "$T/out" 2> "$T/err"; rc=$?
    nl=$(cat "$T/rso/$b.jsonl" 2>/dev/null | wc -l)
    nf=$(ffprobe -v error -count_frames -show_entries stream=nb_read_frames -of csv=p=0 "$T/rso/$b.mp4" 2>/dev/null)
    if [ -z "$2" ]; then
        [ "$rc" -eq 0 ] && [ ! -s "$T/err" ] && [ "$nl" -eq "$3" ] && [ "$nf" = "$3" ] && ok ||
            fail "$1: exit $rc, $nl lines, ${nf:-no} MP4 frames (want $3), stderr '$(cat "$T/err")'"
        return
    fi
    [ "$rc" -eq 1 ] && [ "$(wc -l < "$T/err")" -eq 1 ] && grep -q "^yolo video: error: $1: $2" "$T/err" &&
        [ "$nl" -eq "$3" ] && [ "$nf" = "$3" ] && ok ||
        fail "$1: exit $rc, $nl lines, ${nf:-no} MP4 frames (want $3), stderr '$(cat "$T/err")'"
}
if command -v ffmpeg > /dev/null; then
    CHG="frame 10 is 640x480 in the file, not the 320x240 the video starts with: the frame size changes mid-stream"
    vsize mjpeg mjpeg && cat "$T/rs/s1.mjpeg" "$T/rs/s2.mjpeg" > "$T/rs/resize.mjpeg" &&
        ffmpeg -v error -i "$T/rs/resize.mjpeg" -c copy "$T/rs/resize.avi"
    expect "$T/rs/resize.mjpeg" "$CHG" 10
    expect "$T/rs/resize.avi" "$CHG" 10
    # H.264: a raw Annex B stream joined with cat, and in MP4 and Matroska
    vsize libx264 ts -pix_fmt yuv420p && cat "$T/rs/s1.ts" "$T/rs/s2.ts" > "$T/rs/h264.ts" &&
        ffmpeg -v error -i "$T/rs/h264.ts" -c copy -f h264 "$T/rs/h264.h264" && joined h264.mp4 ts && joined h264.mkv ts
    for f in h264.ts h264.h264 h264.mp4 h264.mkv; do expect "$T/rs/$f" "$CHG" 10; done
    # HEVC in Matroska, MPEG-2 in MPEG-TS, MPEG-4 part 2 as an elementary stream and in AVI
    if ffmpeg -v error -hide_banner -encoders 2>/dev/null | grep -q libx265; then
        vsize libx265 ts -pix_fmt yuv420p -x265-params log-level=none && joined hevc.mkv ts
        expect "$T/rs/hevc.mkv" "$CHG" 10
    else
        echo "skip: HEVC (this ffmpeg has no libx265)"
    fi
    vsize mpeg2video ts && cat "$T/rs/s1.ts" "$T/rs/s2.ts" > "$T/rs/mpeg2.ts"
    expect "$T/rs/mpeg2.ts" "$CHG" 10
    vsize mpeg4 m4v -f m4v && cat "$T/rs/s1.m4v" "$T/rs/s2.m4v" > "$T/rs/es.m4v" &&
        ffmpeg -v error -y -i "$T/rs/es.m4v" -c copy "$T/rs/mpeg4.avi"
    expect "$T/rs/es.m4v" "$CHG" 10
    expect "$T/rs/mpeg4.avi" "$CHG" 10
    # VP8 in IVF, VP9 in WebM
    vsize libvpx webm -deadline realtime && joined vp8.ivf webm
    expect "$T/rs/vp8.ivf" "$CHG" 10
    vsize libvpx-vp9 webm -deadline realtime && joined vp9.webm webm
    expect "$T/rs/vp9.webm" "$CHG" 10
    # AV1 in WebM (its sequence header), Sorenson H.263 in FLV (its picture header)
    if ffmpeg -v error -hide_banner -encoders 2>/dev/null | grep -q libaom-av1; then
        vsize libaom-av1 webm -cpu-used 8 && joined av1.webm webm
        expect "$T/rs/av1.webm" "$CHG" 10
    else
        echo "skip: AV1 (this ffmpeg has no libaom-av1)"
    fi
    vsize flv flv && joined sorenson.flv flv
    expect "$T/rs/sorenson.flv" "$CHG" 10
    # the issue's .m4v: two MP4 files (FFmpeg's .m4v muxer is MP4's) joined with cat
    vsize mpeg4 mp4 && cat "$T/rs/s1.mp4" "$T/rs/s2.mp4" > "$T/rs/joined.m4v"
    expect "$T/rs/joined.m4v" "a second MP4 file is joined on at byte $(wc -c < "$T/rs/s1.mp4") (files concatenated?); FFmpeg reads the first only" 10
    # two Matroska files joined with cat: FFmpeg decodes on into the second with the first
    # one's settings (garbage at another size); at one size it plays both, rightly
    vsize mpeg4 mkv && cat "$T/rs/s1.mkv" "$T/rs/s2.mkv" > "$T/rs/joined.mkv" && cat "$T/rs/s1.mkv" "$T/rs/s1.mkv" > "$T/rs/same.mkv"
    expect "$T/rs/joined.mkv" "frame 10 begins a second Matroska file, joined on at byte $(wc -c < "$T/rs/s1.mkv") (files concatenated?), with frames of 640x480, not the 320x240" 10
    expect "$T/rs/same.mkv" "" 20
    # one size throughout: no false alarm, with --vid-stride too (the raw packets stay in step)
    expect "$T/rs/s2.ts" "" 10
    "$YOLO" video "$T/t.engine" "$T/rs/h264.ts" -o "$T/rso2" --vid-stride 3 > "$T/out" 2> "$T/err"; rc=$?
    [ "$rc" -eq 1 ] && grep -q "h264.ts: frame 10 is 640x480" "$T/err" && [ "$(wc -l < "$T/rso2/h264.jsonl")" -eq 4 ] && ok ||
        fail "--vid-stride 3 over a size change: exit $rc, stderr '$(cat "$T/err")'"
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
