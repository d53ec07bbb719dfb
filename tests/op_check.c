/* op_check.c: see op_check.h. */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/conv_pack.h"
#include "harness.h"
#include "op_check.h"

int op_check_prepare(struct op_check *oc, struct yolo_graph *g, uint64_t seed, struct yolo_diag *d)
{
    memset(oc, 0, sizeof *oc);
    oc->g = g;
    for (int32_t i = 0; i < g->n_nodes; i++) {
        const struct yolo_op_impl *impl = yolo_op_impl_get(g->nodes[i].op);
        if (!impl || !impl->shape_fn)
            return yolo_diag_set(d, YOLO_ERR_UNSUPPORTED, "op %s has no shape_fn",
                                 yolo_op_name(g->nodes[i].op));
        int rc = impl->shape_fn(g, &g->nodes[i], d);
        if (rc)
            return rc;
    }
    uint64_t off = 0;
    for (int32_t t = 0; t < g->n_tensors; t++) {
        struct yolo_tensor *T = &g->tensors[t];
        if (T->flags & YOLO_TF_CONST)
            continue;
        T->offset = off;
        off += (yolo_tensor_bytes(T) + 63) & ~(uint64_t)63;
    }
    oc->arena_bytes = off;
    oc->arena = aligned_alloc(64, off ? off : 64);
    if (!oc->arena)
        return yolo_diag_set(d, YOLO_ERR_NOMEM, "arena");
    memset(oc->arena, 0xFF, off); /* NaN-ish garbage: kernels must write every output */
    char *produced = calloc((size_t)g->n_tensors, 1);
    if (!produced)
        return yolo_diag_set(d, YOLO_ERR_NOMEM, "produced");
    for (int32_t i = 0; i < g->n_nodes; i++)
        for (int k = 0; k < g->nodes[i].n_out; k++)
            if (g->nodes[i].out[k] >= 0)
                produced[g->nodes[i].out[k]] = 1;
    uint64_t s = seed ? seed : 1;
    for (int32_t t = 0; t < g->n_tensors; t++) {
        struct yolo_tensor *T = &g->tensors[t];
        if ((T->flags & YOLO_TF_CONST) || produced[t])
            continue;
        int64_t n = yolo_tensor_numel(T);
        uint8_t *p = oc->arena + T->offset;
        for (int64_t i = 0; i < n; i++) {
            if (T->dtype == YOLO_DT_F32)
                ((float *)p)[i] = harness_randf(&s, -2.0f, 2.0f);
            else if (T->dtype == YOLO_DT_I64)
                ((int64_t *)p)[i] = (int64_t)(harness_rand(&s) % 8);
            else if (T->dtype == YOLO_DT_BOOL)
                p[i] = (uint8_t)(harness_rand(&s) & 1);
            else if (T->dtype == YOLO_DT_U8 || T->dtype == YOLO_DT_I8)
                p[i] = (uint8_t)harness_rand(&s);
        }
    }
    free(produced);
    oc->x.g = g;
    oc->x.arena = oc->arena;
    oc->x.consts = g->consts;
    return 0;
}

