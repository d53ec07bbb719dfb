/* transpose_body.h: Transpose of 4-byte elements when the input's contiguous dim is not the
 * output's (ops/transpose.c params: [8..8+rank) the resolved perm). Output dim a (the last)
 * and output dim b (whose input dim is the input's last) are walked in 8 x 8 tiles: eight
 * 8-float rows read along b, an in-register 8x8 transpose (AVX, in both builds), eight rows
 * written along a. A ragged edge along a (YOLOv5's head: 85 = 10 x 8 + 5 channels) takes
 * the same transpose on its rows padded with zeros, stored through a lane mask; one along b
 * goes element by element. Units: (other dims, a block of TP_BLOCK along b); in a unit the
 * a tiles are the outer loop, so each input row is read TP_BLOCK floats (whole cache lines)
 * at a time, not 8, and the unit's output rows (TP_BLOCK x a floats) stay in L1 meanwhile. */
#include "tr8.h"
#include "cpu/fast_ops.h"

#ifndef TP_BLOCK
#define TP_BLOCK 64
#endif

void ISA_FN(yolo_transpose)(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth)
{
    const int64_t *p = n->params;
    const struct yolo_tensor *X = &x->g->tensors[n->in[0]], *Y = &x->g->tensors[n->out[0]];
    const float *src = yolo_exec_ptr(x, n->in[0]);
    float *dst = yolo_exec_ptr(x, n->out[0]);
    int r = X->ndim, a = r - 1, b = 0;
    int64_t in_stride[8], st[8], ost[8];
    in_stride[r - 1] = ost[r - 1] = 1;
    for (int i = r - 2; i >= 0; i--) {
        in_stride[i] = in_stride[i + 1] * X->shape[i + 1];
        ost[i] = ost[i + 1] * Y->shape[i + 1];
    }
    for (int i = 0; i < r; i++) {
        st[i] = in_stride[p[8 + i]];
        if (p[8 + i] == r - 1)
            b = i;
    }
    int64_t outer = 1;
    for (int i = 0; i < r; i++)
        if (i != a && i != b)
            outer *= Y->shape[i];
    int64_t YA = Y->shape[a], YB = Y->shape[b], nb = (YB + TP_BLOCK - 1) / TP_BLOCK;
    int64_t units = outer * nb, sa = st[a], ob = ost[b];
    for (int64_t u = units * ith / nth, u1 = units * (ith + 1) / nth; u < u1; u++) {
        int64_t rem = u / nb, ib = 0, oo = 0;
        for (int i = r - 1; i >= 0; i--) {
            if (i == a || i == b)
                continue;
            int64_t k = rem % Y->shape[i];
            rem /= Y->shape[i];
            ib += k * st[i];
            oo += k * ost[i];
        }
        int64_t bs = (u % nb) * TP_BLOCK, be = YB - bs < TP_BLOCK ? YB : bs + TP_BLOCK;
        /* input (a, b) at ib + a*sa + b; output at oo + b*ob + a */
        for (int64_t a0 = 0; a0 < YA; a0 += 8) {
            int64_t an = YA - a0 < 8 ? YA - a0 : 8;
            for (int64_t b0 = bs; b0 < be; b0 += 8) {
                int64_t bn = be - b0 < 8 ? be - b0 : 8;
                const float *s0 = src + ib + a0 * sa + b0;
                float *d0 = dst + oo + b0 * ob + a0;
                if (bn == 8 && an == 8)
                    tr8x8(s0, sa, d0, ob);
                else if (bn == 8)
                    tr8xn(s0, sa, (int)an, d0, ob);
                else
                    for (int64_t j = 0; j < bn; j++)
                        for (int64_t i = 0; i < an; i++)
                            d0[j * ob + i] = s0[i * sa + j];
            }
        }
    }
}
