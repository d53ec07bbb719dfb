#!/bin/sh
# cuda-bundle.sh: `make CUDA=1 cuda-bundle`: stages what the GPU tests and benchmark need on a
# GPU machine that has the NVIDIA driver, cuDNN and cuBLAS but no compiler toolchain for us,
# no OpenCV and no protobuf-c (the device the project tests on):
#   BUNDLE/bin      yolo and the GPU tests (test-cuda.sh): an OpenCV-free CUDA build (NOCV=1),
#                   stripped
#   BUNDLE/lib      the shared libraries those need that such a machine lacks (protobuf-c,
#                   libjpeg 62, libyaml, FreeType and what it needs; scripts/device_libs.sh)
#   BUNDLE/shared   the shared models, golden tensors, coco128 and tools/gpu_anchor.py
# Each part is its own folder so a size-limited transfer can carry them in turns.
# usage: sh scripts/cuda-bundle.sh [BUNDLE] [SHARED]    (defaults devrun ../shared)
set -eu
R=${1:-devrun}; SHARED=${2:-../shared}; B=${BUILD_DIR:-build/cuda-nocv}
make --no-print-directory CUDA=1 NOCV=1 BUILD="$B" -j"${JOBS:-2}" all cuda-tests
rm -rf "$R/bin" "$R/lib"
mkdir -p "$R/bin" "$R/lib" "$R/shared/data/models" "$R/shared/golden" "$R/shared/tools"
for f in "$B/yolo" "$B/tests/test_backend_ops" "$B/tests/test_golden" "$B/tests/test_cuda_letterbox" \
         "$B/tests/test_cuda_conv" "$B/tests/test_cuda_streams" "$B/tests/test_cuda_nms" \
         "$B/tests/test_cuda_host_frames" "$B/tests/test_cuda_move"; do
    strip -o "$R/bin/$(basename "$f")" "$f"
done
# every library the binaries need (ldd: transitively) that the GPU machine lacks
. "$(dirname "$0")/device_libs.sh"
for lib in $(for f in "$R"/bin/*; do ldd "$f"; done | awk '/=>/ { print $1 }' | sort -u); do
    case " $(echo $DEVICE_HAS) " in *" $lib "*) continue ;; esac
    p=$(ldconfig -p | awk -v l="$lib" '$1 == l && /x86-64/ { print $NF; exit }')
    [ -n "$p" ] || { echo "cuda-bundle.sh: $lib not found on this machine" >&2; exit 1; }
    cp -L "$p" "$R/lib/$lib"
done
for m in yolov5n yolov8n_dq yolo11n_dq yolov10n_dq; do
    cp "$SHARED/data/models/$m.onnx" "$R/shared/data/models/"
    [ -f "$SHARED/golden/out_${m}_bus.bin" ] && cp "$SHARED/golden/out_${m}_bus.bin" "$R/shared/golden/"
done
cp "$SHARED/golden/input_bus_640.bin" "$SHARED/golden/input_zidane_640.bin" "$R/shared/golden/"
mkdir -p "$R/shared/data/images"
cp "$SHARED/data/images/bus.jpg" "$SHARED/data/images/zidane.jpg" "$R/shared/data/images/"
rm -rf "$R/shared/data/coco128"
cp -r "$SHARED/data/coco128" "$R/shared/data/coco128"
cp "$SHARED/tools/gpu_anchor.py" "$R/shared/tools/"
# the first 48 frames of each shared video as JPEG files (the GPU machine has no FFmpeg):
# test_cuda_streams feeds them as two streams through the batcher
for v in pedestrian_street_1080p:a traffic_highway_720p:b; do
    rm -rf "$R/shared/frames/${v#*:}"; mkdir -p "$R/shared/frames/${v#*:}"
    ffmpeg -loglevel error -i "$SHARED/data/videos/${v%:*}.mp4" -frames:v 48 -q:v 3 \
        "$R/shared/frames/${v#*:}/%04d.jpg"
done
du -sh "$R/bin" "$R/lib" "$R/shared/data/models" "$R/shared/golden" "$R/shared/data/coco128" \
    "$R/shared/frames"
