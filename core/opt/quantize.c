/* quantize.c: post-training int8 (`yolo build --int8`): float Convs become QConv
 * (ops/qconv.c) from calibrated activation ranges.
 *
 *   plan:     which Convs take int8 and which float tensors (their inputs) need a range.
 *             Eligible: group-1 Convs with constant float32 weights whose input comes from the
 *             network body (the graph input, Conv, SiLU, Relu, Concat, Add, MaxPool, Resize,
 *             Split, and SpaceToDepth: core/opt/stem_s2d.c's stem keeps the int8 it had) and
 *             whose name is not in the keep-float list. A Conv fed by a
 *             Softmax, Transpose or Reshape belongs to the detection head's decode (YOLOv8's
 *             DFL) and stays float, as the box decode, DFL and final concat do.
 *   rewrite:  each calibrated input X gets one QuantizeLinear (uint8, asymmetric: the range
 *             widened to hold 0, scale (hi - lo) / 255, zero point rint(-lo / scale)); each
 *             Conv's weights become symmetric per-channel int8 (scale max|w| / 127), its
 *             bias int32 in accumulator units (x_scale * w_scale), corrected for the mean
 *             shift the weights' rounding causes (measured: weight rounding alone cost
 *             yolov8n 0.009 mAP50-95 before the correction); the QConv's output stays
 *             float32 with the Conv's fused activation applied to the exact int32 sum, so
 *             every quantization error is the inputs' and weights' rounding, nothing more.
 * The image input's range [0, 1] gives scale 1/255 and zero point 0: the letterboxed pixels
 * (u8 / 255) are represented exactly. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops/op_params.h"
#include "ops/quant.h"
#include "passes.h"

static int name_kept(const char *name, const char *const *keep, int32_t n_keep)
{
    for (int32_t i = 0; i < n_keep; i++) {
        size_t len = strlen(keep[i]);
        if (len && keep[i][len - 1] == '*' ? strncmp(name, keep[i], len - 1) == 0
                                           : strcmp(name, keep[i]) == 0)
            return 1;
    }
    return 0;
}

static int body_op(enum yolo_op op)
{
    switch (op) {
    case YOLO_OP_CONV: case YOLO_OP_QCONV: case YOLO_OP_SILU: case YOLO_OP_RELU:
    case YOLO_OP_CONCAT: case YOLO_OP_ADD: case YOLO_OP_MAXPOOL: case YOLO_OP_RESIZE:
    case YOLO_OP_SPLIT: case YOLO_OP_SPACE_TO_DEPTH:
        return 1;
    default:
        return 0;
    }
}

int32_t yolo_quant_plan(const struct yolo_graph *g, const char *const *keep, int32_t n_keep,
                        uint8_t *conv_ok, uint8_t *target)
{
    int32_t n = 0;
    memset(conv_ok, 0, (size_t)g->n_nodes);
    memset(target, 0, (size_t)g->n_tensors);
    for (int32_t i = 0; i < g->n_nodes; i++) {
        const struct yolo_node *c = &g->nodes[i];
        if (c->op != YOLO_OP_CONV || c->n_in < 2 || c->params[YOLO_CONV_GROUP] != 1 ||
            name_kept(c->name, keep, n_keep))
            continue;
        const struct yolo_tensor *X = &g->tensors[c->in[0]], *W = &g->tensors[c->in[1]];
        if (X->dtype != YOLO_DT_F32 || W->dtype != YOLO_DT_F32 || !(W->flags & YOLO_TF_CONST) ||
            (X->flags & YOLO_TF_CONST) || W->shape[1] * W->shape[2] * W->shape[3] > 32768)
            continue;
        if (c->n_in > 2 && c->in[2] >= 0 && !(g->tensors[c->in[2]].flags & YOLO_TF_CONST))
            continue;
        int32_t p = yolo_graph_producer(g, c->in[0]);
        if (p >= 0 && !body_op(g->nodes[p].op))
            continue;
        conv_ok[i] = 1;
        target[c->in[0]] = 1;
        n++;
    }
    return n;
}

/* Scale and zero point of a uint8 tensor covering [lo, hi] (widened to hold 0). */
static void act_qparams(float lo, float hi, float *s, uint8_t *zp)
{
    if (!(lo < 0.0f))
        lo = 0.0f;
    if (!(hi > 0.0f))
        hi = 0.0f;
    if (hi - lo < 1e-6f)
        hi = lo + 1e-6f;
    *s = (hi - lo) / 255.0f;
    float z = rintf(-lo / *s);
    *zp = (uint8_t)(z < 0 ? 0 : z > 255 ? 255 : z);
}

