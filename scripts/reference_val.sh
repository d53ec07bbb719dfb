#!/bin/sh
# reference_val.sh: issue 6's acceptance. For yolov8n_dq, yolov5n and yolo11n_dq on coco128:
# mAP50-95 of `yolo val ENGINE --data DATA` must equal, within TOL (0.002), the mAP50-95 that
# `yolo val --predictions` gives the reference pipeline's detections (../shared/tools/reference.py
# at conf 0.001, iou 0.7, through scripts/reference_val.py) on the same images.
#
# usage: sh scripts/reference_val.sh [N]
#   N: the first N images of coco128 (sorted by name), or "all" (default: all 128, with
#   coco128's own data.yaml, i.e. exactly the acceptance command). A subset is a folder of
#   links, REFVAL_CACHE/coco128-first-N/{images,labels}, with a data.yaml naming the 80 classes.
# env: BUILD (build), SHARED (../shared), YOLO ($BUILD/yolo), MODELS ("yolov8n_dq yolov5n
#   yolo11n_dq"), TOL (0.002), REFVAL_CACHE ($BUILD/refval: the reference detections, kept
#   between runs, keyed by the hashes of the model and of both reference scripts),
#   ENGINES (where engines are built; default a temp folder), YOLO_ORT (/tmp/yolo-ort),
#   THREADS (yolo val --threads; default all cores).
# Needs node + npm (ONNX Runtime is installed on first use by tools/setup-ort.sh, from the npm
# registry) and /usr/bin/python3 with numpy, OpenCV and onnx, unless the reference detections
# are already cached. If any of that is missing the script fails loudly: it never skips.
# Prints one line per model and exits 1 if any differs.
set -u
N=${1:-all}
BUILD=${BUILD:-build}; SHARED=${SHARED:-../shared}; YOLO=${YOLO:-$BUILD/yolo}
MODELS=${MODELS:-yolov8n_dq yolov5n yolo11n_dq}; TOL=${TOL:-0.002}
CACHE=${REFVAL_CACHE:-$BUILD/refval}; ORT_DIR=${YOLO_ORT:-/tmp/yolo-ort}
PY=/usr/bin/python3
here=$(cd "$(dirname "$0")" && pwd)
die() { echo "reference_val.sh: FAIL: $*" >&2; exit 1; }

[ -x "$YOLO" ] || die "$YOLO not found (run make first)"
C=$SHARED/data/coco128
[ -f "$C/data.yaml" ] || die "$C/data.yaml not found (the shared data folder sits beside the checkout)"
ORT=
reference_tools() {   # what generating reference detections needs, checked on first use
    [ -n "$ORT" ] && return
    $PY -c 'import numpy, cv2, onnx' 2>/dev/null ||
        die "$PY lacks numpy, cv2 or onnx (Debian: python3-numpy python3-opencv python3-onnx)"
    command -v node > /dev/null && command -v npm > /dev/null || die "node and npm are needed for ONNX Runtime"
    ORT=$(sh "$SHARED/tools/setup-ort.sh" "$ORT_DIR") ||
        die "cannot install ONNX Runtime (onnxruntime-node from npm) into $ORT_DIR; see the messages above"
}
mkdir -p "$CACHE" || die "cannot create $CACHE"
CACHE=$(cd "$CACHE" && pwd)

# The dataset: coco128 itself, or a folder of links to its first N images and their labels.
if [ "$N" = all ] || [ "$N" = 128 ]; then
    N=all; DATA=$C/data.yaml; IMAGES=$C/images/train2017
