/* cpu/conv_tp_mark.c: YOLOv5's head convolutions writing their Transpose's layout (passes.h,
 * struct yolo_conv_tp). The 1x1 Conv's GEMM8 kernel (or, in a bf16 engine, the bf16 one:
 * "bf16-gemm-transposed") finishes each tile of output channels x 48 pixels in a per-thread
 * buffer (L1) and stores it transposed, 8 x 8 at a time (x86/tr8.h), straight
 * into the Transpose's output; the Transpose runs nothing. Run one by one, the Transpose read
 * the Conv's output back in 85 channel streams, one cache line each per 16 pixels, too many
 * for the prefetchers: 0.59 ms of yolov5n's 24 at 1 thread (ONNX Runtime's took as long), for
 * a tensor memcpy moves in 0.12 ms. The floats are the Conv's, bit for bit: only where they
 * land differs. */
#include <stdlib.h>

#include "passes.h"
#include "cpu/conv_bf16.h"
#include "cpu/conv_pack.h"
#include "cpu/cpu.h"
#include "ops/op_params.h"

/* The Conv takes GEMM8's or the bf16 kernel's direct path: 1x1, stride 1, no padding, one
 * group. */
static int direct_1x1(const struct yolo_graph *g, const struct yolo_node *n,
                      const struct yolo_cpu_kernel *k, const struct yolo_conv_packed *pk)
{
    const int64_t *p = n->params;
    return ((pk->kind == YOLO_CONV_PACK_GEMM8 &&
             (k->fn == yolo_conv_pack_avx512 || k->fn == yolo_conv_pack_avx2)) ||
            (pk->kind == YOLO_CONV_PACK_BF16 && k->fn == yolo_conv_bf16_avx512)) &&
           p[YOLO_CONV_GROUP] == 1 && p[YOLO_CONV_KH] == 1 && p[YOLO_CONV_KW] == 1 &&
           p[YOLO_CONV_SH] == 1 && p[YOLO_CONV_SW] == 1 && p[YOLO_CONV_PT] == 0 &&
           p[YOLO_CONV_PL] == 0 && p[YOLO_CONV_PB] == 0 && p[YOLO_CONV_PR] == 0 &&
           g->tensors[n->in[0]].shape[2] == g->tensors[n->out[0]].shape[2] &&
           g->tensors[n->in[0]].shape[3] == g->tensors[n->out[0]].shape[3];
}

/* Writing T at the Conv is safe when no node that runs from the Conv up to the Transpose
 * touches T's bytes, but for the Conv's output and its view, which are no longer written.
 * (An engine planned before plan.c started T's life at the Conv may have put T over the
 * Conv's input: then the nodes run one by one.) */
static int safe(const struct yolo_graph *g, const struct yolo_conv_tp *ct, const uint8_t *skip)
{
    int32_t T = g->nodes[ct->transpose].out[0], Y = g->nodes[ct->conv].out[0];
    int32_t R = g->nodes[ct->reshape].out[0];
    for (int32_t i = ct->conv; i < ct->transpose; i++)
        if (!skip[i] && yolo_cpu_node_touches(g, &g->nodes[i], T, Y, R))
            return 0;
    return 1;
}

void yolo_conv_tp_mark(const struct yolo_graph *g, enum yolo_isa isa,
                       struct yolo_cpu_kernel *kernels, struct yolo_conv_packed *packs,
                       const void **node_data, uint8_t *skip)
{
    if (isa == YOLO_ISA_REF)
        return;
    struct yolo_uses u;
    int any = 0;
    for (int32_t i = 0; i < g->n_nodes && !any; i++)
        any = g->nodes[i].op == YOLO_OP_TRANSPOSE;
    if (!any || yolo_uses_make(g, (size_t)g->n_tensors, &u, NULL))
        return;   /* without memory the nodes run one by one */
    for (int32_t i = 0; i < g->n_nodes; i++) {
        struct yolo_conv_tp ct;
        if (g->nodes[i].op != YOLO_OP_TRANSPOSE || !yolo_conv_tp_find(g, &u, i, &ct))
            continue;
        int32_t c = ct.conv;
        if (node_data[c] != &packs[c] || !direct_1x1(g, &g->nodes[c], &kernels[c], &packs[c]) ||
            !safe(g, &ct, skip) || ct.group > INT32_MAX)
            continue;
        packs[c].tp_out = g->nodes[i].out[0];
        packs[c].tp_group = (int32_t)ct.group;
        kernels[c].name = packs[c].kind == YOLO_CONV_PACK_BF16 ? "bf16-gemm-transposed"
                                                               : "gemm8-transposed";
        skip[i] = 2;
    }
    yolo_uses_free(&u);
}
