/* graph_check.c: yolo_graph_check, the gate between a graph (built, or decoded from a hostile
 * engine file) and the kernels. Kernels trust tensor shapes and offsets blindly, so this
 * establishes everything they rely on: indices in range, a valid execution order, every
 * tensor's bytes inside the const blob or the arena, and stored shapes that agree with each
 * op's own shape inference (which also validates the op's params against its inputs). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"

static int check_tensors(const struct yolo_graph *g, struct yolo_diag *d)
{
    for (int32_t i = 0; i < g->n_tensors; i++) {
        const struct yolo_tensor *t = &g->tensors[i];
        if (yolo_dtype_size(t->dtype) == 0)
            return yolo_diag_set(d, YOLO_ERR_FORMAT, "tensor %d '%s': unknown dtype %d", i,
                                 t->name, (int)t->dtype);
        if (t->ndim < 0 || t->ndim > YOLO_MAX_DIMS)
            return yolo_diag_set(d, YOLO_ERR_FORMAT, "tensor %d '%s': rank %d out of range [0, %d]",
                                 i, t->name, t->ndim, YOLO_MAX_DIMS);
        int64_t numel = yolo_tensor_numel(t);
        uint64_t bytes = yolo_tensor_bytes(t);
        if (numel < 0 || (bytes == 0 && numel != 0))
            return yolo_diag_set(d, YOLO_ERR_FORMAT, "tensor %d '%s': negative or too large shape",
                                 i, t->name);
        int is_const = (t->flags & YOLO_TF_CONST) != 0;
        uint64_t limit = is_const ? g->consts_bytes : g->arena_bytes;
        if (t->offset > limit || bytes > limit - t->offset)
            return yolo_diag_set(d, YOLO_ERR_FORMAT, "tensor %d '%s': bytes %llu..+%llu lie outside "
                                 "the %s (%llu bytes)", i, t->name, (unsigned long long)t->offset,
                                 (unsigned long long)bytes, is_const ? "constant blob" : "arena",
                                 (unsigned long long)limit);
        if (is_const && bytes && !g->consts)
            return yolo_diag_set(d, YOLO_ERR_FORMAT, "tensor %d '%s': constant without a blob", i,
                                 t->name);
    }
    return 0;
}

/* producer[t]: -2 const or graph input (available from the start), -1 not yet produced,
 * else the index of the node that wrote it. Walking the nodes in order and requiring every
 * input to be available proves the order is topological. */
