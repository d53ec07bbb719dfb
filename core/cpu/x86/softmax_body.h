/* softmax_body.h: Softmax as ops/softmax.c defines it (outer slices of n x inner elements,
 * normalized over n at stride inner: params [2] outer [3] n [4] inner), max-subtracted.
 *   inner == 1 (the last axis: DFL's 16 bins, attention rows): one row at a time, VL
 *     elements per step, then a horizontal max / sum of the lanes;
 *   inner > 1: VL adjacent inner lanes at a time, each lane its own softmax, so the
 *     strided walk over n reads whole vectors.
 * Threads split rows (inner == 1) or (outer, lane-vector) units. */
#include <math.h>

#include "cpu/fast_ops.h"
#include "simd.h"

static void rows_last(const float *src, float *dst, int64_t r0, int64_t r1, int64_t len)
{
    for (int64_t r = r0; r < r1; r++) {
        const float *s = src + r * len;
        float *o = dst + r * len;
        vf mv = vset1(-INFINITY);
        int64_t i = 0;
        for (; i + VL <= len; i += VL)
            mv = vmax(mv, vload(s + i));
        if (i < len) {
            vmask m = vm_n((int)(len - i));
            mv = vmax(mv, vblend(m, vset1(-INFINITY), vloadm(s + i, m)));
        }
        vf mx = vset1(vhmax(mv)), sv = vzero();
        for (i = 0; i + VL <= len; i += VL) {
            vf e = vexp_shift(vload(s + i), mx);
            vstore(o + i, e);
            sv = vadd(sv, e);
        }
        if (i < len) {
            vmask m = vm_n((int)(len - i));
            vf e = vblend(m, vzero(), vexp_shift(vloadm(s + i, m), mx));
            vstorem(o + i, e, m);
            sv = vadd(sv, e);
        }
        vf inv = vset1(1.0f / vhsum(sv));
        for (i = 0; i + VL <= len; i += VL)
            vstore(o + i, vmul(vload(o + i), inv));
        if (i < len) {
            vmask m = vm_n((int)(len - i));
            vstorem(o + i, vmul(vloadm(o + i, m), inv), m);
        }
    }
}

void ISA_FN(yolo_softmax)(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth)
{
    const int64_t *p = n->params;
    const float *src = yolo_exec_ptr(x, n->in[0]);
    float *dst = yolo_exec_ptr(x, n->out[0]);
    int64_t outer = p[2], len = p[3], inner = p[4];
    if (len <= 0 || outer <= 0 || inner <= 0)
        return;
    if (inner == 1) {
        rows_last(src, dst, outer * ith / nth, outer * (ith + 1) / nth, len);
        return;
    }
    int64_t nvec = (inner + VL - 1) / VL, units = outer * nvec;
    for (int64_t u = units * ith / nth, u1 = units * (ith + 1) / nth; u < u1; u++) {
        int64_t o = u / nvec, j = (u % nvec) * VL;
        vmask m = vm_n((int)(inner - j < VL ? inner - j : VL));
        const float *s = src + o * len * inner + j;
        float *d = dst + o * len * inner + j;
        vf mx = vset1(-INFINITY), sum = vzero();
        for (int64_t i = 0; i < len; i++)
            mx = vmax(mx, vloadm(s + i * inner, m));
        for (int64_t i = 0; i < len; i++) {
            vf e = vexp_shift(vloadm(s + i * inner, m), mx);
            vstorem(d + i * inner, e, m);
            sum = vadd(sum, e);
        }
        /* masked-off lanes have sum 0: give them 1 so the reciprocal stays finite */
        vf inv = vrcp(vblend(m, vset1(1.0f), sum));
        for (int64_t i = 0; i < len; i++)
            vstorem(d + i * inner, vmul(vloadm(d + i * inner, m), inv), m);
    }
}
