#!/bin/sh
# bench-cuda.sh: `make bench-cuda`, on the GPU machine: yolo's CUDA backend against PyTorch
# (../shared/tools/gpu_anchor.py: cuDNN, FP32 with TF32 off, FP16 channels_last, CUDA-graph
# replay) on the same GPU, the same models and the same input tensor, in one run. Both sides
# time the network alone (no letterbox, no NMS): ours is `yolo bench --device cuda`'s compute
# stage (one CUDA graph replay, host-timed, median), theirs the CUDA-graph median (CUDA
# events). Upload and download of the float tensors are reported beside ours.
# usage: sh scripts/bench-cuda.sh [BUNDLE] [BATCHES] [MODELS]
#   defaults: devrun, "1 32 128", "yolov8n_dq yolo11n_dq yolov5n"
set -u
R=${1:-devrun}; BATCHES=${2:-1 32 128}; MODELS=${3:-yolov8n_dq yolo11n_dq yolov5n}
PRECS=${PRECS:-fp32 fp16 fp16-cudnn fp16-tune}   # fp16: each conv on one of our fused
    # kernels or cuDNN by the fixed rule; fp16-cudnn: every conv on cuDNN (+ the epilogue
    # pass); fp16-igemm: every conv the implicit GEMM can run on it; fp16-tile: every conv the
    # tiled kernel can run on it; fp16-notile: the fixed rule without the tiled kernel;
    # fp16-pw: the pointwise kernel on every 1x1 convolution it can run (conv_pw.c);
    # fp16-tune: the fastest as timed at load (YOLO_CUDA_CONV; core/cuda/conv_igemm.c,
    # conv_tune.c); a -nopdl suffix (fp32-nopdl, fp16-nopdl): kernels launched the ordinary
    # way, not chained by programmatic dependent launch (YOLO_CUDA_PDL=0; core/cuda/chain.cuh);
    # fp16-nosplit: the tiled kernel without its slices and channel groups (YOLO_CUDA_TILE_SPLIT=0;
    # core/cuda/conv_tile.c): only whole 64-channel tiles, as before 765d48c;
    # fp16-softthread: Softmax over long contiguous rows one thread per row, as before the
    # warp-per-row kernel became the default (YOLO_CUDA_SOFTMAX_ROWS=0); fp16-nopw: the rule
    # without the pointwise kernel on large 1x1 convolutions, as before it joined the rule
    # (YOLO_CUDA_PW_MIN huge; core/cuda/conv_pw.c); a -packed suffix (fp16-packed,
    # fp32-packed): every tensor packed, Concat and Split parts copied at batch > 1, as before
    # the device plan laid them inside their whole image by image (YOLO_CUDA_STRIDED=0;
    # core/cuda/plan_cuda.c); a -nchw or -nhwc suffix (fp16-nchw, fp16-nhwc): the activations
    # NCHW, or channels-last at any batch (YOLO_CUDA_NHWC=0 or 1; by default FP16 engines of
    # batch 32 and more run channels-last: core/cuda/layout.c)
THREADS=${THREADS:-4}   # host threads of each context: they share the copies of the frames into
                        # page-locked memory (the GPU machine has 16 cores)
RUNS=${RUNS:-50}     # timed runs of each side (the detect loop of yolo bench decodes and runs
                     # NMS on every image on the CPU: keep it small at batch 128)
export LD_LIBRARY_PATH="$R/lib:/usr/local/cuda/lib64${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
S="$R/shared"; T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
ANCHOR=${ANCHOR:-$S/tools/gpu_anchor.py}
out="$T/rows"; : > "$out"
for m in $MODELS; do
    for b in $BATCHES; do
        "$R/bin/yolo" build "$S/data/models/$m.onnx" -o "$T/$m-b$b.engine" --batch "$b" > /dev/null ||
            { echo "bench-cuda: cannot build $m at batch $b" >&2; continue; }
        for prec in $PRECS; do
            h=; conv=; pdl=1; split=1; rows=1; pwmin=; strided=; case $prec in fp16*) h=--half ;; esac
            nhwc=; case $prec in *-nchw) nhwc=0 ;; *-nhwc) nhwc=1 ;; esac
            case $prec in *-packed) strided=0 ;; esac
            case $prec in *-softthread) rows=0 ;; esac
            case $prec in *-nopdl) pdl=0 ;; esac
            case $prec in fp16-nosplit*) split=0 ;; esac
            case $prec in fp16-nopw) pwmin=999999999999 ;; esac
            case $prec in fp16-cudnn) conv=cudnn ;; fp16-igemm) conv=igemm ;; *-tune) conv=tune ;;
                *-tile) conv=tile ;; fp16-notile) conv=notile ;; fp16-pw) conv=pw ;; esac
            nb=$b; [ "$b" -gt 64 ] && nb=64   # yolo bench feeds at most 64 images a call
            YOLO_CUDA_NHWC=$nhwc YOLO_CUDA_STRIDED=$strided YOLO_CUDA_PW_MIN=$pwmin YOLO_CUDA_SOFTMAX_ROWS=$rows YOLO_CUDA_TILE_SPLIT=$split YOLO_CUDA_PDL=$pdl YOLO_CUDA_CONV=$conv "$R/bin/yolo" bench "$T/$m-b$b.engine" --device cuda $h --json \
                --batch "$nb" --threads "$THREADS" -r "$RUNS" --warmup 5 > "$T/j" ||
                { echo "bench-cuda: yolo bench failed on $m b$b $prec" >&2; continue; }
            printf '{"side": "yolo", "model": "%s", "prec": "%s", "batch": %s, "bench": %s}\n' \
                "$m" "$prec" "$b" "$(cat "$T/j")" >> "$out"
            # progress, so a run cut short still shows what it measured
            echo "yolo $m $prec batch $b: $(sed -n 's/.*"device_stages_ms": \({[^}]*}\).*/\1/p' "$T/j")"
        done
    done
    bl=$(echo $BATCHES | tr ' ' ',')
    python3 "$ANCHOR" "$S/data/models/$m.onnx" "$S/golden/input_bus_640.bin" --batch "$bl" \
        --runs "$RUNS" 2> "$T/anchor.err" | sed 's/^/{"side": "torch", "row": /; s/$/}/' | tee -a "$out" ||
        { echo "bench-cuda: gpu_anchor.py failed on $m:" >&2; tail -5 "$T/anchor.err" >&2; }
