/* cuda/layout.c: which activations an FP16 run keeps channels-last (NHWC), and where.
 *
 * Why: at large batches the NCHW run spends most of its convolution time outside the
 * products (cuDNN's two layout passes and our epilogue pass around each of its convolutions)
 * and copies the channel Concats and Splits it cannot lay image by image. Channels-last,
 * every convolution reads and writes its tensors where they lie (cuDNN, or our implicit GEMM:
 * conv_nhwc.c picks), and a Concat part is simply its whole's rows at a channel offset.
 *
 * Which tensors: a 4-D FP16 activation (no graph input or output) all of whose readers and
 * writers can take it channels-last: a convolution of one group or depthwise (conv_nhwc.c),
 * a channel Concat or Split, a same-shape Add/Sub/Mul/Div, MaxPool, an exact 2x nearest
 * Resize. Tensors that share bytes (a part and its whole, in the device plan) or meet in one
 * such node (other than a one-group convolution, which converts as it goes) form a group; a
 * group is channels-last only if every member can be. Everything else stays NCHW, and the
 * convolutions on the border read or write NCHW at its strides (the stem reads the input
 * image; the head's last convolutions write what the decode reads).
 *
 * Where: the device plan (plan_cuda.c) placed a part of k channels at k * h * w elements into
 * its whole's images; channels-last the same part starts k elements into the whole, its rows
 * the whole's channel count apart (m->pixst), its images the whole's image apart. The plan's
 * bytes per tensor do not change, so neither do its lifetimes and overlaps.
 *
 * When: YOLO_CUDA_NHWC=1 or =0 forces it on or off; by default an FP16 engine of batch
 * CUDA_NHWC_BATCH or more (cuda_model.h). Measured on an H100 (FP16 network, one CUDA graph
 * replay, NCHW -> channels-last): yolov8n_dq 4.41 -> 3.42 ms at batch 32, 15.15 -> 11.84 at
 * 128; yolo11n_dq 5.26 -> 4.36 and 18.05 -> 15.68; yolov5n 6.13 -> 5.67 and 21.28 -> 19.96
 * (tests/perf/results-cuda.md). Read at load. */
#include <stdlib.h>
#include <string.h>

#include "cuda/cuda_model.h"
#include "ops/op_params.h"

int cuda_nhwc_wanted(const struct yolo_graph *g, int half)
{
    const char *env = getenv("YOLO_CUDA_NHWC");
    if (env && strcmp(env, "0") == 0)
        return 0;
    if (!half)
        return 0;
    if (env && strcmp(env, "1") == 0)
        return 1;
    int64_t batch = g->n_inputs > 0 && g->tensors[g->inputs[0]].ndim > 0
                  ? g->tensors[g->inputs[0]].shape[0] : 1;
    return batch >= CUDA_NHWC_BATCH;
}

/* Whether node i can take its arena operand t channels-last (t one of its inputs/outputs);
 * *group: the node ties its operands to one layout (not a convolution). */
static int takes_nhwc(const struct cuda_model *m, int32_t i, int32_t t, int *group)
{
    const struct yolo_graph *g = m->g;
    const struct yolo_node *n = &g->nodes[i];
    *group = 1;
    if (m->skip[i])
        return 0;
    switch (n->op) {
    case YOLO_OP_CONV:   /* the implicit GEMM converts as it goes; depthwise ones do not */
        *group = cuda_nhwc_depthwise(m, n);
        return (n->in[0] == t || n->out[0] == t) && !m->convs[i].dfl &&
               cuda_nhwc_eligible(m, n);
    case YOLO_OP_CONCAT:
        return n->params[YOLO_CC_AXIS_RES] == 1;
    case YOLO_OP_SPLIT:
        return n->params[YOLO_SP_AXIS_RES] == 1;
    case YOLO_OP_MAXPOOL:
        return 1;
    case YOLO_OP_RESIZE:
        return (n->in[0] == t || n->out[0] == t) && yolo_resize_is_2x(g, n);
    case YOLO_OP_ADD: case YOLO_OP_SUB: case YOLO_OP_MUL: case YOLO_OP_DIV:
        return cuda_same_shape_arith(g, n);
    default:
        return 0;
    }
}

static int arena_tensor(const struct yolo_graph *g, int32_t t)
{
    return t >= 0 && !(g->tensors[t].flags & YOLO_TF_CONST);
}

/* A member t of a channels-last group, placed by the plan at k * h * w elements into the
 * images of its root r: k, or -1 if it is not placed so. */
static int64_t channel_offset(const struct cuda_model *m, int32_t t)
{
    const struct yolo_graph *g = m->g;
    const struct yolo_tensor *T = &g->tensors[t], *R = &g->tensors[m->root[t]];
    uint64_t plane = (uint64_t)T->shape[2] * (uint64_t)T->shape[3] * sizeof(float);
    uint64_t d = m->off[t] - m->off[m->root[t]];
    if (m->off[t] < m->off[m->root[t]] || R->ndim != 4 || R->shape[0] != T->shape[0] ||
        R->shape[2] != T->shape[2] || R->shape[3] != T->shape[3] || d % plane)
        return -1;
    int64_t k = (int64_t)(d / plane);
    return k + T->shape[1] <= R->shape[1] ? k : -1;
}