static int quantize_conv(struct yolo_graph *g, int32_t ci, int32_t xq, float sx, uint8_t zx,
                         const double *xmean, struct yolo_diag *d)
{
    const struct yolo_node *c = &g->nodes[ci];
    int32_t wt = c->in[1], bt = c->n_in > 2 ? c->in[2] : -1;
    const struct yolo_tensor *W = &g->tensors[wt];
    int64_t M = W->shape[0], K = W->shape[1] * W->shape[2] * W->shape[3];
    int64_t wshape[4] = { W->shape[0], W->shape[1], W->shape[2], W->shape[3] }, mshape[1] = { M };
    int8_t *wq = malloc((size_t)(M * K));
    float *ws = malloc(sizeof(float) * (size_t)M);
    int32_t *bq = malloc(sizeof(int32_t) * (size_t)M);
    int rc = 0;
    if (!wq || !ws || !bq) {
        rc = yolo_diag_set(d, YOLO_ERR_NOMEM, "out of memory quantizing '%s'", c->name);
        goto done;
    }
    const float *w = yolo_graph_const_data(g, wt);
    const float *b = bt >= 0 ? yolo_graph_const_data(g, bt) : NULL;
    for (int64_t m = 0; m < M; m++) {
        float amax = 0.0f;
        for (int64_t k = 0; k < K; k++)
            amax = fabsf(w[m * K + k]) > amax ? fabsf(w[m * K + k]) : amax;
        float sw = amax > 0.0f && isfinite(amax) ? amax / 127.0f : 1.0f;
        for (int64_t k = 0; k < K; k++) {
            float q = rintf(w[m * K + k] / sw);
            wq[m * K + k] = (int8_t)(q > 127 ? 127 : q < -127 ? -127 : q == q ? q : 0);
        }
        ws[m] = sx * sw;
        /* bias correction: the weights' rounding shifts the output's mean by
         * sum (wq * sw - w) * E[x]; subtract it (E[x] per input channel, calibrated) */
        double shift = 0;
        int64_t taps = W->shape[2] * W->shape[3];
        for (int64_t k = 0; xmean && k < K; k++)
            shift += ((double)wq[m * K + k] * sw - w[m * K + k]) * xmean[k / taps];
        float r = rintf((float)(((b ? b[m] : 0.0) - shift) / ws[m]));
        r = r > (float)(1 << 30) ? (float)(1 << 30) : r < -(float)(1 << 30) ? -(float)(1 << 30) : r;
        bq[m] = (int32_t)(r == r ? r : 0);
    }
    char name[YOLO_NAME_MAX + 8];
    snprintf(name, sizeof name, "%.*s_wq", YOLO_NAME_MAX - 8, c->name);
    int32_t wqt = yolo_graph_add_const(g, name, YOLO_DT_I8, 4, wshape, wq, d);
    (void)b;
    snprintf(name, sizeof name, "%.*s_qscale", YOLO_NAME_MAX - 8, g->nodes[ci].name);
    int32_t wst = wqt < 0 ? -1 : yolo_graph_add_const(g, name, YOLO_DT_F32, 1, mshape, ws, d);
    snprintf(name, sizeof name, "%.*s_qbias", YOLO_NAME_MAX - 8, g->nodes[ci].name);
    int32_t bqt = wst < 0 ? -1 : yolo_graph_add_const(g, name, YOLO_DT_I32, 1, mshape, bq, d);
    if (bqt < 0) {
        rc = d ? d->status : YOLO_ERR_NOMEM;
        goto done;
    }
    struct yolo_node *n = &g->nodes[ci];
    n->op = YOLO_OP_QCONV;
    n->n_in = YOLO_QC_N_IN;
    n->in[YOLO_QC_IN_X] = xq;
    n->in[YOLO_QC_IN_W] = wqt;
    n->in[YOLO_QC_IN_B] = bqt;
    n->in[YOLO_QC_IN_WS] = wst;
    n->in[YOLO_QC_IN_LUT] = -1;
    n->params[YOLO_QC_XZP] = zx;
    n->params[YOLO_QC_YZP] = 0;
    n->params[YOLO_QC_ODT] = YOLO_DT_F32;
done:
    free(wq);
    free(ws);
    free(bq);
    return rc;
}

