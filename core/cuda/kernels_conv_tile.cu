/* cuda/kernels_conv_tile.cu: FP16 convolution by output tiles staged in shared memory, on
 * NCHW tensors, its epilogue (bias, activation, output storage) fused.
 *
 * Why a second kernel: the implicit GEMM (kernels_conv.cu) gathers its B operand one 2-byte
 * load per (pixel, k) through a k table, so on the wide early layers of a YOLO (3 or 16
 * channels in, 160..640 pixels wide) it is bound by load instructions, reading each input
 * element K / C times; and a 16-channel layer fills half of its 32-row tiles. Here a block
 * owns th x tw = 256 output pixels of one image and every output channel: it reads the input
 * window it needs once, with vector loads along the rows (4 elements where the width allows),
 * and turns it channel-inner in shared memory; then each k step is two 8-channel chunks
 * (a tap and 8 channels each), whose B fragments are one ldmatrix per two 8-pixel columns.
 *
 * Shared memory, one block (sizes from the host's tile_geom):
 *   weights  [mp][kpitch] FP16, k = chunk * 8 + channel, chunk = (ky * kw + kx) * cg + group,
 *            rows padded to 16 channels, K to an even chunk count, the pitch one 16-byte unit
 *            past a multiple of 16 halves so the 8 rows of an ldmatrix hit 8 bank groups.
 *   input    ih rows x iws positions x pu units of 16 bytes (8 channels). A position is a
 *            staged column, stored by stride phase (column x at (x % sw) * cw + x / sw), so
 *            the 8 pixels of one B fragment are 8 consecutive positions at any stride. pu is
 *            odd, or the channel-group index is XORed with position bits (cg 2, 4, 8): either
 *            way 8 consecutive positions fall in 8 different bank groups. Zeros stand for the
 *            padding channels and everything outside the image; one extra zero unit at the
 *            end serves the K padding chunk, so padding never multiplies an input value.
 *   chunks   per chunk its tap's position offset << 3 | its channel group (-1: padding).
 * A 1x1 stride-1 convolution is one long row per image (the host flattens it), so its
 * tiles have no halo. mma.sync m16n8k16, FP32 accumulation; each warp owns 32 pixels of the
 * tile and every channel tile of its block (MT of 16).
 *
 * Deep layers and small grids: a block takes MT channel tiles (of the layer's m) and one
 * slice of cs input channels (staged as above, so 64 channels at most), and the ks slices of
 * one output tile run as one thread-block cluster. Why: at batch 1 a deep 3x3 layer has a
 * handful of 256-pixel tiles (20 x 20 outputs: 2 to 4) for 132 multiprocessors, and cuDNN
 * takes 12-20 us for each, with its separate epilogue pass (H200, yolov8n); splitting the
 * channels of both sides puts a block on every multiprocessor and shortens each block's chain
 * of loads and products. The slices' FP32 sums meet in shared memory: each block leaves its
 * tile of partial sums in its own, the cluster synchronises, and each block adds up one part
 * of the tile, reading the slices in order 0, 1, ... through distributed shared memory, then
 * runs the epilogue on it. No second kernel, no scratch in global memory, no atomics. */
#include <cooperative_groups.h>

#include "chain.cuh"
#include "device.cuh"
#include "mma.cuh"

#define TILE_THREADS 256               /* 8 warps x 32 pixels: th * tw = 256 */
#define TILE_SMEM_MAX (48 * 1024)      /* what a launch may take without an opt-in */
#define TILE_RED_PITCH 264             /* floats per row of the partial-sum tile: a half warp's
                                        * float2 stores (8 rows x 4 pairs) in 32 banks */
#define TILE_MAX_SLICES 8              /* a portable cluster */

/* The shared-memory layout of one shape and tile (see the top of the file). */
struct tile_geom {
    int32_t ih, iw, cw, iws;           /* staged rows, columns; columns per stride phase; positions */
    int32_t pu, swz_shift, swz_mask;   /* units per position; the channel-group XOR */
    int32_t nch, kpad, kpitch, mp;     /* chunks (even), nch * 8, weight pitch (halves), rows
                                        * staged (MT * 16) */
    int32_t w_bytes, in_units;         /* weight bytes; input units with the zero one */
    int64_t smem;
};