int cuda_layout_plan(struct cuda_model *m, struct yolo_diag *d)
{
    const struct yolo_graph *g = m->g;
    int32_t nt = g->n_tensors;
    size_t cnt = (size_t)(nt ? nt : 1);
    m->nhwc = calloc(cnt, 1);
    m->pixst = calloc(cnt, sizeof *m->pixst);
    if (!m->nhwc || !m->pixst)
        return yolo_diag_set(d, YOLO_ERR_NOMEM, "out of memory planning device layouts");
    if (!cuda_nhwc_wanted(g, m->half))
        return 0;
    int32_t *parent = malloc(sizeof(int32_t) * cnt);
    uint8_t *ok = calloc(cnt, 1), *bad = calloc(cnt, 1);
    int64_t *koff = calloc(cnt, sizeof *koff);
    if (!parent || !ok || !bad || !koff) {
        free(parent), free(ok), free(bad), free(koff);
        return yolo_diag_set(d, YOLO_ERR_NOMEM, "out of memory planning device layouts");
    }
    for (int32_t t = 0; t < nt; t++) {
        const struct yolo_tensor *T = &g->tensors[t];
        parent[t] = t;
        ok[t] = arena_tensor(g, t) && T->dtype == YOLO_DT_F32 && T->ndim == 4 &&
                m->st[t] == YOLO_CU_F16 &&
                !(T->flags & (YOLO_TF_INPUT | YOLO_TF_OUTPUT | YOLO_TF_KEEP | YOLO_TF_ALIAS));
    }
    for (int32_t t = 0; t < nt; t++)
        if (arena_tensor(g, t))
            cuda_uf_unite(parent, t, m->root[t]);
    for (int32_t i = 0; i < g->n_nodes; i++) {
        const struct yolo_node *n = &g->nodes[i];
        int32_t first = -1;
        for (int k = 0; k < n->n_in + n->n_out; k++) {
            int32_t t = k < n->n_in ? n->in[k] : n->out[k - n->n_in];
            if (!arena_tensor(g, t) || (n->op == YOLO_OP_RESIZE && k > 0 && k < n->n_in))
                continue;   /* (a Resize's scales and sizes are no image) */
            int group;
            if (!takes_nhwc(m, i, t, &group))
                ok[t] = 0;
            if (group && first >= 0)
                cuda_uf_unite(parent, first, t);
            if (group && first < 0)
                first = t;
        }
        /* the fused DFL reads its source through the chain's strides: NCHW */
        if (n->op == YOLO_OP_CONV && m->convs[i].dfl && m->convs[i].dfl_src >= 0)
            ok[m->convs[i].dfl_src] = 0;
    }
    for (int32_t t = 0; t < nt; t++)
        if (arena_tensor(g, t) && !ok[t])
            bad[cuda_uf_find(parent, t)] = 1;
    /* every member at a whole number of channels into its root */
    for (int32_t t = 0; t < nt; t++) {
        if (!arena_tensor(g, t) || bad[cuda_uf_find(parent, t)])
            continue;
        koff[t] = channel_offset(m, t);
        if (koff[t] < 0)
            bad[cuda_uf_find(parent, t)] = 1;
    }
    for (int32_t t = 0; t < nt; t++) {
        if (!arena_tensor(g, t) || bad[cuda_uf_find(parent, t)])
            continue;
        const struct yolo_tensor *R = &g->tensors[m->root[t]];
        m->nhwc[t] = 1;
        m->pixst[t] = R->shape[1];
        m->imgst[t] = m->root[t] == t ? 0 : R->shape[1] * R->shape[2] * R->shape[3];
        m->off[t] = m->off[m->root[t]] + (uint64_t)koff[t] * sizeof(float);
    }
    for (int32_t i = 0; i < g->n_nodes; i++) {
        const struct yolo_node *n = &g->nodes[i];
        if (n->op == YOLO_OP_CONV && !m->skip[i] && (m->nhwc[n->in[0]] || m->nhwc[n->out[0]]))
            m->convs[i].nhwc = 1;
    }
    free(parent), free(ok), free(bad), free(koff);
    return 0;
}

void cuda_strides4(const struct cuda_model *m, int32_t t, int64_t st[4])
{
    const struct yolo_tensor *T = &m->g->tensors[t];
    int64_t h = T->shape[2], w = T->shape[3];
    if (m->nhwc && m->nhwc[t]) {
        int64_t p = m->pixst[t];
        st[0] = h * w * p;
        st[1] = 1;
        st[2] = w * p;
        st[3] = p;
        return;
    }
    st[0] = cuda_img_stride(m, t);
    st[1] = h * w;
    st[2] = w;
    st[3] = 1;
}
