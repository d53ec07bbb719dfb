/* cuda/kernels_conv_patch.cu: FP16 3x3 convolution, stride 1 or 2, padding 1, on
 * channels-last activations, from an input patch staged once in shared memory.
 *
 * Why: the implicit GEMM (kernels_conv_nhwc.cu) gathers its A operand tap by tap, so every
 * input pixel goes from L1 to shared memory nine times and every 16-byte piece costs the
 * index arithmetic of its tap; with few channels (16, 32: YOLO's first stages, where most of
 * the pixels are) that, not the products, is the kernel's time. Here a block computes an
 * 8 x 16 tile of output pixels: it stages the input pixels under it (10 x 18 at stride 1,
 * 17 x 33 at stride 2), CC channels at a time, once, and each tap's A fragments are ldmatrix
 * rows of that patch shifted by the tap: 16 consecutive output pixels of a row read 16
 * consecutive patch pixels (at stride 2 the patch's even columns are stored first, then its
 * odd ones, so they are consecutive there too, and in distinct banks). The weights
 * of those CC channels for the block's output channels are staged beside it; the next CC
 * channels load while these compute (two stages).
 *
 * The input must be NHWC FP16 with 16-byte pieces (c % 16 == 0; rows of a wider whole are
 * fine: the pixel stride is p.xp); the output goes out as the implicit GEMM's does (any
 * layout, FP16 or FP32). The weights are the implicit GEMM's rows ([m rounded up to 128]
 * [kpad], k = tap * c + channel). Block: 4 x WN warps, each 2 output rows (32 pixels) x WNT
 * output channels. */
#include "chain.cuh"
#include "device.cuh"
#include "mma.cuh"
#include "nhwc_tile_out.cuh"

#define PT_TH 8                   /* output rows of a tile */
#define PT_TW 16                  /* output columns */

template <int S, int CC, int WN, int WNT> struct pt_shape {
    static constexpr int NT = 4 * WN * 32, BM = PT_TH * PT_TW, BN = WN * WNT;
    static constexpr int PH = S * (PT_TH - 1) + 3, PW = S * (PT_TW - 1) + 3;   /* the patch */
    static constexpr int PWS = (PW + S - 1) / S;  /* its columns of one parity (stride 2) */
    static constexpr int PP = CC + 8;           /* patch pixel pitch, halves: 48 or 80 bytes,
                                                   so 8 ldmatrix rows hit distinct banks */
    static constexpr int WP = 9 * CC + 8;       /* weight row pitch, halves (the same reason) */
    static constexpr int PATCH = PH * S * PWS * PP, WTS = BN * WP;
    static constexpr int STAGE = PATCH + WTS;   /* halves */
    static constexpr int CP = BN + 4;           /* output tile pitch, floats */
    static constexpr int PIPE_BYTES = 2 * STAGE * 2, OUT_BYTES = BM * CP * 4;
    static constexpr int SMEM = PIPE_BYTES > OUT_BYTES ? PIPE_BYTES : OUT_BYTES;
};

