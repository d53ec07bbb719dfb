/* push_q.c: QuantizeLinear moved above the Concat, Split and nearest Resize nodes it
 * follows, so the quantized convolutions feeding them write their bytes straight into place:
 *   Concat(a, b, ...) -> t -> Q(s, zp) -> q   =>   Concat(Q(a), Q(b), ...) -> q
 *   Split(x) -> y0, y1, ... -> Q(s, zp) each   =>   Split(Q(x)) -> q0, q1, ...
 *   Resize(x, nearest) -> t -> Q(s, zp) -> q   =>   Resize(Q(x), nearest) -> q
 * Then fuse_qconv_q folds each new Q(a) into the QConv writing a, and the planner places the
 * QConvs' uint8 outputs inside the Concat's (as it does float ones): `yolo build --int8`'s
 * YOLOv8 C2f blocks stop writing float32 tensors only to quantize them again (yolov8n:
 * 14 QuantizeLinear nodes after Concats, ~1.2 ms of a 22 ms inference at 1 thread).
 *
 * Exact: quantization maps each element on its own with one scale and zero point, and these
 * nodes only move elements, so every output byte is what it was.
 * One more move is not exact: a residual Add whose sum is quantized becomes QAdd of its two
 * addends quantized with the sum's scale and zero point (ops/qadd.c):
 *   Add(a, b) -> t -> Q -> q   =>   QAdd(Q(a), Q(b)) -> q
 * Each addend is now rounded to the grid before the sum, so a code can differ by one (and an
 * addend outside the sum's range is clipped first). For YOLOv8's C2f shortcut that grid is
 * the block's shared range, and in exchange the block's Split, its bottleneck convolutions
 * and its Concat all stay int8 (accuracy measured: README, --int8).
 * A node is moved over only where all readers of its outputs are per-tensor Qs with the same
 * parameters (the calibration gives such groups one range for that: core/opt/quantize.c)
 * and where it pays: some input comes from a QConv with a float output (which can then fuse
 * its Q) or from another such node (which can then move further), and none from a
 * DequantizeLinear (a QDQ model's float glue; Q(DQ(x)) would add work there). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops/op_params.h"
#include "ops/quant.h"
#include "passes.h"

/* Nodes that only move elements: a Q commutes with them. */
static int is_glue(const struct yolo_node *n)
{
    return n->op == YOLO_OP_CONCAT || n->op == YOLO_OP_SPLIT ||
           (n->op == YOLO_OP_RESIZE && n->params[YOLO_RS_MODE] == 0);
}

/* A residual Add: two float tensors of the output's shape, neither constant. */
static int is_residual_add(const struct yolo_graph *g, const struct yolo_node *n)
{
    if (n->op != YOLO_OP_ADD || n->n_in != 2 || n->n_out != 1 || n->out[0] < 0)
        return 0;
    const struct yolo_tensor *Y = &g->tensors[n->out[0]];
    for (int k = 0; k < 2; k++) {
        if (n->in[k] < 0)
            return 0;
        const struct yolo_tensor *X = &g->tensors[n->in[k]];
        if (X->dtype != YOLO_DT_F32 || (X->flags & YOLO_TF_CONST) || X->ndim != Y->ndim ||
            memcmp(X->shape, Y->shape, sizeof(int64_t) * (size_t)Y->ndim))
            return 0;
    }
    return 1;
}

/* Whether Q nodes a and b quantize with the same scale, zero point and dtype. */
static int same_q(const struct yolo_graph *g, const struct yolo_node *a, const struct yolo_node *b)
{
    return yolo_quant_scale(g, a, 0) == yolo_quant_scale(g, b, 0) &&
           yolo_quant_zp(g, a, 0) == yolo_quant_zp(g, b, 0) &&
           a->params[YOLO_QL_QDT] == b->params[YOLO_QL_QDT];
}

/* The Q node that every reader of tensor t is (per tensor, reading t as input 0, all with
 * q0's scale, zero point and dtype; q0 < 0 on entry: the first reader sets them), or -1 when
 * some reader is not such a Q. *none is set when t has no reader at all. */
