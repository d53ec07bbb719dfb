/* cuda/kernels_conv_nhwc.cu: FP16 convolution (groups 1) as an implicit GEMM over output
 * pixels, for channels-last (NHWC) activations: y[pixel][m] = act(sum over k of x[pixel's
 * tap][c] * w[m][k] + bias[m]), k = (ky * kw + kx) * c + c_in.
 *
 * Why: in NCHW every cuDNN convolution of an FP16 run pays two layout passes and our
 * epilogue pass around it (ncu, H100, yolov8n_dq batch 128: 4.6 of its 6.7 ms), and a
 * channel Concat or Split at batch > 1 is a copy. With the activations channels-last a tap
 * of 8 channels is one 16-byte piece, so the A operand (pixels x k) goes straight into shared
 * memory by cp.async with zero fill for the padding, the epilogue is fused, and a Concat part
 * is the whole's rows at a channel offset (the pixel stride is the whole's channel count):
 * the producers write into the concatenation and a Split's readers read inside it.
 *
 * Either operand may also be NCHW or FP32 (the stem reads the FP32 input image, the head's
 * last convolutions write the NCHW tensors the decode reads): then A is gathered one element
 * at a time and the output stored one element at a time, at the tensor's strides.
 *
 * Block: BM = 32 * WM pixels x BN = 32 * WN output channels, a warp per 32 x 32, K in steps
 * of 32 three stages deep; the weights are FP16 rows [m rounded up to 128][kpad] in this k
 * order, zeros beyond m and k. The activation is the fast form (act_fast): the products are
 * FP16-rounded anyway. */
#include "chain.cuh"
#include "device.cuh"
#include "mma.cuh"
#include "nhwc_tile_out.cuh"

#define NH_BK 32
#define NH_STAGES 3
#define NH_PITCH (NH_BK + 8)   /* halves: 80-byte rows, ldmatrix rows in distinct bank groups */

template <int WM, int WN> struct nh_shape {
    static constexpr int NT = WM * WN * 32, BM = WM * 32, BN = WN * 32;
    static constexpr int A_HALVES = BM * NH_PITCH, B_HALVES = BN * NH_PITCH;
    static constexpr int PIPE_BYTES = NH_STAGES * (A_HALVES + B_HALVES) * 2;
    static constexpr int CP = BN + 4;                  /* output tile pitch, floats */
    static constexpr int OUT_BYTES = BM * CP * 4;
    static constexpr int SMEM = PIPE_BYTES > OUT_BYTES ? PIPE_BYTES : OUT_BYTES;
};