/* V consecutive elements of one input row as FP16 (rounded as kernels_conv.cu rounds) */
template <int V> __device__ __forceinline__ void load_row(const __half *s, __half *o)
{
    if (V == 4) {
        uint2 r = __ldg((const uint2 *)s);
        __half2 a = *(__half2 *)&r.x, b = *(__half2 *)&r.y;
        o[0] = __low2half(a); o[1] = __high2half(a); o[2] = __low2half(b); o[3] = __high2half(b);
    } else {
        o[0] = __ldg(s);
    }
}

template <int V> __device__ __forceinline__ void load_row(const float *s, __half *o)
{
    if (V == 4) {
        float4 r = __ldg((const float4 *)s);
        o[0] = __float2half_rn(r.x); o[1] = __float2half_rn(r.y);
        o[2] = __float2half_rn(r.z); o[3] = __float2half_rn(r.w);
    } else {
        o[0] = __float2half_rn(__ldg(s));
    }
}

__device__ __forceinline__ int unit_of(const tile_geom &g, int pos, int grp)
{
    return pos * g.pu + (grp ^ ((pos >> g.swz_shift) & g.swz_mask));
}

/* The epilogue of a block of a ks-slice cluster (see the top of the file): its partial sums
 * acc into red ([MT * 16][TILE_RED_PITCH] floats over the staging area, which the K loop no
 * longer reads), then, after the whole cluster has done the same, units * rank / ks ..
 * units * (rank + 1) / ks of the tile's 4-pixel units summed over the slices in order, with
 * bias and activation, to y. The last cluster barrier keeps every block's shared memory alive
 * until the others have read it. */
template <int MT>
__device__ __forceinline__ void split_epilogue(const struct yolo_cu_conv_tile &p,
                                               const float (&acc)[MT][4][4], float *red, int m0,
                                               int img, int oy0, int ox0)
{
    namespace cg = cooperative_groups;
    const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
    const int g8 = lane >> 2, t4 = lane & 3;
    __syncthreads();   /* every warp is past its last read of the staged operands */
#pragma unroll
    for (int mt = 0; mt < MT; mt++)
#pragma unroll
        for (int hi = 0; hi < 2; hi++)
#pragma unroll
            for (int j = 0; j < 4; j++)
                *(float2 *)&red[(mt * 16 + g8 + hi * 8) * TILE_RED_PITCH + warp * 32 + j * 8 +
                                t4 * 2] = make_float2(acc[mt][j][hi * 2], acc[mt][j][hi * 2 + 1]);
    cg::cluster_group cl = cg::this_cluster();
    cl.sync();
    const int units = MT * 16 * 64, rank = (int)cl.block_rank();
    const int u1 = units * (rank + 1) / p.ks;
    const int64_t ohw = (int64_t)p.oh * p.ow;
    for (int u = units * rank / p.ks + tid; u < u1; u += TILE_THREADS) {
        int r = u >> 6, px = (u & 63) * 4, m = m0 + r;
        int tr = px / p.tw, oy = oy0 + tr, ox = ox0 + px - tr * p.tw;
        if (m >= p.m || oy >= p.oh || ox >= p.ow)
            continue;
        float *at = red + r * TILE_RED_PITCH + px;
        float4 sum = *cl.map_shared_rank((float4 *)at, 0);
        for (int k = 1; k < p.ks; k++) {
            float4 v = *cl.map_shared_rank((float4 *)at, k);
            sum.x += v.x;
            sum.y += v.y;
            sum.z += v.z;
            sum.w += v.w;
        }
        float bias = p.bias ? p.bias[m] : 0.0f;
        float v[4] = { act_fast(sum.x + bias, p.act), act_fast(sum.y + bias, p.act),
                       act_fast(sum.z + bias, p.act), act_fast(sum.w + bias, p.act) };
        int64_t yi = (int64_t)img * p.yn + m * ohw + (int64_t)oy * p.ow + ox;
        if (p.yp) {                                     /* channels-last: one at a time */
            yi = (int64_t)img * p.yn + m * p.yc + ((int64_t)oy * p.ow + ox) * p.yp;
#pragma unroll
            for (int e = 0; e < 4; e++)
                if (ox + e < p.ow)
                    st_f(p.y, p.y_st, yi + e * p.yp, v[e]);
        } else if (p.ow % 4 == 0 && p.y_st == YOLO_CU_F16) {   /* ox % 4 == 0: aligned */
            __half2 a = __floats2half2_rn(v[0], v[1]), b = __floats2half2_rn(v[2], v[3]);
            *(uint2 *)((__half *)p.y + yi) = make_uint2(*(uint32_t *)&a, *(uint32_t *)&b);
        } else if (p.ow % 4 == 0) {
            *(float4 *)((float *)p.y + yi) = make_float4(v[0], v[1], v[2], v[3]);
        } else {
#pragma unroll
            for (int e = 0; e < 4; e++)
                if (ox + e < p.ow)
                    st_f(p.y, p.y_st, yi + e, v[e]);
        }
    }
    cl.sync();
}

