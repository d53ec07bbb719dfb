/* cpu/qconv_grid_mark.c: QDQ convolutions that write bytes, not floats. A QConv with a float
 * output on a grid (a fused QuantizeLinear -> DequantizeLinear, then SiLU: ops/qconv.c,
 * YOLO_QC_FP_DQS) has only 256 output values, act((q - zp) * dqs), and in YOLOv8 most of
 * them are only quantized again: a C2f's cv1 by the Split's second half's QuantizeLinear and
 * by its join (a concat-q float part, cpu/concat_q_mark.c), the neck's bottlenecks and
 * stride-2 convolutions by their joins, the SPPF's cv2 by a join and an upsampling one. Where
 * that is all that reads the output (directly or through an in-place Split), the convolution
 * writes the grid's bytes q (NCHW, from the start of its output's bytes: channel c's plane at
 * byte c * H * W) and each reader maps a byte through a 256-byte table of the reference's own
 * arithmetic (act as yolo_act_apply, then yolo_quant_value): the QuantizeLinears run
 * yolo_concat_q_avx512 as a join of one part, the joins read the part's bytes. A quarter of
 * the bytes written and read and no SiLU in the epilogue: 16 of yolov8n_int8_qdq's 30 grid
 * convolutions, 28.36 -> 27.56 ms at 1 thread on Zen 4. The outputs are the reference's
 * bytes, where the epilogue's float SiLU (grid_exp, 1.4e-7) may land one step off. */
#include <stdlib.h>
#include <string.h>

#include "cpu/conv_pack.h"
#include "cpu/cpu.h"
#include "cpu/fast_ops.h"
#include "cpu/qconv_pack.h"
#include "ops/op_params.h"
#include "ops/quant.h"
#include "yolo_core.h"

#define MAX_VIEWS 8   /* the output and the Split's parts */
#define MAX_READERS 8

struct reader {
    int32_t node;                   /* the QuantizeLinear, or the Q running the join */
    int32_t part;                   /* the join's part, -1 for a QuantizeLinear */
    struct yolo_cpu_concat_q *join; /* the join, NULL for a QuantizeLinear */
};

/* The kernel name of a grid-bytes convolution (select.c's and qconv_c4.c's names). */
static const char *grid_name(const char *name)
{
    static const char *const map[][2] = {
        { "vnni-int8", "vnni-int8-grid" },
        { "vnni-int8-flat", "vnni-int8-flat-grid" },
        { "vnni-int8-vbmi", "vnni-int8-vbmi-grid" },
        { "vnni-int8-flat-vbmi", "vnni-int8-flat-vbmi-grid" },
        { "vnni-int8-c4", "vnni-int8-c4-grid" },
        { "vnni-int8-flat-c4", "vnni-int8-flat-c4-grid" },
        { "vnni-int8-vbmi-c4", "vnni-int8-vbmi-c4-grid" },
        { "vnni-int8-flat-vbmi-c4", "vnni-int8-flat-vbmi-c4-grid" },
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp(name, map[i][0]) == 0)
            return map[i][1];
    return name;
}

static int in_set(const int32_t *v, int nv, int32_t t)
{
    for (int i = 0; i < nv; i++)
        if (v[i] == t)
            return 1;
    return 0;
}

static int plain_activation(const struct yolo_graph *g, int32_t t)
{
    return !(g->tensors[t].flags &
             (YOLO_TF_CONST | YOLO_TF_INPUT | YOLO_TF_OUTPUT | YOLO_TF_KEEP | YOLO_TF_ALIAS));
}

/* Whether tensor t's arena bytes meet [lo, hi). */
static int meets(const struct yolo_graph *g, int32_t t, uint64_t lo, uint64_t hi)
{
    if (t < 0 || (g->tensors[t].flags & YOLO_TF_CONST))
        return 0;
    const struct yolo_tensor *T = &g->tensors[t];
    return T->offset < hi && lo < T->offset + yolo_tensor_bytes(T);
}

/* lut[b]: grid byte b of QConv node cv (its grid's dtype), dequantized and activated as the
 * reference does, quantized with scale s, zero point zp into [lo, hi] of qdt. */
static void grid_lut(const struct yolo_node *cv, float s, int32_t zp, int32_t lo, int32_t hi,
                     enum yolo_dtype qdt, uint8_t lut[256])
{
    int sgn = cv->params[YOLO_QC_GDT] == YOLO_DT_I8;
    int32_t yzp = (int32_t)cv->params[YOLO_QC_YZP];
    float dqs = cv->fparams[YOLO_QC_FP_DQS];
    for (int b = 0; b < 256; b++) {
        int32_t q = sgn ? (int32_t)(int8_t)(uint8_t)b : b;
        float f = yolo_act_apply((float)(q - yzp) * dqs, cv->params[YOLO_CONV_ACT]);
        int32_t o = yolo_quant_value(f / s, (float)zp, (float)lo, (float)hi);
        lut[b] = qdt == YOLO_DT_I8 ? (uint8_t)(int8_t)o : (uint8_t)o;
    }
}