template <int ST, int CC, int WN, int WNT>
__global__ void __launch_bounds__(4 * WN * 32) conv_patch_kernel(const struct yolo_cu_conv_nhwc p)
{
    using S = pt_shape<ST, CC, WN, WNT>;
    constexpr int NT = S::NT, NF = WNT / 8, PIECES = CC / 8;
    extern __shared__ __align__(16) uint8_t sm[];
    __half *stage0 = (__half *)sm;

    const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
    const int wm = warp & 3, wn = warp >> 2;
    const int tiles_x = (p.ow + PT_TW - 1) / PT_TW, tiles_y = (p.oh + PT_TH - 1) / PT_TH;
    int b = blockIdx.x;
    const int tx = b % tiles_x;
    b /= tiles_x;
    const int ty = b % tiles_y, img = b / tiles_y;
    const int oy0 = ty * PT_TH, ox0 = tx * PT_TW, n0 = blockIdx.y * S::BN;
    const int iy0 = oy0 * ST - 1, ix0 = ox0 * ST - 1;   /* the patch's corner in the input */
    const int chunks = p.c / CC;
    const __half *x = (const __half *)p.x + (int64_t)img * p.xn;
    const __half *wt = (const __half *)p.wt;

    auto load_w = [&](int ch, int s) {
        __half *dst = stage0 + s * S::STAGE + S::PATCH;
#pragma unroll 2
        for (int j = tid; j < S::BN * 9 * PIECES; j += NT) {
            int r = j / (9 * PIECES), rem = j - r * (9 * PIECES);
            int tap = rem / PIECES, q = rem - tap * PIECES;
            cp_async16(smem_u32(dst + r * S::WP + tap * CC + q * 8),
                       wt + (int64_t)(n0 + r) * p.kpad + tap * p.c + ch * CC + q * 8, 16);
        }
    };
    auto load_patch = [&](int ch, int s) {
        __half *dst = stage0 + s * S::STAGE;
#pragma unroll 2
        for (int j = tid; j < S::PH * S::PW * PIECES; j += NT) {
            int pix = j / PIECES, q = j - pix * PIECES;
            int py = pix / S::PW, px = pix - py * S::PW;
            int iy = iy0 + py, ix = ix0 + px;
            bool in = iy >= 0 && iy < p.h && ix >= 0 && ix < p.w;
            const __half *src = in ? x + ((int64_t)iy * p.w + ix) * p.xp + ch * CC + q * 8 : x;
            int at = py * (ST * S::PWS) + (px % ST) * S::PWS + px / ST;
            cp_async16(smem_u32(dst + at * S::PP + q * 8), src, in ? 16 : 0);
        }
    };

    /* the weights are never written by a kernel: load them before the wait (chain.cuh) */
    load_w(0, 0);
    yolo_cu_chain_enter();
    load_patch(0, 0);
    cp_commit();

    float acc[2][NF][4] = {};
    /* ldmatrix lanes as in kernels_conv_nhwc.cu: A rows lane % 16 (16 output pixels of one
     * row), k half lane / 16; B channel lane % 8 + 8 * (lane / 16), k half lane / 8 % 2 */
    const int a_px = lane & 15, a_k = (lane >> 4) * 8;
    const int b_row = wn * WNT + (lane & 7) + ((lane >> 4) << 3), b_k = ((lane >> 3) & 1) * 8;
    for (int ch = 0; ch < chunks; ch++) {
        if (ch + 1 < chunks) {
            load_w(ch + 1, (ch + 1) & 1);
            load_patch(ch + 1, (ch + 1) & 1);
            cp_commit();
            cp_wait<1>();
        } else {
            cp_wait<0>();
        }
        __syncthreads();
        const uint32_t pbase = smem_u32(stage0 + (ch & 1) * S::STAGE);
        const uint32_t wbase = pbase + S::PATCH * 2;
#pragma unroll
        for (int tap = 0; tap < 9; tap++) {
            const int dy = tap / 3, dx = tap % 3, dcol = (dx % ST) * S::PWS + dx / ST;
#pragma unroll
            for (int kc = 0; kc < CC; kc += 16) {
                uint32_t a[2][4], bf[NF][2];
#pragma unroll
                for (int mt = 0; mt < 2; mt++) {
                    int prow = (wm * 2 + mt) * ST + dy;
                    ldsm_x4(a[mt], pbase + ((prow * ST * S::PWS + a_px + dcol) * S::PP + kc +
                                            a_k) * 2);
                }
#pragma unroll
                for (int np = 0; np < NF / 2; np++) {
                    uint32_t r[4];
                    ldsm_x4(r, wbase + ((b_row + np * 16) * S::WP + tap * CC + kc + b_k) * 2);
                    bf[2 * np][0] = r[0];
                    bf[2 * np][1] = r[1];
                    bf[2 * np + 1][0] = r[2];
                    bf[2 * np + 1][1] = r[3];
                }
#pragma unroll
                for (int mt = 0; mt < 2; mt++)
#pragma unroll
                    for (int nt = 0; nt < NF; nt++)
                        mma_16816(acc[mt][nt], a[mt], bf[nt][0], bf[nt][1]);
            }
        }
        __syncthreads();   /* everyone is done with this stage before it is loaded again */
    }

    float *cs = (float *)sm;   /* the pipeline's shared memory becomes the output tile */
    nhwc_acc_to_tile<NF, S::CP>(p, acc, cs, wm * 32, wn * WNT, n0, lane);
    __syncthreads();
    nhwc_tile_store<S::BM, S::BN, S::CP, NT>(p, cs, n0, tid, [&](int r) -> int64_t {
        int oy = oy0 + r / PT_TW, ox = ox0 + r % PT_TW;
        if (oy >= p.oh || ox >= p.ow)
            return -1;
        return (int64_t)img * p.yn + ((int64_t)oy * p.ow + ox) * p.yp;
    });
}