static int32_t q_readers(const struct yolo_graph *g, const uint8_t *dead, int32_t t,
                         int32_t *q0, int *none)
{
    int32_t first = -1;
    *none = 1;
    if (yolo_graph_is_output(g, t))
        return -1;
    for (int32_t j = 0; j < g->n_nodes; j++) {
        const struct yolo_node *r = &g->nodes[j];
        if (dead[j])
            continue;
        int reads = 0;
        for (int k = 0; k < r->n_in; k++)
            reads += r->in[k] == t;
        if (!reads)
            continue;
        *none = 0;
        if (reads != 1 || r->in[0] != t || r->op != YOLO_OP_QUANTIZE_LINEAR || r->n_out != 1 ||
            r->params[YOLO_QL_NCH] != 1 || yolo_graph_is_output(g, r->out[0]))
            return -1;
        if (*q0 < 0)
            *q0 = j;
        else if (!same_q(g, &g->nodes[*q0], r))
            return -1;
        if (first < 0)
            first = j;
    }
    return first;
}

/* Whether moving the Q above a node reading t pays (see the top of the file): 1 yes, 0 no
 * gain here, -1 never (a DequantizeLinear's output). */
static int input_pays(const struct yolo_graph *g, int32_t t)
{
    int32_t p = yolo_graph_producer(g, t);
    if (p < 0)
        return 0;
    const struct yolo_node *n = &g->nodes[p];
    if (n->op == YOLO_OP_DEQUANTIZE_LINEAR ||
        (n->op == YOLO_OP_QCONV && n->fparams[YOLO_QC_FP_DQS] != 0))   /* the same, fused */
        return -1;
    return (n->op == YOLO_OP_QCONV && n->params[YOLO_QC_ODT] == YOLO_DT_F32) || is_glue(n) ||
           is_residual_add(g, n);
}

/* The output of a Q of tensor a like node q0: an existing live one, or a new node. */
static int32_t q_of(struct yolo_graph *g, const uint8_t *dead, int32_t a, int32_t q0,
                    struct yolo_diag *d)
{
    for (int32_t j = 0; j < g->n_nodes; j++) {
        const struct yolo_node *r = &g->nodes[j];
        if (!dead[j] && r->op == YOLO_OP_QUANTIZE_LINEAR && r->in[0] == a && r->n_out == 1 &&
            r->params[YOLO_QL_NCH] == 1 && same_q(g, r, &g->nodes[q0]))
            return r->out[0];
    }
    const struct yolo_tensor *A = &g->tensors[a];
    char name[YOLO_NAME_MAX + 16];
    int64_t shape[YOLO_MAX_DIMS];
    memcpy(shape, A->shape, sizeof shape);
    snprintf(name, sizeof name, "%.*s_pq", YOLO_NAME_MAX - 16, A->name);
    int32_t aq = yolo_graph_add_tensor(g, name, (enum yolo_dtype)g->nodes[q0].params[YOLO_QL_QDT],
                                       A->ndim, shape, d);
    if (aq < 0)
        return -1;
    int32_t in[3] = { a, g->nodes[q0].in[1], g->nodes[q0].n_in > 2 ? g->nodes[q0].in[2] : -1 };
    snprintf(name, sizeof name, "%.*s_PushedQuantize", YOLO_NAME_MAX - 16, A->name);
    int32_t qn = yolo_graph_add_node(g, YOLO_OP_QUANTIZE_LINEAR, name, g->nodes[q0].n_in, in, 1,
                                     &aq, d);
    if (qn < 0)
        return -1;
    memcpy(g->nodes[qn].params, g->nodes[q0].params, sizeof g->nodes[qn].params);
    memcpy(g->nodes[qn].fparams, g->nodes[q0].fparams, sizeof g->nodes[qn].fparams);
    return aq;
}

/* Drops every live Q reading t, its output replaced by `by` (or, for the first, taken over
 * as the glue node's output). */
