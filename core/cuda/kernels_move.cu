/* cuda/kernels_move.cu: data movement: strided copies (Concat, Split, Slice, Transpose,
 * Tile, Expand, views), Gather, GatherElements and nearest Resize. */
#include "chain.cuh"
#include "device.cuh"

struct copy_batch {
    struct yolo_cu_copy seg[YOLO_CU_MAXSEG];
};

/* The general case: any strides, the index unravelled per element. I is int32_t when every
 * extent fits (64-bit division is a long software sequence on the GPU), else int64_t. */
template <typename I>
__global__ void copy_kernel(const copy_batch b)
{
    yolo_cu_chain_enter();
    const struct yolo_cu_copy &c = b.seg[blockIdx.y];
    for (I i = (I)blockIdx.x * blockDim.x + threadIdx.x; i < (I)c.numel;
         i += (I)gridDim.x * blockDim.x) {
        I rem = i, so = (I)c.src_off, dofs = (I)c.dst_off;
        for (int32_t k = c.ndim - 1; k >= 0; k--) {
            I q = rem / (I)c.shape[k], idx = rem - q * (I)c.shape[k];
            rem = q;
            so += idx * (I)c.ss[k];
            dofs += idx * (I)c.ds[k];
        }
        move_elem(c.dst, c.dst_st, dofs, c.src, c.src_st, so);
    }
}

/* Rows: [rows, run] with the run contiguous on both sides (Concat, Split, Slice of whole rows
 * and every plain copy): no division; 16-byte moves when storage and alignment allow.
 * blockIdx.y walks rows, blockIdx.z the piece. */
__global__ void rows_kernel(const copy_batch b)
{
    yolo_cu_chain_enter();
    const struct yolo_cu_copy &c = b.seg[blockIdx.z];
    int64_t rows = c.ndim == 2 ? c.shape[0] : 1, run = c.shape[c.ndim - 1];
    int64_t srow = c.ndim == 2 ? c.ss[0] : 0, drow = c.ndim == 2 ? c.ds[0] : 0;
    int same = c.src_st == c.dst_st;
    int64_t es = same ? st_size(c.src_st) : 0;
    for (int64_t r = blockIdx.y; r < rows; r += gridDim.y) {
        int64_t so = c.src_off + r * srow, dofs = c.dst_off + r * drow;
        if (same) {
            const uint8_t *s = (const uint8_t *)c.src + so * es;
            uint8_t *d = (uint8_t *)c.dst + dofs * es;
            int64_t nb = run * es;
            if ((((uintptr_t)s | (uintptr_t)d | (uintptr_t)nb) & 15) == 0) {
                const uint4 *s4 = (const uint4 *)s;
                uint4 *d4 = (uint4 *)d;
                for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < nb / 16;
                     i += (int64_t)gridDim.x * blockDim.x)
                    d4[i] = s4[i];
                continue;
            }
        } else if (c.src_st == YOLO_CU_F16 && c.dst_st == YOLO_CU_F32 && run % 8 == 0) {
            /* widening (yolov8n's head: the FP16 class scores into the FP32 output) */
            const __half *s = (const __half *)c.src + so;
            float *d = (float *)c.dst + dofs;
            if ((((uintptr_t)s | (uintptr_t)d) & 15) == 0) {
                for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < run / 8;
                     i += (int64_t)gridDim.x * blockDim.x) {
                    uint4 raw = ((const uint4 *)s)[i];
                    const __half2 *h = (const __half2 *)&raw;
                    float2 f0 = __half22float2(h[0]), f1 = __half22float2(h[1]);
                    float2 f2 = __half22float2(h[2]), f3 = __half22float2(h[3]);
                    ((float4 *)d)[2 * i] = make_float4(f0.x, f0.y, f1.x, f1.y);
                    ((float4 *)d)[2 * i + 1] = make_float4(f2.x, f2.y, f3.x, f3.y);
                }
                continue;
            }
        }
        for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < run;
             i += (int64_t)gridDim.x * blockDim.x)
            move_elem(c.dst, c.dst_st, dofs + i, c.src, c.src_st, so + i);
    }
}

