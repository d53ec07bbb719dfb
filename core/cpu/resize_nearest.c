/* cpu/resize_nearest.c: the fast nearest-neighbour Resize (any ISA). */
#include <string.h>

#include "cpu/fast_ops.h"

/* Fast nearest: the last dim's source index is computed once per call into the thread's
 * scratch (the same nearest_index as the reference, so the same pixels), an output row whose
 * source row equals the previous one's (upsampling along H) is a copy of that row. */
void yolo_resize_nearest_fast(const struct yolo_exec *x, const struct yolo_node *n, int ith,
                              int nth)
{
    const int64_t *p = n->params;
    const struct yolo_tensor *X = &x->g->tensors[n->in[0]], *Y = &x->g->tensors[n->out[0]];
    const float *src = yolo_exec_ptr(x, n->in[0]);
    float *dst = yolo_exec_ptr(x, n->out[0]);
    int r = X->ndim;
    int64_t stride[YOLO_MAX_DIMS], len = Y->shape[r - 1], rows = yolo_tensor_numel(Y) / len;
    int64_t *xt = (int64_t *)(x->scratch + (uint64_t)ith * x->scratch_bytes);
    for (int64_t j = 0; j < len; j++)
        xt[j] = yolo_resize_nearest_index(p, j, n->fparams[r - 1], len, X->shape[r - 1]);
    stride[r - 1] = 1;
    for (int k = r - 2; k >= 0; k--)
        stride[k] = stride[k + 1] * X->shape[k + 1];
    int64_t lo = rows * ith / nth, hi = rows * (ith + 1) / nth, prev = -1;
    for (int64_t row = lo; row < hi; row++) {
        int64_t rem = row, off = 0;
        for (int k = r - 2; k >= 0; k--) {
            int64_t o = rem % Y->shape[k];
            rem /= Y->shape[k];
            off += yolo_resize_nearest_index(p, o, n->fparams[k], Y->shape[k], X->shape[k]) * stride[k];
        }
        float *d = dst + row * len;
        if (off == prev) {
            memcpy(d, d - len, sizeof(float) * (size_t)len);
        } else {
            const float *s = src + off;
            for (int64_t j = 0; j < len; j++)
                d[j] = s[xt[j]];
        }
        prev = off;
    }
}