/* MT: channel tiles of 16 per block; V: elements per global load (4 when w % 4 == 0).
 * A block waits on its loads once, so throughput comes from resident blocks (4-5 of 256
 * threads an SM at 16 channels). Measured (H200, yolov8n b128): two items a thread in flight
 * with a register cap for 4 blocks was 5-15% slower on the 3x3 convolutions. */
template <int MT, int V, typename TX>
__global__ void __launch_bounds__(TILE_THREADS) conv_tile_kernel(const struct yolo_cu_conv_tile p,
                                                                 const tile_geom g)
{
    extern __shared__ __align__(16) uint8_t smem[];
    __half *ws = (__half *)smem;
    uint4 *xs = (uint4 *)(smem + g.w_bytes);
    int *ctab = (int *)(smem + g.w_bytes + (int64_t)g.in_units * 16);
    const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
    const int tiles_x = (p.ow + p.tw - 1) / p.tw, img = blockIdx.y;
    const int oy0 = blockIdx.x / tiles_x * p.th, ox0 = blockIdx.x % tiles_x * p.tw;
    const int iy0 = oy0 * p.sh - p.ph, ix0 = ox0 * p.sw - p.pw;
    /* this block's slice of input channels and its output channels (blockIdx.z: the channel
     * group times ks plus the slice, so a cluster of 1 x 1 x ks holds one tile's slices) */
    const int slice = blockIdx.z % p.ks, m0 = blockIdx.z / p.ks * (MT * 16);
    const int c0 = slice * p.cs, cc = min(p.cs, p.c - c0);
    const int mp_all = (p.m + 15) / 16 * 16, rows = min(MT * 16, mp_all - m0);

    /* rows past `rows` (the last channel group's) stay unset: their sums are never stored */
    const int wrow = g.kpad / 8;
    const uint4 *wsrc = (const uint4 *)p.wt + ((int64_t)slice * mp_all + m0) * wrow;
    for (int i = tid; i < rows * wrow; i += TILE_THREADS) {
        int r = i / wrow, q = i - r * wrow;
        *(uint4 *)(ws + r * g.kpitch + q * 8) = __ldg(wsrc + i);
    }
    const int real = p.kh * p.kw * p.cg;
    for (int j = tid; j < g.nch; j += TILE_THREADS) {
        int e = -1;
        if (j < real) {
            int tap = j / p.cg, grp = j - tap * p.cg, ky = tap / p.kw, kx = tap - ky * p.kw;
            int dx = kx * p.dw;
            e = (ky * p.dh * g.iws + (dx % p.sw) * g.cw + dx / p.sw) << 3 | grp;
        }
        ctab[j] = e;
    }
    if (tid == 0)
        xs[g.in_units - 1] = make_uint4(0, 0, 0, 0);
    /* the weights above are never written by a kernel, so they were staged while the previous
     * kernel was still finishing; the input is its output: wait for it now (chain.cuh) */
    yolo_cu_chain_enter();

    /* the input window: items of V columns (the row start rounded down to V, so a group is
     * all inside the image or all outside) by 8 channels, neighbouring threads on neighbouring
     * columns (items by channel group: a 1x1 convolution's row of 256 pixels is 64 column
     * groups, which alone would leave 3/4 of the threads idle) */
    const int xa = ix0 >= 0 ? ix0 / V * V : -((-ix0 + V - 1) / V) * V;
    const int ngrp = (ix0 + g.iw - xa + V - 1) / V, per_grp = g.ih * ngrp;
    const int64_t hw = (int64_t)p.h * p.w;
    const TX *xb = (const TX *)p.x + (int64_t)img * p.xn + (int64_t)c0 * hw;
    auto fetch = [&](int it, __half (*v)[V]) {
        int grp = it / per_grp, rc = it - grp * per_grp, r = rc / ngrp;
        int x = xa + (rc - r * ngrp) * V, y = iy0 + r;
        bool in = (unsigned)y < (unsigned)p.h && (unsigned)x < (unsigned)p.w;
        const TX *src = xb + (in ? (int64_t)y * p.w + x : 0);
#pragma unroll
        for (int c8 = 0; c8 < 8; c8++) {
            int ch = grp * 8 + c8;
            if (in && ch < cc) {
                load_row<V>(src + ch * hw, v[c8]);
            } else {
#pragma unroll
                for (int u = 0; u < V; u++)
                    v[c8][u] = __float2half_rn(0.0f);
            }
        }
    };
    auto put = [&](int it, __half (*v)[V]) {
        int grp = it / per_grp, rc = it - grp * per_grp, r = rc / ngrp;
        int x = xa + (rc - r * ngrp) * V;
#pragma unroll
        for (int u = 0; u < V; u++) {
            int lx = x + u - ix0;
            if ((unsigned)lx >= (unsigned)g.iw)
                continue;
            int pos = r * g.iws + (lx % p.sw) * g.cw + lx / p.sw;
            xs[unit_of(g, pos, grp)] = make_uint4(pack2(v[0][u], v[1][u]), pack2(v[2][u], v[3][u]),
                                                  pack2(v[4][u], v[5][u]), pack2(v[6][u], v[7][u]));
        }
    };
    for (int it = tid; it < per_grp * p.cg; it += TILE_THREADS) {
        __half v[8][V];
        fetch(it, v);
        put(it, v);
    }
    __syncthreads();

    /* ldmatrix rows of this lane: pixel (lane & 7) of n-tile 2q + lane / 16, of chunk
     * (lane / 8) % 2 of the k step; A rows lane % 16, k half lane / 16 */
    int base[2];
#pragma unroll
    for (int q = 0; q < 2; q++) {
        int pix = warp * 32 + (2 * q + (lane >> 4)) * 8 + (lane & 7), r = pix / p.tw;
        base[q] = r * p.sh * g.iws + (pix - r * p.tw);
    }
    const int sel = (lane >> 3) & 1;
    const uint32_t xs_addr = (uint32_t)__cvta_generic_to_shared(xs);
    const uint32_t zero_addr = xs_addr + (uint32_t)(g.in_units - 1) * 16;
    const uint32_t a_addr = (uint32_t)__cvta_generic_to_shared(ws) +
                            (uint32_t)((lane & 15) * g.kpitch + (lane >> 4) * 8) * 2;

    float acc[MT][4][4];
#pragma unroll
    for (int a = 0; a < MT; a++)
#pragma unroll
        for (int b = 0; b < 4; b++)
#pragma unroll
            for (int c = 0; c < 4; c++)
                acc[a][b][c] = 0.0f;

    for (int s = 0; s < g.nch / 2; s++) {
        int e = ctab[2 * s + sel];
        uint32_t b[8];
#pragma unroll
        for (int q = 0; q < 2; q++) {
            int pos = base[q] + (e >> 3);
            ldsm_x4(b + 4 * q, e < 0 ? zero_addr : xs_addr + (uint32_t)unit_of(g, pos, e & 7) * 16);
        }
#pragma unroll
        for (int mt = 0; mt < MT; mt++) {
            uint32_t a[4];
            ldsm_x4(a, a_addr + (uint32_t)(mt * 16 * g.kpitch + s * 16) * 2);
#pragma unroll
            for (int j = 0; j < 4; j++)
                mma_16816(acc[mt][j], a, b[2 * j], b[2 * j + 1]);
        }
    }

    const int g8 = lane >> 2, t4 = lane & 3;
    const int64_t ohw = (int64_t)p.oh * p.ow;
    if (p.ks > 1) {
        split_epilogue<MT>(p, acc, (float *)smem, m0, img, oy0, ox0);
        return;
    }
    /* epilogue as kernels_conv.cu's: bias, activation, storage; (2t, 2t+1) are neighbours in
     * one output row (tw is a multiple of 8), a pair store when the row length is even */
    const bool pairs = p.ow % 2 == 0;
#pragma unroll
    for (int mt = 0; mt < MT; mt++) {
#pragma unroll
        for (int hi = 0; hi < 2; hi++) {
            int m = m0 + mt * 16 + g8 + hi * 8;
            if (m >= p.m)
                continue;
            float bias = p.bias ? p.bias[m] : 0.0f;
#pragma unroll
            for (int j = 0; j < 4; j++) {
                int pix = warp * 32 + j * 8 + t4 * 2, r = pix / p.tw;
                int oy = oy0 + r, ox = ox0 + pix - r * p.tw;
                if (oy >= p.oh || ox >= p.ow)
                    continue;
                float v0 = act_apply(acc[mt][j][hi * 2] + bias, p.act);
                float v1 = act_apply(acc[mt][j][hi * 2 + 1] + bias, p.act);
                int64_t yi = (int64_t)img * p.yn + m * ohw + (int64_t)oy * p.ow + ox;
                if (p.yp) {                             /* channels-last */
                    yi = (int64_t)img * p.yn + m * p.yc + ((int64_t)oy * p.ow + ox) * p.yp;
                    st_f(p.y, p.y_st, yi, v0);
                    if (ox + 1 < p.ow)
                        st_f(p.y, p.y_st, yi + p.yp, v1);
                } else if (pairs && p.y_st == YOLO_CU_F16) {
                    *(__half2 *)((__half *)p.y + yi) = __floats2half2_rn(v0, v1);
                } else if (pairs) {
                    *(float2 *)((float *)p.y + yi) = make_float2(v0, v1);
                } else {
                    st_f(p.y, p.y_st, yi, v0);
                    if (ox + 1 < p.ow)
                        st_f(p.y, p.y_st, yi + 1, v1);
                }
            }
        }
    }
}

