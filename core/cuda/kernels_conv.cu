/* cuda/kernels_conv.cu: FP16 convolution as an implicit GEMM on the tensor cores, with the
 * epilogue (bias, activation, output storage) fused, on NCHW tensors.
 *
 * Why our own: cuDNN's legacy API fuses only ReLU, so an FP16 convolution through it was a
 * cuDNN kernel (on NCHW FP16 often with layout transposes around it) plus an element-wise pass
 * for bias and SiLU. At batch 1 a YOLO's ~60 convolutions are launch-bound and at batch 128 the
 * extra pass reads and writes every output once more. Here each convolution is one kernel.
 *
 * The product is output channels x output pixels = weights [M x K] times the im2col matrix
 * [K x pixels], K = C * KH * KW. The im2col matrix is never built: each 32-deep tile of it is
 * gathered from the input straight into shared memory (k -> input offset through a table made
 * at load), so any stride, padding and dilation is the same code. Pixels run over the whole
 * batch (n, oy, ox), so a batch is one GEMM. mma.sync m16n8k16 with FP16 operands and FP32
 * accumulators; each warp owns a 32 x 32 piece of the block's tile; two shared-memory stages,
 * the next tile's global loads held in registers while the current one multiplies.
 *
 * Deep layers at small batches have few tiles and a long K (20 x 20 pixels, 256 channels, K
 * 2304: 56 blocks, each 72 steps in a row, each waiting on its loads): there K is split over
 * several blocks per tile (split-K, kernels.h), which the same kernel finishes itself. */
#include "chain.cuh"
#include "device.cuh"
#include "mma.cuh"

#define BK YOLO_CU_CONV_KPAD
#define LDS (BK + 8)   /* shared row pitch in halves (80 bytes): conflict-free fragment loads */

template <typename TX> __device__ __forceinline__ __half to_half(TX v);
template <> __device__ __forceinline__ __half to_half<__half>(__half v) { return v; }
template <> __device__ __forceinline__ __half to_half<float>(float v) { return __float2half_rn(v); }

