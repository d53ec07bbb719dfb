#!/bin/sh
# test-cuda.sh: the GPU tests (`make test-cuda`), on a machine with an NVIDIA GPU, from a bundle
# that scripts/cuda-bundle.sh made on a build machine (the GPU machine needs no compiler, no
# OpenCV, no protobuf-c: the bundle carries what it lacks).
#   0. our FP16 convolution kernel against a double reference on edge shapes (test_cuda_conv);
#      the Concat/Split copies and the fused DFL against host references (test_cuda_move)
#   1. every op on the CUDA backend, FP32 and FP16, against the reference kernels
#   2. the four shared models on the golden input: CUDA FP32 within the CPU's bounds of ONNX
#      Runtime's outputs (0.05 px, 1e-4), CUDA FP16 within 4 px / 0.02 and its detections the
#      FP32 run's objects (IoU >= 0.98, confidence within 0.01); each model built for batch 2
#      (bus and zidane at once: the device plan's parts image by image) within those bounds of
#      ORT (image 0) and of the same pass's batch-1 output (image 1); again with every tensor
#      packed (YOLO_CUDA_STRIDED=0) and with YOLO_CUDA_TILE_SPLIT=0;
#      the ops and yolo11n_dq again with YOLO_CUDA_SOFTMAX_ROWS=0 (the thread-per-row kernel);
#      the models again on four lanes and on one stream in graph order (YOLO_CUDA_LANES=4 and
#      =1; by default the first capture keeps the faster of the two: core/cuda/lanes.c);
#      the models again with the activations channels-last (YOLO_CUDA_NHWC=1)
#   3. the GPU letterbox bit-identical to the CPU's (bus.jpg, zidane.jpg, 400 random sizes);
#      the GPU decode + NMS (and end-to-end filter) bit-identical to the CPU's (test_cuda_nms);
#      frames in page-locked memory (yolo_host_alloc, uploaded with no staging copy) give the
#      detections of the same frames in ordinary memory (test_cuda_host_frames);
#      two video streams through the batcher on the GPU (test_cuda_streams: 1 and 3
#      instances identical, FP32 = the CPU's detections, device memory per clone)
#   4. the GPU pipeline (letterbox, decode and NMS on the GPU) against the CPU's on the same
#      network: identical detections on every coco128 image, with the default conf and with
#      val's 0.001
#   5. yolo val on coco128 (yolov8n_dq): FP16 within 0.003 mAP50-95 of FP32 on the GPU (also
#      with the activations channels-last), and the GPU's FP32 equal to the CPU's within 0.002
# usage: sh scripts/test-cuda.sh [BUNDLE]   (default devrun)
# env: ONLY (space-separated substrings: run only the tests whose name has one),
#   YOLO_GOLDEN_MODELS (test_golden's models; default the four float ones), TEST_CUDA_SKIP_VAL=1
#   (a transfer-limited run that does not carry coco128 does the val check in another turn)
set -u
R=${1:-devrun}
[ -d "$R/bin" ] || { echo "test-cuda.sh: no bundle at $R (make CUDA=1 cuda-bundle on a build machine)" >&2; exit 1; }
export LD_LIBRARY_PATH="$R/lib:/usr/local/cuda/lib64${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export SHARED="$R/shared" YOLO_TEST_REQUIRE_CUDA=1
# the four float models: test_golden's fifth, the int8 QDQ model, runs QConv, which only the
# CPU backend has (the bundle does not carry it; the CPU suite tests it)
export YOLO_GOLDEN_MODELS="${YOLO_GOLDEN_MODELS:-yolov5n yolov8n_dq yolo11n_dq yolov10n_dq}"
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
nvidia-smi -L 2>/dev/null || echo "(no nvidia-smi)"
pass=0; fail=0
wanted() {   # ONLY: space-separated substrings of the tests to run (all when unset)
    [ -n "${ONLY:-}" ] || return 0
    for o in $ONLY; do case "$1" in *"$o"*) return 0 ;; esac; done
    return 1
}
run() { name=$1; shift
    wanted "$name" || return 0
    start=$(date +%s)
    if "$@" > "$T/log" 2>&1; then pass=$((pass + 1)); echo "PASS $name ($(( $(date +%s) - start ))s)"
    else fail=$((fail + 1)); echo "FAIL $name ($(( $(date +%s) - start ))s)"; fi
    grep -v "^  skipped" "$T/log" | tail -n 40 | sed 's/^/    /'
}
run test_cuda_conv "$R/bin/test_cuda_conv"
run test_cuda_move "$R/bin/test_cuda_move"
run test_backend_ops "$R/bin/test_backend_ops"
run test_golden "$R/bin/test_golden"
# the device plan with every tensor packed (YOLO_CUDA_STRIDED=0; the default lays Concat/Split
# parts inside their whole image by image at batch > 1): the same bounds
YOLO_CUDA_STRIDED=0 run "test_golden YOLO_CUDA_STRIDED=0" "$R/bin/test_golden"
YOLO_CUDA_STRIDED=0 run "test_backend_ops YOLO_CUDA_STRIDED=0" "$R/bin/test_backend_ops"
# the same without the tiled kernel's slices and channel groups (YOLO_CUDA_TILE_SPLIT=0: whole
# 64-channel tiles only), the FP16 runs against the same bounds
YOLO_CUDA_TILE_SPLIT=0 run "test_golden YOLO_CUDA_TILE_SPLIT=0" "$R/bin/test_golden"
# Softmax's thread-per-row kernel on long rows (YOLO_CUDA_SOFTMAX_ROWS=0; the warp-per-row one is
# the default): the ops, and yolo11n, whose attention takes it
YOLO_CUDA_SOFTMAX_ROWS=0 run "test_backend_ops YOLO_CUDA_SOFTMAX_ROWS=0" "$R/bin/test_backend_ops"
YOLO_CUDA_SOFTMAX_ROWS=0 YOLO_GOLDEN_MODELS=yolo11n_dq run "test_golden yolo11n_dq YOLO_CUDA_SOFTMAX_ROWS=0" \
    "$R/bin/test_golden"