static tile_geom geom_of(const struct yolo_cu_conv_tile *p, int th, int tw)
{
    tile_geom g;
    g.ih = (th - 1) * p->sh + (p->kh - 1) * p->dh + 1;
    g.iw = (tw - 1) * p->sw + (p->kw - 1) * p->dw + 1;
    g.cw = (g.iw + p->sw - 1) / p->sw;
    g.iws = g.cw * p->sw;
    g.swz_shift = 0;
    g.swz_mask = 0;
    g.pu = p->cg;
    if (p->cg == 2 || p->cg == 4 || p->cg == 8) {
        g.swz_shift = p->cg == 2 ? 2 : p->cg == 4 ? 1 : 0;
        g.swz_mask = p->cg - 1;
    } else if (p->cg % 2 == 0) {
        g.pu = p->cg + 1;   /* 6 groups: one unit of padding keeps the pitch odd */
    }
    g.nch = yolo_cu_conv_tile_kpad(p->cg * 8, p->kh, p->kw) / 8;
    g.kpad = g.nch * 8;
    g.kpitch = g.kpad + 8;
    g.mp = p->mt * 16;
    g.w_bytes = g.mp * g.kpitch * 2;
    g.in_units = g.ih * g.iws * g.pu + 1;
    g.smem = g.w_bytes + (int64_t)g.in_units * 16 + g.nch * 4;
    int64_t red = (int64_t)g.mp * TILE_RED_PITCH * 4;   /* the slices' partial sums */
    if (p->ks > 1 && red > g.smem)
        g.smem = red;
    return g;
}

