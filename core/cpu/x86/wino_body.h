/* wino_body.h: the input and output transforms of Winograd F(4x4, 3x3) (conv_body.h's header
 * says how a block of tiles flows through them), for whichever ISA simd.h was built for. Shared
 * by the float32 kernel (conv_body.h) and the bfloat16 one (conv_wino_avx512bf16.c), which
 * differ only in the 36 GEMMs between the transforms. Also the small integer helpers both
 * files' tiling code uses. */
#ifndef YOLO_X86_WINO_BODY_H
#define YOLO_X86_WINO_BODY_H

#include "simd.h"
#include "cpu/conv_pack.h"

static int64_t imin(int64_t a, int64_t b) { return a < b ? a : b; }
static int64_t imax(int64_t a, int64_t b) { return a > b ? a : b; }
static int lane_clamp(int64_t v) { return v < 0 ? 0 : v > VL ? VL : (int)v; }

/* Tiles [t, t + VL) of a chunk split by tile row: lanes [lo, hi) are tiles of row ty whose
 * lane 0 would be tile column txv (txv may be negative: lanes before lo are not used). */
struct tile_part { int32_t lo, hi; int64_t ty, txv; };

static int chunk_parts(int64_t tc, int64_t tend, int64_t TW, struct tile_part *pt)
{
    int np = 0;
    for (int64_t t = tc; t < tend;) {
        int64_t ty = t / TW, tx = t % TW, cnt = imin(TW - tx, tend - t);
        int lo = (int)(t - tc);
        pt[np++] = (struct tile_part){ lo, lo + (int32_t)cnt, ty, tx - lo };
        t += cnt;
    }
    return np;
}

/* d0..d5 -> B^T d for points 0, +-b, +-a, inf (conv_pack.h), rows in the order 0, +b, -b, +a,
 * -a, inf: row p holds the coefficients of q_p(x) = x prod (x - r) over the other finite
 * points r (for 0: prod (x - r) over the nonzero ones), so rows +-p share their even and odd
 * parts. The same formula for rows and columns. a, b are constants at every call, so the
 * multiplications by 1 of the float32 points (a = 2, b = 1) fold away. */
static inline __attribute__((always_inline)) void wino_bt(const vf d[6], vf o[6], float a, float b)
{
    vf a2 = vset1(a * a), b2 = vset1(b * b), p2 = vset1(a * a * b * b), s = vset1(a * a + b * b);
    o[0] = vfma(p2, d[0], vfnma(s, d[2], d[4]));
    vf t1 = vfnma(a2, d[2], d[4]), t2 = vfnma(a2, d[1], d[3]);   /* rows +-b */
    if (b != 1.0f)
        t2 = vmul(vset1(b), t2);
    o[1] = vadd(t1, t2);
    o[2] = vsub(t1, t2);
    vf t3 = b == 1.0f ? vsub(d[4], d[2]) : vfnma(b2, d[2], d[4]);   /* rows +-a */
    vf t4 = vmul(vset1(a), b == 1.0f ? vsub(d[3], d[1]) : vfnma(b2, d[1], d[3]));
    o[3] = vadd(t3, t4);
    o[4] = vsub(t3, t4);
    o[5] = vfma(p2, d[1], vfnma(s, d[3], d[5]));
}

/* y0..y5 -> A^T y (4 values): A^T[i] = (0^i, b^i, (-b)^i, a^i, (-a)^i, [i = 3]) */
static inline __attribute__((always_inline)) void wino_at(const vf y[6], vf s[4], float a, float b)
{
    vf p = vadd(y[1], y[2]), m = vsub(y[1], y[2]), c = vadd(y[3], y[4]), d = vsub(y[3], y[4]);
    vf pb = b == 1.0f ? p : vmul(vset1(b * b), p);        /* b^2 (y1 + y2) */
    vf mb = b == 1.0f ? m : vmul(vset1(b), m);            /* b (y1 - y2) */
    vf mb3 = b == 1.0f ? m : vmul(vset1(b * b * b), m);   /* b^3 (y1 - y2) */
    s[0] = vadd(vadd(y[0], p), c);
    s[1] = vfma(vset1(a), d, mb);
    s[2] = vfma(vset1(a * a), c, pb);
    s[3] = vadd(vfma(vset1(a * a * a), d, mb3), y[5]);
}

/* Input transform of one channel plane for the tiles of one chunk; v = &V[0][c][tc - t0],
 * xs = floats between consecutive xi; a, b: the points (the same constants at every call of a
 * file, which GCC's constant propagation carries in). */
