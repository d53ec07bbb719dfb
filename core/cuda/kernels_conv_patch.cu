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
#include <stdlib.h>
#include <string.h>

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

/* The block's output tile: tile t of the grid (columns fastest, then rows, then images) */
struct pt_tile { int img, oy0, ox0; };
__device__ __forceinline__ pt_tile pt_tile_at(const struct yolo_cu_conv_nhwc &p, int t)
{
    const int by = div_fast(t, p.div_tx), tx = t - by * (int)p.div_tx.d;
    const int img = div_fast(by, p.div_ty), ty = by - img * (int)p.div_ty.d;
    return { img, ty * PT_TH, tx * PT_TW };
}

/* The weights of input channels [ch * CC, ch * CC + CC) for the block's BN output channels
 * from n0, into dst ([BN][WP], k = tap * CC + channel) */
template <typename S, int CC>
__device__ __forceinline__ void pt_load_w(const struct yolo_cu_conv_nhwc &p, __half *dst, int n0,
                                          int ch, int tid)
{
    constexpr int PIECES = CC / 8;
    const __half *wt = (const __half *)p.wt;
#pragma unroll 2
    for (int j = tid; j < S::BN * 9 * PIECES; j += S::NT) {
        int r = j / (9 * PIECES), rem = j - r * (9 * PIECES);
        int tap = rem / PIECES, q = rem - tap * PIECES;
        cp_async16(smem_u32(dst + r * S::WP + tap * CC + q * 8),
                   wt + (int64_t)(n0 + r) * p.kpad + tap * p.c + ch * CC + q * 8, 16);
    }
}

/* The input patch under tile t (channels [ch * CC, ch * CC + CC)) into dst, zeros outside
 * the image; at stride 2 a patch row's even columns first, then its odd ones */
template <typename S, int ST, int CC>
__device__ __forceinline__ void pt_load_patch(const struct yolo_cu_conv_nhwc &p, __half *dst,
                                              pt_tile t, int ch, int tid)
{
    constexpr int PIECES = CC / 8;
    const __half *x = (const __half *)p.x + (int64_t)t.img * p.xn;
    const int iy0 = t.oy0 * ST - 1, ix0 = t.ox0 * ST - 1;   /* the patch's corner */
#pragma unroll 2
    for (int j = tid; j < S::PH * S::PW * PIECES; j += S::NT) {
        int pix = j / PIECES, q = j - pix * PIECES;
        int py = pix / S::PW, px = pix - py * S::PW;
        int iy = iy0 + py, ix = ix0 + px;
        bool in = (unsigned)iy < (unsigned)p.h && (unsigned)ix < (unsigned)p.w;
        const __half *src = in ? x + ((int64_t)iy * p.w + ix) * p.xp + ch * CC + q * 8 : x;
        int at = py * (ST * S::PWS) + (px % ST) * S::PWS + px / ST;
        cp_async16(smem_u32(dst + at * S::PP + q * 8), src, in ? 16 : 0);
    }
}

/* The products of one staged patch (pbase) with its weights (wbase), nine taps of CC
 * channels, into the warp's 32 pixels (rows wm * 2, wm * 2 + 1 of the tile) x WNT channels.
 * ldmatrix lanes as in kernels_conv_nhwc.cu: A rows lane % 16 (16 output pixels of one row),
 * k half lane / 16; B channel lane % 8 + 8 * (lane / 16), k half lane / 8 % 2. */