/* Rows of whole 16-byte pieces (the host checks every row start and run): the (row, piece)
 * pairs of a segment flattened, a thread moving ROWS16_UNROLL pieces a block apart, all its
 * loads before its stores. A segment from FP16 into FP32 widens each piece (8 elements:
 * yolov8n's class scores into its FP32 output), the others move bytes. blockIdx.y: the
 * segment. Why not rows_kernel: there a block takes one row (of the longest segment's
 * length) and a thread one piece of it, then exits; YOLO's head Concats (rows of 6400, 1600
 * and 400 FP16 values, 8192 or more rows at batch 128) left most of those blocks empty and
 * moved ~1.1 TB/s on an H100, a third of its memory's bandwidth. */
#define ROWS16_UNROLL 4
template <typename I>
__global__ void rows16_kernel(const copy_batch b)
{
    yolo_cu_chain_enter();
    const struct yolo_cu_copy &c = b.seg[blockIdx.y];
    const I rows = c.ndim == 2 ? (I)c.shape[0] : 1, run = (I)c.shape[c.ndim - 1];
    const I srow = c.ndim == 2 ? (I)c.ss[0] : 0, drow = c.ndim == 2 ? (I)c.ds[0] : 0;
    const bool widen = c.src_st == YOLO_CU_F16 && c.dst_st == YOLO_CU_F32;
    const I ses = (I)st_size(c.src_st), des = (I)st_size(c.dst_st), per = 16 / ses;
    const I pieces = run / per, total = rows * pieces;
    const char *src = (const char *)c.src + (int64_t)c.src_off * ses;
    char *dst = (char *)c.dst + (int64_t)c.dst_off * des;
    const I span = (I)blockDim.x * ROWS16_UNROLL;
    for (I first = (I)blockIdx.x * span + threadIdx.x; first < total; first += (I)gridDim.x * span) {
        uint4 v[ROWS16_UNROLL];
        I at[ROWS16_UNROLL];
#pragma unroll
        for (int u = 0; u < ROWS16_UNROLL; u++) {
            I i = first + u * (I)blockDim.x, r = i / pieces, k = i - r * pieces;
            at[u] = r * drow + k * per;
            if (i < total)
                v[u] = __ldg((const uint4 *)(src + (int64_t)(r * srow + k * per) * ses));
        }
#pragma unroll
        for (int u = 0; u < ROWS16_UNROLL; u++) {
            if (first + u * (I)blockDim.x >= total)
                break;
            if (widen) {
                const __half2 *h = (const __half2 *)&v[u];
                float2 f0 = __half22float2(h[0]), f1 = __half22float2(h[1]);
                float2 f2 = __half22float2(h[2]), f3 = __half22float2(h[3]);
                float4 *d = (float4 *)(dst + (int64_t)at[u] * des);
                d[0] = make_float4(f0.x, f0.y, f1.x, f1.y);
                d[1] = make_float4(f2.x, f2.y, f3.x, f3.y);
            } else {
                *(uint4 *)(dst + (int64_t)at[u] * des) = v[u];
            }
        }
    }
}

/* Whether segment c can go to rows16_kernel: rows on both sides, one storage or FP16 into
 * FP32, every row start and the run whole 16-byte pieces of the source and aligned ones of
 * the destination. */
static int rows16_ok(const struct yolo_cu_copy *c)
{
    int widen = c->src_st == YOLO_CU_F16 && c->dst_st == YOLO_CU_F32;
    if (c->ndim > 2 || c->ss[c->ndim - 1] != 1 || c->ds[c->ndim - 1] != 1 ||
        (c->src_st != c->dst_st && !widen))
        return 0;
    int64_t ses = st_size(c->src_st), des = st_size(c->dst_st), per = 16 / ses;
    int64_t srow = c->ndim == 2 ? c->ss[0] : 0, drow = c->ndim == 2 ? c->ds[0] : 0;
    uintptr_t s = (uintptr_t)c->src + (uintptr_t)(c->src_off * ses);
    uintptr_t d = (uintptr_t)c->dst + (uintptr_t)(c->dst_off * des);
    return c->shape[c->ndim - 1] % per == 0 && srow % per == 0 && drow % per == 0 &&
           ((s | d) & 15) == 0 && c->src_off >= 0 && c->dst_off >= 0;
}

/* Rows of any rank: the last dim contiguous on both sides (Transposes that keep it, e.g.
 * the DFL's [N, 4, 16, A] -> [N, 16, 4, A]; Slices of whole rows). A row's offsets are
 * unravelled once per row, then the run moves in 16-byte pieces where alignment allows.
 * int32 indices (the host checks the extents). blockIdx.y walks rows, blockIdx.z the piece. */
