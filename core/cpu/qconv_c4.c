/* cpu/qconv_c4.c: which int8 activations the VNNI convolutions keep in the c4 layout
 * (cpu/qconv_pack.h): a load-time decision from the kernels picked, so a context built with
 * other kernels (another ISA, the reference ones) never meets the layout. */
#include <stdlib.h>
#include <string.h>

#include "cpu/cpu.h"
#include "cpu/fast_ops.h"
#include "cpu/qconv_pack.h"
#include "ops/op_params.h"

static int is_vnni(const struct yolo_cpu_kernel *k)
{
    return k->fn == yolo_qconv_avx512vnni || k->fn == yolo_qconv_avx512vnni_vbmi;
}

/* a writer that can produce the layout: a VNNI QConv with a quantized output, or
 * QuantizeLinear on its AVX-512 kernel (one scale) */
static int c4_writer(const struct yolo_node *n, const struct yolo_cpu_kernel *k)
{
    if (n->op == YOLO_OP_QCONV)
        return is_vnni(k) && n->params[YOLO_QC_ODT] != YOLO_DT_F32;
    return n->op == YOLO_OP_QUANTIZE_LINEAR && k->fn == yolo_quantize_avx512;
}

/* the kernel's name with "-c4" (names are static strings) */
static const char *c4_name(const char *name)
{
    static const char *const pairs[][2] = {
        { "vnni-int8", "vnni-int8-c4" },
        { "vnni-int8-flat", "vnni-int8-flat-c4" },
        { "vnni-int8-vbmi", "vnni-int8-vbmi-c4" },
        { "vnni-int8-flat-vbmi", "vnni-int8-flat-vbmi-c4" },
    };
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++)
        if (!strcmp(name, pairs[i][0]))
            return pairs[i][1];
    return name;
}

void yolo_qconv_mark_c4(const struct yolo_graph *g, struct yolo_cpu_kernel *kernels,
                        struct yolo_conv_packed *packs, const void **node_data)
{
    int32_t nt = g->n_tensors;
    int32_t *writer = malloc(sizeof(int32_t) * (size_t)(nt ? nt : 1));
    uint8_t *ok = malloc((size_t)(nt ? nt : 1));
    if (!writer || !ok) {
        free(writer);
        free(ok);
        return;
    }
    for (int32_t t = 0; t < nt; t++) {
        const struct yolo_tensor *T = &g->tensors[t];
        writer[t] = -1;
        ok[t] = (T->dtype == YOLO_DT_U8 || T->dtype == YOLO_DT_I8) && T->ndim == 4 &&
                T->shape[1] % 4 == 0 &&
                !(T->flags & (YOLO_TF_CONST | YOLO_TF_INPUT | YOLO_TF_OUTPUT | YOLO_TF_ALIAS |
                              YOLO_TF_KEEP));
    }
    /* every reader must be a VNNI QConv reading it as X; the writer, one with a quantized
     * output */
    uint8_t *read = calloc((size_t)(nt ? nt : 1), 1);
    if (!read) {
        free(writer);
        free(ok);
        return;
    }
    for (int32_t i = 0; i < g->n_nodes; i++) {
        const struct yolo_node *n = &g->nodes[i];
        int vnni = n->op == YOLO_OP_QCONV && is_vnni(&kernels[i]);
        for (int s = 0; s < n->n_in; s++) {
            int32_t t = n->in[s];
            if (t < 0 || t >= nt)
                continue;
            read[t] = 1;
            if (!vnni || s != YOLO_QC_IN_X)
                ok[t] = 0;
        }
        for (int s = 0; s < n->n_out; s++) {
            int32_t t = n->out[s];
            if (t < 0 || t >= nt)
                continue;
            if (writer[t] >= 0 || !c4_writer(n, &kernels[i]))
                ok[t] = 0;
            writer[t] = i;
        }
    }
    for (int32_t i = 0; i < g->n_nodes; i++) {
        const struct yolo_node *n = &g->nodes[i];
        if (n->op == YOLO_OP_QUANTIZE_LINEAR && c4_writer(n, &kernels[i])) {
            int32_t y = n->out[0];
            packs[i].y_c4 = y >= 0 && y < nt && ok[y] && read[y] && writer[y] == i;
            if (packs[i].y_c4) {
                node_data[i] = &packs[i];
                kernels[i].name = "avx512-c4";
            }
            continue;
        }
        if (n->op != YOLO_OP_QCONV || !is_vnni(&kernels[i]))
            continue;
        int32_t x = n->in[YOLO_QC_IN_X], y = n->out[0];
        packs[i].x_c4 = x >= 0 && x < nt && ok[x] && read[x] && writer[x] >= 0;
        packs[i].y_c4 = y >= 0 && y < nt && ok[y] && read[y] && writer[y] == i;
        if (packs[i].x_c4 || packs[i].y_c4)
            kernels[i].name = c4_name(kernels[i].name);
    }
    free(read);
    free(writer);
    free(ok);
}