static int check_order(const struct yolo_graph *g, int32_t *producer, struct yolo_diag *d)
{
    int32_t nt = g->n_tensors;
    for (int32_t t = 0; t < nt; t++)
        producer[t] = (g->tensors[t].flags & YOLO_TF_CONST) ? -2 : -1;
    if (g->n_inputs < 0 || g->n_inputs > YOLO_MAX_IO || g->n_outputs < 0 ||
        g->n_outputs > YOLO_MAX_IO)
        return yolo_diag_set(d, YOLO_ERR_FORMAT, "%d graph inputs, %d outputs (at most %d)",
                             g->n_inputs, g->n_outputs, YOLO_MAX_IO);
    for (int32_t i = 0; i < g->n_inputs; i++) {
        int32_t t = g->inputs[i];
        if (t < 0 || t >= nt)
            return yolo_diag_set(d, YOLO_ERR_FORMAT, "graph input %d: tensor index %d out of range "
                                 "(%d tensors)", i, t, nt);
        if (producer[t] != -1)
            return yolo_diag_set(d, YOLO_ERR_FORMAT, "graph input %d: tensor '%s' is %s", i,
                                 g->tensors[t].name, (g->tensors[t].flags & YOLO_TF_CONST)
                                 ? "a constant" : "listed twice");
        producer[t] = -2;
    }
    for (int32_t i = 0; i < g->n_nodes; i++) {
        const struct yolo_node *n = &g->nodes[i];
        if ((int)n->op < 0 || n->op >= YOLO_OP_COUNT)
            return yolo_diag_set(d, YOLO_ERR_FORMAT, "node %d '%s': unknown op %d", i, n->name,
                                 (int)n->op);
        if (n->n_in < 0 || n->n_in > YOLO_MAX_IN || n->n_out < 0 || n->n_out > YOLO_MAX_OUT)
            return yolo_node_error(d, YOLO_ERR_FORMAT, n, "%d inputs, %d outputs (at most %d, %d)",
                                   n->n_in, n->n_out, YOLO_MAX_IN, YOLO_MAX_OUT);
        for (int k = 0; k < n->n_in; k++) {
            int32_t t = n->in[k];
            if (t == -1)
                continue;               /* absent optional input */
            if (t < -1 || t >= nt)
                return yolo_node_error(d, YOLO_ERR_FORMAT, n, "input %d: tensor index %d out of "
                                       "range (%d tensors)", k, t, nt);
            if (producer[t] == -1)
                return yolo_node_error(d, YOLO_ERR_FORMAT, n, "input %d: tensor '%s' is read "
                                       "before any node writes it (not in topological order)",
                                       k, g->tensors[t].name);
        }
        for (int k = 0; k < n->n_out; k++) {
            int32_t t = n->out[k];
            if (t < 0 || t >= nt)
                return yolo_node_error(d, YOLO_ERR_FORMAT, n, "output %d: tensor index %d out of "
                                       "range (%d tensors)", k, t, nt);
            if (g->tensors[t].flags & YOLO_TF_CONST)
                return yolo_node_error(d, YOLO_ERR_FORMAT, n, "output %d: tensor '%s' is a "
                                       "constant", k, g->tensors[t].name);
            if (producer[t] == -2)
                return yolo_node_error(d, YOLO_ERR_FORMAT, n, "output %d: tensor '%s' is a graph "
                                       "input", k, g->tensors[t].name);
            if (producer[t] >= 0)
                return yolo_node_error(d, YOLO_ERR_FORMAT, n, "output %d: tensor '%s' is already "
                                       "written by node %d", k, g->tensors[t].name, producer[t]);
            producer[t] = i;
        }
    }
    for (int32_t i = 0; i < g->n_outputs; i++) {
        int32_t t = g->outputs[i];
        if (t < 0 || t >= nt)
            return yolo_diag_set(d, YOLO_ERR_FORMAT, "graph output %d: tensor index %d out of "
                                 "range (%d tensors)", i, t, nt);
        if (producer[t] == -1)
            return yolo_diag_set(d, YOLO_ERR_FORMAT, "graph output %d: tensor '%s' is never "
                                 "written", i, g->tensors[t].name);
        for (int32_t j = 0; j < i; j++)
            if (g->outputs[j] == t)
                return yolo_diag_set(d, YOLO_ERR_FORMAT, "graph output %d: tensor '%s' is listed "
                                     "twice", i, g->tensors[t].name);
    }
    return 0;
}

/* Re-runs every node's shape_fn on copies (a graph whose tensor array is a scratch copy and
 * that has no nodes, and a copy of the node, since shape_fn may write the node's params) and
 * compares the outputs it infers with the stored ones. Outputs are reset to "unknown" first,
 * so a shape_fn that forgets one is caught. Inputs keep their stored shapes, which were
 * themselves verified when their producer was checked. */
