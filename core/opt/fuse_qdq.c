/* fuse_qdq.c: a QDQ model's quantized convolutions become QConv (ops/qconv.c), as ONNX
 * Runtime's QDQ transformer turns them into QLinearConv:
 *   DQ(xq) -> Conv(W = DQ(wq int8, zp 0), B) [-> Q]              => QConv(xq) [uint8/int8 out]
 *   ... -> Q -> DQ -> Sigmoid -> Mul(x, sigmoid) -> Q              => the same QConv with its
 *                                                                   output table (LUT)
 *   ... -> Q -> DQ -> float glue (no Conv reads it)                => the same QConv, float
 *                                                                   output on Q's grid
 * The last keeps the model's rounding (the value is quantized and dequantized in the
 * epilogue, ops/qconv.c YOLO_QC_FP_DQS) and drops two passes over the tensor; fuse_act then
 * folds a SiLU that follows into the QConv's activation.
 * Runs after constant folding and before dead-node removal, so the folded DequantizeLinear
 * nodes of weights are still there to say what the int8 weights and their scales were.
 * The SiLU between two quantizations depends only on the 256 possible input bytes, so it
 * becomes a 256-entry table computed with the same float operations as the graph's own
 * DequantizeLinear, Sigmoid, Mul and QuantizeLinear: exactly the unfused result.
 * A pattern that does not match exactly (non-const or non-zero weight zero points, uint8
 * weights, per-axis activation scales, tensors read elsewhere) is left as it is: the float
 * path computes the same thing, more slowly. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops/op_params.h"
#include "ops/quant.h"
#include "passes.h"

static int32_t sole_reader(const struct yolo_graph *g, const struct yolo_uses *u, int32_t t)
{
    return t >= 0 && u->n_reads[t] == 1 && !yolo_graph_is_output(g, t) ? u->reader[t] : -1;
}

/* A live per-tensor Q or DQ node producing / reading as the pattern needs. */
static int is_ql(const struct yolo_graph *g, int32_t i, enum yolo_op op, const uint8_t *dead)
{
    return i >= 0 && !dead[i] && g->nodes[i].op == op && g->nodes[i].params[YOLO_QL_NCH] == 1 &&
           g->nodes[i].n_out == 1;
}

/* For Q node qi: its output read only by DQ -> {Sigmoid, Mul(x, sigmoid)} -> Q. Returns the
 * last Q's index and the nodes to remove in drop[0..3], or -1. */
static int32_t silu_tail(const struct yolo_graph *g, const struct yolo_uses *u,
                         const uint8_t *dead, int32_t qi, int32_t drop[4])
{
    int32_t di = sole_reader(g, u, g->nodes[qi].out[0]);
    if (!is_ql(g, di, YOLO_OP_DEQUANTIZE_LINEAR, dead))
        return -1;
    int32_t x = g->nodes[di].out[0];
    if (x < 0 || u->n_reads[x] != 2 || yolo_graph_is_output(g, x))
        return -1;
    /* exporters put the pair right after the DequantizeLinear; a bounded look keeps the
     * pass linear on hostile graphs */
    int32_t si = -1, mi = -1, end = g->n_nodes - di > 64 ? di + 64 : g->n_nodes;
    for (int32_t i = di + 1; i < end && (si < 0 || mi < 0); i++) {
        const struct yolo_node *n = &g->nodes[i];
        if (dead[i])
            continue;
        if (n->op == YOLO_OP_SIGMOID && n->n_in == 1 && n->in[0] == x)
            si = i;
        else if (n->op == YOLO_OP_MUL && n->n_in == 2 && (n->in[0] == x || n->in[1] == x))
            mi = i;
    }
    if (si < 0 || mi < 0)
        return -1;
    int32_t s = g->nodes[si].out[0];
    const struct yolo_node *m = &g->nodes[mi];
    if (sole_reader(g, u, s) != mi || !((m->in[0] == x && m->in[1] == s) ||
                                        (m->in[0] == s && m->in[1] == x)))
        return -1;
    int32_t q2 = sole_reader(g, u, m->out[0]);
    if (!is_ql(g, q2, YOLO_OP_QUANTIZE_LINEAR, dead) ||
        g->nodes[q2].params[YOLO_QL_QDT] != g->nodes[qi].params[YOLO_QL_QDT])
        return -1;
    drop[0] = qi;
    drop[1] = di;
    drop[2] = si;
    drop[3] = mi;
    return q2;
}