__global__ void rows_nd_kernel(const copy_batch b)
{
    yolo_cu_chain_enter();
    const struct yolo_cu_copy &c = b.seg[blockIdx.z];
    int32_t nd = c.ndim, run = (int32_t)c.shape[nd - 1];
    int32_t rows = run ? (int32_t)(c.numel / run) : 0;
    int32_t es = c.src_st == c.dst_st ? st_size(c.src_st) : 0;
    for (int32_t r = blockIdx.y; r < rows; r += gridDim.y) {
        int32_t rem = r, so = (int32_t)c.src_off, dofs = (int32_t)c.dst_off;
        for (int32_t k = nd - 2; k >= 0; k--) {
            int32_t q = rem / (int32_t)c.shape[k], idx = rem - q * (int32_t)c.shape[k];
            rem = q;
            so += idx * (int32_t)c.ss[k];
            dofs += idx * (int32_t)c.ds[k];
        }
        if (es) {
            const uint8_t *s = (const uint8_t *)c.src + (int64_t)so * es;
            uint8_t *d = (uint8_t *)c.dst + (int64_t)dofs * es;
            int32_t nb = run * es;
            if ((((uintptr_t)s | (uintptr_t)d | (uintptr_t)nb) & 15) == 0) {
                for (int32_t i = blockIdx.x * blockDim.x + threadIdx.x; i < nb / 16;
                     i += gridDim.x * blockDim.x)
                    ((uint4 *)d)[i] = ((const uint4 *)s)[i];
                continue;
            }
        }
        for (int32_t i = blockIdx.x * blockDim.x + threadIdx.x; i < run; i += gridDim.x * blockDim.x)
            move_elem(c.dst, c.dst_st, (int64_t)dofs + i, c.src, c.src_st, (int64_t)so + i);
    }
}

static int is_rows(const struct yolo_cu_copy *c)
{
    return c->ndim <= 2 && c->ss[c->ndim - 1] == 1 && c->ds[c->ndim - 1] == 1;
}

/* Whether every index and offset of c fits int32_t arithmetic. */
static int fits32(const struct yolo_cu_copy *c)
{
    int64_t lim = INT32_MAX / 2, hi_s = c->src_off, hi_d = c->dst_off;
    for (int32_t k = 0; k < c->ndim; k++) {
        hi_s += (c->shape[k] - 1) * (c->ss[k] < 0 ? -c->ss[k] : c->ss[k]);
        hi_d += (c->shape[k] - 1) * (c->ds[k] < 0 ? -c->ds[k] : c->ds[k]);
    }
    return c->numel < lim && hi_s < lim && hi_d < lim && c->src_off >= 0 && c->dst_off >= 0;
}

