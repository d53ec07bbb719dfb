/* host_mem.c: yolo_host_alloc / yolo_host_free. A header before the caller's bytes says how
 * the block was allocated, so one free takes both kinds; page-locking needs a GPU, and a CUDA
 * build on a machine without one falls back to ordinary memory. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifdef YOLO_CUDA
#include <cuda_runtime_api.h>
#endif

#include "yolo.h"

#define HOST_HEADER 64u                     /* keeps the caller's bytes 64-byte aligned */
#define HOST_MAGIC  0x796f6c6f686d656dull   /* "yolohmem" */

enum host_kind { HOST_PLAIN = 1, HOST_LOCKED = 2 };

struct host_header { uint64_t magic, kind; };

void *yolo_host_alloc(uint64_t bytes)
{
    if (bytes == 0 || bytes > SIZE_MAX - HOST_HEADER)
        return NULL;
    size_t total = (size_t)bytes + HOST_HEADER;
    void *base = NULL;
    uint64_t kind = HOST_PLAIN;
#ifdef YOLO_CUDA
    if (cudaHostAlloc(&base, total, cudaHostAllocPortable) == cudaSuccess)
        kind = HOST_LOCKED;
    else {
        (void)cudaGetLastError();   /* no GPU or no room to lock: ordinary memory */
        base = NULL;
    }
#endif
    if (!base && posix_memalign(&base, HOST_HEADER, total))
        return NULL;
    struct host_header h = { HOST_MAGIC, kind };
    memcpy(base, &h, sizeof h);
    return (uint8_t *)base + HOST_HEADER;
}

void yolo_host_free(void *p)
{
    if (!p)
        return;
    uint8_t *base = (uint8_t *)p - HOST_HEADER;
    struct host_header h;
    memcpy(&h, base, sizeof h);
    if (h.magic != HOST_MAGIC)
        return;    /* not from yolo_host_alloc (or freed already): not ours to free */
    memset(base, 0, sizeof h);
#ifdef YOLO_CUDA
    if (h.kind == HOST_LOCKED) {
        cudaFreeHost(base);
        return;
    }
#endif
    free(base);
}
