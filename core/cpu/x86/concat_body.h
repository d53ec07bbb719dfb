/* concat_body.h: Concat and Split along an axis with more than a few outer rows (YOLOv5's
 * head: the last axis, 2 + 2 + 81 floats per row), where the reference pays one memmove
 * call per (row, part). Here each thread takes whole rows and copies every part of a row
 * with inline vector moves: VL floats at a time, the ragged end as one more vector that
 * overlaps the previous one (parts of at least VL words), or one masked move (shorter
 * parts), or plain word copies (at most 4 words, where AVX2's masked store is slow on
 * some CPUs). Parts longer than 256 words go through memcpy, which is as fast there.
 * Bytes are moved as 32-bit words, never as float arithmetic, so any dtype whose part
 * sizes are whole words is copied bit for bit (yolo_rows_fast_applies, select.c).
 * A part that already sits where it belongs (the planner's in place, core/plan.c) is
 * skipped, as the reference does. */
#include <string.h>

#include "cpu/fast_ops.h"
#include "simd.h"

static inline void copy_words(uint32_t *d, const uint32_t *s, int64_t w)
{
    if (d == s)
        return;
    if (w > 256) {
        memcpy(d, s, (size_t)w * sizeof *d);
    } else if (w >= VL) {
        int64_t j = 0;
        for (; j + VL <= w; j += VL)
            vstore((float *)(d + j), vload((const float *)(s + j)));
        if (j < w)
            vstore((float *)(d + w - VL), vload((const float *)(s + w - VL)));
    } else if (w > 4) {
        vmask m = vm_n((int)w);
        vstorem((float *)d, vloadm((const float *)s, m), m);
    } else {
        for (int64_t j = 0; j < w; j++)
            memcpy(d + j, s + j, sizeof *d);   /* one mov; the bytes may hold any dtype */
    }
}

/* rows before the axis, and 32-bit words per row of one axis unit */
static int64_t row_geometry(const struct yolo_tensor *T, int64_t axis, int64_t *unit_words)
{
    int64_t outer = 1, inner = (int64_t)yolo_dtype_size(T->dtype);
    for (int64_t k = 0; k < axis; k++)
        outer *= T->shape[k];
    for (int k = (int)axis + 1; k < T->ndim; k++)
        inner *= T->shape[k];
    *unit_words = inner / 4;
    return outer;
}

void ISA_FN(yolo_concat)(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth)
{
    const struct yolo_tensor *Y = &x->g->tensors[n->out[0]];
    int64_t axis = n->params[YOLO_CC_AXIS_RES], uw, w[YOLO_MAX_IN], row = 0;
    int64_t outer = row_geometry(Y, axis, &uw);
    const uint32_t *src[YOLO_MAX_IN];
    for (int i = 0; i < n->n_in; i++) {
        w[i] = x->g->tensors[n->in[i]].shape[axis] * uw;
        src[i] = yolo_exec_ptr(x, n->in[i]);
        row += w[i];
    }
    uint32_t *dst = yolo_exec_ptr(x, n->out[0]);
    for (int64_t o = outer * ith / nth, o1 = outer * (ith + 1) / nth; o < o1; o++) {
        uint32_t *d = dst + o * row;
        for (int i = 0; i < n->n_in; i++) {
            copy_words(d, src[i] + o * w[i], w[i]);
            d += w[i];
        }
    }
}

void ISA_FN(yolo_split)(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth)
{
    const struct yolo_tensor *X = &x->g->tensors[n->in[0]];
    int64_t axis = n->params[YOLO_SP_AXIS_RES], uw, w[YOLO_MAX_OUT], row = 0;
    int64_t outer = row_geometry(X, axis, &uw);
    uint32_t *dst[YOLO_MAX_OUT];
    for (int k = 0; k < n->n_out; k++) {
        w[k] = n->params[YOLO_SP_SIZES + k] * uw;
        dst[k] = yolo_exec_ptr(x, n->out[k]);
        row += w[k];
    }
    const uint32_t *src = yolo_exec_ptr(x, n->in[0]);
    for (int64_t o = outer * ith / nth, o1 = outer * (ith + 1) / nth; o < o1; o++) {
        const uint32_t *s = src + o * row;
        for (int k = 0; k < n->n_out; k++) {
            copy_words(dst[k] + o * w[k], s, w[k]);
            s += w[k];
        }
    }
}
