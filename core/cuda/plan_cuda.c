/* cuda/plan_cuda.c: the CUDA backend's own memory plan, made at load (yolo_plan_for).
 *
 * Why not the engine's: at a batch above 1 a Concat or Split along the channels is no single
 * byte range per part, so the engine's plan copies every part (ncu, H100, yolov8n_dq FP16 at
 * batch 128: the row copies of 133 Concat and Split nodes took 3.2 of 17.1 ms). Here a part
 * may lie in its whole image by image (its images the whole's image bytes apart) wherever
 * every node that reads or writes it takes a tensor at such a stride: the convolutions (every
 * kernel: cuDNN through strided descriptors, ours through an image stride), same-shape
 * element-wise arithmetic (the residual Adds), MaxPool, nearest Resize, and Concat/Split
 * themselves. Then the producers write straight into the concatenation and the consumers of
 * a Split read from inside its input, as at batch 1. Anything else (views, transposes, the
 * head) keeps its tensors packed. YOLO_CUDA_STRIDED=0 packs every tensor (see cuda_plan).
 * With lanes (lanes.c) the lifetimes are counted in the lanes' steps. */
#include <stdlib.h>
#include <string.h>

#include "cuda/cuda_model.h"
#include "passes.h"

static int same_shape(const struct yolo_tensor *a, const struct yolo_tensor *b)
{
    return a->ndim == b->ndim &&
           memcmp(a->shape, b->shape, sizeof(int64_t) * (size_t)a->ndim) == 0;
}

int cuda_same_shape_arith(const struct yolo_graph *g, const struct yolo_node *n)
{
    return (n->op == YOLO_OP_ADD || n->op == YOLO_OP_SUB || n->op == YOLO_OP_MUL ||
            n->op == YOLO_OP_DIV) &&
           n->n_in == 2 && n->in[0] >= 0 && n->in[1] >= 0 &&
           same_shape(&g->tensors[n->in[0]], &g->tensors[n->out[0]]) &&
           same_shape(&g->tensors[n->in[1]], &g->tensors[n->out[0]]);
}

/* Whether node n takes its operand t at an image stride (launch.c and the conv files). */
static int takes_strided(const struct yolo_graph *g, const struct yolo_node *n, int32_t t)
{
    switch (n->op) {
    case YOLO_OP_CONV:
        return n->in[0] == t || n->out[0] == t;   /* never the weights (constant) */
    case YOLO_OP_CONCAT: case YOLO_OP_SPLIT: case YOLO_OP_MAXPOOL:
        return 1;
    case YOLO_OP_RESIZE:
        return n->in[0] == t || n->out[0] == t;
    case YOLO_OP_ADD: case YOLO_OP_SUB: case YOLO_OP_MUL: case YOLO_OP_DIV:
        return cuda_same_shape_arith(g, n);
    default:
        return 0;
    }
}

static int strided_ok(const void *user, int32_t t)
{
    return ((const uint8_t *)user)[t];
}