/* XV: x is NHWC FP16 with 16-byte pieces (c % 8 == 0, strides and address aligned) */
template <int WM, int WN, bool XV>
__global__ void __launch_bounds__(WM * WN * 32) conv_nhwc_kernel(const struct yolo_cu_conv_nhwc p)
{
    using S = nh_shape<WM, WN>;
    constexpr int NT = S::NT, BM = S::BM, BN = S::BN;
    __shared__ __align__(16) uint8_t sm[S::SMEM];
    __half *as = (__half *)sm, *bs = (__half *)sm + NH_STAGES * S::A_HALVES;

    const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
    const int wm = warp % WM, wn = warp / WM;
    const int ohw = p.oh * p.ow, npix = p.n * ohw;
    const int p0 = blockIdx.x * BM, n0 = blockIdx.y * BN;
    const int K = p.kh * p.kw * p.c, KT = p.kpad / NH_BK;
    const __half *wt = (const __half *)p.wt;

    /* the A rows this thread loads: XV, rows tid / 4 + i * NT / 4, piece tid % 4; else row
     * tid % BM, k columns tid / BM + i * NT / BM. Their images and first taps, once: rbase
     * is the image's offset, plus (XV) that of the first tap's pixel, so that a k step adds
     * one offset common to the rows. */
    constexpr int RP = XV ? BM * 4 / NT : 1;
    int64_t rbase[RP];
    int iy0[RP], ix0[RP];
#pragma unroll
    for (int i = 0; i < RP; i++) {
        int r = XV ? (tid >> 2) + i * (NT / 4) : tid % BM, pix = p0 + r;
        int img = div_fast(pix, p.div_ohw), rem = pix - img * ohw;
        int oy = div_fast(rem, p.div_ow), ox = rem - oy * p.ow;
        iy0[i] = pix < npix ? oy * p.sh - p.ph : -(1 << 28);   /* never inside the image */
        ix0[i] = ox * p.sw - p.pw;
        rbase[i] = (int64_t)img * p.xn + (XV ? ((int64_t)iy0[i] * p.w + ix0[i]) * p.xp : 0);
    }

    auto load_b = [&](int kt, int s) {
#pragma unroll
        for (int j = tid; j < BN * (NH_BK / 8); j += NT) {
            int r = j >> 2, q = j & 3;
            cp_async16(smem_u32(bs + s * S::B_HALVES + r * NH_PITCH + q * 8),
                    wt + (int64_t)(n0 + r) * p.kpad + kt * NH_BK + q * 8, 16);
        }
    };
    auto load_a = [&](int kt, int s) {
        __half *dst = as + s * S::A_HALVES;
        if (XV) {
            const int q = tid & 3, kk = kt * NH_BK + q * 8;
            const int tap = div_fast(kk, p.div_c), ci = kk - tap * p.c;
            const int ky = div_fast(tap, p.div_kw), kx = tap - ky * p.kw;
            const int dy = ky * p.dh, dx = kx * p.dw;
            const int64_t off = ((int64_t)dy * p.w + dx) * p.xp + ci;
            const __half *x = (const __half *)p.x;
#pragma unroll
            for (int i = 0; i < RP; i++) {
                int r = (tid >> 2) + i * (NT / 4), iy = iy0[i] + dy, ix = ix0[i] + dx;
                bool in = kk < K && (unsigned)iy < (unsigned)p.h && (unsigned)ix < (unsigned)p.w;
                const __half *src = in ? x + rbase[i] + off : x;
                cp_async16_l1(smem_u32(dst + r * NH_PITCH + q * 8), src, in ? 16 : 0);
            }
        } else {
            const int r = tid % BM;
#pragma unroll 4
            for (int col = tid / BM; col < NH_BK; col += NT / BM) {
                int kk = kt * NH_BK + col;
                float v = 0.0f;
                if (kk < K) {
                    int tap = div_fast(kk, p.div_c), ci = kk - tap * p.c;
                    int ky = div_fast(tap, p.div_kw), kx = tap - ky * p.kw;
                    int iy = iy0[0] + ky * p.dh, ix = ix0[0] + kx * p.dw;
                    if (iy >= 0 && iy < p.h && ix >= 0 && ix < p.w)
                        v = ld_f(p.x, p.x_st, rbase[0] + (int64_t)ci * p.xc +
                                                  ((int64_t)iy * p.w + ix) * p.xp);
                }
                dst[r * NH_PITCH + col] = __float2half_rn(v);
            }
        }
    };

    /* the weights are never written by a kernel: their first stages load before the wait
     * for the previous kernel (chain.cuh), the activations after it */
#pragma unroll
    for (int s = 0; s < NH_STAGES - 1; s++)
        if (s < KT)
            load_b(s, s);
    yolo_cu_chain_enter();
#pragma unroll
    for (int s = 0; s < NH_STAGES - 1; s++) {
        if (s < KT)
            load_a(s, s);
        cp_commit();
    }

    float acc[2][4][4] = {};
    /* ldmatrix lanes: A (pixel rows, k contiguous) row lane % 16, k half lane / 16; B (output
     * channel rows, k contiguous: the mma's column-major B as it is) channel lane % 8 + 8 *
     * (lane / 16), k half lane / 8 % 2 */
    const int a_row = wm * 32 + (lane & 15), a_col = (lane >> 4) * 8;
    const int b_row = wn * 32 + (lane & 7) + ((lane >> 4) << 3), b_col = ((lane >> 3) & 1) * 8;
    for (int kt = 0; kt < KT; kt++) {
        cp_wait<NH_STAGES - 2>();
        __syncthreads();   /* stage kt landed for all; everyone is past stage kt - 1 */
        const int nk = kt + NH_STAGES - 1;
        if (nk < KT) {
            load_b(nk, nk % NH_STAGES);
            load_a(nk, nk % NH_STAGES);
        }
        cp_commit();
        const int s = kt % NH_STAGES;
        const uint32_t a_base = smem_u32(as + s * S::A_HALVES);
        const uint32_t b_base = smem_u32(bs + s * S::B_HALVES);
#pragma unroll
        for (int ks = 0; ks < NH_BK; ks += 16) {
            uint32_t a[2][4], b[4][2];
#pragma unroll
            for (int mt = 0; mt < 2; mt++)
                ldsm_x4(a[mt], a_base + ((a_row + mt * 16) * NH_PITCH + ks + a_col) * 2);
#pragma unroll
            for (int np = 0; np < 2; np++) {
                uint32_t r[4];
                ldsm_x4(r, b_base + ((b_row + np * 16) * NH_PITCH + ks + b_col) * 2);
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

    /* epilogue: bias and activation into an FP32 tile [pixel][channel], then out */
    float *cs = (float *)sm;
    nhwc_acc_to_tile<4, S::CP>(p, acc, cs, wm * 32, wn * 32, n0, lane);
    __syncthreads();
    nhwc_tile_store<BM, BN, S::CP, NT>(p, cs, n0, tid, [&](int r) -> int64_t {
        int pix = p0 + r;
        if (pix >= npix)
            return -1;
        int img = div_fast(pix, p.div_ohw);
        return (int64_t)img * p.yn + (int64_t)(pix - img * ohw) * p.yp;
    }, [&](int r) -> int64_t {
        int pix = p0 + r, img = div_fast(pix, p.div_ohw);
        return (int64_t)img * p.rn + (int64_t)(pix - img * ohw) * p.rp;
    });
}

/* Few input channels (the stem: 3, read from the FP32 NCHW image) at most 128 k values and 32
 * outputs: a thread per output pixel, every output channel in FP32 registers, the weights
 * (the same FP16 rows) in shared memory as floats, the input rounded to FP16 as it is read,
 * so each product is the tensor cores' (exact in FP32) and the sums FP32. */
#define NH_DIRECT_K 128
#define NH_DIRECT_M 32
template <int MT>
__global__ void __launch_bounds__(128) conv_direct_kernel(const struct yolo_cu_conv_nhwc p)
{
    __shared__ float ws[NH_DIRECT_K * MT], bs[MT];
    const int K = p.kh * p.kw * p.c;
    const __half *wt = (const __half *)p.wt;
    for (int i = threadIdx.x; i < K * MT; i += blockDim.x) {
        int k = i / MT, o = i - k * MT;
        ws[i] = o < p.m ? __half2float(wt[(int64_t)o * p.kpad + k]) : 0.0f;
    }
    for (int o = threadIdx.x; o < MT; o += blockDim.x)
        bs[o] = p.bias && o < p.m ? p.bias[o] : 0.0f;
    __syncthreads();
    yolo_cu_chain_enter();
    const int ohw = p.oh * p.ow, npix = p.n * ohw;
    for (int pix = blockIdx.x * blockDim.x + threadIdx.x; pix < npix;
         pix += gridDim.x * blockDim.x) {
        int img = div_fast(pix, p.div_ohw), rem = pix - img * ohw;
        int oy = div_fast(rem, p.div_ow), ox = rem - oy * p.ow;
        float acc[MT];
#pragma unroll
        for (int o = 0; o < MT; o++)
            acc[o] = bs[o];
        int64_t xb = (int64_t)img * p.xn;
        int k = 0;
        for (int ky = 0; ky < p.kh; ky++) {
            int iy = oy * p.sh - p.ph + ky * p.dh;
            for (int kx = 0; kx < p.kw; kx++, k += p.c) {
                int ix = ox * p.sw - p.pw + kx * p.dw;
                if (iy < 0 || iy >= p.h || ix < 0 || ix >= p.w)
                    continue;
                int64_t at = xb + ((int64_t)iy * p.w + ix) * p.xp;
                for (int ci = 0; ci < p.c; ci++) {
                    float v = __half2float(__float2half_rn(ld_f(p.x, p.x_st, at + ci * p.xc)));
                    const float *wk = ws + (k + ci) * MT;
#pragma unroll
                    for (int o = 0; o < MT; o++)
                        acc[o] = fmaf(v, wk[o], acc[o]);
                }
            }
        }
        if (p.y_vec) {
            __half *y = (__half *)p.y + (int64_t)img * p.yn + (int64_t)rem * p.yp;
#pragma unroll
            for (int o = 0; o < MT; o += 8) {
                if (o >= p.m)
                    break;
                __half2 h[4];
#pragma unroll
                for (int q = 0; q < 4; q++)
                    h[q] = __floats2half2_rn(act_fast(acc[o + 2 * q], p.act),
                                             act_fast(acc[o + 2 * q + 1], p.act));
                *(uint4 *)(y + o) = *(const uint4 *)h;
            }
        } else {
            int64_t y0 = (int64_t)img * p.yn + (int64_t)rem * p.yp;
#pragma unroll
            for (int o = 0; o < MT; o++)
                if (o < p.m)
                    st_f(p.y, p.y_st, y0 + (int64_t)o * p.yc, act_fast(acc[o], p.act));
        }
    }
}

/* Whether the direct kernel runs p: few input channels (no 16-byte pieces), small K and m */
static bool nh_direct(const struct yolo_cu_conv_nhwc *p)
{
    return p->c % 8 != 0 && p->kh * p->kw * p->c <= NH_DIRECT_K && p->m <= NH_DIRECT_M;
}

static int64_t nh_blocks(const struct yolo_cu_conv_nhwc *p, int bm, int bn)
{
    int64_t npix = (int64_t)p->n * p->oh * p->ow;
    return ((npix + bm - 1) / bm) * ((p->m + bn - 1) / bn);
}

/* Whether the output leaves in 16-byte stores: y channels-last FP16 with 8-channel rows, and
 * a residual, if any, read the same way */
int yolo_cu_conv_nhwc_y_vec(const struct yolo_cu_conv_nhwc *a)
{
    return a->y_st == YOLO_CU_F16 && a->yc == 1 && a->m % 8 == 0 && a->yp % 8 == 0 &&
           a->yn % 8 == 0 && ((uintptr_t)a->y & 15) == 0 &&
           (!a->res || (a->rp % 8 == 0 && a->rn % 8 == 0 && ((uintptr_t)a->res & 15) == 0));
}

extern "C" int yolo_cu_conv_nhwc_ok(const struct yolo_cu_conv_nhwc *p)
{
    int64_t npix = (int64_t)p->n * p->oh * p->ow;
    int64_t k = (int64_t)p->kh * p->kw * p->c;
    return p->n > 0 && p->c > 0 && p->m > 0 && p->h > 0 && p->w > 0 && p->oh > 0 && p->ow > 0 &&
           npix < INT32_MAX / 2 && k < INT32_MAX / 2 && p->kpad % NH_BK == 0 && p->kpad >= k &&
           (p->x_st == YOLO_CU_F16 || p->x_st == YOLO_CU_F32) &&
           (p->y_st == YOLO_CU_F16 || p->y_st == YOLO_CU_F32) &&
           (int64_t)p->h * p->w < INT32_MAX / 2 && (p->m + 31) / 32 <= 65535 &&
           (npix + 63) / 64 < INT32_MAX;
}

/* 128-pixel tiles while they still give every SM two blocks, else 64; 64 output channels a
 * block unless 32 computes fewer padding channels (m <= 32, or 80: 96 against 128) */
extern "C" void yolo_cu_conv_nhwc_plan(struct yolo_cu_conv_nhwc *p, int32_t sms)
{
    p->bn = (p->m + 31) / 32 * 32 < (p->m + 63) / 64 * 64 ? 32 : 64;
    p->bm = nh_blocks(p, 128, p->bn) >= 2 * (int64_t)(sms > 0 ? sms : 1) ? 128 : 64;
    p->sms = sms;
}

template <int WM, int WN> static void nh_launch(const struct yolo_cu_conv_nhwc *p, bool xv,
                                                cudaStream_t s)
{
    constexpr int BM = WM * 32, BN = WN * 32;
    int64_t npix = (int64_t)p->n * p->oh * p->ow;
    dim3 grid((unsigned)((npix + BM - 1) / BM), (unsigned)((p->m + BN - 1) / BN));
    if (xv)
        yolo_cu_launch(conv_nhwc_kernel<WM, WN, true>, grid, WM * WN * 32, 0, s, *p);
    else
        yolo_cu_launch(conv_nhwc_kernel<WM, WN, false>, grid, WM * WN * 32, 0, s, *p);
}

extern "C" int yolo_cu_conv_nhwc(const struct yolo_cu_conv_nhwc *pp, yolo_cu_stream st)
{
    struct yolo_cu_conv_nhwc a = *pp;
    if (!yolo_cu_conv_nhwc_ok(&a) || ((uintptr_t)a.wt & 15) || (a.bm != 64 && a.bm != 128) ||
        (a.bn != 32 && a.bn != 64))
        return (int)cudaErrorInvalidValue;
    bool xv = a.x_st == YOLO_CU_F16 && a.xc == 1 && a.c % 8 == 0 && a.xp % 8 == 0 &&
              a.xn % 8 == 0 && ((uintptr_t)a.x & 15) == 0;
    a.y_vec = yolo_cu_conv_nhwc_y_vec(&a);
    if (a.res && nh_direct(&a))
        return (int)cudaErrorInvalidValue;   /* the direct kernel adds no residual */
    a.div_ohw = yolo_cu_div_make((uint32_t)(a.oh * a.ow));
    a.div_ow = yolo_cu_div_make((uint32_t)a.ow);
    a.div_c = yolo_cu_div_make((uint32_t)a.c);
    a.div_kw = yolo_cu_div_make((uint32_t)a.kw);
    cudaStream_t s = (cudaStream_t)st;
    if (a.patch && yolo_cu_conv_patch_ok(&a))
        return yolo_cu_conv_patch(&a, st);
    if (nh_direct(&a)) {
        int64_t npix = (int64_t)a.n * a.oh * a.ow, blocks = (npix + 127) / 128;
        blocks = blocks < 65535LL * 16 ? blocks : 65535LL * 16;
        if (a.m <= 16)
            yolo_cu_launch(conv_direct_kernel<16>, (unsigned)blocks, 128, 0, s, a);
        else
            yolo_cu_launch(conv_direct_kernel<32>, (unsigned)blocks, 128, 0, s, a);
        return yolo_cu_status();
    }
    if (a.bm == 128 && a.bn == 64)
        nh_launch<4, 2>(&a, xv, s);
    else if (a.bm == 128)
        nh_launch<4, 1>(&a, xv, s);
    else if (a.bn == 64)
        nh_launch<2, 2>(&a, xv, s);
    else
        nh_launch<2, 1>(&a, xv, s);
    return yolo_cu_status();
}

/* wt[o][(ky * kw + kx) * c + ci] = w32[o][ci][ky][kx] as FP16; the rest of wt as it was */
__global__ void nhwc_weights_kernel(const float *w32, __half *wt, int32_t m, int32_t c,
                                    int32_t kh, int32_t kw, int32_t kpad)
{
    int64_t k = (int64_t)c * kh * kw, total = (int64_t)m * k;
    YOLO_CU_FOR(i, total) {
        int64_t o = i / k, r = i - o * k;
        int64_t ci = r / (kh * kw), t = r - ci * (kh * kw);
        wt[o * kpad + t * c + ci] = __float2half_rn(w32[i]);
    }
}

extern "C" int yolo_cu_conv_nhwc_weights(const struct yolo_cu_conv_nhwc *p, const float *w32,
                                         void *wt, yolo_cu_stream s)
{
    int64_t total = (int64_t)p->m * p->c * p->kh * p->kw;
    if (total == 0)
        return 0;
    nhwc_weights_kernel<<<yolo_cu_blocks(total), YOLO_CU_THREADS, 0, (cudaStream_t)s>>>(
        w32, (__half *)wt, p->m, p->c, p->kh, p->kw, p->kpad);
    return yolo_cu_status();
}
