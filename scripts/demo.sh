#!/bin/sh
# demo.sh BUILD SHARED: the newcomer's first run: compile the default model (yolov8n) into an
# engine and detect objects in bus.jpg, writing an annotated image.
set -eu
BUILD=${1:-build}; SHARED=${2:-../shared}
model=$SHARED/data/models/yolov8n_dq.onnx
image=$SHARED/data/images/bus.jpg
[ -f "$model" ] || { echo "demo: $model not found (the shared data folder sits beside the checkout)" >&2; exit 1; }
mkdir -p "$BUILD/demo"
"$BUILD/yolo" build "$model" -o "$BUILD/demo/yolov8n.engine"
"$BUILD/yolo" detect "$BUILD/demo/yolov8n.engine" "$image" --save-dir "$BUILD/demo/run" --exist-ok
echo "demo: annotated image in $BUILD/demo/run/bus.jpg"
