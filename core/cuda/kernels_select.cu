/* cuda/kernels_select.cu: batched MatMul (the YOLO11 attention's small products) and TopK
 * (end-to-end heads). */
#include "chain.cuh"
#include "device.cuh"

/* A 64 x 64 tile of C per block of 256 threads, each thread 4 x 4 of it in registers, K
 * walked in 16-deep slabs through shared memory (A stored k-major so a thread's four rows are
 * one broadcast read). Why not one output per thread: yolo11n_dq's attention at batch 128
 * (256 products of 400 x 32 x 400 and 64 x 400 x 400) took 0.5 and 0.88 ms that way on an
 * H100, each output's operands read from shared memory once per product. */
#define MM_BM 64
#define MM_BK 16
__global__ void __launch_bounds__(256) matmul_kernel(const struct yolo_cu_matmul p)
{
    __shared__ float as[MM_BK][MM_BM + 4], bs[MM_BK][MM_BM + 4];
    yolo_cu_chain_enter();
    const int tid = threadIdx.x, tx = tid % 16, ty = tid / 16;
    const int64_t bidx = blockIdx.z;
    const int64_t row0 = (int64_t)blockIdx.y * MM_BM, col0 = (int64_t)blockIdx.x * MM_BM;
    const int64_t abase = p.aoff[bidx] * p.m * p.k, bbase = p.boff[bidx] * p.k * p.n;
    float acc[4][4] = {};
    for (int64_t k0 = 0; k0 < p.k; k0 += MM_BK) {
#pragma unroll
        for (int q = 0; q < 4; q++) {
            int e = tid + q * 256;
            int ar = e / MM_BK, ak = e % MM_BK;   /* A: 64 rows x 16 k */
            int64_t r = row0 + ar, ka = k0 + ak;
            as[ak][ar] = r < p.m && ka < p.k ? ld_f(p.a, p.a_st, abase + r * p.k + ka) : 0.0f;
            int bk = e / MM_BM, bc = e % MM_BM;   /* B: 16 k x 64 columns */
            int64_t kb = k0 + bk, c = col0 + bc;
            bs[bk][bc] = kb < p.k && c < p.n ? ld_f(p.b, p.b_st, bbase + kb * p.n + c) : 0.0f;
        }
        __syncthreads();
#pragma unroll
        for (int kk = 0; kk < MM_BK; kk++) {
            outer4_fma(acc, *(const float4 *)&as[kk][ty * 4], *(const float4 *)&bs[kk][tx * 4]);
        }
        __syncthreads();
    }
#pragma unroll
    for (int i = 0; i < 4; i++) {
        int64_t r = row0 + ty * 4 + i;
#pragma unroll
        for (int j = 0; j < 4; j++) {
            int64_t c = col0 + tx * 4 + j;
            if (r < p.m && c < p.n)
                st_f(p.y, p.y_st, bidx * p.m * p.n + r * p.n + c, acc[i][j]);
        }
    }
}

extern "C" int yolo_cu_matmul(const struct yolo_cu_matmul *p, yolo_cu_stream s)
{
    if (p->m == 0 || p->n == 0 || p->batch == 0)
        return 0;
    if (p->batch > 65535 || (p->m + MM_BM - 1) / MM_BM > 65535)
        return (int)cudaErrorInvalidValue;
    dim3 grid((unsigned)((p->n + MM_BM - 1) / MM_BM), (unsigned)((p->m + MM_BM - 1) / MM_BM),
              (unsigned)p->batch);
    yolo_cu_launch(matmul_kernel, grid, 256, 0, (cudaStream_t)s, *p);
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