/* For Q node qi: its output read only by a DequantizeLinear with the same scale, zero point
 * and dtype whose float output no convolution reads (conv_in[t]: those take the bytes, their
 * own fusion wants the pair). Returns the DequantizeLinear's index, or -1. */
static int32_t float_tail(const struct yolo_graph *g, const struct yolo_uses *u,
                          const uint8_t *dead, const uint8_t *conv_in, int32_t qi)
{
    const struct yolo_node *q = &g->nodes[qi];
    int32_t di = sole_reader(g, u, q->out[0]);
    if (!is_ql(g, di, YOLO_OP_DEQUANTIZE_LINEAR, dead))
        return -1;
    const struct yolo_node *dq = &g->nodes[di];
    if (dq->params[YOLO_QL_QDT] != q->params[YOLO_QL_QDT] ||
        yolo_quant_scale(g, dq, 0) != yolo_quant_scale(g, q, 0) ||
        yolo_quant_zp(g, dq, 0) != yolo_quant_zp(g, q, 0) || !(yolo_quant_scale(g, dq, 0) > 0))
        return -1;
    int32_t x = dq->out[0];
    return x >= 0 && !conv_in[x] && !yolo_graph_is_output(g, x) ? di : -1;
}

/* The 256-entry table q2(silu(dq(b))) for every byte b of the first Q's output. */
static void silu_table(const struct yolo_graph *g, const struct yolo_node *dq,
                       const struct yolo_node *q2, uint8_t lut[256])
{
    enum yolo_dtype dt1 = (enum yolo_dtype)dq->params[YOLO_QL_QDT];
    enum yolo_dtype dt2 = (enum yolo_dtype)q2->params[YOLO_QL_QDT];
    float s1 = yolo_quant_scale(g, dq, 0), s2 = yolo_quant_scale(g, q2, 0), lo, hi;
    int32_t z1 = yolo_quant_zp(g, dq, 0);
    float z2 = (float)yolo_quant_zp(g, q2, 0);
    yolo_quant_range(dt2, &lo, &hi);
    for (int b = 0; b < 256; b++) {
        int32_t q = dt1 == YOLO_DT_I8 ? (int32_t)(int8_t)(uint8_t)b : b;
        float v = (float)(q - z1) * s1;          /* as ops/dequantize_linear.c */
        float sig = 1.0f / (1.0f + expf(-v));    /* as ops/sigmoid.c */
        lut[b] = (uint8_t)yolo_quant_value(v * sig / s2, z2, lo, hi);
    }
}