extern "C" int32_t yolo_cu_conv_tile_kpad(int32_t c, int32_t kh, int32_t kw)
{
    int32_t chunks = kh * kw * ((c + 7) / 8);
    return (chunks + 1) / 2 * 2 * 8;
}

static int64_t smem_limit(const struct yolo_cu_conv_tile *p)
{
    return p->smem_max > TILE_SMEM_MAX ? p->smem_max : TILE_SMEM_MAX;
}

/* ks slices of the input channels: cs of them each (a multiple of 8), the last one partial */
static void set_slices(struct yolo_cu_conv_tile *p, int ks)
{
    p->cs = ((p->c + ks - 1) / ks + 7) / 8 * 8;
    p->cg = p->cs / 8;
    p->ks = (p->c + p->cs - 1) / p->cs;
}

static int64_t channel_groups(const struct yolo_cu_conv_tile *p)
{
    return ((p->m + 15) / 16 + p->mt - 1) / p->mt;
}

static int64_t grid_blocks(const struct yolo_cu_conv_tile *p)
{
    return (int64_t)p->n * ((p->oh + p->th - 1) / p->th) * ((p->ow + p->tw - 1) / p->tw) *
           channel_groups(p) * p->ks;
}

/* The tile with the fewest bytes moved per image (outputs written, input window staged with
 * its halo once per channel group, weights copied in), among those whose shared memory fits;
 * 0 when none does. */