static void wino_in(const struct yolo_conv_geom *g, const float *xc, const struct tile_part *pt,
                    int np, float *v, int64_t xs, float a, float b)
{
    vf tmp[6][6];
    #pragma GCC unroll 6
    for (int i = 0; i < 6; i++) {
        vf d[6];
        #pragma GCC unroll 6
        for (int j = 0; j < 6; j++)
            d[j] = vzero();
        for (int k = 0; k < np; k++) {
            const struct tile_part *p = &pt[k];
            int64_t y = 4 * p->ty + i - g->PT;
            if (y < 0 || y >= g->H)
                continue;
            const float *row = xc + y * g->W;
            int64_t xb = 4 * p->txv - g->PL;          /* x of stream element 0 */
            int64_t elo = imax(4 * (int64_t)p->lo, -xb), ehi = imin(4 * (int64_t)p->hi + 2, g->W - xb);
            vf z[5], e[6];
            if (elo == 0 && g->W - xb >= 5 * VL && p->hi == VL) {
                /* whole vectors inside the row: no masks (the lanes past 4*hi+2 are unused) */
                #pragma GCC unroll 5
                for (int q = 0; q < 5; q++)
                    z[q] = vload(row + xb + q * VL);
            } else {
                #pragma GCC unroll 5
                for (int q = 0; q < 5; q++) {
                    vmask m = vm_range(lane_clamp(elo - q * VL), lane_clamp(ehi - q * VL));
                    z[q] = vm_none(m) ? vzero() : vloadm(row + xb + q * VL, m);
                }
            }
            vdeint4x6(z, e);
            if (p->lo == 0 && p->hi == VL) {
                #pragma GCC unroll 6
                for (int j = 0; j < 6; j++)
                    d[j] = e[j];
            } else {
                vmask lm = vm_range(p->lo, p->hi);
                #pragma GCC unroll 6
                for (int j = 0; j < 6; j++)
                    d[j] = vblend(lm, d[j], e[j]);
            }
        }
        wino_bt(d, tmp[i], a, b);
    }
    #pragma GCC unroll 6
    for (int j = 0; j < 6; j++) {
        vf col[6], o[6];
        #pragma GCC unroll 6
        for (int i = 0; i < 6; i++)
            col[i] = tmp[i][j];
        wino_bt(col, o, a, b);
        #pragma GCC unroll 6
        for (int i = 0; i < 6; i++)
            vstore(v + (i * 6 + j) * xs, o[i]);
    }
}

/* Output transform of one channel for the tiles of one chunk; y = &Yw[0][m][tc - t0]. The
 * outputs go to plane om, plus the same pixels of plane rm where rm is given (a residual Add's
 * other addend, cpu/conv_add_mark.c: the same float sum as the Add's). */
static void wino_out(const struct yolo_conv_geom *g, const float *y, int64_t ys, int nvalid,
                     const struct tile_part *pt, int np, float bias, float *om, const float *rm,
                     float a, float b)
{
    vmask lm = vm_n(nvalid);
    vf tmp[4][6];
    #pragma GCC unroll 6
    for (int j = 0; j < 6; j++) {
        vf col[6], s[4];
        #pragma GCC unroll 6
        for (int i = 0; i < 6; i++)
            col[i] = vloadm(y + (i * 6 + j) * ys, lm);
        wino_at(col, s, a, b);
        #pragma GCC unroll 4
        for (int k = 0; k < 4; k++)
            tmp[k][j] = s[k];
    }
    vf bv = vset1(bias);
    #pragma GCC unroll 4
    for (int k = 0; k < 4; k++) {
        vf o[4], st[4];
        wino_at(tmp[k], o, a, b);
        #pragma GCC unroll 4
        for (int l = 0; l < 4; l++)
            o[l] = vact(vadd(o[l], bv), (int)g->act);
        vinter4(o, st);
        for (int pi = 0; pi < np; pi++) {
            const struct tile_part *p = &pt[pi];
            int64_t oy = 4 * p->ty + k;
            if (oy >= g->OH)
                continue;
            int64_t xb = 4 * p->txv;                   /* output x of stream element 0 */
            int64_t elo = imax(4 * (int64_t)p->lo, -xb), ehi = imin(4 * (int64_t)p->hi, g->OW - xb);
            float *orow = om + oy * g->OW + xb;
            const float *rrow = rm ? rm + oy * g->OW + xb : NULL;
            if (elo == 0 && ehi >= 4 * VL) {
                #pragma GCC unroll 4
                for (int q = 0; q < 4; q++)
                    vstore(orow + q * VL, rrow ? vadd(vload(rrow + q * VL), st[q]) : st[q]);
                continue;
            }
            #pragma GCC unroll 4
            for (int q = 0; q < 4; q++) {
                vmask m = vm_range(lane_clamp(elo - q * VL), lane_clamp(ehi - q * VL));
                if (elo <= q * VL && ehi >= (q + 1) * VL)   /* whole: a plain store is cheaper */
                    vstore(orow + q * VL, rrow ? vadd(vload(rrow + q * VL), st[q]) : st[q]);
                else if (!vm_none(m))
                    vstorem(orow + q * VL, rrow ? vadd(vloadm(rrow + q * VL, m), st[q]) : st[q], m);
            }
        }
    }
}

#endif