static int check_shapes(const struct yolo_graph *g, struct yolo_diag *d)
{
    struct yolo_tensor *scratch = malloc(sizeof *scratch * (size_t)(g->n_tensors ? g->n_tensors : 1));
    if (!scratch)
        return yolo_diag_set(d, YOLO_ERR_NOMEM, "out of memory checking %d tensors", g->n_tensors);
    int rc = 0;
    struct yolo_graph c = *g;
    c.tensors = scratch;
    c.cap_tensors = g->n_tensors;
    c.nodes = NULL;
    c.n_nodes = c.cap_nodes = 0;
    c.owns_consts = 0;                  /* nothing may grow or free the blob */
    c.consts_cap = 0;
    if (g->n_tensors)
        memcpy(scratch, g->tensors, sizeof *scratch * (size_t)g->n_tensors);
    for (int32_t i = 0; i < g->n_nodes; i++) {
        const struct yolo_node *n = &g->nodes[i];
        const struct yolo_op_impl *impl = yolo_op_impl_get(n->op);
        if (!impl || !impl->shape_fn) {
            rc = yolo_node_error(d, YOLO_ERR_UNSUPPORTED, n, "this build has no shape inference "
                                 "for op %s", yolo_op_name(n->op));
            break;
        }
        struct yolo_node copy = *n;
        for (int k = 0; k < n->n_out; k++) {
            struct yolo_tensor *t = &scratch[n->out[k]];
            t->dtype = YOLO_DT_UNDEF;
            t->ndim = -1;
            memset(t->shape, 0, sizeof t->shape);
        }
        rc = impl->shape_fn(&c, &copy, d);
        if (rc)
            break;
        if (c.tensors != scratch || c.n_tensors != g->n_tensors) {
            rc = yolo_node_error(d, YOLO_ERR_INTERNAL, n, "shape inference changed the tensor "
                                 "table");
            break;
        }
        for (int k = 0; k < n->n_out; k++) {
            const struct yolo_tensor *want = &g->tensors[n->out[k]];
            const struct yolo_tensor *got = &scratch[n->out[k]];
            int same = got->dtype == want->dtype && got->ndim == want->ndim;
            for (int j = 0; same && j < want->ndim; j++)
                same = got->shape[j] == want->shape[j];
            if (!same) {
                char ws[160], gs[160];
                size_t wl = 0, gl = 0;
                ws[0] = gs[0] = '\0';
                for (int j = 0; j < want->ndim && wl < sizeof ws - 24; j++)
                    wl += (size_t)snprintf(ws + wl, sizeof ws - wl, "%s%lld", j ? "," : "",
                                           (long long)want->shape[j]);
                for (int j = 0; got->ndim <= YOLO_MAX_DIMS && j < got->ndim && gl < sizeof gs - 24; j++)
                    gl += (size_t)snprintf(gs + gl, sizeof gs - gl, "%s%lld", j ? "," : "",
                                           (long long)got->shape[j]);
                rc = yolo_node_error(d, YOLO_ERR_FORMAT, n, "output '%s': stored as %s [%s], "
                                     "shape inference gives %s [%s]", want->name,
                                     yolo_dtype_name(want->dtype), ws,
                                     got->ndim < 0 ? "unknown" : yolo_dtype_name(got->dtype), gs);
                break;
            }
        }
        if (rc)
            break;
        /* Kernels read parameters that shape_fn derives (a resolved permutation, axis or
         * stride) without checking them again: stored ones must be exactly those. */
        for (int k = 0; k < YOLO_MAX_PARAMS && !rc; k++)
            if (copy.params[k] != n->params[k])
                rc = yolo_node_error(d, YOLO_ERR_FORMAT, n, "parameter %d is stored as %lld, "
                                     "shape inference derives %lld", k, (long long)n->params[k],
                                     (long long)copy.params[k]);
        if (!rc && memcmp(copy.fparams, n->fparams, sizeof copy.fparams) != 0)
            rc = yolo_node_error(d, YOLO_ERR_FORMAT, n, "float parameters differ from what shape "
                                 "inference derives");
        if (rc)
            break;
    }
    free(c.tensors);        /* scratch, or what a misbehaving shape_fn grew it into */
    free(c.nodes);          /* NULL unless a misbehaving shape_fn added nodes */
    return rc;
}

int yolo_graph_check(const struct yolo_graph *g, struct yolo_diag *d)
{
    if (!g)
        return yolo_diag_set(d, YOLO_ERR_ARG, "no graph");
    if (g->n_tensors < 0 || g->n_tensors > YOLO_MAX_TENSORS || (g->n_tensors && !g->tensors) ||
        g->n_nodes < 0 || g->n_nodes > YOLO_MAX_NODES || (g->n_nodes && !g->nodes))
        return yolo_diag_set(d, YOLO_ERR_FORMAT, "graph with %d tensors and %d nodes",
                             g->n_tensors, g->n_nodes);
    int rc = check_tensors(g, d);
    if (rc)
        return rc;
    size_t nt = (size_t)(g->n_tensors ? g->n_tensors : 1);
    int32_t *producer = malloc(sizeof *producer * nt);
    if (!producer)
        return yolo_diag_set(d, YOLO_ERR_NOMEM, "out of memory checking %d tensors", g->n_tensors);
    rc = check_order(g, producer, d);
    free(producer);
    if (rc)
        return rc;
    return check_shapes(g, d);
}
