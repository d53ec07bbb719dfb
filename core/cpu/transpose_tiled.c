/* cpu/transpose_tiled.c: the portable fast Transpose (any ISA, 4-byte elements).
 * Used when the input's contiguous dim is not the output's and no vector kernel applies. */
#include <string.h>

#include "cpu/fast_ops.h"

/* The reference then reads one element per cache line. Here the two dims (output dim a = last,
 * output dim b = the input's last) are walked in TP_TILE x TP_TILE tiles through a small
 * buffer, so reads and writes both run along cache lines. Units: (other dims, b-tile). */
#define TP_TILE 16
void yolo_transpose_tiled(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth)
{
    const int64_t *p = n->params;
    const struct yolo_tensor *X = &x->g->tensors[n->in[0]], *Y = &x->g->tensors[n->out[0]];
    const uint32_t *src = yolo_exec_ptr(x, n->in[0]);
    uint32_t *dst = yolo_exec_ptr(x, n->out[0]);
    int r = X->ndim, a = r - 1, b = 0;
    int64_t in_stride[YOLO_MAX_DIMS], st[YOLO_MAX_DIMS], ost[YOLO_MAX_DIMS];
    in_stride[r - 1] = ost[r - 1] = 1;
    for (int i = r - 2; i >= 0; i--) {
        in_stride[i] = in_stride[i + 1] * X->shape[i + 1];
        ost[i] = ost[i + 1] * Y->shape[i + 1];
    }
    for (int i = 0; i < r; i++) {
        st[i] = in_stride[p[YOLO_TP_RES + i]];
        if (p[YOLO_TP_RES + i] == r - 1)
            b = i;
    }
    int64_t outer = 1;
    for (int i = 0; i < r; i++)
        if (i != a && i != b)
            outer *= Y->shape[i];
    int64_t nb = (Y->shape[b] + TP_TILE - 1) / TP_TILE, units = outer * nb;
    uint32_t buf[TP_TILE][TP_TILE];
    for (int64_t u = units * ith / nth, u1 = units * (ith + 1) / nth; u < u1; u++) {
        int64_t rem = u / nb, ib = 0, ob = 0;
        for (int i = r - 1; i >= 0; i--) {   /* the other dims' index from rem */
            if (i == a || i == b)
                continue;
            int64_t k = rem % Y->shape[i];
            rem /= Y->shape[i];
            ib += k * st[i];
            ob += k * ost[i];
        }
        int64_t b0 = (u % nb) * TP_TILE, bn = Y->shape[b] - b0 < TP_TILE ? Y->shape[b] - b0 : TP_TILE;
        for (int64_t a0 = 0; a0 < Y->shape[a]; a0 += TP_TILE) {
            int64_t an = Y->shape[a] - a0 < TP_TILE ? Y->shape[a] - a0 : TP_TILE;
            for (int64_t i = 0; i < an; i++) {       /* input rows: contiguous along b */
                const uint32_t *s = src + ib + (a0 + i) * st[a] + b0;
                for (int64_t j = 0; j < bn; j++)
                    buf[j][i] = s[j];
            }
            for (int64_t j = 0; j < bn; j++) {       /* output rows: contiguous along a */
                uint32_t *d = dst + ob + (b0 + j) * ost[b] + a0;
                for (int64_t i = 0; i < an; i++)
                    d[i] = buf[j][i];
            }
        }
    }
}

/* A Transpose that keeps its last dims in place (perm[i] == i from some k on) reorders runs of
 * L = shape[k] * ... * shape[r-1] contiguous elements: one memcpy per run, any element size
 * (YOLO11's DFL: [1, 4, 16, 8400] -> [1, 16, 4, 8400], 64 runs of 8400 floats, which the
 * reference walked element by element). Threads take contiguous ranges of runs. */
void yolo_transpose_rows(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth)
{
    const int64_t *p = n->params;
    const struct yolo_tensor *X = &x->g->tensors[n->in[0]], *Y = &x->g->tensors[n->out[0]];
    const uint8_t *src = yolo_exec_ptr(x, n->in[0]);
    uint8_t *dst = yolo_exec_ptr(x, n->out[0]);
    int r = X->ndim, k = r;
    while (k > 0 && p[YOLO_TP_RES + k - 1] == k - 1)
        k--;
    int64_t in_stride[YOLO_MAX_DIMS], run = 1, runs = 1;
    for (int i = k; i < r; i++)
        run *= X->shape[i];
    for (int i = 0; i < k; i++)
        runs *= Y->shape[i];
    if (r > 0)
        in_stride[r - 1] = 1;
    for (int i = r - 2; i >= 0; i--)
        in_stride[i] = in_stride[i + 1] * X->shape[i + 1];
    size_t es = yolo_dtype_size(X->dtype), bytes = es * (size_t)run;
    for (int64_t u = runs * ith / nth, u1 = runs * (ith + 1) / nth; u < u1; u++) {
        int64_t rem = u, off = 0;
        for (int i = k - 1; i >= 0; i--) {   /* output index along dim i, read at perm[i] */
            off += (rem % Y->shape[i]) * in_stride[p[YOLO_TP_RES + i]];
            rem /= Y->shape[i];
        }
        memcpy(dst + (size_t)u * bytes, src + (size_t)off * es, bytes);
    }
}
