/* cuda/kernels_move.cu: data movement: strided copies (Concat, Split, Slice, Transpose,
 * Tile, Expand, views), Gather, GatherElements and nearest Resize. */
#include "device.cuh"

struct copy_batch {
    struct yolo_cu_copy seg[YOLO_CU_MAXSEG];
};

/* blockIdx.y picks the piece, so a whole Concat or Split is one launch */
__global__ void copy_kernel(const copy_batch b)
{
    const struct yolo_cu_copy &c = b.seg[blockIdx.y];
    YOLO_CU_FOR(i, c.numel) {
        int64_t rem = i, so = c.src_off, dofs = c.dst_off;
        for (int32_t k = c.ndim - 1; k >= 0; k--) {
            int64_t q = rem / c.shape[k], idx = rem - q * c.shape[k];
            rem = q;
            so += idx * c.ss[k];
            dofs += idx * c.ds[k];
        }
        move_elem(c.dst, c.dst_st, dofs, c.src, c.src_st, so);
    }
}

extern "C" int yolo_cu_copy(const struct yolo_cu_copy *seg, int32_t n_seg, yolo_cu_stream s)
{
    if (n_seg < 1 || n_seg > YOLO_CU_MAXSEG)
        return (int)cudaErrorInvalidValue;
    copy_batch b;
    int64_t most = 0;
    for (int32_t i = 0; i < n_seg; i++) {
        b.seg[i] = seg[i];
        most = seg[i].numel > most ? seg[i].numel : most;
    }
    if (most == 0)
        return 0;
    dim3 grid(yolo_cu_blocks(most), (unsigned)n_seg);
    copy_kernel<<<grid, YOLO_CU_THREADS, 0, (cudaStream_t)s>>>(b);
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
    gather_kernel<<<yolo_cu_blocks(total), YOLO_CU_THREADS, 0, (cudaStream_t)s>>>(*p);
    return yolo_cu_status();
}

__global__ void gather_el_kernel(const struct yolo_cu_gather_el p)
{
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
    gather_el_kernel<<<yolo_cu_blocks(p->numel), YOLO_CU_THREADS, 0, (cudaStream_t)s>>>(*p);
    return yolo_cu_status();
}

__global__ void resize_kernel(const struct yolo_cu_resize p)
{
    YOLO_CU_FOR(i, p.numel) {
        int64_t rem = i, off = 0;
        for (int32_t k = p.ndim - 1; k >= 0; k--) {
            int64_t q = rem / p.shape[k], idx = rem - q * p.shape[k];
            rem = q;
            off += p.tables[p.toff[k] + idx] * p.xs[k];
        }
        move_elem(p.y, p.y_st, i, p.x, p.x_st, off);
    }
}

extern "C" int yolo_cu_resize_nearest(const struct yolo_cu_resize *p, yolo_cu_stream s)
{
    if (p->numel == 0)
        return 0;
    resize_kernel<<<yolo_cu_blocks(p->numel), YOLO_CU_THREADS, 0, (cudaStream_t)s>>>(*p);
    return yolo_cu_status();
}
