#!/bin/sh
# install-deps.sh: the one install step for a fresh Debian machine (apt packages by name).
# Used by .ci/run, `make deps` and the README. Installs only what is missing.
set -eu
pkgs="build-essential pkg-config libprotobuf-c-dev protobuf-c-compiler libopenblas-dev
      libopencv-dev libpng-dev libjpeg-dev zlib1g-dev libyaml-dev libfreetype-dev fonts-dejavu-core fonts-wqy-microhei
      python3-opencv python3-numpy python3-onnx
      slurm-wlm munge ffmpeg"
# slurm-wlm munge: tests/cli/test_slurm_cli.sh runs a sharded detect as a real one-node Slurm
# array job (daemons started and stopped by the test, in a temporary folder); ffmpeg: the live
# stream tests of yolo video serve a video over UDP and HTTP on the loopback
# libfreetype-dev fonts-dejavu-core fonts-wqy-microhei: label text that is not ASCII (class
# names in any script; postprocess/text_ft.c reads those two fonts by their installed paths)
# `make fuzz` runs `install-deps.sh fuzz`: clang and its libFuzzer/sanitizer runtimes too
[ "${1:-}" = fuzz ] && pkgs="$pkgs clang libclang-rt-dev"
missing=""
for p in $pkgs; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    echo "install-deps: installing:$missing"
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
fi
