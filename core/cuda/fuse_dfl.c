/* cuda/fuse_dfl.c: finds the DFL of a YOLOv8/11 detection head (a Transpose of the box
 * tensor, a Softmax over the 16 bins, maybe another Transpose, a 1x1 convolution to one
 * channel) and runs it as one kernel (yolo_cu_dfl) at the convolution; the other nodes of
 * the chain run nothing.
 *
 * Why: each of those nodes is a full pass over [N, 64, 8400] or its softmax: at batch 128
 * they took 2.1 ms of yolov8n_dq's 18.8 on an H200 (per-node profile: Transpose 0.45,
 * Softmax 0.63, Transpose 0.52, the FP32 convolution 0.51 ms), where one read of the box
 * tensor and one write of the [N, 4, 8400] result is what the arithmetic needs. Fused, the
 * whole network (FP16, CUDA graph) went from 19.7 to 18.0 ms at batch 128, 5.40 to 4.97 at
 * batch 32 and 0.80 to 0.78 ms at batch 1.
 *
 * When: the graph has the chain (passes.h, yolo_dfl_chain_find, shared with the CPU
 * backend's cpu/dfl_mark.c: consecutive nodes, each tensor between them read by the next
 * only, the convolution reducing over the softmax's axis through the Transposes' composed
 * strides); none of its nodes is skipped for another reason; the output's bytes do not
 * overlap the input's (plan.c keeps the input alive up to the convolution; an engine planned
 * before that may not); and every offset fits the kernel's int32 arithmetic. YOLO_CUDA_FUSE=0 leaves
 * the chain as it is (for measuring what this buys). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "passes.h"
#include "cuda/cuda_model.h"

/* The chain starting at Transpose node i (passes.h, yolo_dfl_chain_find), recorded on its
 * convolution; 0 if it is none or cannot run fused here. */
static int fuse_at(struct cuda_model *m, const struct yolo_uses *u, int32_t i)
{
    const struct yolo_graph *g = m->g;
    struct yolo_dfl_chain dc;
    if (!yolo_dfl_chain_find(g, u, i, &dc))
        return 0;
    for (int32_t k = dc.first; k <= dc.conv; k++)
        if (m->skip[k])
            return 0;
    if (cuda_bytes_overlap(m, dc.src, g->nodes[dc.conv].out[0]) ||
        yolo_tensor_numel(&g->tensors[dc.src]) >= INT32_MAX / 2)   /* the kernel's int32 offsets */
        return 0;
    struct cuda_conv *c = &m->convs[dc.conv];
    c->dfl = 1;
    c->dfl_src = dc.src;
    memcpy(c->dfl_st, dc.st, sizeof c->dfl_st);
    for (int32_t k = dc.first; k < dc.conv; k++)
        m->skip[k] = CUDA_SKIP_FUSED;
    return 1;
}

void cuda_fuse_dfl(struct cuda_model *m)
{
    const char *env = getenv("YOLO_CUDA_FUSE");
    if (env && strcmp(env, "0") == 0)
        return;
    struct yolo_uses u;
    if (yolo_uses_make(m->g, (size_t)m->g->n_tensors, &u, NULL))
        return;   /* without memory the nodes run one by one */
    for (int32_t i = 0; i < m->g->n_nodes; i++)
        if (m->g->nodes[i].op == YOLO_OP_TRANSPOSE && !m->skip[i])
            fuse_at(m, &u, i);
    yolo_uses_free(&u);
}

void cuda_dfl_launch(const struct cuda_ctx *c, int32_t i, struct yolo_cu_dfl *a)
{
    const struct cuda_model *m = c->m;
    const struct yolo_graph *g = m->g;
    const struct yolo_node *n = &g->nodes[i];
    const struct cuda_conv *cv = &m->convs[i];
    const struct yolo_tensor *X3 = &g->tensors[n->in[0]];
    float bias = 0.0f;
    if (n->n_in >= 3 && n->in[2] >= 0)
        memcpy(&bias, g->consts + g->tensors[n->in[2]].offset, sizeof bias);
    *a = (struct yolo_cu_dfl){ .n = (int32_t)X3->shape[0], .bins = (int32_t)X3->shape[1],
                               .h = (int32_t)X3->shape[2], .w = (int32_t)X3->shape[3],
                               .x_st = m->st[cv->dfl_src], .y_st = m->st[n->out[0]],
                               .sn = cv->dfl_st[0], .sc = cv->dfl_st[1], .sh = cv->dfl_st[2],
                               .sw = cv->dfl_st[3], .x = cuda_tensor_ptr(c, cv->dfl_src),
                               .wt = (const float *)(m->dconst + g->tensors[n->in[1]].offset),
                               .bias = bias, .y = cuda_tensor_ptr(c, n->out[0]) };
}
