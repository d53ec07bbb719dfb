/* bf16.c: `yolo build --bf16`: the Convs yolo_quant_plan would give int8 (group 1, constant
 * float32 weights, fed by the network body: the detection head's DFL, box decode, sigmoid and
 * concat stay float32, as under --int8) are marked YOLO_CONV_PREC_BF16 and their weights
 * rounded to bfloat16 (nearest, ties to even) in place. The engine stores those weights once,
 * in float32 containers holding bf16 values: every backend, the reference kernel and a CPU
 * without AVX512_BF16 then compute with the very weights the bf16 kernel multiplies, so the
 * only difference between paths is the activations' rounding. Biases stay float32: they are
 * added in the float32 epilogue. */
#include "bf16.h"
#include "passes.h"

int yolo_opt_bf16(struct yolo_graph *g, const uint8_t *conv_ok, int *n_changed, struct yolo_diag *d)
{
    (void)d;
    int n = 0;
    for (int32_t i = 0; i < g->n_nodes; i++) {
        struct yolo_node *c = &g->nodes[i];
        if (!conv_ok[i] || c->op != YOLO_OP_CONV)
            continue;
        int32_t wt = c->in[1];
        /* a weight tensor shared with another reader would change under it: keep float32 */
        if (yolo_graph_n_consumers(g, wt) != 1 || yolo_graph_is_output(g, wt))
            continue;
        int64_t numel = yolo_tensor_numel(&g->tensors[wt]);
        float *w = yolo_graph_const_data(g, wt);
        if (numel < 1 || !w)
            continue;
        for (int64_t k = 0; k < numel; k++)
            w[k] = yolo_bf16_round(w[k]);
        c->params[YOLO_CONV_PREC] = YOLO_CONV_PREC_BF16;
        n++;
    }
    if (n_changed)
        *n_changed = n;
    return 0;
}
