/* cpu/resize_nearest.c: the fast nearest-neighbour Resize (any ISA), float32 or 8-bit
 * elements. An int8 tensor in the c4 layout (cpu/qconv_pack.h: [N][C/4][H][W][4], its
 * channels never resized) is moved as the float32-sized groups of 4 channels it is made
 * of: the same pixels, 4 bytes at a time (node data: struct yolo_conv_packed, x_c4). */
#include <string.h>

#include "cpu/conv_pack.h"
#include "cpu/fast_ops.h"

/* Fast nearest: each dim's source index is computed once per call into the thread's scratch
 * (yolo_resize_nearest_index, the reference's, so the same pixels; per output row it cost more
 * than the row's copy), and an output row whose source row equals the previous one's
 * (upsampling along H) is a copy of that row. A last dim upsampled exactly 2x (YOLO's necks)
 * stores each source element twice as one 8-byte pair. */
void yolo_resize_nearest_fast(const struct yolo_exec *x, const struct yolo_node *n, int ith,
                              int nth)
{
    const int64_t *p = n->params;
    const struct yolo_tensor *X = &x->g->tensors[n->in[0]], *Y = &x->g->tensors[n->out[0]];
    const struct yolo_conv_packed *pk = yolo_exec_node_data(x, n);
    const uint8_t *src = yolo_exec_ptr(x, n->in[0]);
    uint8_t *dst = yolo_exec_ptr(x, n->out[0]);
    int r = X->ndim, c4 = pk && pk->x_c4;
    size_t es = c4 ? 4 : yolo_dtype_size(X->dtype);
    int64_t xs[YOLO_MAX_DIMS], ys[YOLO_MAX_DIMS];
    memcpy(xs, X->shape, sizeof xs);
    memcpy(ys, Y->shape, sizeof ys);
    if (c4) {   /* r == 4, C % 4 == 0, scale 1 on C (cpu/qconv_c4.c) */
        xs[1] /= 4;
        ys[1] /= 4;
    }
    /* tab[k]: dim k's source index of each output index (the scratch: the sum of Y's dims) */
    int64_t *tab[YOLO_MAX_DIMS] = { 0 }, *at = (int64_t *)(x->scratch + (uint64_t)ith * x->scratch_bytes);
    int64_t stride[YOLO_MAX_DIMS], len = ys[r - 1], rows = 1;
    for (int k = 0; k < r; k++) {
        tab[k] = at;
        for (int64_t j = 0; j < ys[k]; j++)
            at[j] = yolo_resize_nearest_index(p, j, n->fparams[k], ys[k], xs[k]);
        at += ys[k];
        if (k < r - 1)
            rows *= ys[k];
    }
    const int64_t *xt = tab[r - 1];
    int twice = es == 4 && len % 2 == 0;
    for (int64_t j = 0; j < len && twice; j++)
        twice = xt[j] == j / 2;
    stride[r - 1] = 1;
    for (int k = r - 2; k >= 0; k--)
        stride[k] = stride[k + 1] * xs[k + 1];
    int64_t lo = rows * ith / nth, hi = rows * (ith + 1) / nth, prev = -1;
    for (int64_t row = lo; row < hi; row++) {
        int64_t rem = row, off = 0;
        for (int k = r - 2; k >= 0; k--) {
            off += tab[k][rem % ys[k]] * stride[k];
            rem /= ys[k];
        }
        uint8_t *d = dst + (size_t)(row * len) * es;
        if (off == prev) {
            memcpy(d, d - (size_t)len * es, es * (size_t)len);
        } else if (twice) {
            const uint32_t *s = (const uint32_t *)src + off;
            for (int64_t j = 0; j < len / 2; j++) {
                uint64_t pair = (uint64_t)s[j] * 0x100000001u;   /* s[j] in both halves */
                memcpy(d + 8 * j, &pair, 8);
            }
        } else if (es == 4) {
            const uint32_t *s = (const uint32_t *)src + off;
            uint32_t *d4 = (uint32_t *)d;
            for (int64_t j = 0; j < len; j++)
                d4[j] = s[xt[j]];
        } else {
            const uint8_t *s = src + off;
            for (int64_t j = 0; j < len; j++)
                d[j] = s[xt[j]];
        }
        prev = off;
    }
}
