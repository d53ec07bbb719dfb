/* cpu/split_chain_mark.c: YOLOv5's box decode (passes.h, struct yolo_split_chain) as one
 * pass: the Sigmoid's node runs the Sigmoid, every piece's Add / Mul / Pow and the Concat
 * (x86/eltwise_body.h, yolo_split_chain_avx512/avx2), writing the Concat's output; the
 * Split, the chains and the Concat run nothing. At 80x80 the nodes one by one make three passes over 6.5 MB (the
 * Sigmoid, the Split, the Concat: 0.7 ms of yolov5n at 1 thread), the fused one a single
 * pass with the same arithmetic in the same order, so the same floats. */
#include <stdlib.h>

#include "passes.h"
#include "cpu/cpu.h"
#include "cpu/fast_ops.h"

/* Whether the fused pass may run at the Sigmoid, writing the Concat's output O early: O
 * shares no byte with the Sigmoid's input, and no node between the two that still runs reads
 * or writes any of O's bytes (the planner's chain_in_place gives O's bytes to the Sigmoid's
 * output, which only the chain reads, so that holds in engines it planned). */
static int safe(const struct yolo_graph *g, const struct yolo_split_chain *sc,
                const uint8_t *in_chain)
{
    int32_t T = g->nodes[sc->sigmoid].in[0], O = g->nodes[sc->concat].out[0];
    if (yolo_cpu_tensors_overlap(g, T, O))
        return 0;
    for (int32_t i = sc->sigmoid + 1; i < sc->concat; i++)
        if (!in_chain[i] && yolo_cpu_node_touches(g, &g->nodes[i], O, -1, -1))
            return 0;
    return 1;
}

void yolo_split_chain_mark(const struct yolo_graph *g, enum yolo_isa isa,
                           struct yolo_cpu_kernel *kernels, struct yolo_split_chain *chains,
                           const void **node_data, uint8_t *skip)
{
    if (isa == YOLO_ISA_REF)
        return;
    struct yolo_uses u;
    uint8_t *in_chain = calloc((size_t)(g->n_nodes ? g->n_nodes : 1), 1);
    if (!in_chain || yolo_uses_make(g, (size_t)g->n_tensors, &u, NULL)) {
        free(in_chain);
        return;   /* without memory the nodes run one by one */
    }
    for (int32_t s = 0; s < g->n_nodes; s++) {
        struct yolo_split_chain sc;
        if (g->nodes[s].op != YOLO_OP_SIGMOID || !yolo_split_chain_find(g, &u, s, &sc))
            continue;
        in_chain[sc.concat] = in_chain[sc.split] = 1;
        for (int j = 0; j < sc.n_pieces; j++)
            for (int k = 0; k < sc.n_ops[j]; k++)
                in_chain[sc.op[j][k]] = 1;
        int ok = safe(g, &sc, in_chain);
        if (ok) {
            chains[s] = sc;
            node_data[s] = &chains[s];
            kernels[s].fn = isa == YOLO_ISA_AVX512 ? yolo_split_chain_avx512
                                                   : yolo_split_chain_avx2;
            kernels[s].name = "sigmoid-split-chain";
            kernels[s].scratch = 0;
        }
        in_chain[sc.concat] = in_chain[sc.split] = (uint8_t)(ok ? 2 : 0);
        for (int j = 0; j < sc.n_pieces; j++)
            for (int k = 0; k < sc.n_ops[j]; k++)
                in_chain[sc.op[j][k]] = (uint8_t)(ok ? 2 : 0);
    }
    for (int32_t i = 0; i < g->n_nodes; i++)
        if (in_chain[i] == 2)
            skip[i] = 2;
    yolo_uses_free(&u);
    free(in_chain);
}