static int32_t group_of(int32_t *up, int32_t t)
{
    while (up[t] != t)
        t = up[t] = up[up[t]];
    return t;
}

/* Calibrated tensors joined through Concat, Split and nearest Resize nodes (a Concat's inputs
 * and output, a Split's or a Resize's input and outputs) get one range, the union of theirs.
 * Then the quantization of a Concat's output is the same as its inputs', and
 * core/opt/push_q.c can move it above the Concat into the convolutions that write them: a
 * YOLOv8 C2f block's convolutions then write uint8 straight into its concatenation instead of
 * float32 that is quantized again. The ranges joined are alike (a Concat's output range
 * already holds each input's; a Split's pieces are parts of one tensor; a nearest Resize
 * copies values). lo/hi are read for calibrated tensors (cal[t]) only. */
static void share_ranges(const struct yolo_graph *g, const uint8_t *cal, int32_t *up, float *lo,
                         float *hi)
{
    int32_t nt = g->n_tensors;
    for (int32_t t = 0; t < nt; t++)
        up[t] = t;
    for (int32_t i = 0; i < g->n_nodes; i++) {
        const struct yolo_node *n = &g->nodes[i];
        int32_t a = -1;
        if (n->op == YOLO_OP_CONCAT && n->n_out == 1)
            a = n->out[0];
        else if ((n->op == YOLO_OP_SPLIT ||
                  (n->op == YOLO_OP_RESIZE && n->params[YOLO_RS_MODE] == 0)) && n->n_in >= 1)
            a = n->in[0];
        if (a < 0 || g->tensors[a].dtype != YOLO_DT_F32)
            continue;
        int n_join = n->op == YOLO_OP_CONCAT ? n->n_in : n->n_out;
        for (int k = 0; k < n_join; k++) {
            int32_t b = n->op == YOLO_OP_CONCAT ? n->in[k] : n->out[k];
            if (b >= 0 && b < nt && g->tensors[b].dtype == YOLO_DT_F32)
                up[group_of(up, b)] = group_of(up, a);
        }
    }
    float *glo = malloc(sizeof(float) * (size_t)(nt ? nt : 1));
    float *ghi = malloc(sizeof(float) * (size_t)(nt ? nt : 1));
    if (!glo || !ghi) {   /* no sharing: each tensor keeps its own range */
        free(glo);
        free(ghi);
        return;
    }
    for (int32_t t = 0; t < nt; t++) {
        glo[t] = INFINITY;
        ghi[t] = -INFINITY;
    }
    for (int32_t t = 0; t < nt; t++)
        if (cal[t]) {
            int32_t r = group_of(up, t);
            glo[r] = fminf(glo[r], lo[t]);
            ghi[r] = fmaxf(ghi[r], hi[t]);
        }
    for (int32_t t = 0; t < nt; t++)
        if (cal[t]) {
            lo[t] = glo[group_of(up, t)];
            hi[t] = ghi[group_of(up, t)];
        }
    free(glo);
    free(ghi);
}