/* WM x WN warps; the block computes (32 WM) channels x (32 WN) pixels. */
template <int WM, int WN, typename TX>
__global__ void __launch_bounds__(WM * WN * 32) conv_igemm_kernel(const struct yolo_cu_conv p)
{
    yolo_cu_chain_enter();
    constexpr int NT = WM * WN * 32, BM = WM * 32, BN = WN * 32;
    constexpr int KPT = BK * BN / NT;      /* k values of one pixel column a thread gathers */
    constexpr int AV = BM * BK / 8 / NT;   /* 16-byte weight vectors a thread loads */
    static_assert(KPT % 8 == 0 && AV >= 1, "tile shape");
    __shared__ __align__(16) __half As[2][BM][LDS];
    __shared__ __align__(16) __half Bs[2][BN][LDS];

    const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
    const int wm = warp % WM, wn = warp / WM, g = lane >> 2, t4 = lane & 3;
    const int m0 = blockIdx.y * BM, p0 = blockIdx.x * BN;
    const int ohw = p.oh * p.ow;

    /* the pixel column this thread gathers: its top-left input tap, or never inside */
    const int col = tid % BN, kk0 = (tid / BN) * KPT, pix = p0 + col;
    int iy0 = -(1 << 28), ix0 = 0;
    int64_t xoff = 0;
    if (pix < p.npix) {
        int img = pix / ohw, r = pix - img * ohw, oy = r / p.ow, ox = r - oy * p.ow;
        iy0 = oy * p.sh - p.ph;
        ix0 = ox * p.sw - p.pw;
        xoff = (int64_t)img * p.chw + (int64_t)iy0 * p.w + ix0;
    }
    const TX *x = (const TX *)p.x;
    const int2 *ktab = (const int2 *)p.ktab;
    const __half *wt = (const __half *)p.wt;

    uint4 areg[AV];
    uint32_t breg[KPT / 2];
    auto fetch = [&](int kt) {
#pragma unroll
        for (int v = 0; v < AV; v++) {
            int idx = tid + v * NT, row = idx / (BK / 8), q = idx % (BK / 8);
            areg[v] = __ldg((const uint4 *)(wt + (int64_t)(m0 + row) * p.kpad + kt * BK + q * 8));
        }
#pragma unroll
        for (int j = 0; j < KPT; j += 2) {
            __half h[2];
#pragma unroll
            for (int u = 0; u < 2; u++) {
                int2 e = __ldg(&ktab[kt * BK + kk0 + j + u]);
                int iy = iy0 + (e.y >> 16), ix = ix0 + (e.y & 0xffff);
                h[u] = (unsigned)iy < (unsigned)p.h && (unsigned)ix < (unsigned)p.w
                     ? to_half<TX>(x[xoff + e.x]) : __float2half_rn(0.0f);
            }
            breg[j / 2] = pack2(h[0], h[1]);
        }
    };
    auto stash = [&](int buf) {
#pragma unroll
        for (int v = 0; v < AV; v++) {
            int idx = tid + v * NT, row = idx / (BK / 8), q = idx % (BK / 8);
            *(uint4 *)&As[buf][row][q * 8] = areg[v];
        }
#pragma unroll
        for (int j = 0; j < KPT; j += 8)
            *(uint4 *)&Bs[buf][col][kk0 + j] = make_uint4(breg[j / 2], breg[j / 2 + 1],
                                                          breg[j / 2 + 2], breg[j / 2 + 3]);
    };

    float acc[2][4][4];
#pragma unroll
    for (int a = 0; a < 2; a++)
#pragma unroll
        for (int b = 0; b < 4; b++)
#pragma unroll
            for (int c = 0; c < 4; c++)
                acc[a][b][c] = 0.0f;

    /* this block's share of K: split z of gridDim.z (the host keeps 4+ steps per split) */
    const int KT = p.kpad / BK, S = gridDim.z, z = blockIdx.z;
    const int kt0 = (int)((int64_t)KT * z / S), kt1 = (int)((int64_t)KT * (z + 1) / S);
    if (kt0 < kt1) {
        fetch(kt0);
        stash(0);
        __syncthreads();
    }
    for (int kt = kt0; kt < kt1; kt++) {
        const int cur = (kt - kt0) & 1;
        if (kt + 1 < kt1)
            fetch(kt + 1);
#pragma unroll
        for (int ks = 0; ks < BK; ks += 16) {
            uint32_t a[2][4], b[4][2];
#pragma unroll
            for (int mt = 0; mt < 2; mt++) {
                int r = wm * 32 + mt * 16 + g, c = ks + t4 * 2;
                a[mt][0] = *(const uint32_t *)&As[cur][r][c];
                a[mt][1] = *(const uint32_t *)&As[cur][r + 8][c];
                a[mt][2] = *(const uint32_t *)&As[cur][r][c + 8];
                a[mt][3] = *(const uint32_t *)&As[cur][r + 8][c + 8];
            }
#pragma unroll
            for (int nt = 0; nt < 4; nt++) {
                int n = wn * 32 + nt * 8 + g;
                b[nt][0] = *(const uint32_t *)&Bs[cur][n][ks + t4 * 2];
                b[nt][1] = *(const uint32_t *)&Bs[cur][n][ks + t4 * 2 + 8];
            }
#pragma unroll
            for (int mt = 0; mt < 2; mt++)
#pragma unroll
                for (int nt = 0; nt < 4; nt++)
                    mma_16816(acc[mt][nt], a[mt], b[nt][0], b[nt][1]);
        }
        if (kt + 1 < kt1)
            stash(cur ^ 1);   /* the stage the previous step read: everyone is past it */
        __syncthreads();
    }

    if (S > 1) {
        /* split-K: every split leaves its partial sums (each thread its 32, contiguous); the
         * last block of the tile to arrive adds all of them in split order and finishes */
        __shared__ int last;
        const int tile = blockIdx.y * gridDim.x + blockIdx.x;
        float *af = &acc[0][0][0];
        float4 *mine = (float4 *)(p.part + (((int64_t)tile * S + z) * NT + tid) * 32);
#pragma unroll
        for (int i = 0; i < 8; i++)
            mine[i] = make_float4(af[4 * i], af[4 * i + 1], af[4 * i + 2], af[4 * i + 3]);
        __threadfence();
        __syncthreads();
        if (tid == 0)
            last = atomicAdd(&p.count[tile], 1u) == (unsigned)(S - 1);
        __syncthreads();
        if (!last)
            return;
        __threadfence();
#pragma unroll
        for (int i = 0; i < 32; i++)
            af[i] = 0.0f;
        for (int zz = 0; zz < S; zz++) {
            const float4 *q = (const float4 *)(p.part + (((int64_t)tile * S + zz) * NT + tid) * 32);
#pragma unroll
            for (int i = 0; i < 8; i++) {
                float4 v = __ldcg(&q[i]);   /* L2: other blocks wrote it */
                af[4 * i] += v.x;
                af[4 * i + 1] += v.y;
                af[4 * i + 2] += v.z;
                af[4 * i + 3] += v.w;
            }
        }
        if (tid == 0)
            p.count[tile] = 0;   /* ready for the next launch (a CUDA graph replays it) */
    }

    /* epilogue: bias, activation, the output's storage; pixel pairs (2t, 2t+1) are one
     * image's neighbours when the image has an even pixel count (pairs start even) */
    const int pairs = p.y_st == YOLO_CU_F16 && ohw % 2 == 0;
#pragma unroll
    for (int mt = 0; mt < 2; mt++) {
#pragma unroll
        for (int hi = 0; hi < 2; hi++) {
            int m = m0 + wm * 32 + mt * 16 + g + hi * 8;
            if (m >= p.m)
                continue;
            float bias = p.bias ? p.bias[m] : 0.0f;
#pragma unroll
            for (int nt = 0; nt < 4; nt++) {
                int pc = p0 + wn * 32 + nt * 8 + t4 * 2;
                if (pc >= p.npix)
                    continue;
                float v0 = act_apply(acc[mt][nt][hi * 2] + bias, p.act);
                float v1 = act_apply(acc[mt][nt][hi * 2 + 1] + bias, p.act);
                int img = pc / ohw, r = pc - img * ohw;
                int64_t yi = (int64_t)img * p.yn + (int64_t)m * ohw + r;
                if (pairs) {
                    *(__half2 *)((__half *)p.y + yi) = __floats2half2_rn(v0, v1);
                    continue;
                }
                st_f(p.y, p.y_st, yi, v0);
                if (pc + 1 < p.npix) {
                    int img1 = (pc + 1) / ohw, r1 = pc + 1 - img1 * ohw;
                    st_f(p.y, p.y_st, (int64_t)img1 * p.yn + (int64_t)m * ohw + r1, v1);
                }
            }
        }
    }
}

