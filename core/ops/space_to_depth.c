/* ops/space_to_depth.c: SpaceToDepth (ONNX opsets 1, 13), any dtype: import, shape inference,
 * reference kernel.
 *
 * x [N, C, H, W] -> y [N, C*b*b, H/b, W/b] (b = blocksize, H and W multiples of b), with
 *   y[n, (bh*b + bw)*C + c, i, j] = x[n, c, i*b + bh, j*b + bw]
 * i.e. ONNX's reshape to [N, C, H/b, b, W/b, b], transpose (0, 3, 5, 1, 2, 4), reshape.
 * Besides ONNX models, core/opt/stem_s2d.c makes it of a stride-2 stem convolution.
 * params: [YOLO_S2D_BS] blocksize. */
#include <string.h>

#include "broadcast.h"
#include "op_params.h"

static int s2d_import(struct yolo_graph *g, struct yolo_node *n, struct yolo_attrs *a,
                      struct yolo_diag *d)
{
    (void)g;
    int bad = 0;
    if (n->n_in != 1 || n->n_out != 1)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "expects 1 input and 1 output, has %d and %d",
                               n->n_in, n->n_out);
    n->params[YOLO_S2D_BS] = yolo_attr_int(a, "blocksize", 0, &bad);
    if (bad)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "attribute 'blocksize' has the wrong type");
    return 0;
}

static int s2d_shape(struct yolo_graph *g, struct yolo_node *n, struct yolo_diag *d)
{
    int rc = yolo_bc_check_io(g, n, 1, 1, 1, d);
    if (rc)
        return rc;
    const struct yolo_tensor *X = &g->tensors[n->in[0]];
    int64_t b = n->params[YOLO_S2D_BS];
    if (b < 1 || b > 64)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "blocksize %lld is not in 1..64",
                               (long long)b);
    if (X->ndim != 4 || yolo_dtype_size(X->dtype) == 0)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "input must be 4-D [N, C, H, W] of a known "
                               "dtype");
    if (X->shape[2] % b || X->shape[3] % b)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "input %lldx%lld is not a multiple of "
                               "blocksize %lld", (long long)X->shape[2], (long long)X->shape[3],
                               (long long)b);
    const int64_t y[4] = { X->shape[0], X->shape[1] * b * b, X->shape[2] / b, X->shape[3] / b };
    return yolo_bc_set_out(g, n, 0, X->dtype, 4, y, d);
}

/* One output row (n, oc, i) per unit: the elements bw, bw + b, ... of input row i*b + bh. */
static void s2d_ref(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth)
{
    const struct yolo_tensor *X = &x->g->tensors[n->in[0]], *Y = &x->g->tensors[n->out[0]];
    const uint8_t *src = yolo_exec_ptr(x, n->in[0]);
    uint8_t *dst = yolo_exec_ptr(x, n->out[0]);
    size_t es = yolo_dtype_size(X->dtype);
    int64_t b = n->params[YOLO_S2D_BS], C = X->shape[1], H = X->shape[2], W = X->shape[3];
    int64_t OC = Y->shape[1], OH = Y->shape[2], OW = Y->shape[3], s, e;
    yolo_bc_split(Y->shape[0] * OC * OH, ith, nth, &s, &e);
    for (int64_t r = s; r < e; r++) {
        int64_t i = r % OH, oc = (r / OH) % OC, nb = r / (OH * OC);
        int64_t c = oc % C, bw = (oc / C) % b, bh = oc / (C * b);
        const uint8_t *xr = src + (size_t)(((nb * C + c) * H + i * b + bh) * W + bw) * es;
        uint8_t *yr = dst + (size_t)(r * OW) * es;
        for (int64_t j = 0; j < OW; j++)
            memcpy(yr + (size_t)j * es, xr + (size_t)(j * b) * es, es);
    }
}

const struct yolo_op_impl yolo_op_space_to_depth = {
    "SpaceToDepth", "SpaceToDepth", s2d_import, s2d_shape, s2d_ref, NULL
};
