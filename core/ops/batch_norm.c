/* ops/batch_norm.c: BatchNormalization (ONNX opsets 1..15), inference form only: import,
 * shape inference, reference kernel.
 *
 * Inputs X [N, C, ...] f32, scale, B, mean, var, each [C] f32. Output Y like X:
 * Y = (X - mean) / sqrt(var + epsilon) * scale + B, per channel (dim 1).
 * fparams: [0] epsilon (default 1e-5). No params. Training mode (training_mode = 1 or the
 * extra running-mean/var outputs) and the opset < 9 `spatial = 0` form are unsupported.
 */
#include <math.h>
#include <string.h>

#include "yolo_core.h"

static int batch_norm_import(struct yolo_graph *g, struct yolo_node *n, struct yolo_attrs *a,
                             struct yolo_diag *d)
{
    (void)g;
    int bad = 0;
    if (n->n_in != 5)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "expects 5 inputs (X, scale, B, mean, var), "
                               "has %d", n->n_in);
    if (n->n_out != 1)
        return yolo_node_error(d, YOLO_ERR_UNSUPPORTED, n, "only the inference form (1 output) is "
                               "supported, node has %d outputs", n->n_out);
    float eps = yolo_attr_float(a, "epsilon", 1e-5f, &bad);
    (void)yolo_attr_float(a, "momentum", 0.9f, &bad);     /* training only: read, unused */
    int64_t training = yolo_attr_int(a, "training_mode", 0, &bad);
    int64_t spatial = yolo_attr_int(a, "spatial", 1, &bad);
    (void)yolo_attr_int(a, "is_test", 1, &bad);          /* opset < 7; no effect here */
    if (bad)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "an attribute has the wrong type");
    if (training != 0)
        return yolo_node_error(d, YOLO_ERR_UNSUPPORTED, n, "training_mode %lld is not supported",
                               (long long)training);
    if (spatial != 1)
        return yolo_node_error(d, YOLO_ERR_UNSUPPORTED, n, "spatial %lld is not supported",
                               (long long)spatial);
    n->fparams[0] = eps;
    return 0;
}

static int batch_norm_shape(struct yolo_graph *g, struct yolo_node *n, struct yolo_diag *d)
{
    if (n->n_in != 5 || n->n_out != 1 || n->out[0] < 0 || n->out[0] >= g->n_tensors)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "expects 5 inputs and 1 output");
    for (int i = 0; i < 5; i++)
        if (n->in[i] < 0 || n->in[i] >= g->n_tensors)
            return yolo_node_error(d, YOLO_ERR_FORMAT, n, "missing or invalid input %d", i);
    const struct yolo_tensor *X = &g->tensors[n->in[0]];
    if (X->dtype != YOLO_DT_F32 || X->ndim < 2 || yolo_tensor_numel(X) < 0)
        return yolo_node_error(d, YOLO_ERR_UNSUPPORTED, n, "X must be float32 of rank >= 2");
    static const char *names[5] = { "X", "scale", "B", "mean", "var" };
    for (int i = 1; i < 5; i++) {
        const struct yolo_tensor *P = &g->tensors[n->in[i]];
        if (P->dtype != YOLO_DT_F32 || P->ndim != 1 || P->shape[0] != X->shape[1])
            return yolo_node_error(d, YOLO_ERR_FORMAT, n, "input '%s' must be float32 [%lld]",
                                   names[i], (long long)X->shape[1]);
    }
    struct yolo_tensor *Y = &g->tensors[n->out[0]];
    Y->dtype = YOLO_DT_F32;
    Y->ndim = X->ndim;
    memcpy(Y->shape, X->shape, sizeof X->shape);
    return 0;
}

/* Threads split the (n, c) planes. */
static void batch_norm_ref(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth)
{
    const struct yolo_tensor *X = &x->g->tensors[n->in[0]];
    const float *src = yolo_exec_ptr(x, n->in[0]), *scale = yolo_exec_ptr(x, n->in[1]);
    const float *bias = yolo_exec_ptr(x, n->in[2]), *mean = yolo_exec_ptr(x, n->in[3]);
    const float *var = yolo_exec_ptr(x, n->in[4]);
    float *dst = yolo_exec_ptr(x, n->out[0]);
    int64_t C = X->shape[1], planes = X->shape[0] * C, inner = 1;
    for (int k = 2; k < X->ndim; k++)
        inner *= X->shape[k];
    int64_t lo = planes * ith / nth, hi = planes * (ith + 1) / nth;
    for (int64_t pl = lo; pl < hi; pl++) {
        int64_t c = pl % C;
        float a = scale[c] / sqrtf(var[c] + n->fparams[0]), b = bias[c] - mean[c] * a;
        for (int64_t i = 0; i < inner; i++)
            dst[pl * inner + i] = src[pl * inner + i] * a + b;
    }
}

const struct yolo_op_impl yolo_op_batch_norm = {
    .onnx_name = "BatchNormalization",
    .display_name = "BatchNormalization",
    .import_fn = batch_norm_import,
    .shape_fn = batch_norm_shape,
    .ref_fn = batch_norm_ref,
};
