/* cuda/kernels_conv_pw.cu: FP16 pointwise (1x1, stride 1, no padding) convolution on NCHW
 * tensors as one GEMM per image, y[n] (m x hw) = w (m x c) * x[n] (c x hw), with the
 * epilogue (bias, activation, output storage) fused.
 *
 * Why its own kernel: half of a YOLO's convolutions are 1x1. In NCHW each input channel of an
 * image is one contiguous row of hw pixels, so the B operand needs no gather: 16-byte
 * cp.async copies put 32 channels x BN pixels straight into shared memory, three stages deep,
 * and ldmatrix.trans turns them into mma fragments. The implicit GEMM (kernels_conv.cu)
 * gathers the same operand one 2-byte load per element through its k table, and cuDNN on
 * NCHW FP16 adds layout passes and a separate epilogue pass; measured on an H200 (yolov8n,
 * batch 128) both ran these layers at a quarter of the memory bandwidth they need.
 *
 * Block: BM = 64 output channels (32 when the layer has no more: a 64-row tile would compute
 * as many rows of zeros) x BN = 64 or 128 pixels of one image, warps of 32 x 32. The
 * activation is the fast form (act_fast), since the output is FP16-computed anyway. The
 * weights are the implicit GEMM's FP16 rows ([m rounded up to 128][kpad], zeros beyond m and
 * c), so the K tail multiplies zeros by the zero-filled rows past c. The output tile goes
 * through shared memory so that it leaves in 16-byte stores along the pixel rows. */
#include "chain.cuh"
#include "device.cuh"
#include "mma.cuh"

#define PW_BK 32
#define PW_STAGES 3
#define PW_APITCH (PW_BK + 8)   /* halves: 80-byte rows, 8 ldmatrix rows in 8 bank groups */

template <int WM, int WN> struct pw_shape {
    static constexpr int NT = WM * WN * 32, BM = WM * 32, BN = WN * 32, BP = BN + 8;
    static constexpr int A_HALVES = BM * PW_APITCH, B_HALVES = PW_BK * BP;
    static constexpr int PIPE_BYTES = PW_STAGES * (A_HALVES + B_HALVES) * 2;
    static constexpr int CP = BN + 4;                  /* output tile pitch, floats */
    static constexpr int OUT_BYTES = BM * CP * 4;
    static constexpr int SMEM = PIPE_BYTES > OUT_BYTES ? PIPE_BYTES : OUT_BYTES;
};