else
    case "$N" in ''|*[!0-9]*) die "N must be a number or 'all', not '$N'";; esac
    D=$CACHE/coco128-first-$N
    if [ ! -f "$D/data.yaml" ]; then
        rm -rf "$D" && mkdir -p "$D/images" "$D/labels" || die "cannot create $D"
        for f in $(ls "$C/images/train2017" | sort | head -n "$N"); do
            ln -s "$(cd "$C/images/train2017" && pwd)/$f" "$D/images/$f"
            l=$C/labels/train2017/${f%.*}.txt
            [ -f "$l" ] && ln -s "$(cd "$(dirname "$l")" && pwd)/$(basename "$l")" "$D/labels/"
        done
        sed -e 's/^train:.*/train: images/' -e 's/^val:.*/val: images/' -e '/^path:/d' \
            "$C/data.yaml" > "$D/data.yaml.tmp" && mv "$D/data.yaml.tmp" "$D/data.yaml" ||
            die "cannot write $D/data.yaml"
    fi
    DATA=$D/data.yaml; IMAGES=$D/images
fi

ENG=${ENGINES:-}
if [ -z "$ENG" ]; then
    ENG=$(mktemp -d) || die "mktemp failed"
    trap 'rm -rf "$ENG"' EXIT
fi
key_of() {   # the cache key: hashes of the model and of both reference scripts
    cat "$1" "$SHARED/tools/reference.py" "$here/reference_val.py" | sha256sum | cut -c1-16
}
json_get() {   # json_get FILE KEY: one number from yolo val --json
    $PY -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"
}
TH=${THREADS:+--threads $THREADS}

fails=0
for M in $MODELS; do
    onnx=$SHARED/data/models/$M.onnx
    [ -f "$onnx" ] || die "$onnx not found"
    E=$ENG/$M.engine
    if [ ! -f "$E" ]; then
        "$YOLO" build "$onnx" -o "$E" > /dev/null || die "$M: yolo build failed"
    fi
    R=$CACHE/$M-$N-$(key_of "$onnx").jsonl
    if [ ! -f "$R" ]; then
        reference_tools
        lim=; [ "$N" = all ] || lim="--limit $N"
        $PY "$here/reference_val.py" "$onnx" "$IMAGES" --out "$R" --shared "$SHARED" --ort "$ORT" \
            --conf 0.001 --iou 0.7 $lim || die "$M: reference_val.py failed"
    fi
    # shellcheck disable=SC2086
    "$YOLO" val "$E" --data "$DATA" --json $TH > "$ENG/$M.val.json" 2> "$ENG/$M.val.err" ||
        { cat "$ENG/$M.val.err" >&2; die "$M: yolo val (engine) failed"; }
    "$YOLO" val --data "$DATA" --predictions "$R" --json > "$ENG/$M.ref.json" 2> "$ENG/$M.ref.err" ||
        { cat "$ENG/$M.ref.err" >&2; die "$M: yolo val --predictions (reference) failed"; }
    grep -v "label file without an image\|label files without an image" "$ENG/$M.ref.err" >&2
    line=$($PY - "$ENG/$M.val.json" "$ENG/$M.ref.json" "$M" "$TOL" <<'EOF'
import json, sys
e, r = (json.load(open(p)) for p in sys.argv[1:3])
m, tol = sys.argv[3], float(sys.argv[4])
d = e['mAP50-95'] - r['mAP50-95']
ok = abs(d) <= tol and e['images'] == r['images'] and e['instances'] == r['instances']
print(f"{m}: {e['images']} images, {e['instances']} instances; mAP50-95 engine {e['mAP50-95']:.5f} "
      f"reference {r['mAP50-95']:.5f} (diff {d:+.5f}); mAP50 engine {e['mAP50']:.5f} reference "
      f"{r['mAP50']:.5f}; predictions {e['predictions']} vs {r['predictions']}: "
      f"{'ok' if ok else 'FAIL (tolerance %g)' % tol}")
EOF
) || die "$M: cannot compare the results"
    echo "$line"
    case "$line" in *": ok") ;; *) fails=$((fails + 1));; esac
done
[ "$fails" -eq 0 ] || die "$fails model(s) differ from the reference by more than $TOL"
echo "reference_val.sh: all within $TOL (N=$N)"
