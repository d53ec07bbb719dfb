/* ops/tile.c: Tile (ONNX opset 6, 13): out.shape[i] = in.shape[i] * repeats[i] and
 * out[j0..] = in[j0 % d0, ...]. `repeats` must be a constant int64 1-D input with one value
 * >= 0 per input dim. Any dtype.
 *
 * params[0] = rank, params[1 .. 1+rank) = repeats (resolved by shape_fn)
 *
 * The kernel splits the output into rows along the last dim; each row is the matching input
 * row written repeats[last] times. */
#include <string.h>

#include "broadcast.h"
#include "op_params.h"


static int tile_shape(struct yolo_graph *g, struct yolo_node *n, struct yolo_diag *d)
{
    int rc = yolo_bc_check_io(g, n, 2, 2, 1, d);
    if (rc)
        return rc;
    const struct yolo_tensor *X = &g->tensors[n->in[0]];
    int64_t rep[YOLO_MAX_DIMS], out[YOLO_MAX_DIMS];
    int32_t cnt;
    rc = yolo_bc_const_i64(g, n, 1, "repeats", YOLO_MAX_DIMS, rep, &cnt, d);
    if (rc)
        return rc;
    if (cnt != X->ndim)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "repeats has %d values for rank %d", cnt,
                               X->ndim);
    for (int32_t i = 0; i < cnt; i++)
        if (rep[i] < 0 || __builtin_mul_overflow(X->shape[i], rep[i], &out[i]))
            return yolo_node_error(d, YOLO_ERR_FORMAT, n, "repeats[%d] = %lld is invalid", i,
                                   (long long)rep[i]);
    rc = yolo_bc_set_out(g, n, 0, X->dtype, cnt, out, d);
    if (rc)
        return rc;
    n->params[YOLO_TL_RANK] = cnt;
    for (int32_t i = 0; i < YOLO_MAX_DIMS; i++)
        n->params[YOLO_TL_REPEATS + i] = i < cnt ? rep[i] : 0;
    return 0;
}

static void tile_ref(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth)
{
    const struct yolo_tensor *XT = &x->g->tensors[n->in[0]], *YT = &x->g->tensors[n->out[0]];
    const uint8_t *X = yolo_exec_ptr(x, n->in[0]);
    uint8_t *Y = yolo_exec_ptr(x, n->out[0]);
    size_t es = yolo_dtype_size(XT->dtype);
    int32_t r = YT->ndim;
    if (r == 0) {
        if (ith == 0)
            memmove(Y, X, es);
        return;
    }
    int64_t numel = yolo_tensor_numel(YT), last = YT->shape[r - 1];
    if (numel == 0)
        return;
    int64_t in_last = XT->shape[r - 1], xs[YOLO_MAX_DIMS], idx[YOLO_MAX_DIMS], s, e;
    yolo_bc_strides(r, XT->shape, xs);
    yolo_bc_split(numel / last, ith, nth, &s, &e);
    size_t row = (size_t)in_last * es;
    for (int64_t i = s; i < e; i++) {
        yolo_bc_unravel(r - 1, YT->shape, i, idx);
        int64_t off = 0;
        for (int32_t k = 0; k < r - 1; k++)
            off += (idx[k] % XT->shape[k]) * xs[k];
        uint8_t *dst = Y + (size_t)(i * last) * es;
        for (int64_t j = 0; j < last; j += in_last, dst += row)
            memcpy(dst, X + (size_t)off * es, row);
    }
}

const struct yolo_op_impl yolo_op_tile = {
    "Tile", "Tile", NULL, tile_shape, tile_ref, NULL
};