template <int WM, int WN>
__global__ void __launch_bounds__(WM * WN * 32) conv_pw_kernel(const struct yolo_cu_conv_pw p)
{
    using S = pw_shape<WM, WN>;
    constexpr int NT = S::NT, BM = S::BM, BN = S::BN, BP = S::BP;
    __shared__ __align__(16) uint8_t sm[S::SMEM];
    __half *as = (__half *)sm, *bs = (__half *)sm + PW_STAGES * S::A_HALVES;

    const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
    const int wm = warp % WM, wn = warp / WM;
    const int tiles = (p.hw + BN - 1) / BN;
    const int img = blockIdx.x / tiles, p0 = (blockIdx.x - img * tiles) * BN;
    const int m0 = blockIdx.y * BM, KT = p.kpad / PW_BK;
    const __half *wt = (const __half *)p.wt;
    const __half *xb = (const __half *)p.x + (int64_t)img * p.xn;

    auto load_a = [&](int kt, int s) {
#pragma unroll
        for (int j = tid; j < BM * (PW_BK / 8); j += NT) {
            int r = j / (PW_BK / 8), q = j % (PW_BK / 8);
            cp_async16(smem_u32(as + s * S::A_HALVES + r * PW_APITCH + q * 8),
                       wt + (int64_t)(m0 + r) * p.kpad + kt * PW_BK + q * 8, 16);
        }
    };
    auto load_b = [&](int kt, int s) {
        constexpr int CPR = BN / 8;   /* 16-byte pieces per channel row */
#pragma unroll
        for (int j = tid; j < PW_BK * CPR; j += NT) {
            int r = j / CPR, q = j % CPR, ch = kt * PW_BK + r, px = p0 + q * 8;
            bool in = ch < p.c && px < p.hw;   /* hw % 8 == 0: a piece is all in or all out */
            cp_async16(smem_u32(bs + s * S::B_HALVES + r * BP + q * 8),
                       in ? xb + (int64_t)ch * p.hw + px : xb, in ? 16 : 0);
        }
    };

    /* the weights are never written by a kernel: their first stages load before the wait
     * for the previous kernel (chain.cuh), the activations after it */
#pragma unroll
    for (int s = 0; s < PW_STAGES - 1; s++)
        if (s < KT)
            load_a(s, s);
    yolo_cu_chain_enter();
#pragma unroll
    for (int s = 0; s < PW_STAGES - 1; s++) {
        if (s < KT)
            load_b(s, s);
        cp_commit();
    }

    float acc[2][4][4] = {};

    /* ldmatrix lanes: A rows lane % 16, k half lane / 16; B (k rows, pixels contiguous, read
     * transposed) k row (lane / 8 % 2) * 8 + lane % 8, pixel half lane / 16 */
    const int a_row = wm * 32 + (lane & 15), a_col = (lane >> 4) * 8;
    const int b_row = ((lane >> 3) & 1) * 8 + (lane & 7), b_col = wn * 32 + (lane >> 4) * 8;
    for (int kt = 0; kt < KT; kt++) {
        cp_wait<PW_STAGES - 2>();
        __syncthreads();   /* stage kt landed for all; everyone is past stage kt - 1 */
        const int nk = kt + PW_STAGES - 1;
        if (nk < KT) {
            load_a(nk, nk % PW_STAGES);
            load_b(nk, nk % PW_STAGES);
        }
        cp_commit();
        const int s = kt % PW_STAGES;
        const uint32_t a_base = smem_u32(as + s * S::A_HALVES);
        const uint32_t b_base = smem_u32(bs + s * S::B_HALVES);
#pragma unroll
        for (int ks = 0; ks < PW_BK; ks += 16) {
            uint32_t a[2][4], b[4][2];
#pragma unroll
            for (int mt = 0; mt < 2; mt++)
                ldsm_x4(a[mt], a_base + ((a_row + mt * 16) * PW_APITCH + ks + a_col) * 2);
#pragma unroll
            for (int np = 0; np < 2; np++) {
                uint32_t r[4];
                ldsm_x4_trans(r, b_base + ((ks + b_row) * BP + b_col + np * 16) * 2);
                b[2 * np][0] = r[0];
                b[2 * np][1] = r[1];
                b[2 * np + 1][0] = r[2];
                b[2 * np + 1][1] = r[3];
            }
#pragma unroll
            for (int mt = 0; mt < 2; mt++)
#pragma unroll
                for (int nt = 0; nt < 4; nt++)
                    mma_16816(acc[mt][nt], a[mt], b[nt][0], b[nt][1]);
        }
    }
    cp_wait<0>();
    __syncthreads();   /* the pipeline's shared memory becomes the output tile */

    /* epilogue: bias and activation into an FP32 tile [BM][CP], then 16-byte stores */
    float *cs = (float *)sm;
    const int g = lane >> 2, t4 = lane & 3;
#pragma unroll
    for (int mt = 0; mt < 2; mt++)
#pragma unroll
        for (int hi = 0; hi < 2; hi++) {
            int r = wm * 32 + mt * 16 + g + hi * 8, m = m0 + r;
            float bias = p.bias && m < p.m ? p.bias[m] : 0.0f;
#pragma unroll
            for (int nt = 0; nt < 4; nt++) {
                int col = wn * 32 + nt * 8 + t4 * 2;
                *(float2 *)&cs[r * S::CP + col] =
                    make_float2(act_fast(acc[mt][nt][hi * 2] + bias, p.act),
                                act_fast(acc[mt][nt][hi * 2 + 1] + bias, p.act));
            }
        }
    __syncthreads();
    constexpr int CPR = BN / 8;
#pragma unroll
    for (int j = tid; j < BM * CPR; j += NT) {
        int r = j / CPR, q = j % CPR, m = m0 + r, px = p0 + q * 8;
        if (m >= p.m || px >= p.hw)
            continue;
        const float4 lo = *(const float4 *)&cs[r * S::CP + q * 8];
        const float4 hi = *(const float4 *)&cs[r * S::CP + q * 8 + 4];
        int64_t yi = (int64_t)img * p.yn + (int64_t)m * p.hw + px;
        if (p.y_st == YOLO_CU_F16) {
            __half2 h0 = __floats2half2_rn(lo.x, lo.y), h1 = __floats2half2_rn(lo.z, lo.w);
            __half2 h2 = __floats2half2_rn(hi.x, hi.y), h3 = __floats2half2_rn(hi.z, hi.w);
            *(uint4 *)((__half *)p.y + yi) = make_uint4(*(uint32_t *)&h0, *(uint32_t *)&h1,
                                                        *(uint32_t *)&h2, *(uint32_t *)&h3);
        } else {
            *(float4 *)((float *)p.y + yi) = lo;
            *(float4 *)((float *)p.y + yi + 4) = hi;
        }
    }
}

