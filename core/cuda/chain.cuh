/* cuda/chain.cuh: kernel launches chained by programmatic dependent launch (Hopper and
 * later). CUDA C++, included by every kernel file.
 *
 * Why: a YOLO at batch 1 is ~110 small kernels in a row, each a few microseconds, and a
 * kernel launched the ordinary way starts only after the previous one has completed and
 * drained: a gap of microseconds per kernel, a large share of the whole at batch 1 even
 * inside a CUDA graph. Launched through yolo_cu_launch, the next kernel's blocks are put on
 * the SMs while the current kernel still runs, and wait there in yolo_cu_chain_enter.
 *
 * The contract: every kernel launched through yolo_cu_launch calls yolo_cu_chain_enter
 * before it writes global memory or reads anything an earlier kernel wrote. Only data no
 * kernel ever writes (the weights, made at load) may be read before it, which overlaps their
 * loading with the previous kernel's tail (the tiled and pointwise convolutions do).
 * griddepcontrol.wait returns once the previous kernel in the stream has completed and its
 * writes are visible (a no-op when the kernel was launched the ordinary way), so the order
 * of the kernels' effects is exactly the stream order; only the launch latency overlaps. Then griddepcontrol.launch_dependents
 * lets the kernel after this one be launched; it takes effect once every block of this
 * grid has run it (or exited), so the next kernel's waiting blocks never take SM room this
 * kernel's own blocks still need. A kernel whose predecessor is not ours (cuDNN, a copy)
 * simply waits for it to complete, as it would without the attribute.
 * YOLO_CUDA_PDL=0 launches the ordinary way (for measuring what this buys). */
#ifndef YOLO_CUDA_CHAIN_CUH
#define YOLO_CUDA_CHAIN_CUH

#include <cuda_runtime.h>
#include <stdlib.h>
#include <string.h>

__device__ __forceinline__ void yolo_cu_chain_enter(void)
{
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
    asm volatile("griddepcontrol.wait;\n" ::: "memory");
    asm volatile("griddepcontrol.launch_dependents;\n" ::: "memory");
#endif
}

static inline int yolo_cu_chain_allowed(void)
{
    const char *env = getenv("YOLO_CUDA_PDL");
    return !(env && strcmp(env, "0") == 0);
}

/* kernel<<<grid, block, smem, s>>>(args...), allowed to overlap the previous kernel's tail;
 * cluster_z > 1 also groups the blocks into thread-block clusters of 1 x 1 x cluster_z (their
 * shared memory visible to one another), and smem above the default 48 KiB is opted in to. */
template <typename... Params, typename... Args>
static inline void yolo_cu_launch_ex(void (*kernel)(Params...), dim3 grid, dim3 block,
                                     size_t smem, cudaStream_t s, unsigned cluster_z,
                                     Args &&...args)
{
    if (smem > 48 * 1024)
        cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, (int)smem);
    cudaLaunchAttribute attr[2];
    unsigned n = 0;
    if (yolo_cu_chain_allowed()) {
        attr[n].id = cudaLaunchAttributeProgrammaticStreamSerialization;
        attr[n++].val.programmaticStreamSerializationAllowed = 1;
    }
    if (cluster_z > 1) {
        attr[n].id = cudaLaunchAttributeClusterDimension;
        attr[n].val.clusterDim.x = 1;
        attr[n].val.clusterDim.y = 1;
        attr[n++].val.clusterDim.z = cluster_z;
    }
    cudaLaunchConfig_t cfg = {};
    cfg.gridDim = grid;
    cfg.blockDim = block;
    cfg.dynamicSmemBytes = smem;
    cfg.stream = s;
    cfg.attrs = attr;
    cfg.numAttrs = n;
    cudaLaunchKernelEx(&cfg, kernel, static_cast<Args &&>(args)...);
}

template <typename... Params, typename... Args>
static inline void yolo_cu_launch(void (*kernel)(Params...), dim3 grid, dim3 block, size_t smem,
                                  cudaStream_t s, Args &&...args)
{
    yolo_cu_launch_ex(kernel, grid, block, smem, s, 1u, static_cast<Args &&>(args)...);
}

#endif