static int pick_tile(struct yolo_cu_conv_tile *p)
{
    int64_t best = -1;
    int xsz = p->x_st == YOLO_CU_F16 ? 2 : 4, ysz = p->y_st == YOLO_CU_F16 ? 2 : 4;
    for (int tw = 8; tw <= 256; tw *= 2) {
        int th = 256 / tw;
        tile_geom g = geom_of(p, th, tw);
        if (g.smem > smem_limit(p))
            continue;
        int64_t tiles = (int64_t)((p->oh + th - 1) / th) * ((p->ow + tw - 1) / tw);
        int64_t cost = tiles * ((int64_t)256 * p->m * ysz +
                                channel_groups(p) * g.ih * g.iw * p->c * xsz +
                                channel_groups(p) * p->ks * (int64_t)g.w_bytes);
        if (best < 0 || cost <= best) {   /* a tie: the wider tile (fewer rows past the end) */
            best = cost;
            p->th = th;
            p->tw = tw;
        }
    }
    return best >= 0;
}

/* More slices than p has, the fewest that change it (rounding a slice to 8 channels can give
 * the same slices back: 64 channels in 4 or in 5 are both 4 slices of 16), each of at least
 * min_cs channels; 0 when there is no such split. */
static int more_slices(struct yolo_cu_conv_tile *p, int min_cs)
{
    for (int k = p->ks + 1; k <= TILE_MAX_SLICES; k++) {
        struct yolo_cu_conv_tile q = *p;
        set_slices(&q, k);
        if (q.ks > p->ks && q.cs >= min_cs) {
            *p = q;
            return 1;
        }
    }
    return 0;
}

/* Slices and channel groups: the fewest that fit in shared memory (64 channels a slice at
 * most), then more while the grid has fewer blocks than the GPU has multiprocessors: first
 * slices down to 32 channels, then channel groups down to one tile of 16, then slices down to
 * 16 channels (a small slice stages little per block but adds to every block's reduction).
 * Large grids keep one slice, which gives the same sums in the same order as the kernel
 * always did. Every step adds a slice or halves the channel tiles of a block, so both loops
 * end. */
extern "C" int yolo_cu_conv_tile_plan(struct yolo_cu_conv_tile *p)
{
    if (p->kh == 1 && p->kw == 1 && p->sh == 1 && p->sw == 1 && p->ph == 0 && p->pw == 0 &&
        p->h == p->oh && p->w == p->ow) {
        p->w = p->ow = p->h * p->w;   /* one row per image: no halo */
        p->h = p->oh = 1;
    }
    if (p->m < 1 || p->c < 1 || p->c > TILE_MAX_SLICES * 64)
        return 0;
    int mtiles = (p->m + 15) / 16;
    p->mt = mtiles < 4 ? mtiles : 4;
    set_slices(p, (p->c + 63) / 64);
    if (p->ks > TILE_MAX_SLICES)
        return 0;
    while (!pick_tile(p)) {   /* large kernels: smaller blocks until one fits */
        if (more_slices(p, 8))
            continue;
        if (p->mt == 1)
            return 0;
        p->mt = (p->mt + 1) / 2;
    }
    for (int phase = 0; phase < 3 && grid_blocks(p) < p->sms;) {
        struct yolo_cu_conv_tile q = *p;
        int stepped = phase == 1 ? q.mt > 1 : more_slices(&q, phase ? 16 : 32);
        if (phase == 1 && stepped)
            q.mt = (q.mt + 1) / 2;
        if (!stepped || !pick_tile(&q) || grid_blocks(&q) > 65535LL * 65535LL) {
            phase++;
            continue;
        }
        *p = q;
    }
    return channel_groups(p) * p->ks <= 65535;
}

