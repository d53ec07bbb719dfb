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

static int glue_data_inputs(const struct yolo_node *n)
{
    return n->op == YOLO_OP_CONCAT || n->op == YOLO_OP_QADD ? n->n_in : 1;
}

/* Nodes that keep the layout they are given, on 4-D int8 tensors whose channel counts are
 * multiples of 4. A Concat or Split along the channels: NCHW and c4 keep an image's
 * channels [c, c + 4k) as one run of bytes at the same place when c is a multiple of 4, so
 * with every channel count a multiple of 4 it moves the same bytes in either layout. A
 * nearest Resize that keeps N and C: cpu/resize_nearest.c moves c4 pixels when told to. A
 * QAdd: elementwise, the same bytes in any layout its three tensors share. */
static int keeps_layout(const struct yolo_graph *g, const struct yolo_node *n,
                        const struct yolo_cpu_kernel *k)
{
    int axis;
    if (n->op == YOLO_OP_CONCAT)
        axis = (int)n->params[YOLO_CC_AXIS_RES];
    else if (n->op == YOLO_OP_SPLIT)
        axis = (int)n->params[YOLO_SP_AXIS_RES];
    else if (n->op == YOLO_OP_QADD)     /* elementwise: any layout its tensors share */
        axis = 1;
    else if (n->op == YOLO_OP_RESIZE)   /* our nearest kernel moves c4 pixels whole */
        axis = k->fn == yolo_resize_nearest_fast && n->params[YOLO_RS_MODE] == 0 &&
               n->n_out == 1 && n->out[0] >= 0 && n->in[0] >= 0 &&
               g->tensors[n->in[0]].shape[0] == g->tensors[n->out[0]].shape[0] &&
               g->tensors[n->in[0]].shape[1] == g->tensors[n->out[0]].shape[1] ? 1 : 0;
    else
        return 0;
    if (axis != 1 || n->n_in < 1 || n->n_out < 1)
        return 0;
    int n_data = glue_data_inputs(n);
    for (int s = 0; s < n_data + n->n_out; s++) {
        int32_t t = s < n_data ? n->in[s] : n->out[s - n_data];
        if (t < 0 || t >= g->n_tensors)
            return 0;
        const struct yolo_tensor *T = &g->tensors[t];
        if ((T->dtype != YOLO_DT_U8 && T->dtype != YOLO_DT_I8) || T->ndim != 4 ||
            T->shape[1] % 4 != 0)
            return 0;
    }
    return 1;
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
    /* every reader must be a VNNI QConv reading it as X, or a node that keeps the layout;
     * the writer, one with a quantized output, or such a node */
    uint8_t *read = calloc((size_t)(nt ? nt : 1), 1);
    if (!read) {
        free(writer);
        free(ok);
        return;
    }
    for (int32_t i = 0; i < g->n_nodes; i++) {
        const struct yolo_node *n = &g->nodes[i];
        int vnni = n->op == YOLO_OP_QCONV && is_vnni(&kernels[i]);
        int glue = keeps_layout(g, n, &kernels[i]);
        for (int s = 0; s < n->n_in; s++) {
            int32_t t = n->in[s];
            if (t < 0 || t >= nt)
                continue;
            read[t] = 1;
            if (!(vnni && s == YOLO_QC_IN_X) && !(glue && s < glue_data_inputs(n)))
                ok[t] = 0;
        }
        for (int s = 0; s < n->n_out; s++) {
            int32_t t = n->out[s];
            if (t < 0 || t >= nt)
                continue;
            if (writer[t] >= 0 || !(glue || c4_writer(n, &kernels[i])))
                ok[t] = 0;
            writer[t] = i;
        }
    }
    /* a Concat, Split, Resize or QAdd keeps the layout it is given, but cannot change it:
     * its tensors are all c4 or none is */
    for (int changed = 1; changed;) {
        changed = 0;
        for (int32_t i = 0; i < g->n_nodes; i++) {
            const struct yolo_node *n = &g->nodes[i];
            if (!keeps_layout(g, n, &kernels[i]))
                continue;
            int all = 1;
            for (int s = 0; s < glue_data_inputs(n); s++)
                all &= ok[n->in[s]];
            for (int s = 0; s < n->n_out; s++)
                all &= n->out[s] < 0 || (ok[n->out[s]] && read[n->out[s]]);
            if (all)
                continue;
            for (int s = 0; s < glue_data_inputs(n); s++) {
                changed |= ok[n->in[s]];
                ok[n->in[s]] = 0;
            }
            for (int s = 0; s < n->n_out; s++)
                if (n->out[s] >= 0) {
                    changed |= ok[n->out[s]];
                    ok[n->out[s]] = 0;
                }
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
        if (n->op == YOLO_OP_RESIZE && keeps_layout(g, n, &kernels[i]) && ok[n->in[0]]) {
            packs[i].x_c4 = packs[i].y_c4 = 1;
            node_data[i] = &packs[i];
            kernels[i].name = "nearest-c4";
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
