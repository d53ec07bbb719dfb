#!/bin/sh
# precision_val.sh: issue 11's accuracy rows: mAP50-95 of each precision of each model with
# `yolo val`, on all 128 coco128 images and on the last 64 (the 64 the int8 calibration did
# not see), next to FP32:
#   fp32   yolo build MODEL.onnx
#   int8   yolo build MODEL.onnx --int8 --calib coco128 --calib-images 64 (the first 64, sorted)
#   qdq    the int8 QDQ export yolov8n_int8_qdq.onnx as it is (its own FP32 row is yolov8n_dq)
#   bf16   yolo build MODEL.onnx --bf16 (no calibration)
# Targets: int8 at most 0.006 below fp32 on both image sets, bf16 at most 0.003.
# usage: sh scripts/precision_val.sh     env: BUILD (build), SHARED (../shared), MODELS
#   ("yolov8n_dq yolo11n_dq yolov5n"), PRECISIONS ("int8 bf16"), CALIB_METHOD (mse), THREADS (val --threads), WORK
#   (where engines and the 64-image folder go; default a temp folder)
set -u
BUILD=${BUILD:-build}; SHARED=${SHARED:-../shared}; YOLO=${YOLO:-$BUILD/yolo}
MODELS=${MODELS:-yolov8n_dq yolo11n_dq yolov5n}; METHOD=${CALIB_METHOD:-mse}
PRECISIONS=${PRECISIONS:-int8 bf16}
PY=/usr/bin/python3
die() { echo "precision_val.sh: FAIL: $*" >&2; exit 1; }
[ -x "$YOLO" ] || die "$YOLO not found (run make first)"
C=$(cd "$SHARED/data/coco128" 2>/dev/null && pwd) || die "$SHARED/data/coco128 not found"
W=${WORK:-}
if [ -z "$W" ]; then W=$(mktemp -d) || die "mktemp failed"; trap 'rm -rf "$W"' EXIT; fi
# the last 64 images (and their labels) as a folder of links
mkdir -p "$W/last64/images" "$W/last64/labels" || die "cannot create $W/last64"
for f in $(ls "$C/images/train2017" | sort | tail -n 64); do
    ln -sf "$C/images/train2017/$f" "$W/last64/images/$f"
    l=$C/labels/train2017/${f%.*}.txt
    [ -f "$l" ] && ln -sf "$l" "$W/last64/labels/"
done
TH=${THREADS:+--threads $THREADS}
map() {   # map ENGINE DATA -> mAP50-95
    # shellcheck disable=SC2086
    "$YOLO" val "$1" --data "$2" --json $TH 2>/dev/null |
        $PY -c 'import json,sys; print("%.4f" % json.load(sys.stdin)["mAP50-95"])'
}
echo "| model | precision | mAP50-95 (128) | vs fp32 | mAP50-95 (last 64) | vs fp32 |"
echo "|---|---|---:|---:|---:|---:|"
for M in $MODELS; do
    onnx=$SHARED/data/models/$M.onnx
    "$YOLO" build "$onnx" -o "$W/$M.fp32.engine" > /dev/null 2>&1 || die "$M: build failed"
    case " $PRECISIONS " in *" int8 "*)
        "$YOLO" build "$onnx" -o "$W/$M.int8.engine" --int8 --calib "$C/images/train2017" \
            --calib-images 64 --calib-method "$METHOD" > /dev/null 2>&1 || die "$M: build --int8 failed" ;;
    esac
    case " $PRECISIONS " in *" bf16 "*)
        "$YOLO" build "$onnx" -o "$W/$M.bf16.engine" --bf16 > /dev/null 2>&1 || die "$M: build --bf16 failed" ;;
    esac
    a=$(map "$W/$M.fp32.engine" "$C/data.yaml"); b=$(map "$W/$M.fp32.engine" "$W/last64")
    echo "| $M | fp32 | $a | | $b | |"
    for P in $PRECISIONS; do
        x=$(map "$W/$M.$P.engine" "$C/data.yaml"); y=$(map "$W/$M.$P.engine" "$W/last64")
        echo "| $M | $P | $x | $($PY -c "print('%+.4f' % ($x - $a))") | $y | $($PY -c "print('%+.4f' % ($y - $b))") |"
    done
    case " $PRECISIONS " in *" int8 "*) ;; *) continue ;; esac
    if [ "$M" = yolov8n_dq ] && [ -f "$SHARED/data/models/yolov8n_int8_qdq.onnx" ]; then
        "$YOLO" build "$SHARED/data/models/yolov8n_int8_qdq.onnx" -o "$W/qdq.engine" > /dev/null 2>&1 ||
            die "yolov8n_int8_qdq: build failed"
        x=$(map "$W/qdq.engine" "$C/data.yaml"); y=$(map "$W/qdq.engine" "$W/last64")
        echo "| yolov8n_int8_qdq | qdq (int8) | $x | $($PY -c "print('%+.4f' % ($x - $a))") | $y | $($PY -c "print('%+.4f' % ($y - $b))") |"
    fi
done