template <int WM, int WN>
static void launch(const struct yolo_cu_conv *p, cudaStream_t s)
{
    dim3 grid((unsigned)((p->npix + WN * 32 - 1) / (WN * 32)),
              (unsigned)((p->m + WM * 32 - 1) / (WM * 32)), (unsigned)(p->splits > 1 ? p->splits : 1));
    if (p->x_st == YOLO_CU_F16)
        yolo_cu_launch(conv_igemm_kernel<WM, WN, __half>, grid, WM * WN * 32, 0, s, *p);
    else
        yolo_cu_launch(conv_igemm_kernel<WM, WN, float>, grid, WM * WN * 32, 0, s, *p);
}

static const int tile_m[YOLO_CU_TILE_COUNT] = { 32, 32, 64, 64 };
static const int tile_n[YOLO_CU_TILE_COUNT] = { 128, 64, 128, 64 };

static int64_t blocks_of(const struct yolo_cu_conv *p, int t)
{
    return (int64_t)((p->npix + tile_n[t] - 1) / tile_n[t]) * ((p->m + tile_m[t] - 1) / tile_m[t]);
}

/* The largest tile that still gives every SM two blocks (32-row tiles for 32 channels or
 * fewer); when even the smallest tile cannot, K is split, keeping 4+ steps per split. */
extern "C" void yolo_cu_conv_plan(struct yolo_cu_conv *p, int32_t sms, int64_t *part_floats,
                                  int64_t *tiles)
{
    int64_t want = 2 * (int64_t)(sms > 0 ? sms : 1);
    int t;
    if (p->m <= 32)
        t = blocks_of(p, YOLO_CU_TILE_32x128) >= want ? YOLO_CU_TILE_32x128 : YOLO_CU_TILE_32x64;
    else if (blocks_of(p, YOLO_CU_TILE_64x128) >= want)
        t = YOLO_CU_TILE_64x128;
    else if (blocks_of(p, YOLO_CU_TILE_64x64) >= want)
        t = YOLO_CU_TILE_64x64;
    else
        t = YOLO_CU_TILE_32x64;
    int64_t nb = blocks_of(p, t), splits = 1;
    if (nb < want) {
        splits = (want + nb - 1) / nb;
        int64_t most = p->kpad / BK / 4;
        splits = splits > most ? most : splits;
        splits = splits > 16 ? 16 : splits < 1 ? 1 : splits;
    }
    p->tile = t;
    p->splits = (int32_t)splits;
    *tiles = nb;
    *part_floats = splits > 1 ? splits * nb * tile_m[t] * tile_n[t] : 0;
}

extern "C" int yolo_cu_conv_igemm(const struct yolo_cu_conv *pp, yolo_cu_stream st)
{
    if (pp->npix == 0 || pp->m == 0)
        return 0;
    struct yolo_cu_conv a = *pp;   /* yn 0: packed */
    const struct yolo_cu_conv *p = &a;
    if (!a.yn)
        a.yn = (int64_t)a.m * a.oh * a.ow;
    cudaStream_t s = (cudaStream_t)st;
    switch (p->tile) {
    case YOLO_CU_TILE_32x128: launch<1, 4>(p, s); break;
    case YOLO_CU_TILE_64x128: launch<2, 4>(p, s); break;
    case YOLO_CU_TILE_64x64:  launch<2, 2>(p, s); break;
    default:                  launch<1, 2>(p, s); break;
    }
    return yolo_cu_status();
}