static int run_nodes(struct op_check *oc, enum yolo_op op, enum yolo_isa isa, int64_t conv_kind,
                     yolo_kernel_fn k, uint64_t scratch, int cpu, int nth, const char **picked)
{
    const struct yolo_graph *g = oc->g;
    if (!oc->node_data) {
        oc->node_data = calloc((size_t)g->n_nodes + 1, sizeof *oc->node_data);
        oc->owned = calloc((size_t)g->n_nodes + 1, sizeof *oc->owned);
        if (!oc->node_data || !oc->owned)
            return YOLO_ERR_NOMEM;
    }
    for (int32_t i = 0; i < g->n_nodes; i++) {
        const struct yolo_node *n = &g->nodes[i];
        const struct yolo_op_impl *impl = yolo_op_impl_get(n->op);
        yolo_kernel_fn fn = impl->ref_fn;
        uint64_t sb = 0;
        oc->node_data[i] = NULL;
        if (k && n->op == op) {
            fn = k;
            sb = scratch;
        } else if (cpu && n->op == op) {
            int64_t kind = YOLO_CONV_PACK_NONE;
            if ((n->op == YOLO_OP_CONV || n->op == YOLO_OP_QCONV) && yolo_isa_usable(isa) != YOLO_ISA_REF)
                kind = conv_kind < 0 ? yolo_cpu_conv_pack_kind(g, n, isa) : conv_kind;
            if (kind != YOLO_CONV_PACK_NONE) {
                const struct yolo_tensor *W = &g->tensors[n->in[1]];
                int64_t numel = yolo_conv_packed_numel(kind, W->shape[0], W->shape[1], W->shape[2],
                                                       W->shape[3]);
                struct yolo_conv_packed *pk = malloc(sizeof *pk);
                float *w = numel > 0 ? aligned_alloc(64, ((uint64_t)numel * 4 + 63) & ~(uint64_t)63) : NULL;
                if (!pk || !w) {
                    free(pk);
                    free(w);
                    return YOLO_ERR_NOMEM;
                }
                yolo_conv_pack_weights(kind, yolo_graph_const_data(g, n->in[1]), W->shape[0],
                                       W->shape[1], W->shape[2], W->shape[3], w);
                *pk = (struct yolo_conv_packed){ .kind = kind, .w = w };
                if (oc->owned[i]) {
                    free((void *)((struct yolo_conv_packed *)oc->owned[i])->w);
                    free(oc->owned[i]);
                }
                oc->owned[i] = pk;
                oc->node_data[i] = pk;
            }
            struct yolo_cpu_kernel ck;
            yolo_cpu_kernel_pick(g, n, isa, kind, nth, &ck);
            fn = ck.fn;
            sb = ck.scratch;
            if (picked)
                *picked = ck.name;
        }
        if (!fn)
            return YOLO_ERR_UNSUPPORTED;
        sb = (sb + 63) & ~(uint64_t)63;
        if (sb * (uint64_t)nth > oc->scratch_bytes) {
            free(oc->scratch);
            oc->scratch_bytes = sb * (uint64_t)nth;
            oc->scratch = aligned_alloc(64, oc->scratch_bytes);
            if (!oc->scratch)
                return YOLO_ERR_NOMEM;
        }
        oc->x.scratch = oc->scratch;
        oc->x.scratch_bytes = sb;
        oc->x.consts = g->consts;
        oc->x.node_data = oc->node_data;
        for (int ith = 0; ith < nth; ith++)
            fn(&oc->x, n, ith, nth);
    }
    return 0;
}

int op_check_run_op(struct op_check *oc, enum yolo_op op, yolo_kernel_fn k, uint64_t scratch,
                    int nth)
{
    return run_nodes(oc, op, YOLO_ISA_REF, -1, k, scratch, 0, nth, NULL);
}

int op_check_run_cpu(struct op_check *oc, enum yolo_op op, enum yolo_isa isa, int64_t conv_kind,
                     int nth, const char **picked)
{
    return run_nodes(oc, op, isa, conv_kind, NULL, 0, 1, nth, picked);
}

int op_check_run(struct op_check *oc, int nth)
{
    return run_nodes(oc, YOLO_OP_COUNT, YOLO_ISA_REF, -1, NULL, 0, 0, nth, NULL);
}

void *op_check_ptr(struct op_check *oc, int32_t t)
{
    return yolo_exec_ptr(&oc->x, t);
}

float *op_check_copy(struct op_check *oc, int32_t t)
{
    uint64_t b = yolo_tensor_bytes(&oc->g->tensors[t]);
    float *c = malloc(b ? b : 4);
    if (c)
        memcpy(c, op_check_ptr(oc, t), b);
    return c;
}

double op_check_nmse(const float *a, const float *b, int64_t n)
{
    double num = 0, den = 0;
    for (int64_t i = 0; i < n; i++) {
        if (isnan(a[i]) != isnan(b[i]))
            return 1e30;
        if (isnan(a[i]))
            continue;
        double e = (double)a[i] - (double)b[i];
        num += e * e;
        den += (double)b[i] * b[i];
    }
    return num / (den > 1e-30 ? den : 1e-30);
}

void op_check_release(struct op_check *oc)
{
    for (int32_t i = 0; oc->owned && oc->g && i < oc->g->n_nodes; i++)
        if (oc->owned[i]) {
            free((void *)((struct yolo_conv_packed *)oc->owned[i])->w);
            free(oc->owned[i]);
        }
    free(oc->owned);
    free(oc->node_data);
    free(oc->arena);
    free(oc->scratch);
    memset(oc, 0, sizeof *oc);
}

int op_check_setup(struct harness *h, int rc, struct op_check *oc, struct yolo_graph *g,
                   uint64_t seed, struct yolo_diag *d, const char *fmt, ...)
{
    rc = rc ? rc : op_check_prepare(oc, g, seed, d);
    if (rc == 0) {
        h->passed++;
        return 0;
    }
    h->failed++;
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "FAIL %s: ", h->name);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, ": %s\n", d->msg);
    va_end(ap);
    yolo_graph_release(g);
    return rc;
}