/* Rewrites conv node ci if it matches; 1 if rewritten, 0 if not, < 0 on error. */
static int fuse_one(struct yolo_graph *g, struct yolo_uses *u, uint8_t *dead,
                    const uint8_t *conv_in, int32_t ci, struct yolo_diag *d)
{
    const struct yolo_node *c = &g->nodes[ci];
    if (c->n_in < 2 || c->n_out != 1 || c->params[YOLO_CONV_ACT] != YOLO_ACT_NONE)
        return 0;
    int32_t xi = u->producer[c->in[0]], wi = c->in[1] >= 0 ? u->producer[c->in[1]] : -1;
    int32_t bt = c->n_in > 2 ? c->in[2] : -1;
    if (!is_ql(g, xi, YOLO_OP_DEQUANTIZE_LINEAR, dead) || wi < 0 ||
        g->nodes[wi].op != YOLO_OP_DEQUANTIZE_LINEAR || (bt >= 0 && !(g->tensors[bt].flags & YOLO_TF_CONST)))
        return 0;
    const struct yolo_node *dx = &g->nodes[xi], *dw = &g->nodes[wi];
    int32_t xq = dx->in[0], wq = dw->in[0];
    const struct yolo_tensor *WQ = &g->tensors[wq];
    if ((g->tensors[xq].flags & YOLO_TF_CONST) || !(WQ->flags & YOLO_TF_CONST) ||
        WQ->dtype != YOLO_DT_I8 || WQ->ndim != 4 || !(g->tensors[c->in[1]].flags & YOLO_TF_CONST))
        return 0;
    int64_t M = WQ->shape[0], nch = dw->params[YOLO_QL_NCH];
    if (nch != 1 && (nch != M || dw->params[YOLO_QL_INNER] != WQ->shape[1] * WQ->shape[2] * WQ->shape[3]))
        return 0;
    for (int64_t m = 0; m < nch; m++)
        if (yolo_quant_zp(g, dw, m) != 0)
            return 0;
    /* output: quantized by a sole per-tensor Q, maybe through a SiLU table, or dequantized
     * again for float glue (a float output on the Q's grid) */
    int32_t qi = sole_reader(g, u, c->out[0]), q2 = -1, dqi = -1, drop[4] = { -1, -1, -1, -1 };
    if (!is_ql(g, qi, YOLO_OP_QUANTIZE_LINEAR, dead))
        qi = -1;
    else if ((q2 = silu_tail(g, u, dead, qi, drop)) < 0 && (dqi = float_tail(g, u, dead, conv_in, qi)) >= 0)
        drop[0] = qi, drop[1] = dqi;
    else if (q2 < 0)
        drop[0] = qi;
    int32_t last = q2 >= 0 ? q2 : dqi >= 0 ? dqi : qi;
    float sx = yolo_quant_scale(g, dx, 0), sy = qi >= 0 ? yolo_quant_scale(g, &g->nodes[qi], 0) : 1;
    char name[YOLO_NAME_MAX + 8];
    int64_t shape[1] = { M }, lshape[1] = { 256 };
    float *ws = malloc(sizeof(float) * (size_t)M);
    int32_t *bq = bt >= 0 ? malloc(sizeof(int32_t) * (size_t)M) : NULL;
    if (!ws || (bt >= 0 && !bq)) {
        free(ws);
        free(bq);
        return yolo_diag_set(d, YOLO_ERR_NOMEM, "out of memory fusing quantized convolutions");
    }
    const float *bf = bt >= 0 ? yolo_graph_const_data(g, bt) : NULL;
    for (int64_t m = 0; m < M; m++) {
        float acc_unit = sx * yolo_quant_scale(g, dw, nch > 1 ? m : 0);
        /* ONNX Runtime's QLinearConv multiplier: (x_scale * w_scale) / y_scale */
        ws[m] = qi >= 0 ? acc_unit / sy : acc_unit;
        if (bq) {
            /* the int32 bias a QDQ model stores has scale x_scale * w_scale, so this gives
             * it back exactly; a float bias is rounded to the accumulator's unit */
            float r = rintf(bf[m] / acc_unit);
            r = r > (float)(1 << 30) ? (float)(1 << 30) : r < -(float)(1 << 30) ? -(float)(1 << 30) : r;
            bq[m] = (int32_t)(r == r ? r : 0);
        }
    }
    int32_t wst, bqt = -1, lutt = -1;
    snprintf(name, sizeof name, "%.*s_qscale", YOLO_NAME_MAX - 8, c->name);
    wst = yolo_graph_add_const(g, name, YOLO_DT_F32, 1, shape, ws, d);
    if (wst >= 0 && bq) {
        snprintf(name, sizeof name, "%.*s_qbias", YOLO_NAME_MAX - 8, c->name);
        bqt = yolo_graph_add_const(g, name, YOLO_DT_I32, 1, shape, bq, d);
    }
    free(ws);
    free(bq);
    if (wst < 0 || (bt >= 0 && bqt < 0))
        return -1;
    if (q2 >= 0) {
        uint8_t lut[256];
        silu_table(g, &g->nodes[drop[1]], &g->nodes[q2], lut);
        snprintf(name, sizeof name, "%.*s_qlut", YOLO_NAME_MAX - 8, c->name);
        if ((lutt = yolo_graph_add_const(g, name, YOLO_DT_U8, 1, lshape, lut, d)) < 0)
            return -1;
    }
    struct yolo_node *n = &g->nodes[ci];
    int32_t y = last >= 0 ? g->nodes[last].out[0] : n->out[0];
    n->params[YOLO_QC_XZP] = yolo_quant_zp(g, dx, 0);
    /* the accumulator is requantized as the first Q says; the table maps that byte to the
     * last Q's (same dtype) */
    n->params[YOLO_QC_YZP] = qi >= 0 ? yolo_quant_zp(g, &g->nodes[qi], 0) : 0;
    n->params[YOLO_QC_ODT] = qi >= 0 && dqi < 0 ? g->nodes[qi].params[YOLO_QL_QDT] : YOLO_DT_F32;
    if (dqi >= 0) {
        n->params[YOLO_QC_GDT] = g->nodes[qi].params[YOLO_QL_QDT];
        n->fparams[YOLO_QC_FP_DQS] = yolo_quant_scale(g, &g->nodes[dqi], 0);
    }
    n->op = YOLO_OP_QCONV;
    n->n_in = YOLO_QC_N_IN;
    n->in[YOLO_QC_IN_X] = xq;
    n->in[YOLO_QC_IN_W] = wq;
    n->in[YOLO_QC_IN_B] = bqt;
    n->in[YOLO_QC_IN_WS] = wst;
    n->in[YOLO_QC_IN_LUT] = lutt;
    n->out[0] = y;
    for (int k = 0; k < 4; k++)
        if (drop[k] >= 0)
            dead[drop[k]] = 1;
    if (q2 >= 0)
        dead[q2] = 1;
    if (y >= 0)
        u->producer[y] = ci;
    return 1;
}