done
# Device memory of 1..4 instances (clones sharing the weights) of the first model, FP16, at
# the first batch size: measured growth per instance and the with/without sharing table.
m1=${MODELS%% *}; b1=${BATCHES%% *}
if [ -f "$T/$m1-b$b1.engine" ]; then
    echo "== $m1 fp16 batch $b1, 4 instances:"
    "$R/bin/yolo" bench "$T/$m1-b$b1.engine" --device cuda --half --instances 4 -r "$RUNS" \
        --warmup 2 | sed -n '/^throughput/p; /^device memory/,/^device stages/p'
fi
python3 - "$out" <<'PY'
import json, sys
ours, theirs, ours_e2e = {}, {}, {}
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r['side'] == 'yolo':
        st = r['bench'].get('device_stages_ms', {})
        ours[(r['model'], r['prec'], r['batch'])] = st
        ours_e2e[(r['model'], r['prec'], r['batch'])] = r['bench']
    elif 'cudagraph_ms' in r['row']:
        t = r['row']
        theirs[(t['model'].replace('.onnx', ''), t['prec'], t['batch'])] = t
print('%-11s %-10s %5s | %8s %8s %8s | %9s %6s | %10s %10s %6s | %8s %8s %8s %8s %9s %9s %9s %9s' % (
    'model', 'prec', 'batch', 'upload', 'compute', 'download', 'torch(cg)', 'ratio', 'yolo img/s',
    'torch img/s', 'x', 'pre', 'infer', 'post', 'e2e ms', 'e2e img/s', 'pipe img/s', 'locked ms',
    'lk pipe'))
for k in sorted(ours, key=lambda k: (k[0], k[1], k[2])):
    st = ours[k]; t = theirs.get(k, theirs.get((k[0], k[1].split('-')[0], k[2])))
    e2e = ours_e2e[k]
    c = st.get('compute', 0); ips = 1000.0 * k[2] / c if c else 0
    tc = t['cudagraph_ms'] if t else float('nan'); tips = t['cudagraph_img_per_s'] if t else float('nan')
    med = lambda s: e2e.get(s, {}).get('median_ms', float('nan'))
    print('%-11s %-10s %5d | %8.3f %8.3f %8.3f | %9.3f %6.2f | %10.0f %10.0f %6.2f | %8.3f %8.3f %8.3f %8.3f %9.0f %9.0f %9.3f %9.0f' % (
        k[0], k[1], k[2], st.get('upload', 0), c, st.get('download', 0), tc,
        c / tc if t else float('nan'), ips, tips, ips / tips if t else float('nan'),
        med('preprocess'), med('inference'), med('postprocess'), med('total'),
        e2e.get('throughput_ips', float('nan')), e2e.get('pipelined_ips', float('nan')),
        e2e.get('page_locked_total_ms', float('nan')),
        e2e.get('page_locked_pipelined_ips', float('nan'))))
print('ms are medians; ratio = yolo compute / torch CUDA-graph latency (lower is better); '
      'x = yolo images/s / torch images/s; pre/infer/post/e2e = yolo bench\'s detect loop on '
      'a batch of decoded u8 BGR 1280x720 frames in host memory to detections in host memory '
      '(pre: copies into page-locked memory on the context\'s host threads, upload, GPU '
      'letterbox; infer: waiting for the network, decode, NMS and the download of the kept boxes; '
      'post: scaling them back on the host), medians per batch, and its images/s; pipe img/s: the same '
      'with two batches in flight (yolo_detect_submit / collect); locked ms: the e2e median with '
      'the frames in yolo_host_alloc (page-locked) memory, uploaded with no host copy; lk pipe: '
      'pipe img/s from those frames')
PY
