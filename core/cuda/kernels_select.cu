/* cuda/kernels_select.cu: batched MatMul (the YOLO11 attention's small products) and TopK
 * (end-to-end heads). */
#include "chain.cuh"
#include "device.cuh"

#define MM_TILE 16

/* One 16x16 tile of C per block, K walked in 16-wide slabs through shared memory. The
 * attention products are a few MFLOP: this is launch-bound, not worth tensor cores. */
__global__ void matmul_kernel(const struct yolo_cu_matmul p)
{
    yolo_cu_chain_enter();
    __shared__ float as[MM_TILE][MM_TILE + 1], bs[MM_TILE][MM_TILE + 1];
    int64_t bidx = blockIdx.z;
    int64_t row = (int64_t)blockIdx.y * MM_TILE + threadIdx.y;
    int64_t col = (int64_t)blockIdx.x * MM_TILE + threadIdx.x;
    int64_t abase = p.aoff[bidx] * p.m * p.k, bbase = p.boff[bidx] * p.k * p.n;
    float acc = 0.0f;
    for (int64_t k0 = 0; k0 < p.k; k0 += MM_TILE) {
        int64_t ka = k0 + threadIdx.x, kb = k0 + threadIdx.y;
        as[threadIdx.y][threadIdx.x] = row < p.m && ka < p.k ? ld_f(p.a, p.a_st, abase + row * p.k + ka) : 0.0f;
        bs[threadIdx.y][threadIdx.x] = kb < p.k && col < p.n ? ld_f(p.b, p.b_st, bbase + kb * p.n + col) : 0.0f;
        __syncthreads();
        for (int kk = 0; kk < MM_TILE; kk++)
            acc += as[threadIdx.y][kk] * bs[kk][threadIdx.x];
        __syncthreads();
    }
    if (row < p.m && col < p.n)
        st_f(p.y, p.y_st, bidx * p.m * p.n + row * p.n + col, acc);
}

extern "C" int yolo_cu_matmul(const struct yolo_cu_matmul *p, yolo_cu_stream s)
{
    if (p->m == 0 || p->n == 0 || p->batch == 0)
        return 0;
    dim3 grid((unsigned)((p->n + MM_TILE - 1) / MM_TILE), (unsigned)((p->m + MM_TILE - 1) / MM_TILE),
              (unsigned)p->batch);
    dim3 block(MM_TILE, MM_TILE);
    yolo_cu_launch(matmul_kernel, grid, block, 0, (cudaStream_t)s, *p);
    return yolo_cu_status();
}

/* a goes strictly before b: larger (or smaller) first, NaN above every number (ops/topk.c) */
__device__ __forceinline__ int f_before(float a, float b, int largest)
{
    if (!largest) {
        float t = a;
        a = b;
        b = t;
    }
    return a > b || (isnan(a) && !isnan(b));
}

#define TK_TILE 256

/* Rank selection: element j of a slice goes to slot rank(j) = the number of elements that
 * come before it (strictly better, or equal with a smaller index), which is exactly the
 * stable order of the reference's insertion. Each thread ranks one element against the
 * whole slice, read through shared memory in tiles; slices are blockIdx.y. */
__global__ void topk_kernel(const struct yolo_cu_topk p)
{
    yolo_cu_chain_enter();
    __shared__ float fv[TK_TILE];
    __shared__ int64_t iv[TK_TILE];
    int64_t sl = blockIdx.y, o = sl / p.inner, in = sl % p.inner;
    int64_t base = o * p.dim * p.inner + in, obase = o * p.k * p.inner + in;
    int64_t j = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
    int is_i64 = p.x_st == YOLO_CU_I64;
    float mine = 0.0f;
    int64_t mine_i = 0;
    if (j < p.dim) {
        if (is_i64)
            mine_i = ((const int64_t *)p.x)[base + j * p.inner];
        else
            mine = ld_f(p.x, p.x_st, base + j * p.inner);
    }
    int64_t rank = 0;
    for (int64_t t0 = 0; t0 < p.dim; t0 += TK_TILE) {
        int64_t t = t0 + threadIdx.x;
        if (t < p.dim) {
            if (is_i64)
                iv[threadIdx.x] = ((const int64_t *)p.x)[base + t * p.inner];
            else
                fv[threadIdx.x] = ld_f(p.x, p.x_st, base + t * p.inner);
        }
        __syncthreads();
        int64_t cnt = p.dim - t0 < TK_TILE ? p.dim - t0 : TK_TILE;
        if (j < p.dim) {
            for (int64_t q = 0; q < cnt; q++) {
                int64_t other = t0 + q;
                int before;
                if (is_i64) {
                    int64_t v = iv[q];
                    before = p.largest ? v > mine_i : v < mine_i;
                    before = before || (v == mine_i && other < j);
                } else {
                    float v = fv[q];
                    before = f_before(v, mine, p.largest) ||
                             (!f_before(mine, v, p.largest) && other < j);
                }
                rank += before;
            }
        }
        __syncthreads();
    }
    if (j < p.dim && rank < p.k) {
        if (is_i64)
            ((int64_t *)p.vals)[obase + rank * p.inner] = mine_i;
        else
            st_f(p.vals, p.y_st, obase + rank * p.inner, mine);
        p.idx[obase + rank * p.inner] = j;
    }
}

extern "C" int yolo_cu_topk(const struct yolo_cu_topk *p, yolo_cu_stream s)
{
    int64_t slices = p->outer * p->inner;
    if (slices == 0 || p->dim == 0 || p->k == 0)
        return 0;
    if (slices > 65535)
        return (int)cudaErrorInvalidValue;
    dim3 grid((unsigned)((p->dim + TK_TILE - 1) / TK_TILE), (unsigned)slices);
    yolo_cu_launch(topk_kernel, grid, TK_TILE, 0, (cudaStream_t)s, *p);
    return yolo_cu_status();
}
