/* stem_s2d.c: a stride-2 convolution over few input channels (a YOLOv5 stem: 6x6, stride 2,
 * pad 2, on the 3-channel image) becomes a SpaceToDepth of its input and a 3x3 stride-1
 * convolution over 4x the channels:
 *   Conv(x, W: [M, C, K, K], stride 2, pads p)  =>  Conv(SpaceToDepth(x, 2), W', stride 1, pads p')
 * Along each axis, tap t = k - p (k < K) reads input 2o + t; with t = 2a + b (b = t mod 2) that
 * is row o + a of phase b, i.e. of SpaceToDepth channel (bh*2 + bw)*C + c. So
 *   W'[m, (bh*2 + bw)*C + c, ah - ah0, aw - aw0] = W[m, c, 2 ah + bh + pt, 2 aw + bw + pl]
 * (zero where that tap is outside K), ah0 = floor(-pt / 2), and the new top pad is -ah0. The
 * products and their terms are the same; only the order of the float sum differs. Reads past
 * the input land, in both forms, on padding zeros (H and W even: phase rows end together).
 *
 * Why: 3x3 stride 1 is what the CPU backend's Winograd F(4x4, 3x3) takes, 4x fewer products,
 * and the stride-2 gather disappears. Measured (1 thread, tests/perf/conv_bench): yolov5n's
 * stem 3 -> 16 at 640x640, 6x6 s2: 2.3-2.5 ms; 12 -> 16 at 320x320 3x3 s1 Winograd: 1.5-1.6
 * ms, plus 0.1-0.3 ms for the SpaceToDepth (bench --profile). Only where the result is
 * exactly 3x3 and C <= 4: a 3x3 stride-2 stem (yolov8n's) would become 2x2 (Winograd on a
 * zero-padded 3x3 measured slower than its direct kernel), and with more channels the direct
 * kernels are efficient. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops/op_params.h"
#include "passes.h"

#define S2D_MAX_C 4

static int64_t floor_half(int64_t v) { return v >= 0 ? v / 2 : -((1 - v) / 2); }

/* The new kernel size along one axis and its first tap offset, for kernel K and pad p. */
static int64_t new_taps(int64_t K, int64_t p, int64_t *a0)
{
    *a0 = floor_half(-p);
    return floor_half(K - 1 - p) - *a0 + 1;
}

/* Whether node n is such a conv; fills the new pads (top, left, bottom, right). */
static int applies(const struct yolo_graph *g, const struct yolo_node *n, int64_t pads[4])
{
    const int64_t *p = n->params;
    if (n->op != YOLO_OP_CONV || n->n_in < 2 || n->in[0] < 0 || n->in[1] < 0 || n->out[0] < 0 ||
        p[YOLO_CONV_SH] != 2 || p[YOLO_CONV_SW] != 2 || p[YOLO_CONV_DH] != 1 ||
        p[YOLO_CONV_DW] != 1 || p[YOLO_CONV_GROUP] != 1 || p[YOLO_CONV_PREC] != YOLO_CONV_PREC_FP32)
        return 0;
    const struct yolo_tensor *X = &g->tensors[n->in[0]], *W = &g->tensors[n->in[1]];
    const struct yolo_tensor *Y = &g->tensors[n->out[0]];
    if (X->dtype != YOLO_DT_F32 || X->ndim != 4 || W->dtype != YOLO_DT_F32 ||
        !(W->flags & YOLO_TF_CONST) || W->ndim != 4 || Y->ndim != 4 || X->shape[1] > S2D_MAX_C ||
        W->shape[1] != X->shape[1] || X->shape[2] % 2 || X->shape[3] % 2 ||
        p[YOLO_CONV_PT] < 0 || p[YOLO_CONV_PL] < 0)
        return 0;
    int64_t ah0, aw0;
    if (new_taps(W->shape[2], p[YOLO_CONV_PT], &ah0) != 3 ||
        new_taps(W->shape[3], p[YOLO_CONV_PL], &aw0) != 3)
        return 0;
    pads[0] = -ah0;
    pads[1] = -aw0;
    pads[2] = Y->shape[2] - X->shape[2] / 2 - pads[0] + 2;   /* output rows = Y's */
    pads[3] = Y->shape[3] - X->shape[3] / 2 - pads[1] + 2;
    return pads[2] >= 0 && pads[3] >= 0 && pads[2] <= 2 && pads[3] <= 2;
}

