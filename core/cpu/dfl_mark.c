/* cpu/dfl_mark.c: the DFL of a YOLOv8/11 head (passes.h, struct yolo_dfl_chain) as one pass
 * at its Conv (x86/dfl_body.h); the Transposes and the Softmax run nothing. One by one they
 * were three passes over the [N, 64, A] box tensor (two Transposes and the Softmax: 0.41 ms
 * of yolov8n's bf16 network at 1 thread, 0.47 at 2 where the Transposes got slower), for
 * arithmetic that needs one read of it and a write of [N, 4, A]. The sums run in another
 * order than the Softmax-then-Conv kernels (dot / sum rather than the sum of w * (e / sum)):
 * the same values within float32 rounding, not the same bits. */
#include <stdlib.h>
#include <string.h>

#include "passes.h"
#include "cpu/conv_pack.h"
#include "cpu/cpu.h"
#include "cpu/fast_ops.h"
#include "ops/quant.h"

/* A QDQ model's DFL up to its QuantizeLinear (yolo_dfl_q_find) as one pass at the
 * QuantizeLinear, where x86/dfl_q_avx512.c repeats the nodes' arithmetic exactly: the
 * Softmax's kernel takes rows of 16 bins (its last dim) as one vector each, the outputs'
 * anchors lie next to each other in the source (st[3] == 1). One by one the Transposes, the
 * Softmax and the QuantizeLinear made four passes over yolov8n's [1, 64, 8400] box tensor
 * (0.66 ms of the QDQ model's 31 at 1 thread). */
static void mark_q(const struct yolo_graph *g, const struct yolo_dfl_chain *dc,
                   struct yolo_cpu_kernel *kernels, struct yolo_cpu_dfl *dfls,
                   const void **node_data, uint8_t *skip)
{
    const struct yolo_node *sm = &g->nodes[dc->first + 1], *q = &g->nodes[dc->conv];
    if (sm->params[YOLO_SM_N] != 16 || sm->params[YOLO_SM_INNER] != 1 || dc->st[3] != 1 ||
        yolo_cpu_tensors_overlap(g, dc->src, q->out[0]))
        return;
    for (int32_t k = dc->first; k <= dc->conv; k++)
        if (skip[k])
            return;
    struct yolo_cpu_dfl *f = &dfls[dc->conv];
    const struct yolo_conv_packed *pk = node_data[dc->conv];
    enum yolo_dtype qdt = (enum yolo_dtype)q->params[YOLO_QL_QDT];
    float lo, hi;
    yolo_quant_range(qdt, &lo, &hi);
    memset(f, 0, sizeof *f);
    f->src = dc->src;
    memcpy(f->st, dc->st, sizeof f->st);
    f->q_scale = yolo_quant_scale(g, q, 0);
    f->q_zp = yolo_quant_zp(g, q, 0);
    f->q_lo = (int32_t)lo;
    f->q_hi = (int32_t)hi;
    f->q_c4 = pk && pk->y_c4;   /* yolo_qconv_mark_c4 ran first */
    node_data[dc->conv] = f;
    kernels[dc->conv].fn = yolo_dfl_q_avx512;
    kernels[dc->conv].name = f->q_c4 ? "dfl-softmax-q-c4" : "dfl-softmax-q";
    kernels[dc->conv].scratch = 0;
    for (int32_t k = dc->first; k < dc->conv; k++)
        skip[k] = 2;
}

void yolo_dfl_mark(const struct yolo_graph *g, enum yolo_isa isa, struct yolo_cpu_kernel *kernels,
                   struct yolo_cpu_dfl *dfls, const void **node_data, uint8_t *skip)
{
    if (isa == YOLO_ISA_REF)
        return;
    struct yolo_uses u;
    if (yolo_uses_make(g, (size_t)g->n_tensors, &u, NULL))
        return;   /* without memory the nodes run one by one */
    for (int32_t i = 0; i < g->n_nodes; i++) {
        struct yolo_dfl_chain dc;
        if (g->nodes[i].op != YOLO_OP_TRANSPOSE || skip[i])
            continue;
        if (isa == YOLO_ISA_AVX512 && yolo_dfl_q_find(g, &u, i, &dc)) {
            mark_q(g, &dc, kernels, dfls, node_data, skip);
            continue;
        }
        if (!yolo_dfl_chain_find(g, &u, i, &dc))
            continue;
        const struct yolo_node *cv = &g->nodes[dc.conv];
        int ok = !yolo_cpu_tensors_overlap(g, dc.src, cv->out[0]);
        for (int32_t k = dc.first; k <= dc.conv; k++)
            ok &= !skip[k];
        if (!ok)
            continue;
        /* the source's bytes stay as they are up to the Conv: the nodes between write
         * nothing now, and the Conv's output lies elsewhere (plan.c keeps the source alive to
         * the Conv; an engine planned before that may not, hence the check above) */
        struct yolo_cpu_dfl *f = &dfls[dc.conv];
        const struct yolo_tensor *W = &g->tensors[cv->in[1]];
        memset(f, 0, sizeof *f);
        f->src = dc.src;
        memcpy(f->st, dc.st, sizeof f->st);
        memcpy(f->w, yolo_graph_const_data(g, cv->in[1]), sizeof(float) * (size_t)W->shape[1]);
        if (cv->n_in >= 3 && cv->in[2] >= 0)
            memcpy(&f->bias, yolo_graph_const_data(g, cv->in[2]), sizeof f->bias);
        node_data[dc.conv] = f;
        kernels[dc.conv].fn = isa == YOLO_ISA_AVX512 ? yolo_dfl_avx512 : yolo_dfl_avx2;
        kernels[dc.conv].name = "dfl-fused";
        kernels[dc.conv].scratch = 0;
        for (int32_t k = dc.first; k < dc.conv; k++)
            skip[k] = 2;
    }
    yolo_uses_free(&u);
}