extern "C" int yolo_cu_conv_patch_ok(const struct yolo_cu_conv_nhwc *p)
{
    return yolo_cu_conv_nhwc_ok(p) && p->kh == 3 && p->kw == 3 && p->sh == p->sw &&
           (p->sh == 1 || p->sh == 2) && p->ph == 1 && p->pw == 1 && p->dh == 1 && p->dw == 1 &&
           p->oh == (p->h - 1) / p->sh + 1 && p->ow == (p->w - 1) / p->sw + 1 &&
           p->c % 16 == 0 && p->x_st == YOLO_CU_F16 && p->xc == 1 &&
           p->xp % 8 == 0 && p->xn % 8 == 0 && ((uintptr_t)p->x & 15) == 0 &&
           ((uintptr_t)p->wt & 15) == 0 && p->kpad % 8 == 0 &&
           (int64_t)p->n * ((p->oh + PT_TH - 1) / PT_TH) * ((p->ow + PT_TW - 1) / PT_TW) <
               INT32_MAX;
}

template <int ST, int CC, int WN, int WNT>
static void pt_launch(const struct yolo_cu_conv_nhwc *p, cudaStream_t s)
{
    using S = pt_shape<ST, CC, WN, WNT>;
    int64_t tiles = (int64_t)p->n * ((p->oh + PT_TH - 1) / PT_TH) * ((p->ow + PT_TW - 1) / PT_TW);
    dim3 grid((unsigned)tiles, (unsigned)((p->m + S::BN - 1) / S::BN));
    yolo_cu_launch(conv_patch_kernel<ST, CC, WN, WNT>, grid, S::NT, (size_t)S::SMEM, s, *p);
}

/* the stage's channels: 32 where c allows at stride 1, else 16 (a stride-2 patch of 32
 * channels would need 46 KB a stage) */
template <int ST, int WN, int WNT>
static void pt_launch_c(const struct yolo_cu_conv_nhwc *p, cudaStream_t s)
{
    if (ST == 1 && p->c % 32 == 0)
        pt_launch<ST, 32, WN, WNT>(p, s);
    else
        pt_launch<ST, 16, WN, WNT>(p, s);
}

/* Output channels a block: 64 where m is a multiple of 64, else 32 where 16 would re-read
 * the patch more often than 32 pads (m a multiple of 32, or over 64), else 16. */
enum { PT_BN16, PT_BN32, PT_BN64 };
static int pt_bn(int32_t m)
{
    return m % 64 == 0 ? PT_BN64 : m % 32 == 0 || m > 64 ? PT_BN32 : PT_BN16;
}

template <int ST, int WN, int WNT> static int pt_smem_c(int32_t c)
{
    return ST == 1 && c % 32 == 0 ? pt_shape<ST, 32, WN, WNT>::SMEM
                                  : pt_shape<ST, 16, WN, WNT>::SMEM;
}

template <int ST> static int pt_smem(int32_t c, int32_t m)
{
    switch (pt_bn(m)) {
    case PT_BN64: return pt_smem_c<ST, 2, 32>(c);
    case PT_BN32: return pt_smem_c<ST, 1, 32>(c);
    default:      return pt_smem_c<ST, 1, 16>(c);
    }
}

extern "C" int yolo_cu_conv_patch_smem(int32_t c, int32_t m, int32_t stride)
{
    return stride == 2 ? pt_smem<2>(c, m) : pt_smem<1>(c, m);
}

template <int ST> static void pt_launch_s(const struct yolo_cu_conv_nhwc *p, cudaStream_t s)
{
    switch (pt_bn(p->m)) {
    case PT_BN64: pt_launch_c<ST, 2, 32>(p, s); break;
    case PT_BN32: pt_launch_c<ST, 1, 32>(p, s); break;
    default:      pt_launch_c<ST, 1, 16>(p, s); break;
    }
}

extern "C" int yolo_cu_conv_patch(const struct yolo_cu_conv_nhwc *pp, yolo_cu_stream st)
{
    struct yolo_cu_conv_nhwc a = *pp;
    if (!yolo_cu_conv_patch_ok(&a))
        return (int)cudaErrorInvalidValue;
    a.y_vec = a.y_st == YOLO_CU_F16 && a.yc == 1 && a.m % 8 == 0 && a.yp % 8 == 0 &&
              a.yn % 8 == 0 && ((uintptr_t)a.y & 15) == 0;
    if (a.sh == 2)
        pt_launch_s<2>(&a, (cudaStream_t)st);
    else
        pt_launch_s<1>(&a, (cudaStream_t)st);
    return yolo_cu_status();
}
