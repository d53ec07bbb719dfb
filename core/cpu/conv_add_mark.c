/* cpu/conv_add_mark.c: a convolution that writes a residual Add's sum itself (passes.h,
 * struct yolo_conv_add): the C2f / C3 shortcut x + cv2(cv1(x)), where the convolution's
 * output was written, then read back with x and added (yolov8n_int8_qdq's six Adds 0.24 ms of
 * 30 at 1 thread on Zen 4, yolov5n's seven 0.2 ms of 40). The VNNI int8 kernel with a float32
 * NCHW output adds the other addend as it stores (x86/qconv_avx512vnni.c), the Winograd
 * kernels (float32 and bf16) in their output transform (x86/wino_body.h): the same float
 * sum. */
#include "cpu/conv_pack.h"
#include "cpu/cpu.h"
#include "cpu/qconv_pack.h"
#include "ops/op_params.h"

/* Writing the sum z at the convolution is safe when its input and the addend lie elsewhere
 * and no node that runs from it up to the Add touches z's bytes but through the
 * convolution's own output (no longer written). (An engine planned before plan.c started z's
 * life at the convolution may not have them apart: then the nodes run one by one.) */
static int safe(const struct yolo_graph *g, const struct yolo_conv_add *ca, const uint8_t *skip)
{
    const struct yolo_node *c = &g->nodes[ca->conv];
    int32_t z = g->nodes[ca->add].out[0], y = c->out[0];
    if (yolo_cpu_tensors_overlap(g, ca->res, z))
        return 0;
    for (int j = 0; j < c->n_in; j++)
        if (c->in[j] >= 0 && !(g->tensors[c->in[j]].flags & YOLO_TF_CONST) &&
            yolo_cpu_tensors_overlap(g, c->in[j], z))
            return 0;
    for (int32_t k = ca->conv + 1; k < ca->add; k++)
        if (!skip[k] && yolo_cpu_node_touches(g, &g->nodes[k], z, y, -1))
            return 0;
    return 1;
}

/* Whether node n's kernel can add the other addend as it stores: the VNNI int8 kernel with a
 * float32 NCHW output, or a Winograd kernel (float32 or bf16, x86/wino_body.h's wino_out). */
static int adds_as_it_stores(const struct yolo_node *n, const struct yolo_cpu_kernel *k,
                             const struct yolo_conv_packed *pk)
{
    if (n->op == YOLO_OP_QCONV)
        return (k->fn == yolo_qconv_avx512vnni || k->fn == yolo_qconv_avx512vnni_vbmi) &&
               n->params[YOLO_QC_ODT] == YOLO_DT_F32;
    return (pk->kind == YOLO_CONV_PACK_WINO43 &&
            (k->fn == yolo_conv_pack_avx512 || k->fn == yolo_conv_pack_avx2)) ||
           (pk->kind == YOLO_CONV_PACK_WINO43_BF16 && k->fn == yolo_conv_wino_bf16_avx512);
}

void yolo_conv_add_mark(const struct yolo_graph *g, enum yolo_isa isa,
                        const struct yolo_cpu_kernel *kernels, struct yolo_conv_packed *packs,
                        const void **node_data, uint8_t *skip)
{
    struct yolo_uses u;
    if (!yolo_cpu_fusion_uses(g, isa, YOLO_OP_ADD, &u))
        return;
    for (int32_t i = 0; i < g->n_nodes; i++) {
        struct yolo_conv_add ca;
        if (g->nodes[i].op != YOLO_OP_ADD || skip[i] || !yolo_conv_add_find(g, &u, i, &ca))
            continue;
        int32_t c = ca.conv;
        const struct yolo_node *cn = &g->nodes[c];
        struct yolo_conv_packed *pk = &packs[c];
        if (skip[c] || node_data[c] != pk || pk->y_c4 || pk->cat_cs || pk->tp_group ||
            pk->add_on || !adds_as_it_stores(cn, &kernels[c], pk) || !safe(g, &ca, skip))
            continue;
        pk->add_on = 1;
        pk->add_out = g->nodes[i].out[0];
        pk->add_res = ca.res;
        skip[i] = 2;
    }
    yolo_uses_free(&u);
}