/* Rewrites node i; 0 or a status. */
static int rewrite(struct yolo_graph *g, int32_t i, const int64_t pads[4], struct yolo_diag *d)
{
    const struct yolo_node *n = &g->nodes[i];
    const struct yolo_tensor *X = &g->tensors[n->in[0]], *W = &g->tensors[n->in[1]];
    int64_t M = W->shape[0], C = W->shape[1], KH = W->shape[2], KW = W->shape[3];
    int64_t pt = n->params[YOLO_CONV_PT], pl = n->params[YOLO_CONV_PL];
    const int64_t xs[4] = { X->shape[0], 4 * C, X->shape[2] / 2, X->shape[3] / 2 };
    const int64_t ws[4] = { M, 4 * C, 3, 3 };
    const float *w = yolo_graph_const_data(g, n->in[1]);
    float *w2 = calloc((size_t)(M * 4 * C * 9), sizeof *w2);
    if (!w || !w2) {
        free(w2);
        return yolo_diag_set(d, YOLO_ERR_NOMEM, "out of memory rewriting a stride-2 stem");
    }
    for (int64_t m = 0; m < M; m++)
        for (int64_t c = 0; c < C; c++)
            for (int64_t kh = 0; kh < KH; kh++)
                for (int64_t kw = 0; kw < KW; kw++) {
                    int64_t th = kh - pt, tw = kw - pl;   /* tap offsets, 2a + b */
                    int64_t ah = floor_half(th) + pads[0], bh = th - 2 * floor_half(th);
                    int64_t aw = floor_half(tw) + pads[1], bw = tw - 2 * floor_half(tw);
                    int64_t c2 = (bh * 2 + bw) * C + c;
                    w2[((m * 4 * C + c2) * 3 + ah) * 3 + aw] = w[((m * C + c) * KH + kh) * KW + kw];
                }
    char name[YOLO_NAME_MAX];
    snprintf(name, sizeof name, "%.*s/s2d", YOLO_NAME_MAX - 8, n->name);
    int32_t x2 = yolo_graph_add_tensor(g, name, YOLO_DT_F32, 4, xs, d);
    snprintf(name, sizeof name, "%.*s/w_s2d", YOLO_NAME_MAX - 8, g->nodes[i].name);
    int32_t wt = x2 < 0 ? -1 : yolo_graph_add_const(g, name, YOLO_DT_F32, 4, ws, w2, d);
    free(w2);
    if (wt < 0)
        return d && d->status ? d->status : YOLO_ERR_NOMEM;
    snprintf(name, sizeof name, "%.*s/SpaceToDepth", YOLO_NAME_MAX - 16, g->nodes[i].name);
    int32_t in = g->nodes[i].in[0];
    int32_t s = yolo_graph_add_node(g, YOLO_OP_SPACE_TO_DEPTH, name, 1, &in, 1, &x2, d);
    if (s < 0)
        return d && d->status ? d->status : YOLO_ERR_NOMEM;
    g->nodes[s].params[YOLO_S2D_BS] = 2;
    struct yolo_node *c = &g->nodes[i];
    c->in[0] = x2;
    c->in[1] = wt;
    int64_t *p = c->params;
    p[YOLO_CONV_KH] = p[YOLO_CONV_KW] = 3;
    p[YOLO_CONV_SH] = p[YOLO_CONV_SW] = 1;
    p[YOLO_CONV_PT] = pads[0];
    p[YOLO_CONV_PL] = pads[1];
    p[YOLO_CONV_PB] = pads[2];
    p[YOLO_CONV_PR] = pads[3];
    p[YOLO_CONV_AUTO_PAD] = 0;
    return 0;
}

int yolo_opt_stem_s2d(struct yolo_graph *g, int *n_changed, struct yolo_diag *d)
{
    int changed = 0, rc = 0;
    int32_t n0 = g->n_nodes;
    for (int32_t i = 0; i < n0 && !rc; i++) {
        int64_t pads[4];
        if (!applies(g, &g->nodes[i], pads))
            continue;
        rc = rewrite(g, i, pads, d);
        changed += !rc;
    }
    if (!rc && changed)
        rc = yolo_graph_toposort(g, d);
    if (n_changed)
        *n_changed = changed;
    return rc;
}