extern "C" int yolo_cu_copy(const struct yolo_cu_copy *seg, int32_t n_seg, yolo_cu_stream s)
{
    if (n_seg < 1 || n_seg > YOLO_CU_MAXSEG)
        return (int)cudaErrorInvalidValue;
    copy_batch b;
    int64_t most = 0, most_rows = 1, most_run = 0;
    int rows = 1, small = 1;
    for (int32_t i = 0; i < n_seg; i++) {
        b.seg[i] = seg[i];
        most = seg[i].numel > most ? seg[i].numel : most;
        rows &= is_rows(&seg[i]);
        small &= fits32(&seg[i]);
        int64_t r = seg[i].ndim == 2 ? seg[i].shape[0] : 1, run = seg[i].shape[seg[i].ndim - 1];
        most_rows = r > most_rows ? r : most_rows;
        most_run = run > most_run ? run : most_run;
    }
    if (most == 0)
        return 0;
    int r16 = 1;
    for (int32_t i = 0; i < n_seg; i++)
        r16 &= rows16_ok(&seg[i]);
    if (r16) {
        int64_t pieces = 0;
        for (int32_t i = 0; i < n_seg; i++) {
            int64_t p = seg[i].numel / (16 / st_size(seg[i].src_st));
            pieces = p > pieces ? p : pieces;
        }
        int64_t bx = (pieces + YOLO_CU_THREADS * ROWS16_UNROLL - 1) /
                     (YOLO_CU_THREADS * ROWS16_UNROLL);
        dim3 grid((unsigned)(bx > 65535 * 8 ? 65535 * 8 : bx), (unsigned)n_seg);
        if (small)
            yolo_cu_launch(rows16_kernel<int32_t>, grid, YOLO_CU_THREADS, 0, (cudaStream_t)s, b);
        else
            yolo_cu_launch(rows16_kernel<int64_t>, grid, YOLO_CU_THREADS, 0, (cudaStream_t)s, b);
        return yolo_cu_status();
    }
    /* Rows shorter than a block leave most of its threads idle (a block walks rows, its
     * threads one row's elements): YOLOv5's head splits and concatenates rows of 2, 2 and 81
     * floats, 614400 of them at batch 32, and took 1.4 ms a node that way. Those go to the
     * element-wise kernel, one thread per element. */
    if (rows && most_run < YOLO_CU_THREADS && most_rows > 1)
        rows = 0;
    int rows_nd = !rows && small && most_run >= 32;
    for (int32_t i = 0; rows_nd && i < n_seg; i++)
        rows_nd = seg[i].ndim > 2 && seg[i].ss[seg[i].ndim - 1] == 1 &&
                  seg[i].ds[seg[i].ndim - 1] == 1;
    if (rows_nd) {
        int64_t most_nrows = 1;
        for (int32_t i = 0; i < n_seg; i++) {
            int64_t run = seg[i].shape[seg[i].ndim - 1];
            int64_t nr = run ? seg[i].numel / run : 0;
            most_nrows = nr > most_nrows ? nr : most_nrows;
        }
        int64_t bx = (most_run / 8 + YOLO_CU_THREADS - 1) / YOLO_CU_THREADS;
        int64_t by = most_nrows > 65535 ? 65535 : most_nrows;
        dim3 grid((unsigned)(bx < 1 ? 1 : bx > 4096 ? 4096 : bx), (unsigned)by, (unsigned)n_seg);
        yolo_cu_launch(rows_nd_kernel, grid, YOLO_CU_THREADS, 0, (cudaStream_t)s, b);
        return yolo_cu_status();
    }
    if (rows) {
        /* enough blocks along a run to cover it in 16-byte moves, rows beside them */
        int64_t bx = (most_run / 8 + YOLO_CU_THREADS - 1) / YOLO_CU_THREADS;
        int64_t by = most_rows > 65535 ? 65535 : most_rows;
        dim3 grid((unsigned)(bx < 1 ? 1 : bx > 4096 ? 4096 : bx), (unsigned)by, (unsigned)n_seg);
        yolo_cu_launch(rows_kernel, grid, YOLO_CU_THREADS, 0, (cudaStream_t)s, b);
    } else if (small) {
        yolo_cu_launch(copy_kernel<int32_t>, dim3(yolo_cu_blocks(most), (unsigned)n_seg),
                       YOLO_CU_THREADS, 0, (cudaStream_t)s, b);
    } else {
        yolo_cu_launch(copy_kernel<int64_t>, dim3(yolo_cu_blocks(most), (unsigned)n_seg),
                       YOLO_CU_THREADS, 0, (cudaStream_t)s, b);
    }
    return yolo_cu_status();
}

__device__ __forceinline__ int64_t load_index(const void *p, int32_t i32, int64_t i)
{
    return i32 ? (int64_t)((const int32_t *)p)[i] : ((const int64_t *)p)[i];
}

__device__ __forceinline__ void zero_elem(void *p, int32_t st, int64_t i)
{
    switch (st) {
    case YOLO_CU_I64: ((int64_t *)p)[i] = 0; break;
    case YOLO_CU_F32:
    case YOLO_CU_I32: ((int32_t *)p)[i] = 0; break;
    case YOLO_CU_F16: ((uint16_t *)p)[i] = 0; break;
    default:          ((uint8_t *)p)[i] = 0; break;
    }
}

__global__ void gather_kernel(const struct yolo_cu_gather p)
{
    yolo_cu_chain_enter();
    int64_t total = p.outer * p.nidx * p.row;
    YOLO_CU_FOR(i, total) {
        int64_t r = i / p.row, e = i - r * p.row;
        int64_t o = r / p.nidx, j = r - o * p.nidx;
        int64_t idx = load_index(p.index, p.idx_i32, j);
        if (idx < 0)
            idx += p.dim;
        if (idx < 0 || idx >= p.dim)
            zero_elem(p.y, p.y_st, i);
        else
            move_elem(p.y, p.y_st, i, p.x, p.x_st, (o * p.dim + idx) * p.row + e);
    }
}

extern "C" int yolo_cu_gather(const struct yolo_cu_gather *p, yolo_cu_stream s)
{
    int64_t total = p->outer * p->nidx * p->row;
    if (total == 0)
        return 0;
    yolo_cu_launch(gather_kernel, yolo_cu_blocks(total), YOLO_CU_THREADS, 0, (cudaStream_t)s, *p);
    return yolo_cu_status();
}

