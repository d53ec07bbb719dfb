/* plan.c: the activation memory planner.
 *
 * Liveness: a tensor lives from the node that writes it to the last node that reads it
 * (graph inputs from the start, graph outputs to the end). Both ends are inclusive, so a
 * node's output never shares bytes with its own inputs: kernels may read inputs while
 * writing outputs.
 * Views: the output of Reshape / Flatten / Squeeze / Unsqueeze / Identity is the input's
 * bytes under another shape, so it aliases its source (the runner skips the node) and the
 * source's lifetime is stretched to cover the view's.
 * Placement: greedy by size (largest first), each tensor at the lowest 64-byte aligned
 * offset that does not overlap any already placed tensor whose lifetime intersects its own.
 * O(T^2) in the number of tensors, which is a few hundred to a few thousand. */
#include <stdlib.h>
#include <string.h>

#include "passes.h"

struct live { int32_t t; int32_t first, last; uint64_t bytes, offset; int placed; };

static int is_view(enum yolo_op op)
{
    return op == YOLO_OP_RESHAPE || op == YOLO_OP_FLATTEN || op == YOLO_OP_SQUEEZE ||
           op == YOLO_OP_UNSQUEEZE || op == YOLO_OP_IDENTITY;
}

static int by_size_desc(const void *a, const void *b)
{
    const struct live *x = a, *y = b;
    if (x->bytes != y->bytes)
        return x->bytes < y->bytes ? 1 : -1;
    return x->first - y->first;
}

int yolo_plan(struct yolo_graph *g, struct yolo_plan_stats *st, struct yolo_diag *d)
{
    int32_t nt = g->n_tensors, nn = g->n_nodes;
    int32_t *root = malloc(sizeof(int32_t) * (size_t)(nt ? nt : 1));
    int32_t *first = malloc(sizeof(int32_t) * (size_t)(nt ? nt : 1));
    int32_t *last = malloc(sizeof(int32_t) * (size_t)(nt ? nt : 1));
    struct live *lv = malloc(sizeof *lv * (size_t)(nt ? nt : 1));
    if (!root || !first || !last || !lv) {
        free(root); free(first); free(last); free(lv);
        return yolo_diag_set(d, YOLO_ERR_NOMEM, "out of memory planning %d tensors", nt);
    }
    struct yolo_plan_stats s = { 0 };
    for (int32_t t = 0; t < nt; t++) {
        root[t] = t;
        first[t] = INT32_MAX;
        last[t] = -1;
        g->tensors[t].flags &= ~(uint32_t)YOLO_TF_ALIAS;
        if (!(g->tensors[t].flags & YOLO_TF_CONST))
            s.sum_tensor_bytes += yolo_tensor_bytes(&g->tensors[t]);
    }
    for (int i = 0; i < g->n_inputs; i++)
        first[g->inputs[i]] = -1;
    for (int32_t i = 0; i < nn; i++) {
        const struct yolo_node *n = &g->nodes[i];
        for (int k = 0; k < n->n_out; k++)
            if (n->out[k] >= 0 && first[n->out[k]] > i)
                first[n->out[k]] = i;
        for (int k = 0; k < n->n_in; k++)
            if (n->in[k] >= 0 && last[n->in[k]] < i)
                last[n->in[k]] = i;
        /* a view of a non-const, non-input tensor with the same byte size aliases it */
        if (is_view(n->op) && n->n_out == 1 && n->in[0] >= 0 && n->out[0] >= 0) {
            int32_t src = root[n->in[0]], dst = n->out[0];
            const struct yolo_tensor *S = &g->tensors[src], *D = &g->tensors[dst];
            if (!(S->flags & (YOLO_TF_CONST | YOLO_TF_INPUT)) && !(D->flags & YOLO_TF_OUTPUT) &&
                yolo_tensor_bytes(S) == yolo_tensor_bytes(D)) {
                root[dst] = src;
                g->tensors[dst].flags |= YOLO_TF_ALIAS;
                s.n_aliases++;
            }
        }
    }
    for (int i = 0; i < g->n_outputs; i++)
        last[g->outputs[i]] = nn;
    /* fold each alias's lifetime into its root */
    for (int32_t t = 0; t < nt; t++) {
        if (root[t] == t)
            continue;
        int32_t r = root[t];
        if (first[t] < first[r])
            first[r] = first[t];
        if (last[t] > last[r])
            last[r] = last[t];
    }
    int32_t nl = 0;
    for (int32_t t = 0; t < nt; t++) {
        if ((g->tensors[t].flags & YOLO_TF_CONST) || root[t] != t)
            continue;
        if (first[t] == INT32_MAX)   /* never written: unused (compact removes these) */
            first[t] = last[t] < 0 ? 0 : last[t];
        if (last[t] < first[t])      /* written, never read: lives during its node */
            last[t] = first[t];
        lv[nl++] = (struct live){ t, first[t], last[t], yolo_tensor_bytes(&g->tensors[t]), 0, 0 };
    }
    qsort(lv, (size_t)nl, sizeof *lv, by_size_desc);
    uint64_t arena = 0;
    for (int32_t i = 0; i < nl; i++) {
        uint64_t off = 0;
        /* Walk the placed, overlapping-in-time tensors; bump off past any that overlaps in
         * space, restarting until a full pass finds no conflict. Placed ones are few. */
        for (int again = 1; again;) {
            again = 0;
            for (int32_t j = 0; j < i; j++) {
                const struct live *p = &lv[j];
                if (p->last < lv[i].first || p->first > lv[i].last)
                    continue;
                if (off < p->offset + p->bytes && p->offset < off + lv[i].bytes) {
                    off = (p->offset + p->bytes + 63) & ~(uint64_t)63;
                    again = 1;
                }
            }
        }
        lv[i].offset = off;
        lv[i].placed = 1;
        if (off + lv[i].bytes > arena)
            arena = off + lv[i].bytes;
    }
    for (int32_t i = 0; i < nl; i++)
        g->tensors[lv[i].t].offset = lv[i].offset;
    for (int32_t t = 0; t < nt; t++)
        if (root[t] != t)
            g->tensors[t].offset = g->tensors[root[t]].offset;
    g->arena_bytes = (arena + 63) & ~(uint64_t)63;
    s.arena_bytes = g->arena_bytes;
    if (st)
        *st = s;
    free(root); free(first); free(last); free(lv);
    return 0;
}