# the lanes (core/cuda/lanes.c): the default keeps the faster of four lanes and one stream at
# the first capture; each of them forced, and one stream in graph order as before the lanes
YOLO_CUDA_LANES=4 run "test_golden YOLO_CUDA_LANES=4" "$R/bin/test_golden"
YOLO_CUDA_LANES=1 run "test_golden YOLO_CUDA_LANES=1" "$R/bin/test_golden"
# channels-last activations (core/cuda/layout.c; by default only FP16 engines of batch 32 and
# more): forced at the goldens' batches 1 and 2, the same bounds (the single-op graphs of
# test_backend_ops have no activation between two nodes, so none of theirs goes channels-last)
YOLO_CUDA_NHWC=1 run "test_golden YOLO_CUDA_NHWC=1" "$R/bin/test_golden"
run test_cuda_letterbox "$R/bin/test_cuda_letterbox"
run test_cuda_nms "$R/bin/test_cuda_nms"
run test_cuda_host_frames "$R/bin/test_cuda_host_frames"
# two video streams through the batcher on the GPU: 1 vs 3 instances, FP32 vs the CPU
sm=; for m in yolov8n_dq yolo11n_dq yolov5n; do
    [ -z "$sm" ] && [ -f "$SHARED/data/models/$m.onnx" ] && sm=$m
done
if [ -d "$SHARED/frames/a" ] && [ -n "$sm" ]; then
    echo "test_cuda_streams on $sm (batch-4 engine)"
    "$R/bin/yolo" build "$SHARED/data/models/$sm.onnx" -o "$T/b4.engine" --batch 4 > /dev/null &&
        run test_cuda_streams "$R/bin/test_cuda_streams" "$T/b4.engine" "$SHARED/frames/a" \
            "$SHARED/frames/b"
    [ -f "$T/b4.engine" ] && YOLO_CUDA_STRIDED=0 run "test_cuda_streams YOLO_CUDA_STRIDED=0" \
        "$R/bin/test_cuda_streams" "$T/b4.engine" "$SHARED/frames/a" "$SHARED/frames/b"