__global__ void gather_el_kernel(const struct yolo_cu_gather_el p)
{
    yolo_cu_chain_enter();
    YOLO_CU_FOR(i, p.numel) {
        int64_t v = load_index(p.index, p.idx_i32, i);
        if (v < 0)
            v += p.dim;
        if (v < 0 || v >= p.dim) {
            zero_elem(p.y, p.y_st, i);
            continue;
        }
        int64_t rem = i, off = 0;
        for (int32_t k = p.ndim - 1; k >= 0; k--) {
            int64_t q = rem / p.shape[k], idx = rem - q * p.shape[k];
            rem = q;
            off += (k == p.axis ? v : idx) * p.xs[k];
        }
        move_elem(p.y, p.y_st, i, p.x, p.x_st, off);
    }
}

extern "C" int yolo_cu_gather_elements(const struct yolo_cu_gather_el *p, yolo_cu_stream s)
{
    if (p->numel == 0)
        return 0;
    yolo_cu_launch(gather_el_kernel,
                   yolo_cu_blocks(p->numel), YOLO_CU_THREADS, 0, (cudaStream_t)s, *p);
    return yolo_cu_status();
}

template <typename I>
__global__ void resize_kernel(const struct yolo_cu_resize p)
{
    yolo_cu_chain_enter();
    for (I i = (I)blockIdx.x * blockDim.x + threadIdx.x; i < (I)p.numel;
         i += (I)gridDim.x * blockDim.x) {
        I rem = i, off = 0;
        for (int32_t k = p.ndim - 1; k >= 0; k--) {
            I q = rem / (I)p.shape[k], idx = rem - q * (I)p.shape[k];
            rem = q;
            off += (I)p.tables[p.toff[k] + idx] * (I)p.xs[k];
        }
        move_elem(p.y, p.y_st, i, p.x, p.x_st, off);
    }
}

/* 4-D (NCHW upsampling): threadIdx.y picks an output row (n, c, y), whose source row offset
 * is found once; threadIdx.x walks the row's columns: one table read per element instead of
 * four divisions and four table reads. int32 indices (the host checks the extents). */
__global__ void resize4_kernel(const struct yolo_cu_resize p)
{
    yolo_cu_chain_enter();
    int32_t s1 = (int32_t)p.shape[1], s2 = (int32_t)p.shape[2], w = (int32_t)p.shape[3];
    int32_t rows = (int32_t)(p.shape[0] * p.shape[1] * p.shape[2]);
    const int64_t *t0 = p.tables + p.toff[0], *t1 = p.tables + p.toff[1];
    const int64_t *t2 = p.tables + p.toff[2], *t3 = p.tables + p.toff[3];
    for (int32_t r = blockIdx.x * blockDim.y + threadIdx.y; r < rows; r += gridDim.x * blockDim.y) {
        int32_t oy = r % s2, t = r / s2, c = t % s1, n = t / s1;
        int64_t src = t0[n] * p.xs[0] + t1[c] * p.xs[1] + t2[oy] * p.xs[2];
        int64_t dst = (int64_t)n * p.yn + ((int64_t)c * s2 + oy) * w;
        for (int32_t ox = threadIdx.x; ox < w; ox += blockDim.x)
            move_elem(p.y, p.y_st, dst + ox, p.x, p.x_st, src + t3[ox] * p.xs[3]);
    }
}

/* Exact 2x nearest upsampling (YOLO's neck): a thread takes two neighbouring elements of an
 * input row and stores them doubled into both output rows it makes: one 4- or 8-byte load,
 * two 8- or 16-byte stores, where the table-driven kernel moved 2 bytes per thread.
 * Input row r (over all planes) becomes output rows 2r and 2r + 1; rows of image r / rpi lie
 * from xn (input) and yn (output) pairs times that image on, in units of one load (xn) and
 * one store (yn). */
__global__ void up2_half_kernel(const uint32_t *x, uint2 *y, int32_t pairs, int32_t half_w,
                                int32_t rpi, int64_t xn, int64_t yn)
{
    yolo_cu_chain_enter();
    for (int32_t i = blockIdx.x * blockDim.x + threadIdx.x; i < pairs; i += gridDim.x * blockDim.x) {
        int32_t r = i / half_w, q = i - r * half_w, img = r / rpi, rr = r - img * rpi;
        uint32_t v = x[img * xn + (int64_t)rr * half_w + q], lo = v & 0xffffu, hi = v >> 16;
        uint2 o = make_uint2(lo | lo << 16, hi | hi << 16);
        uint2 *yr = y + img * yn + (int64_t)(2 * rr) * half_w + q;
        yr[0] = o;
        yr[half_w] = o;
    }
}