int yolo_opt_fuse_qdq(struct yolo_graph *g, int *n_changed, struct yolo_diag *d)
{
    int changed = 0, rc = 0;
    int32_t nn = g->n_nodes;
    /* room for the 3 constants each conv may add, so the tables below stay big enough */
    size_t nt = (size_t)g->n_tensors + 3 * (size_t)nn + 1;
    uint8_t *dead = calloc((size_t)(nn ? nn : 1), 1), *conv_in = calloc(nt, 1);
    struct yolo_uses u = { NULL, NULL, NULL };
    if (!dead || !conv_in) {
        rc = yolo_diag_set(d, YOLO_ERR_NOMEM, "out of memory fusing quantized convolutions");
        goto done;
    }
    if ((rc = yolo_uses_make(g, nt, &u, d)))
        goto done;
    /* the tensors a convolution reads (a float output there would cost it its int8 input) */
    for (int32_t i = 0; i < nn; i++)
        for (int k = 0; k < g->nodes[i].n_in; k++)
            if ((g->nodes[i].op == YOLO_OP_CONV || g->nodes[i].op == YOLO_OP_MATMUL) &&
                g->nodes[i].in[k] >= 0)
                conv_in[g->nodes[i].in[k]] = 1;
    for (int32_t i = 0; i < nn; i++) {
        if (dead[i] || g->nodes[i].op != YOLO_OP_CONV)
            continue;
        int r = fuse_one(g, &u, dead, conv_in, i, d);
        if (r < 0) {
            rc = d ? d->status : YOLO_ERR_NOMEM;
            goto done;
        }
        changed += r;
    }
    yolo_graph_remove_nodes(g, dead);
    if (n_changed)
        *n_changed = changed;
done:
    free(dead);
    free(conv_in);
    yolo_uses_free(&u);
    return rc;
}