/* join_of[k]: the join (an entry of cqs, node data of concat_q_mark) that node k, a Concat
 * or a part's Resize, is fused into; NULL for every other node. Made once per mark. */
static void map_joins(const struct yolo_graph *g, const struct yolo_cpu_kernel *kernels,
                      const void **node_data, struct yolo_cpu_concat_q *cqs,
                      struct yolo_cpu_concat_q **join_of)
{
    for (int32_t q = 0; q < g->n_nodes && cqs; q++) {
        if (kernels[q].fn != yolo_concat_q_avx512)
            continue;
        struct yolo_cpu_concat_q *c = cqs + ((const struct yolo_cpu_concat_q *)node_data[q] - cqs);
        join_of[c->cq.concat] = c;
        for (int p = 0; p < c->cq.n_parts; p++)
            if (c->cq.part[p].resize >= 0)
                join_of[c->cq.part[p].resize] = c;
    }
}

/* Collects the readers of conv node i's output and its in-place Split's parts (views),
 * 0 if anything else reads them. */
static int find_readers(const struct yolo_graph *g, const struct yolo_cpu_kernel *kernels,
                        struct yolo_cpu_concat_q *const *join_of, int32_t i, int32_t *views,
                        int *nv, struct reader *rd, int *nr)
{
    int32_t T = g->nodes[i].out[0];
    views[0] = T;
    *nv = 1;
    *nr = 0;
    for (int32_t k = i + 1; k < g->n_nodes; k++) {
        const struct yolo_node *n = &g->nodes[k];
        int reads = 0;
        for (int j = 0; j < n->n_in; j++)
            reads |= n->in[j] >= 0 && in_set(views, *nv, n->in[j]);
        if (!reads)
            continue;
        if (n->op == YOLO_OP_SPLIT && n->in[0] == T && *nv == 1 && g->tensors[T].shape[0] == 1) {
            /* in place (core/plan.c): each part at its bytes in T, so the node copies nothing */
            uint64_t at = g->tensors[T].offset;
            for (int j = 0; j < n->n_out; j++) {
                int32_t o = n->out[j];
                if (o < 0 || *nv == MAX_VIEWS || g->tensors[o].offset != at ||
                    (g->tensors[o].flags & (YOLO_TF_INPUT | YOLO_TF_OUTPUT | YOLO_TF_KEEP)))
                    return 0;
                at += yolo_tensor_bytes(&g->tensors[o]);
                views[(*nv)++] = o;
            }
            continue;
        }
        if (*nr == MAX_READERS)
            return 0;
        if (n->op == YOLO_OP_QUANTIZE_LINEAR && kernels[k].fn == yolo_quantize_avx512 &&
            g->tensors[n->out[0]].ndim == 4) {
            rd[(*nr)++] = (struct reader){ k, -1, NULL };
            continue;
        }
        /* a Concat joined at its QuantizeLinear, each view it reads a float part; or a
         * nearest Resize the join upsamples, of a view */
        struct yolo_cpu_concat_q *c = join_of[k];
        if (!c)
            return 0;
        int found = c->cq.concat == k;
        for (int p = 0; p < c->cq.n_parts; p++) {
            const struct yolo_cq_part *cp = &c->cq.part[p];
            int at_concat = c->cq.concat == k && in_set(views, *nv, n->in[p]);
            int at_resize = cp->kind == YOLO_CQ_RESIZE && cp->resize == k &&
                            in_set(views, *nv, cp->src);
            if (!at_concat && !at_resize)
                continue;
            found = 1;
            if ((at_concat && cp->kind != YOLO_CQ_FLOAT) || *nr == MAX_READERS)
                return 0;
            rd[(*nr)++] = (struct reader){ c->cq.q, p, c };
        }
        if (!found)
            return 0;
    }
    return 1;
}

/* Whether the bytes the readers read stay as written from conv i to the last of them: no
 * output of a node in between (run or fused), nor what a fused convolution writes elsewhere,
 * meets them. The one exception, a joined Concat's output: nothing writes it (the join reads
 * its parts where they lie), and the planner may have placed the parts inside it. The
 * planner keeps the output and its views alive that long; an engine planned otherwise keeps
 * its floats. */
static int bytes_safe(const struct yolo_graph *g, const struct yolo_conv_packed *packs,
                      const void **node_data, struct yolo_cpu_concat_q *const *join_of,
                      int32_t i, const int32_t *views, int nv, const struct reader *rd, int nr)
{
    const struct yolo_tensor *T = &g->tensors[views[0]];
    uint64_t lo = T->offset, hi = lo + (uint64_t)yolo_tensor_numel(T);
    int32_t last = i;
    for (int r = 0; r < nr; r++)
        last = rd[r].node > last ? rd[r].node : last;
    for (int32_t k = i + 1; k <= last; k++) {
        const struct yolo_node *n = &g->nodes[k];
        if (join_of[k] && join_of[k]->cq.concat == k)
            continue;
        for (int j = 0; j < n->n_out; j++)
            if (!in_set(views, nv, n->out[j]) && meets(g, n->out[j], lo, hi))
                return 0;
        if (node_data[k] == &packs[k]) {
            const struct yolo_conv_packed *p = &packs[k];
            if ((p->add_on && meets(g, p->add_out, lo, hi)) ||
                (p->cat_cs && meets(g, p->cat_out, lo, hi)) ||
                (p->tp_group && meets(g, p->tp_out, lo, hi)))
                return 0;
        }
    }
    return 1;
}

