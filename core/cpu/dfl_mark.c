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
#include "cpu/cpu.h"
#include "cpu/fast_ops.h"

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
        if (g->nodes[i].op != YOLO_OP_TRANSPOSE || skip[i] || !yolo_dfl_chain_find(g, &u, i, &dc))
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
