/* cuda/fuse_add.c: a residual Add folded into the convolution before it. In a bottleneck,
 *
 *   b -> Conv -> Conv C -> a;  y = Add(a, b)   (or Add(b, a))
 *
 * C, when it runs on our channels-last kernels (conv_nhwc.c: the implicit GEMM or the patch
 * kernel), writes y = act(conv + bias) + b itself, and the Add runs nothing.
 *
 * Why: the Add is a pass of its own over three tensors (read a and b, write y): at batch 128
 * yolov8n_dq's residual Adds took 0.42 ms (0.18 for the 16 channels at 160 x 160 alone),
 * where the convolution's epilogue can read b as it writes y (H100, FP16).
 *
 * When: a is read by the Add only; a, b and y are channels-last FP16 of one shape (no
 * broadcast) with 8-channel rows; C has one group and neither cuDNN nor the stem kernel runs
 * it; b is ready when C runs: a graph input, or an input of the node that makes C's input
 * (the bottleneck's first convolution), so every path to C passes its producer.
 *
 * Memory: y is written at C's step, before the Add's. The device plan may have given y's
 * bytes to a tensor that dies between them: C's input, or one used by a node of those steps
 * (with lanes, one running beside C). So the Add is folded only if y overlaps neither C's
 * input nor b, and no node from C's step to the Add's (other than the two) reads or writes
 * bytes of y. YOLO_CUDA_FUSE=0 leaves the Adds as they are. */
#include <stdlib.h>
#include <string.h>

#include "cuda/cuda_model.h"
#include "ops/op_params.h"
#include "passes.h"

static int same_shape4(const struct yolo_tensor *a, const struct yolo_tensor *b)
{
    return a->ndim == 4 && b->ndim == 4 && memcmp(a->shape, b->shape, sizeof a->shape[0] * 4) == 0;
}

/* channels-last FP16 rows of 8-channel pieces */
static int nhwc_half(const struct cuda_model *m, int32_t t)
{
    return m->nhwc[t] && m->st[t] == YOLO_CU_F16 && m->pixst[t] % 8 == 0 &&
           m->g->tensors[t].shape[1] % 8 == 0;
}

/* Conv node c runs on our channels-last kernels (conv_cudnn.c, cuda_conv_prepare) */
static int runs_ours(const struct cuda_model *m, int32_t c)
{
    const struct yolo_node *n = &m->g->nodes[c];
    return n->op == YOLO_OP_CONV && !m->skip[c] && !m->convs[c].dfl &&
           n->params[YOLO_CONV_GROUP] == 1 && m->nhwc[n->in[0]] && m->nhwc[n->out[0]] &&
           m->g->tensors[n->in[0]].shape[1] % 8 == 0 &&   /* not the direct kernel */
           cuda_nhwc_eligible(m, n) && !cuda_nhwc_cudnn(m, n);
}

/* Whether b is ready at conv c's step: a graph input (or constant), or read by the node that
 * makes c's input */
static int ready_at(const struct yolo_graph *g, const struct yolo_uses *u, int32_t b, int32_t c)
{
    int32_t pb = u->producer[b], px = u->producer[g->nodes[c].in[0]];
    if (pb < 0)
        return 1;
    if (px < 0)
        return 0;
    for (int k = 0; k < g->nodes[px].n_in; k++)
        if (g->nodes[px].in[k] == b)
            return 1;
    return 0;
}

/* Whether writing y at c's step is safe (see the top of the file) */
static int write_safe(const struct cuda_model *m, int32_t c, int32_t add, int32_t b, int32_t y)
{
    const struct yolo_graph *g = m->g;
    int32_t lo = cuda_node_step(m, c), hi = cuda_node_step(m, add);
    if (cuda_bytes_overlap(m, y, g->nodes[c].in[0]) || cuda_bytes_overlap(m, y, b))
        return 0;
    for (int32_t j = 0; j < g->n_nodes; j++) {
        const struct yolo_node *n = &g->nodes[j];
        int32_t at = cuda_node_step(m, j);
        if (j == c || j == add || at < lo || at > hi || m->skip[j] == CUDA_SKIP_ALIAS)
            continue;
        for (int k = 0; k < n->n_in; k++)
            if (n->in[k] >= 0 && !(g->tensors[n->in[k]].flags & YOLO_TF_CONST) &&
                cuda_bytes_overlap(m, n->in[k], y))
                return 0;
        for (int k = 0; k < n->n_out; k++)
            if (n->out[k] >= 0 && cuda_bytes_overlap(m, n->out[k], y))
                return 0;
    }
    return 1;
}

static void fuse_at(struct cuda_model *m, const struct yolo_uses *u, int32_t i)
{
    const struct yolo_graph *g = m->g;
    const struct yolo_node *n = &g->nodes[i];
    if (n->op != YOLO_OP_ADD || n->n_in != 2 || n->n_out != 1 || m->skip[i])
        return;
    int32_t y = n->out[0];
    for (int side = 0; side < 2; side++) {
        int32_t a = n->in[side], b = n->in[1 - side];
        if (a < 0 || b < 0 || a == b || !yolo_uses_private(g, u, a, i))
            continue;
        int32_t c = u->producer[a];
        if (c < 0 || !runs_ours(m, c) || m->convs[c].res)
            continue;
        const struct yolo_tensor *A = &g->tensors[a];
        if (!same_shape4(A, &g->tensors[b]) || !same_shape4(A, &g->tensors[y]) ||
            !nhwc_half(m, a) || !nhwc_half(m, b) || !nhwc_half(m, y) ||
            (g->tensors[b].flags & YOLO_TF_CONST) || !ready_at(g, u, b, c) ||
            !write_safe(m, c, i, b, y))
            continue;
        m->convs[c].res = 1;
        m->convs[c].res_b = b;
        m->convs[c].res_y = y;
        m->skip[i] = CUDA_SKIP_FUSED;
        return;
    }
}

void cuda_fuse_add(struct cuda_model *m)
{
    const char *env = getenv("YOLO_CUDA_FUSE");
    if ((env && strcmp(env, "0") == 0) || !m->nhwc || !m->half)
        return;
    struct yolo_uses u;
    if (yolo_uses_make(m->g, (size_t)m->g->n_tensors, &u, NULL))
        return;   /* without memory the Adds run as nodes */
    for (int32_t i = 0; i < m->g->n_nodes; i++)
        fuse_at(m, &u, i);
    yolo_uses_free(&u);
}