void yolo_qconv_grid_mark(const struct yolo_graph *g, int vbmi, struct yolo_cpu_kernel *kernels,
                          struct yolo_conv_packed *packs, const void **node_data,
                          const uint8_t *skip, struct yolo_cpu_concat_q *cqs,
                          struct yolo_cpu_concat_q **gqs)
{
    *gqs = NULL;
    struct yolo_cpu_concat_q **join_of =
        vbmi ? calloc((size_t)(g->n_nodes ? g->n_nodes : 1), sizeof *join_of) : NULL;
    if (!join_of)
        return;   /* without AVX512_VBMI, or memory, the convolutions keep their floats */
    map_joins(g, kernels, node_data, cqs, join_of);
    int32_t n_gq = 0, cap = 0;
    struct yolo_cpu_concat_q *all = NULL;
    for (int32_t i = 0; i < g->n_nodes; i++) {
        const struct yolo_node *cv = &g->nodes[i];
        const struct yolo_conv_packed *pk = &packs[i];
        if (cv->op != YOLO_OP_QCONV || skip[i] || node_data[i] != pk ||
            (kernels[i].fn != yolo_qconv_avx512vnni &&
             kernels[i].fn != yolo_qconv_avx512vnni_vbmi) ||
            cv->params[YOLO_QC_ODT] != YOLO_DT_F32 || cv->fparams[YOLO_QC_FP_DQS] == 0 ||
            pk->add_on || pk->cat_cs || pk->tp_group || pk->y_c4 ||
            !plain_activation(g, cv->out[0]) || g->tensors[cv->out[0]].ndim != 4)
            continue;
        int32_t views[MAX_VIEWS];
        struct reader rd[MAX_READERS];
        int nv, nr, nq = 0;
        if (!find_readers(g, kernels, join_of, i, views, &nv, rd, &nr) || !nr ||
            !bytes_safe(g, packs, node_data, join_of, i, views, nv, rd, nr))
            continue;
        for (int r = 0; r < nr; r++)
            nq += rd[r].part < 0;
        if (n_gq + nq > cap) {
            /* the entries are only pointed at once all are made: realloc may move them */
            int32_t nc = cap ? 2 * cap : 16;
            while (nc < n_gq + nq)
                nc *= 2;
            struct yolo_cpu_concat_q *m = realloc(all, sizeof *all * (size_t)nc);
            if (!m)
                break;
            all = m;
            cap = nc;
        }
        for (int r = 0; r < nr; r++) {
            const struct yolo_node *q = &g->nodes[rd[r].node];
            if (rd[r].part >= 0) {   /* the join's float part reads bytes by a table */
                struct yolo_cpu_concat_q *c = rd[r].join;
                c->grid[rd[r].part] = cv->out[0];
                grid_lut(cv, c->scale, c->zp, c->lo, c->hi,
                         (enum yolo_dtype)q->params[YOLO_QL_QDT], c->lut[rd[r].part]);
                continue;
            }
            /* a QuantizeLinear: a join of one part */
            struct yolo_cpu_concat_q *c = &all[n_gq++];
            enum yolo_dtype qdt = (enum yolo_dtype)q->params[YOLO_QL_QDT];
            float qlo, qhi;
            yolo_quant_range(qdt, &qlo, &qhi);
            memset(c, 0, sizeof *c);
            c->cq.q = rd[r].node;
            c->cq.concat = -1;
            c->cq.n_parts = 1;
            c->cq.part[0] = (struct yolo_cq_part){ YOLO_CQ_FLOAT, q->in[0], -1, -1 };
            c->c0[1] = g->tensors[q->out[0]].shape[1];
            c->scale = yolo_quant_scale(g, q, 0);
            c->zp = yolo_quant_zp(g, q, 0);
            c->lo = (int32_t)qlo;
            c->hi = (int32_t)qhi;
            c->y_c4 = node_data[rd[r].node] == &packs[rd[r].node] && packs[rd[r].node].y_c4;
            for (int p = 0; p < YOLO_CQ_MAX_PARTS; p++)
                c->grid[p] = -1;
            c->grid[0] = cv->out[0];
            grid_lut(cv, c->scale, c->zp, c->lo, c->hi, qdt, c->lut[0]);
        }
        packs[i].grid_u8 = 1;
        kernels[i].name = grid_name(kernels[i].name);
    }
    /* the QuantizeLinears' kernels and node data, once the entries no longer move */
    for (int32_t j = 0; j < n_gq; j++) {
        int32_t q = all[j].cq.q;
        node_data[q] = &all[j];
        kernels[q].fn = yolo_concat_q_avx512;
        kernels[q].name = all[j].y_c4 ? "grid-q-c4" : "grid-q";
        kernels[q].scratch = 0;
    }
    *gqs = all;
    free(join_of);
}