static int pw_bm(const struct yolo_cu_conv_pw *p)
{
    return p->m <= 32 ? 32 : 64;
}

static int64_t pw_blocks(const struct yolo_cu_conv_pw *p, int bn)
{
    return (int64_t)p->n * ((p->hw + bn - 1) / bn) * ((p->m + pw_bm(p) - 1) / pw_bm(p));
}

extern "C" int yolo_cu_conv_pw_ok(const struct yolo_cu_conv_pw *p)
{
    return p->n > 0 && p->hw > 0 && p->hw % 8 == 0 && p->c > 0 && p->m > 0 &&
           p->kpad % PW_BK == 0 && p->kpad >= p->c && (int64_t)p->c * p->hw < INT32_MAX &&
           (p->y_st == YOLO_CU_F16 || p->y_st == YOLO_CU_F32) &&
           pw_blocks(p, 64) / ((p->m + pw_bm(p) - 1) / pw_bm(p)) < INT32_MAX &&
           (p->m + 63) / 64 <= 65535;
}

/* BM x 128 tiles when they still give every SM two blocks, else BM x 64 */
extern "C" void yolo_cu_conv_pw_plan(struct yolo_cu_conv_pw *p, int32_t sms)
{
    p->wide = pw_blocks(p, 128) >= 2 * (int64_t)(sms > 0 ? sms : 1);
}

template <int WM, int WN> static void pw_launch(const struct yolo_cu_conv_pw *p, cudaStream_t s)
{
    constexpr int BN = WN * 32, BM = WM * 32;
    dim3 grid((unsigned)((int64_t)p->n * ((p->hw + BN - 1) / BN)),
              (unsigned)((p->m + BM - 1) / BM));
    yolo_cu_launch(conv_pw_kernel<WM, WN>, grid, WM * WN * 32, 0, s, *p);
}

extern "C" int yolo_cu_conv_pw(const struct yolo_cu_conv_pw *pp, yolo_cu_stream st)
{
    struct yolo_cu_conv_pw a = *pp;   /* image strides 0: packed */
    const struct yolo_cu_conv_pw *p = &a;
    if (!a.xn)
        a.xn = (int64_t)a.c * a.hw;
    if (!a.yn)
        a.yn = (int64_t)a.m * a.hw;
    /* 16-byte rows: every image's start aligned as the first one's */
    if (!yolo_cu_conv_pw_ok(p) || ((uintptr_t)p->x | (uintptr_t)p->y | (uintptr_t)p->wt) & 15 ||
        a.xn % 8 || a.yn % 8)
        return (int)cudaErrorInvalidValue;
    if (pw_bm(p) == 32 && p->wide)
        pw_launch<1, 4>(p, (cudaStream_t)st);
    else if (pw_bm(p) == 32)
        pw_launch<1, 2>(p, (cudaStream_t)st);
    else if (p->wide)
        pw_launch<2, 4>(p, (cudaStream_t)st);
    else
        pw_launch<2, 2>(p, (cudaStream_t)st);
    return yolo_cu_status();
}