template <typename S, int ST, int CC, int WNT>
__device__ __forceinline__ void pt_mma(uint32_t pbase, uint32_t wbase, float (&acc)[2][WNT / 8][4],
                                       int wm, int wn, int lane)
{
    constexpr int NF = WNT / 8;
    const int a_px = lane & 15, a_k = (lane >> 4) * 8;
    const int b_row = wn * WNT + (lane & 7) + ((lane >> 4) << 3), b_k = ((lane >> 3) & 1) * 8;
#pragma unroll
    for (int tap = 0; tap < 9; tap++) {
        const int dy = tap / 3, dx = tap % 3, dcol = (dx % ST) * S::PWS + dx / ST;
#pragma unroll
        for (int kc = 0; kc < CC; kc += 16) {
            uint32_t a[2][4], bf[NF][2];
#pragma unroll
            for (int mt = 0; mt < 2; mt++) {
                int prow = (wm * 2 + mt) * ST + dy;
                ldsm_x4(a[mt], pbase + ((prow * ST * S::PWS + a_px + dcol) * S::PP + kc + a_k) * 2);
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
}

/* The FP32 tile cs (BM x CP) of tile t out to y */
template <typename S>
__device__ __forceinline__ void pt_store(const struct yolo_cu_conv_nhwc &p, const float *cs,
                                         pt_tile t, int n0, int tid)
{
    nhwc_tile_store<S::BM, S::BN, S::CP, S::NT>(p, cs, n0, tid, [&](int r) -> int64_t {
        int oy = t.oy0 + r / PT_TW, ox = t.ox0 + r % PT_TW;
        if (oy >= p.oh || ox >= p.ow)
            return -1;
        return (int64_t)t.img * p.yn + ((int64_t)oy * p.ow + ox) * p.yp;
    }, [&](int r) -> int64_t {
        int oy = t.oy0 + r / PT_TW, ox = t.ox0 + r % PT_TW;
        return (int64_t)t.img * p.rn + ((int64_t)oy * p.ow + ox) * p.rp;
    });
}

/* A block per output tile, the input channels CC at a time (two stages) */
template <int ST, int CC, int WN, int WNT>
__global__ void __launch_bounds__(4 * WN * 32) conv_patch_kernel(const struct yolo_cu_conv_nhwc p)
{
    using S = pt_shape<ST, CC, WN, WNT>;
    constexpr int NF = WNT / 8;
    extern __shared__ __align__(16) uint8_t sm[];
    __half *stage0 = (__half *)sm;

    const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
    const int wm = warp & 3, wn = warp >> 2, n0 = blockIdx.y * S::BN;
    const pt_tile t = pt_tile_at(p, blockIdx.x);
    const int chunks = p.c / CC;

    /* the weights are never written by a kernel: load them before the wait (chain.cuh) */
    pt_load_w<S, CC>(p, stage0 + S::PATCH, n0, 0, tid);
    yolo_cu_chain_enter();
    pt_load_patch<S, ST, CC>(p, stage0, t, 0, tid);
    cp_commit();

    float acc[2][NF][4] = {};
    for (int ch = 0; ch < chunks; ch++) {
        if (ch + 1 < chunks) {
            __half *next = stage0 + ((ch + 1) & 1) * S::STAGE;
            pt_load_w<S, CC>(p, next + S::PATCH, n0, ch + 1, tid);
            pt_load_patch<S, ST, CC>(p, next, t, ch + 1, tid);
            cp_commit();
            cp_wait<1>();
        } else {
            cp_wait<0>();
        }
        __syncthreads();
        const uint32_t pbase = smem_u32(stage0 + (ch & 1) * S::STAGE);
        pt_mma<S, ST, CC, WNT>(pbase, pbase + S::PATCH * 2, acc, wm, wn, lane);
        __syncthreads();   /* everyone is done with this stage before it is loaded again */
    }

    float *cs = (float *)sm;   /* the pipeline's shared memory becomes the output tile */
    nhwc_acc_to_tile<NF, S::CP>(p, acc, cs, wm * 32, wn * WNT, n0, lane);
    __syncthreads();
    pt_store<S>(p, cs, t, n0, tid);
}

/* All input channels in one stage (c == CC: 16, or 32 at stride 1), so the weights stay in
 * shared memory: a block loads them once and walks the tiles t = blockIdx.x, + gridDim.x, ...,
 * the next tile's patch loading while this one computes and stores. Why: with one stage a
 * block of the kernel above loads, waits, computes and stores in turn, and loads as many
 * weight bytes as input bytes (16 channels: 4.6 KB of each); yolov8n_dq's 16-channel
 * convolutions at 160 x 160 ran at a third of the memory's pace with under 2 instructions
 * a cycle issued (ncu, H100, batch 128). Shared memory: the weights, two patches and the
 * output tile, apart. */
template <int ST, int CC, int WN, int WNT> struct pt_stream_shape {
    using S = pt_shape<ST, CC, WN, WNT>;
    static constexpr int SMEM = (S::WTS + 2 * S::PATCH) * 2 + S::OUT_BYTES;
};

template <int ST, int CC, int WN, int WNT>
__global__ void __launch_bounds__(4 * WN * 32)
    conv_patch_stream_kernel(const struct yolo_cu_conv_nhwc p)
{
    using S = pt_shape<ST, CC, WN, WNT>;
    constexpr int NF = WNT / 8;
    extern __shared__ __align__(16) uint8_t sm[];
    __half *ws = (__half *)sm, *patch0 = ws + S::WTS;
    float *cs = (float *)(patch0 + 2 * S::PATCH);

    const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
    const int wm = warp & 3, wn = warp >> 2, n0 = blockIdx.y * S::BN;
    const int tiles = (int)p.div_tx.d * (int)p.div_ty.d * p.n;
    const uint32_t wbase = smem_u32(ws);

    pt_load_w<S, CC>(p, ws, n0, 0, tid);   /* before the wait: made at load */
    yolo_cu_chain_enter();
    int b = blockIdx.x;
    if (b < tiles)
        pt_load_patch<S, ST, CC>(p, patch0, pt_tile_at(p, b), 0, tid);
    cp_commit();
    for (int k = 0; b < tiles; k++, b += gridDim.x) {
        const pt_tile t = pt_tile_at(p, b);
        if (b + (int)gridDim.x < tiles) {
            pt_load_patch<S, ST, CC>(p, patch0 + ((k + 1) & 1) * S::PATCH,
                                     pt_tile_at(p, b + gridDim.x), 0, tid);
            cp_commit();
            cp_wait<1>();
        } else {
            cp_wait<0>();
        }
        __syncthreads();   /* this tile's patch (and the weights) landed for all */
        float acc[2][NF][4] = {};
        pt_mma<S, ST, CC, WNT>(smem_u32(patch0 + (k & 1) * S::PATCH), wbase, acc, wm, wn, lane);
        nhwc_acc_to_tile<NF, S::CP>(p, acc, cs, wm * 32, wn * WNT, n0, lane);
        __syncthreads();   /* the tile is whole; everyone is done with this patch */
        pt_store<S>(p, cs, t, n0, tid);
        __syncthreads();   /* the tile is out before the next one overwrites it */
    }
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
               INT32_MAX / 2;   /* a tile index plus the grid stays an int */
}

/* YOLO_CUDA_PATCH_STREAM=0: every convolution on the block-per-tile kernel (for measuring) */
static bool pt_stream_allowed(void)
{
    const char *env = getenv("YOLO_CUDA_PATCH_STREAM");
    return !(env && strcmp(env, "0") == 0);
}

template <int ST, int CC, int WN, int WNT>
static void pt_launch(const struct yolo_cu_conv_nhwc *p, cudaStream_t s)
{
    using S = pt_shape<ST, CC, WN, WNT>;
    int64_t tiles = (int64_t)p->n * ((p->oh + PT_TH - 1) / PT_TH) * ((p->ow + PT_TW - 1) / PT_TW);
    const unsigned mblocks = (unsigned)((p->m + S::BN - 1) / S::BN);
    if (p->c == CC && pt_stream_allowed()) {
        /* as many blocks as fit on the GPU at once, each walking its share of the tiles */
        auto kernel = conv_patch_stream_kernel<ST, CC, WN, WNT>;
        const int smem = pt_stream_shape<ST, CC, WN, WNT>::SMEM;
        int per_sm = 0, sms = p->sms, dev = 0;
        if (sms <= 0 && cudaGetDevice(&dev) == cudaSuccess)
            cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, dev);
        if (smem > 48 * 1024)
            cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, smem);
        cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, kernel, S::NT, smem);
        int64_t blocks = (int64_t)(per_sm > 0 ? per_sm : 1) * (sms > 0 ? sms : 1);
        blocks = (blocks + mblocks - 1) / mblocks;   /* the grid's y shares the GPU too */
        blocks = blocks < tiles ? blocks : tiles;
        yolo_cu_launch(kernel, dim3((unsigned)blocks, mblocks), S::NT, (size_t)smem, s, *p);
        return;
    }
    yolo_cu_launch(conv_patch_kernel<ST, CC, WN, WNT>, dim3((unsigned)tiles, mblocks), S::NT,
                   (size_t)S::SMEM, s, *p);
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
    /* the streaming kernel's, where it may run, when the larger: it must fit too */
    int cc = ST == 1 && c % 32 == 0 ? 32 : 16;
    int tiled = cc == 32 ? pt_shape<ST, 32, WN, WNT>::SMEM : pt_shape<ST, 16, WN, WNT>::SMEM;
    int stream = cc == 32 ? pt_stream_shape<ST, 32, WN, WNT>::SMEM
                          : pt_stream_shape<ST, 16, WN, WNT>::SMEM;
    return c == cc && stream > tiled ? stream : tiled;
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
    a.y_vec = yolo_cu_conv_nhwc_y_vec(&a);
    a.div_tx = yolo_cu_div_make((uint32_t)((a.ow + PT_TW - 1) / PT_TW));
    a.div_ty = yolo_cu_div_make((uint32_t)((a.oh + PT_TH - 1) / PT_TH));
    if (a.sh == 2)
        pt_launch_s<2>(&a, (cudaStream_t)st);
    else
        pt_launch_s<1>(&a, (cudaStream_t)st);
    return yolo_cu_status();
}