static void retire_qs(struct yolo_graph *g, uint8_t *dead, int32_t t, int32_t by)
{
    for (int32_t j = 0; j < g->n_nodes; j++)
        if (!dead[j] && g->nodes[j].op == YOLO_OP_QUANTIZE_LINEAR && g->nodes[j].in[0] == t) {
            if (g->nodes[j].out[0] != by)
                yolo_graph_replace_input(g, g->nodes[j].out[0], by);
            dead[j] = 1;
        }
}

/* One glue node i, if it can take the Q above it: returns 1 when moved, 0 if not, -1 on
 * error (d set). dead[] must have room for the nodes added. */
static int push_one(struct yolo_graph *g, int32_t i, uint8_t *dead, struct yolo_diag *d)
{
    struct yolo_node *n = &g->nodes[i];
    int32_t q0 = -1, first[YOLO_MAX_OUT];
    int any = 0, none;
    for (int k = 0; k < n->n_out; k++) {
        if (n->out[k] < 0)
            return 0;
        first[k] = q_readers(g, dead, n->out[k], &q0, &none);
        if (first[k] < 0 && !none)
            return 0;
        any |= first[k] >= 0;
    }
    if (!any)
        return 0;
    int add = n->op == YOLO_OP_ADD, pays = 0;
    int n_data = n->op == YOLO_OP_CONCAT || add ? n->n_in : 1;
    for (int k = 0; k < n_data; k++) {
        int32_t a = n->in[k];
        if (a < 0 || (g->tensors[a].flags & (YOLO_TF_CONST | YOLO_TF_INPUT)))
            return 0;
        int p = input_pays(g, a);
        if (p < 0)
            return 0;
        pays |= p;
    }
    if (!pays)
        return 0;
    for (int k = 0; k < n_data; k++) {
        int32_t aq = q_of(g, dead, g->nodes[i].in[k], q0, d);
        if (aq < 0)
            return -1;
        g->nodes[i].in[k] = aq;
    }
    n = &g->nodes[i];
    if (add) {   /* the sum of two codes on one grid, on that grid (ops/qadd.c) */
        int32_t zp = yolo_quant_zp(g, &g->nodes[q0], 0);
        n->op = YOLO_OP_QADD;
        memset(n->params, 0, sizeof n->params);
        memset(n->fparams, 0, sizeof n->fparams);
        n->params[YOLO_QA_ZP] = zp;
    }
    for (int k = 0; k < n->n_out; k++) {
        int32_t t = n->out[k];
        if (first[k] < 0) {   /* no reader: the output just changes dtype */
            g->tensors[t].dtype = (enum yolo_dtype)g->nodes[q0].params[YOLO_QL_QDT];
            continue;
        }
        int32_t q = g->nodes[first[k]].out[0];
        retire_qs(g, dead, t, q);
        n->out[k] = q;
    }
    return 1;
}

int yolo_opt_push_q(struct yolo_graph *g, int *n_changed, struct yolo_diag *d)
{
    int changed = 0, rc = 0;
    for (int round = 0; round < 64; round++) {
        /* nodes added this round: Qs, at most one per glue input */
        size_t room = (size_t)g->n_nodes * 2 + YOLO_MAX_IN + 16;
        uint8_t *dead = calloc(room, 1);
        if (!dead)
            return yolo_diag_set(d, YOLO_ERR_NOMEM, "out of memory moving QuantizeLinear nodes");
        int moved = 0;
        for (int32_t i = g->n_nodes - 1; i >= 0 && !rc; i--) {
            if (dead[i] || !(is_glue(&g->nodes[i]) || is_residual_add(g, &g->nodes[i])))
                continue;
            if ((size_t)g->n_nodes + YOLO_MAX_IN >= room)
                break;   /* the next round continues */
            int r = push_one(g, i, dead, d);
            rc = r < 0 ? (d && d->status ? d->status : YOLO_ERR_NOMEM) : 0;
            moved += r > 0;
        }
        if (!rc)
            yolo_graph_remove_nodes(g, dead);
        free(dead);
        if (!rc && moved)
            rc = yolo_graph_toposort(g, d);
        if (rc || !moved)
            break;
        changed += moved;
    }
    if (n_changed)
        *n_changed = changed;
    return rc;
}
