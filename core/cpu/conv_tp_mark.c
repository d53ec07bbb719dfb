/* cpu/conv_tp_mark.c: YOLOv5's head convolutions writing their Transpose's layout (passes.h,
 * struct yolo_conv_tp). The 1x1 Conv's GEMM8 kernel (or, in a bf16 engine, the bf16 one:
 * "bf16-gemm-transposed") finishes each tile of output channels x 48 pixels in a per-thread
 * buffer (L1) and stores it transposed, 8 x 8 at a time (x86/tr8.h), straight
 * into the Transpose's output; the Transpose runs nothing. Run one by one, the Transpose read
 * the Conv's output back in 85 channel streams, one cache line each per 16 pixels, too many
 * for the prefetchers: 0.59 ms of yolov5n's 24 at 1 thread (ONNX Runtime's took as long), for
 * a tensor memcpy moves in 0.12 ms. The floats are the Conv's, bit for bit: only where they
 * land differs. Where a YOLOv5 box decode follows (chain_at), the tiles get the Sigmoid and
 * land in the decode's output, the same floats as the Sigmoid node's. */
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

/* The Transpose's output T is read by a Sigmoid that runs as a split chain (cpu/
 * split_chain_mark.c) writing Concat output O, T's shape: the float32 Conv can write the
 * Sigmoid of its tiles straight into O, leaving the chain its pieces' steps, in place. Then
 * neither the 6.5 MB of YOLOv5's 80x80 head nor its Sigmoid take a pass of their own. Safe
 * when O shares no byte with the Conv's input, and no node that still runs between the Conv
 * and the Sigmoid reads or writes O's bytes: O's life starts at the Sigmoid in the plan
 * (its output is placed at O's bytes: plan.c's chain_in_place), so another tensor may lie
 * there until then. */
static int32_t chain_at(const struct yolo_graph *g, const struct yolo_uses *u,
                        const struct yolo_conv_tp *ct, const struct yolo_split_chain *chains,
                        const void **node_data, const uint8_t *skip)
{
    int32_t T = g->nodes[ct->transpose].out[0], s = u->reader[T];
    if (s < 0 || g->nodes[s].op != YOLO_OP_SIGMOID || node_data[s] != &chains[s] ||
        chains[s].sigmoid != s || !yolo_uses_private(g, u, T, s))
        return -1;
    const struct yolo_node *c = &g->nodes[ct->conv];
    int32_t O = g->nodes[chains[s].concat].out[0];
    if (yolo_tensor_numel(&g->tensors[O]) != yolo_tensor_numel(&g->tensors[T]) ||
        yolo_cpu_tensors_overlap(g, c->in[0], O))
        return -1;
    int32_t Y = c->out[0], R = g->nodes[ct->reshape].out[0];
    for (int32_t i = ct->conv + 1; i < s; i++)
        if (!skip[i] && yolo_cpu_node_touches(g, &g->nodes[i], O, Y, R))
            return -1;
    return s;
}

void yolo_conv_tp_mark(const struct yolo_graph *g, enum yolo_isa isa,
                       struct yolo_cpu_kernel *kernels, struct yolo_conv_packed *packs,
                       struct yolo_split_chain *chains, const void **node_data, uint8_t *skip)
{
    struct yolo_uses u;
    if (!yolo_cpu_fusion_uses(g, isa, YOLO_OP_TRANSPOSE, &u))
        return;
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
        int32_t s = chain_at(g, &u, &ct, chains, node_data, skip);
        if (s >= 0) {
            packs[c].tp_out = g->nodes[chains[s].concat].out[0];
            packs[c].tp_act = YOLO_ACT_SIGMOID;
            chains[s].sigmoid_done = 1;
            kernels[c].name = packs[c].kind == YOLO_CONV_PACK_BF16
                                  ? "bf16-gemm-transposed-sigmoid"
                                  : "gemm8-transposed-sigmoid";
            kernels[s].name = "split-chain-in-place";
        }
    }
    yolo_uses_free(&u);
}