__global__ void up2_float_kernel(const float2 *x, float4 *y, int32_t pairs, int32_t half_w,
                                 int32_t rpi, int64_t xn, int64_t yn)
{
    yolo_cu_chain_enter();
    for (int32_t i = blockIdx.x * blockDim.x + threadIdx.x; i < pairs; i += gridDim.x * blockDim.x) {
        int32_t r = i / half_w, q = i - r * half_w, img = r / rpi, rr = r - img * rpi;
        float2 v = x[img * xn + (int64_t)rr * half_w + q];
        float4 o = make_float4(v.x, v.x, v.y, v.y);
        float4 *yr = y + img * yn + (int64_t)(2 * rr) * half_w + q;
        yr[0] = o;
        yr[half_w] = o;
    }
}

extern "C" int yolo_cu_resize_nearest(const struct yolo_cu_resize *p, yolo_cu_stream s)
{
    if (p->numel == 0)
        return 0;
    int64_t yn = p->yn ? p->yn : p->ndim ? p->numel / (p->shape[0] ? p->shape[0] : 1) : 0;
    if (p->up2) {
        int64_t w = p->shape[3] / 2, rpi = p->shape[1] * (p->shape[2] / 2);
        int64_t pairs = p->shape[0] * rpi * (w / 2);
        /* in pairs of elements (input) and quads (output) */
        if (w % 2 || p->x_st != p->y_st || pairs >= INT32_MAX / 4 || p->xs[0] % 2 || yn % 4 ||
            (p->x_st != YOLO_CU_F16 && p->x_st != YOLO_CU_F32) ||
            ((uintptr_t)p->x | (uintptr_t)p->y) & 15)
            return (int)cudaErrorInvalidValue;
        if (p->x_st == YOLO_CU_F16)
            yolo_cu_launch(up2_half_kernel, yolo_cu_blocks(pairs), YOLO_CU_THREADS, 0,
                           (cudaStream_t)s, (const uint32_t *)p->x, (uint2 *)p->y,
                           (int32_t)pairs, (int32_t)(w / 2), (int32_t)rpi, p->xs[0] / 2, yn / 4);
        else
            yolo_cu_launch(up2_float_kernel, yolo_cu_blocks(pairs), YOLO_CU_THREADS, 0,
                           (cudaStream_t)s, (const float2 *)p->x, (float4 *)p->y,
                           (int32_t)pairs, (int32_t)(w / 2), (int32_t)rpi, p->xs[0] / 2, yn / 4);
        return yolo_cu_status();
    }
    /* the input is no larger than the output for an upsampling; both are bounded by numel
     * times the largest stride only in odd cases: check the input's extent too */
    int64_t in_extent = p->ndim ? p->xs[0] * p->shape[0] : 0;
    if (p->ndim == 4 && p->numel < INT32_MAX / 2 && in_extent < INT32_MAX / 2 &&
        p->xs[0] >= 0 && p->xs[1] >= 0 && p->xs[2] >= 0 && p->xs[3] >= 0) {
        int64_t rows = p->shape[0] * p->shape[1] * p->shape[2];
        int64_t blocks = (rows + 7) / 8;
        blocks = blocks > 65535LL * 8 ? 65535LL * 8 : blocks < 1 ? 1 : blocks;
        struct yolo_cu_resize a = *p;
        a.yn = yn;
        yolo_cu_launch(resize4_kernel, (unsigned)blocks, dim3(32, 8), 0, (cudaStream_t)s, a);
        return yolo_cu_status();
    }
    if (p->yn)   /* an output image by image: the 4-D kernel only */
        return (int)cudaErrorInvalidValue;
    if (p->numel < INT32_MAX / 2 && in_extent < INT32_MAX / 2)
        yolo_cu_launch(resize_kernel<int32_t>,
                       yolo_cu_blocks(p->numel), YOLO_CU_THREADS, 0, (cudaStream_t)s, *p);
    else
        yolo_cu_launch(resize_kernel<int64_t>,
                       yolo_cu_blocks(p->numel), YOLO_CU_THREADS, 0, (cudaStream_t)s, *p);
    return yolo_cu_status();
}