int cuda_plan(struct cuda_model *m, struct yolo_diag *d)
{
    const struct yolo_graph *g = m->g;
    size_t cnt = (size_t)(g->n_tensors ? g->n_tensors : 1);
    uint8_t *ok = calloc(cnt, 1);
    uint64_t *stride_bytes = calloc(cnt, sizeof *stride_bytes);
    m->off = calloc(cnt, sizeof *m->off);
    m->imgst = calloc(cnt, sizeof *m->imgst);
    m->root = calloc(cnt, sizeof *m->root);
    uint8_t *alias = calloc(cnt, 1);
    if (!ok || !stride_bytes || !m->off || !m->imgst || !m->root || !alias) {
        free(ok), free(stride_bytes), free(alias);
        return yolo_diag_set(d, YOLO_ERR_NOMEM, "out of memory planning device memory");
    }
    /* Parts image by image unless YOLO_CUDA_STRIDED=0 (every tensor packed, as the engine's
     * plan lays them out: the comparison make test-cuda and bench-cuda run). H100, FP16,
     * yolov8n_dq at batch 128: 16.59 -> 15.02 ms (tests/perf/results-cuda.md). Read at load. */
    const char *want = getenv("YOLO_CUDA_STRIDED");
    int strided = !(want && strcmp(want, "0") == 0);
    for (int32_t t = 0; t < g->n_tensors; t++) {
        const struct yolo_tensor *T = &g->tensors[t];
        ok[t] = strided && T->dtype == YOLO_DT_F32 && T->ndim == 4 &&
                !(T->flags & (YOLO_TF_CONST | YOLO_TF_INPUT | YOLO_TF_OUTPUT | YOLO_TF_KEEP));
    }
    for (int32_t i = 0; i < g->n_nodes; i++) {
        const struct yolo_node *n = &g->nodes[i];
        for (int k = 0; k < n->n_in; k++)
            if (n->in[k] >= 0 && !takes_strided(g, n, n->in[k]))
                ok[n->in[k]] = 0;
        for (int k = 0; k < n->n_out; k++)
            if (n->out[k] >= 0 && !takes_strided(g, n, n->out[k]))
                ok[n->out[k]] = 0;
    }
    int rc = cuda_lanes_plan(m, d);
    if (rc) {
        free(ok), free(stride_bytes), free(alias);
        return rc;
    }
    struct yolo_plan_opts o = { .strided_ok = strided_ok, .user = ok, .step = m->step,
                                .n_steps = m->n_steps };
    struct yolo_plan_out out = { .offset = m->off, .img_stride = stride_bytes, .root = m->root,
                                 .alias = alias };
    rc = yolo_plan_for(g, &o, &out, d);
    for (int32_t t = 0; !rc && t < g->n_tensors; t++) {
        size_t es = yolo_dtype_size(g->tensors[t].dtype);
        m->imgst[t] = (int64_t)(stride_bytes[t] / (es ? es : 1));
        /* the engine's plan aliased the same views (the same rule): the runner skips them */
        if (alias[t] != !!(g->tensors[t].flags & YOLO_TF_ALIAS))
            rc = yolo_diag_set(d, YOLO_ERR_INTERNAL, "cuda: the device plan aliases tensor "
                               "'%s' otherwise than the engine", g->tensors[t].name);
    }
    m->arena_bytes = out.arena_bytes;
    free(ok), free(stride_bytes), free(alias);
    return rc;
}

/* Where the bytes of tensor t's root lie: *arena 0 the FP32 one, 1 the FP16 one. */
static void root_span(const struct cuda_model *m, int32_t t, int *arena, uint64_t *lo,
                      uint64_t *hi)
{
    int32_t r = m->root[t];
    const struct yolo_tensor *R = &m->g->tensors[r];
    int half = m->st[r] == YOLO_CU_F16 && R->dtype == YOLO_DT_F32;
    *arena = half;
    *lo = half ? m->off[r] / 2 : m->off[r];
    *hi = *lo + (half ? yolo_tensor_bytes(R) / 2 : yolo_tensor_bytes(R));
}

int cuda_bytes_overlap(const struct cuda_model *m, int32_t a, int32_t b)
{
    int aa, ab;
    uint64_t alo, ahi, blo, bhi;
    root_span(m, a, &aa, &alo, &ahi);
    root_span(m, b, &ab, &blo, &bhi);
    if (aa == ab && m->root[a] == m->root[b] && m->nhwc && m->nhwc[a] && m->nhwc[b]) {
        /* two channel slices of one channels-last whole (layout.c): every pixel's row holds
         * both, at their channel offsets, so they share bytes where their channels meet */
        const struct yolo_tensor *A = &m->g->tensors[a], *B = &m->g->tensors[b];
        uint64_t r = m->off[m->root[a]];
        int64_t ca = (int64_t)((m->off[a] - r) / sizeof(float));
        int64_t cb = (int64_t)((m->off[b] - r) / sizeof(float));
        return ca < cb + B->shape[1] && cb < ca + A->shape[1];
    }
    return aa == ab && alo < bhi && blo < ahi;
}

int64_t cuda_img_stride(const struct cuda_model *m, int32_t t)
{
    const struct yolo_tensor *T = &m->g->tensors[t];
    if (m->imgst[t])
        return m->imgst[t];
    return T->ndim > 0 && T->shape[0] > 0 ? yolo_tensor_numel(T) / T->shape[0] : 0;
}