int yolo_opt_quantize(struct yolo_graph *g, const uint8_t *conv_ok, const float *lo_in,
                      const float *hi_in, const double *mean, const int64_t *mean_at,
                      int *n_changed, struct yolo_diag *d)
{
    int32_t nt0 = g->n_tensors, nn0 = g->n_nodes;
    size_t cnt = (size_t)(nt0 ? nt0 : 1);
    int32_t *xq_of = malloc(sizeof(int32_t) * cnt), *up = malloc(sizeof(int32_t) * cnt);
    float *sx_of = malloc(sizeof(float) * cnt);
    float *lo = malloc(sizeof(float) * cnt), *hi = malloc(sizeof(float) * cnt);
    uint8_t *zx_of = malloc(cnt), *cal = calloc(cnt, 1);
    int rc = 0, changed = 0;
    if (!xq_of || !sx_of || !zx_of || !up || !lo || !hi || !cal) {
        rc = yolo_diag_set(d, YOLO_ERR_NOMEM, "out of memory quantizing");
        goto done;
    }
    for (int32_t i = 0; i < nn0; i++)
        if (conv_ok[i])
            cal[g->nodes[i].in[0]] = 1;
    for (int32_t t = 0; t < nt0; t++) {
        xq_of[t] = -1;
        lo[t] = cal[t] ? lo_in[t] : 0.0f;
        hi[t] = cal[t] ? hi_in[t] : 0.0f;
    }
    share_ranges(g, cal, up, lo, hi);
    for (int32_t i = 0; i < nn0 && !rc; i++) {
        if (!conv_ok[i])
            continue;
        int32_t x = g->nodes[i].in[0];
        if (xq_of[x] < 0) {
            /* one QuantizeLinear per input tensor, shared by every Conv reading it */
            char name[YOLO_NAME_MAX + 8];
            float s;
            uint8_t zp;
            int64_t none[1] = { 0 };
            act_qparams(lo[x], hi[x], &s, &zp);
            const struct yolo_tensor *X = &g->tensors[x];
            int64_t shape[YOLO_MAX_DIMS];
            int32_t nd = X->ndim;
            memcpy(shape, X->shape, sizeof shape);
            snprintf(name, sizeof name, "%.*s_q", YOLO_NAME_MAX - 8, g->tensors[x].name);
            int32_t xq = yolo_graph_add_tensor(g, name, YOLO_DT_U8, nd, shape, d);
            snprintf(name, sizeof name, "%.*s_qs", YOLO_NAME_MAX - 8, g->tensors[x].name);
            int32_t st = xq < 0 ? -1 : yolo_graph_add_const(g, name, YOLO_DT_F32, 0, none, &s, d);
            snprintf(name, sizeof name, "%.*s_qz", YOLO_NAME_MAX - 8, g->tensors[x].name);
            int32_t zt = st < 0 ? -1 : yolo_graph_add_const(g, name, YOLO_DT_U8, 0, none, &zp, d);
            int32_t qin[3] = { x, st, zt };
            snprintf(name, sizeof name, "%.*s_Quantize", YOLO_NAME_MAX - 10, g->tensors[x].name);
            int32_t qn = zt < 0 ? -1 : yolo_graph_add_node(g, YOLO_OP_QUANTIZE_LINEAR, name, 3, qin,
                                                           1, &xq, d);
            if (qn < 0) {
                rc = d ? d->status : YOLO_ERR_NOMEM;
                break;
            }
            g->nodes[qn].params[YOLO_QL_AXIS] = 1;
            xq_of[x] = xq;
            sx_of[x] = s;
            zx_of[x] = zp;
        }
        rc = quantize_conv(g, i, xq_of[x], sx_of[x], zx_of[x],
                           mean && mean_at[x] >= 0 ? mean + mean_at[x] : NULL, d);
        changed += rc == 0;
    }
    /* the new QuantizeLinear nodes were appended: put them before their readers */
    if (!rc && changed)
        rc = yolo_graph_toposort(g, d);
    if (n_changed)
        *n_changed = changed;
done:
    free(xq_of);
    free(sx_of);
    free(zx_of);
    free(up);
    free(lo);
    free(hi);
    free(cal);
    return rc;
}