fi
# yolo bench on the GPU, with the per-node profile (a raw context: tensors only) and the
# pipelined loop: every path of the bench runs and says what it measured
bench_check() {
    "$R/bin/yolo" build "$SHARED/data/models/yolov8n_dq.onnx" -o "$T/bench.engine" > /dev/null &&
        "$R/bin/yolo" bench "$T/bench.engine" --device cuda --half --profile -r 3 --warmup 1 \
            > "$T/bench.txt" || return 1
    grep -E "^pipelined|^device stages|^profile" "$T/bench.txt"
    [ "$(grep -cE "^pipelined|^device stages|^profile" "$T/bench.txt")" -eq 3 ]
}
[ -f "$SHARED/data/models/yolov8n_dq.onnx" ] && run "yolo bench --device cuda --profile" bench_check
val_map() {   # ENGINE ARGS... -> mAP50-95 on stdout
    e=$1; shift
    "$R/bin/yolo" val "$e" --data "$SHARED/data/coco128" --json "$@" > "$T/val.json" 2> "$T/val.err" ||
        { cat "$T/val.err" >&2; return 1; }
    sed -n 's/.*"mAP50-95": \([0-9.]*\).*/\1/p' "$T/val.json" | head -1
}
val_check() {
    "$R/bin/yolo" build "$SHARED/data/models/yolov8n_dq.onnx" -o "$T/v8.engine" > /dev/null || return 1
    cpu=$(val_map "$T/v8.engine") && g32=$(val_map "$T/v8.engine" --device cuda) &&
        g16=$(val_map "$T/v8.engine" --device cuda --half) &&
        g16n=$(YOLO_CUDA_NHWC=1 val_map "$T/v8.engine" --device cuda --half) || return 1
    echo "yolov8n_dq coco128 mAP50-95: cpu fp32 $cpu, cuda fp32 $g32, cuda fp16 $g16," \
         "cuda fp16 channels-last $g16n"
    awk -v c="$cpu" -v a="$g32" -v b="$g16" -v n="$g16n" 'BEGIN {
        d32 = a - c; if (d32 < 0) d32 = -d32; d16 = a - b; dn = a - n
        printf "  |cuda fp32 - cpu| %.4f (bound 0.002), cuda fp32 - fp16 %.4f, - fp16 " \
               "channels-last %.4f (bound 0.003)\n", d32, d16, dn
        exit !(d32 <= 0.002 && d16 <= 0.003 && dn <= 0.003) }'
}
# The GPU pipeline (u8 upload, letterbox, decode and NMS on the GPU) against the same network
# with the CPU letterbox, the whole output downloaded and the CPU decode and NMS
# (YOLO_CUDA_PIPELINE=cpu): identical detections, to the last bit, on every coco128 image, in
# FP32, FP16, and FP32 at val's conf 0.001 (hundreds of candidates per image, the 300 cap).
pipeline_check() {
    n=0
    for m in yolov8n_dq yolov5n yolo11n_dq yolov10n_dq; do
        [ -f "$SHARED/data/models/$m.onnx" ] || continue
        "$R/bin/yolo" build "$SHARED/data/models/$m.onnx" -o "$T/$m.engine" > /dev/null || return 1
        for o in fp32 fp16 conf0.001; do
            case $o in fp32) a= ;; fp16) a=--half ;; *) a="--conf 0.001" ;; esac
            for p in gpu cpu; do
                env ${p:+YOLO_CUDA_PIPELINE=$p} "$R/bin/yolo" detect "$T/$m.engine" \
                    "$SHARED/data/coco128/images" -r --device cuda $a --threads 3 --json --nosave \
                    --save-dir "$T/$m-$o-$p" > /dev/null || return 1
                sed 's/"ms": {[^}]*}, //' "$T/$m-$o-$p/detections.jsonl" | sort > "$T/$m-$o-$p.txt"
            done
            cmp "$T/$m-$o-gpu.txt" "$T/$m-$o-cpu.txt" ||
                { echo "$m $o: the GPU pipeline's detections differ"; return 1; }
            echo "$m $o: $(wc -l < "$T/$m-$o-gpu.txt") images, $(grep -o '"cls"' \
                "$T/$m-$o-gpu.txt" | wc -l) detections, identical"
            n=$((n + 1))
        done
    done
    [ "$n" -gt 0 ]
}
if [ -d "$SHARED/data/coco128" ] && [ -x "$R/bin/yolo" ]; then
    YOLO_CUDA_PIPELINE= run "GPU pipeline = CPU pipeline (coco128)" pipeline_check
fi
if [ "${TEST_CUDA_SKIP_VAL:-}" = 1 ]; then
    echo "SKIP val: TEST_CUDA_SKIP_VAL=1 (run it in the turn that carries coco128)"
elif [ -x "$R/bin/yolo" ] && [ -d "$SHARED/data/coco128" ]; then
    run "val fp16 vs fp32 (coco128)" val_check
elif wanted "val fp16 vs fp32 (coco128)"; then
    fail=$((fail + 1)); echo "FAIL val: the bundle lacks bin/yolo or shared/data/coco128"
fi
echo "test-cuda: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