extern "C" int64_t yolo_cu_conv_tile_weight_bytes(const struct yolo_cu_conv_tile *p)
{
    return (int64_t)p->ks * ((p->m + 15) / 16 * 16) * yolo_cu_conv_tile_kpad(p->cs, p->kh, p->kw) *
           2;
}

extern "C" int yolo_cu_conv_tile_weights(const struct yolo_cu_conv_tile *p, const float *w32,
                                         void *wt, yolo_cu_stream s)
{
    int64_t mp = (p->m + 15) / 16 * 16, kpad = yolo_cu_conv_tile_kpad(p->cs, p->kh, p->kw);
    int64_t taps = (int64_t)p->kh * p->kw;
    for (int sl = 0; sl < p->ks; sl++) {
        int64_t c0 = (int64_t)sl * p->cs, cc = p->c - c0 < p->cs ? p->c - c0 : p->cs;
        struct yolo_cu_copy cp = { .ndim = 4, .src_st = YOLO_CU_F32, .dst_st = YOLO_CU_F16,
                                   .numel = p->m * cc * taps, .src_off = c0 * taps,
                                   .dst_off = sl * mp * kpad,
                                   .shape = { p->m, cc, p->kh, p->kw },
                                   .ss = { p->c * taps, taps, p->kw, 1 },
                                   .ds = { kpad, 1, p->kw * p->cs, p->cs }, .src = w32, .dst = wt };
        int e = yolo_cu_copy(&cp, 1, s);
        if (e)
            return e;
    }
    return 0;
}

template <int MT, typename TX>
static void launch(const struct yolo_cu_conv_tile *p, const tile_geom &g, cudaStream_t s)
{
    dim3 grid((unsigned)(((p->oh + p->th - 1) / p->th) * ((p->ow + p->tw - 1) / p->tw)),
              (unsigned)p->n, (unsigned)(channel_groups(p) * p->ks));
    if (p->w % 4 == 0)
        yolo_cu_launch_ex(conv_tile_kernel<MT, 4, TX>, grid, TILE_THREADS, (size_t)g.smem, s,
                          (unsigned)p->ks, *p, g);
    else
        yolo_cu_launch_ex(conv_tile_kernel<MT, 1, TX>, grid, TILE_THREADS, (size_t)g.smem, s,
                          (unsigned)p->ks, *p, g);
}

template <typename TX>
static void launch_mt(const struct yolo_cu_conv_tile *p, const tile_geom &g, cudaStream_t s)
{
    switch (p->mt) {
    case 1:  launch<1, TX>(p, g, s); break;
    case 2:  launch<2, TX>(p, g, s); break;
    case 3:  launch<3, TX>(p, g, s); break;
    default: launch<4, TX>(p, g, s); break;
    }
}

extern "C" int yolo_cu_conv_tile_valid(const struct yolo_cu_conv_tile *p)
{
    if (p->th < 1 || p->tw < 8 || p->th * p->tw != 256 || p->tw % 8 || p->mt < 1 || p->mt > 4 ||
        p->ks < 1 || p->ks > TILE_MAX_SLICES || p->cg < 1 || p->cg > 8 || p->cs != p->cg * 8 ||
        (int64_t)(p->ks - 1) * p->cs >= p->c || (int64_t)p->ks * p->cs < p->c ||
        channel_groups(p) * p->ks > 65535)
        return 0;
    return geom_of(p, p->th, p->tw).smem <= smem_limit(p);
}

extern "C" int yolo_cu_conv_tile(const struct yolo_cu_conv_tile *pp, yolo_cu_stream st)
{
    if (pp->n == 0 || pp->oh == 0 || pp->ow == 0)
        return 0;
    struct yolo_cu_conv_tile a = *pp;   /* image strides 0: packed */
    const struct yolo_cu_conv_tile *p = &a;
    if (!a.xn)
        a.xn = (int64_t)a.c * a.h * a.w;
    if (!a.yn)
        a.yn = (int64_t)a.m * a.oh * a.ow;
    if (!yolo_cu_conv_tile_valid(p))
        return (int)cudaErrorInvalidValue;
    tile_geom g = geom_of(p, p->th, p->tw);
    cudaStream_t s = (cudaStream_t)st;
    if (p->x_st == YOLO_CU_F16)
        launch_mt<__half>(p, g, s);
    else
        launch_mt<float>(p, g, s);
    return yolo_cu_status();
}
