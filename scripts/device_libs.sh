# device_libs.sh: sourced by device-bundle.sh and cuda-bundle.sh. The shared libraries the GPU
# test machine (Ubuntu 24.04, glibc 2.39, CUDA 13 with cuDNN 9) has of its own; a bundle
# carries every other library its binaries need (ldd, transitively).
DEVICE_HAS="libc.so.6 libm.so.6 libpthread.so.0 libdl.so.2 librt.so.1 ld-linux-x86-64.so.2
    libstdc++.so.6 libgcc_s.so.1 libgomp.so.1 libpng16.so.16 libz.so.1 libopenblas.so.0
    libgfortran.so.5 libquadmath.so.0 libjpeg.so.8 linux-vdso.so.1
    libcuda.so.1 libcudart.so.12 libcublas.so.12 libcublasLt.so.12 libcudnn.so.9 libcudnn.so.8
    ${DEVICE_HAS_EXTRA:-}"
