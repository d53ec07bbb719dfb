/* graph.c: building and querying struct yolo_graph (tensors, nodes, const blob). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "yolo_core.h"

#define CONST_ALIGN 64

size_t yolo_dtype_size(enum yolo_dtype t)
{
    switch (t) {
    case YOLO_DT_F32: case YOLO_DT_I32: return 4;
    case YOLO_DT_I64: case YOLO_DT_F64: return 8;
    case YOLO_DT_U8: case YOLO_DT_I8: case YOLO_DT_BOOL: return 1;
    case YOLO_DT_F16: return 2;
    case YOLO_DT_UNDEF: break;
    }
    return 0;
}

const char *yolo_dtype_name(enum yolo_dtype t)
{
    switch (t) {
    case YOLO_DT_F32: return "float32";
    case YOLO_DT_I32: return "int32";
    case YOLO_DT_I64: return "int64";
    case YOLO_DT_F64: return "float64";
    case YOLO_DT_U8: return "uint8";
    case YOLO_DT_I8: return "int8";
    case YOLO_DT_BOOL: return "bool";
    case YOLO_DT_F16: return "float16";
    case YOLO_DT_UNDEF: break;
    }
    return "?";
}

int64_t yolo_tensor_numel(const struct yolo_tensor *t)
{
    if (t->ndim < 0 || t->ndim > YOLO_MAX_DIMS)
        return -1;
    int64_t n = 1;
    for (int i = 0; i < t->ndim; i++) {
        if (t->shape[i] < 0 || (t->shape[i] > 0 && n > INT64_MAX / t->shape[i]))
            return -1;
        n *= t->shape[i];
    }
    return n;
}

uint64_t yolo_tensor_bytes(const struct yolo_tensor *t)
{
    int64_t n = yolo_tensor_numel(t);
    size_t es = yolo_dtype_size(t->dtype);
    if (n < 0 || es == 0 || (uint64_t)n > YOLO_MAX_TENSOR_BYTES / es)
        return 0;
    return (uint64_t)n * es;
}

void yolo_graph_init(struct yolo_graph *g)
{
    memset(g, 0, sizeof *g);
    g->owns_consts = 1;
}

void yolo_graph_release(struct yolo_graph *g)
{
    free(g->tensors);
    free(g->nodes);
    if (g->owns_consts)
        free(g->consts);
    yolo_graph_init(g);
}

static int grow(void **p, int32_t *cap, int32_t need, size_t elem, int32_t limit)
{
    if (need <= *cap)
        return 0;
    if (need > limit)
        return -1;
    int64_t nc = *cap ? (int64_t)*cap * 2 : 64;
    while (nc < need)
        nc *= 2;
    if (nc > limit)
        nc = limit;
    void *q = realloc(*p, (size_t)nc * elem);
    if (!q)
        return -1;
    *p = q;
    *cap = (int32_t)nc;
    return 0;
}

int32_t yolo_graph_add_tensor(struct yolo_graph *g, const char *name, enum yolo_dtype dt,
                              int32_t ndim, const int64_t *shape, struct yolo_diag *d)
{
    if (ndim > YOLO_MAX_DIMS) {
        yolo_diag_set(d, YOLO_ERR_UNSUPPORTED, "tensor '%s': rank %d exceeds the maximum %d",
                      name ? name : "", ndim, YOLO_MAX_DIMS);
        return -1;
    }
    if (grow((void **)&g->tensors, &g->cap_tensors, g->n_tensors + 1, sizeof *g->tensors,
             YOLO_MAX_TENSORS)) {
        yolo_diag_set(d, g->n_tensors + 1 > YOLO_MAX_TENSORS ? YOLO_ERR_UNSUPPORTED : YOLO_ERR_NOMEM,
                      "cannot add tensor '%s' (%d tensors)", name ? name : "", g->n_tensors);
        return -1;
    }
    struct yolo_tensor *t = &g->tensors[g->n_tensors];
    memset(t, 0, sizeof *t);
    t->dtype = dt;
    t->ndim = ndim;
    for (int i = 0; i < ndim && shape; i++)
        t->shape[i] = shape[i];
    snprintf(t->name, sizeof t->name, "%s", name ? name : "");
    return g->n_tensors++;
}

/* Reserves `bytes` zeroed bytes in the const blob, 64-byte aligned. Returns the offset. */
static int reserve_const(struct yolo_graph *g, uint64_t bytes, uint64_t *offset, struct yolo_diag *d)
{
    uint64_t off = (g->consts_bytes + CONST_ALIGN - 1) & ~(uint64_t)(CONST_ALIGN - 1);
    uint64_t end = off + bytes;
    if (!g->owns_consts)
        return yolo_diag_set(d, YOLO_ERR_INTERNAL, "const blob is read-only");
    if (end > g->consts_cap || !g->consts) {
        uint64_t nc = g->consts_cap ? g->consts_cap : 1 << 16;
        if (nc < 64)
            nc = 64;
        while (nc < end)
            nc *= 2;
        uint8_t *q = realloc(g->consts, nc);
        if (!q)
            return yolo_diag_set(d, YOLO_ERR_NOMEM, "cannot grow the constant blob to %llu bytes",
                                 (unsigned long long)nc);
        g->consts = q;
        g->consts_cap = nc;
    }
    memset(g->consts + g->consts_bytes, 0, end - g->consts_bytes);
    g->consts_bytes = end;
    *offset = off;
    return 0;
}

int32_t yolo_graph_add_const(struct yolo_graph *g, const char *name, enum yolo_dtype dt,
                             int32_t ndim, const int64_t *shape, const void *data,
                             struct yolo_diag *d)
{
    int32_t t = yolo_graph_add_tensor(g, name, dt, ndim, shape, d);
    if (t < 0)
        return -1;
    if (yolo_graph_make_const(g, t, d)) {
        g->n_tensors--;
        return -1;
    }
    if (data)
        memcpy(g->consts + g->tensors[t].offset, data, yolo_tensor_bytes(&g->tensors[t]));
    return t;
}

int yolo_graph_make_const(struct yolo_graph *g, int32_t t, struct yolo_diag *d)
{
    struct yolo_tensor *T = &g->tensors[t];
    uint64_t bytes = yolo_tensor_bytes(T);
    if (bytes == 0 && yolo_tensor_numel(T) != 0)
        return yolo_diag_set(d, YOLO_ERR_UNSUPPORTED, "tensor '%s': unknown or too large shape",
                             T->name);
    uint64_t off = 0;
    int rc = reserve_const(g, bytes, &off, d);
    if (rc)
        return rc;
    T = &g->tensors[t];
    T->flags |= YOLO_TF_CONST;
    T->offset = off;
    return 0;
}

int32_t yolo_graph_add_node(struct yolo_graph *g, enum yolo_op op, const char *name,
                            int32_t n_in, const int32_t *in, int32_t n_out, const int32_t *out,
                            struct yolo_diag *d)
{
    if (n_in < 0 || n_in > YOLO_MAX_IN || n_out < 0 || n_out > YOLO_MAX_OUT) {
        yolo_diag_set(d, YOLO_ERR_UNSUPPORTED, "node '%s' (%s): %d inputs / %d outputs exceed "
                      "the supported %d / %d", name ? name : "", yolo_op_name(op), n_in, n_out,
                      YOLO_MAX_IN, YOLO_MAX_OUT);
        return -1;
    }
    if (grow((void **)&g->nodes, &g->cap_nodes, g->n_nodes + 1, sizeof *g->nodes, YOLO_MAX_NODES)) {
        yolo_diag_set(d, g->n_nodes + 1 > YOLO_MAX_NODES ? YOLO_ERR_UNSUPPORTED : YOLO_ERR_NOMEM,
                      "cannot add node '%s' (%d nodes)", name ? name : "", g->n_nodes);
        return -1;
    }
    struct yolo_node *n = &g->nodes[g->n_nodes];
    memset(n, 0, sizeof *n);
    n->op = op;
    n->n_in = n_in;
    n->n_out = n_out;
    for (int i = 0; i < YOLO_MAX_IN; i++)
        n->in[i] = i < n_in ? in[i] : -1;
    for (int i = 0; i < YOLO_MAX_OUT; i++)
        n->out[i] = i < n_out ? out[i] : -1;
    snprintf(n->name, sizeof n->name, "%s", name ? name : "");
    return g->n_nodes++;
}

void *yolo_graph_const_data(const struct yolo_graph *g, int32_t t)
{
    /* a zero-byte constant in a still-empty blob: non-NULL, so callers can tell "const" */
    static const uint8_t empty[64];
    if (t < 0 || t >= g->n_tensors || !(g->tensors[t].flags & YOLO_TF_CONST))
        return NULL;
    return g->consts ? g->consts + g->tensors[t].offset : (void *)empty;
}

int32_t yolo_graph_find_tensor(const struct yolo_graph *g, const char *name)
{
    for (int32_t i = 0; i < g->n_tensors; i++)
        if (strcmp(g->tensors[i].name, name) == 0)
            return i;
    return -1;
}

enum yolo_status yolo_node_error(struct yolo_diag *d, enum yolo_status s, const struct yolo_node *n,
                                 const char *fmt, ...)
{
    if (d) {
        char tail[YOLO_DIAG_MSG_BYTES];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(tail, sizeof tail, fmt, ap);
        va_end(ap);
        d->status = s;
        snprintf(d->msg, sizeof d->msg, "node '%s' (%s): %s", n->name, yolo_op_name(n->op), tail);
    }
    return s;
}

/* Kahn's algorithm, taking ready nodes in file order so the result is deterministic and
 * close to the exporter's order. O(nodes + edges) with a producer table. */
int yolo_graph_toposort(struct yolo_graph *g, struct yolo_diag *d)
{
    int32_t nn = g->n_nodes, nt = g->n_tensors;
    int32_t *producer = malloc(sizeof(int32_t) * (size_t)(nt ? nt : 1));
    int32_t *pending = calloc((size_t)(nn ? nn : 1), sizeof(int32_t));
    int32_t *order = malloc(sizeof(int32_t) * (size_t)(nn ? nn : 1));
    int32_t *users_start = calloc((size_t)nt + 1, sizeof(int32_t));
    int32_t *users = NULL;
    struct yolo_node *sorted = NULL;
    int rc = 0;
    if (!producer || !pending || !order || !users_start) {
        rc = yolo_diag_set(d, YOLO_ERR_NOMEM, "out of memory sorting %d nodes", nn);
        goto done;
    }
    for (int32_t t = 0; t < nt; t++)
        producer[t] = -1;
    for (int32_t i = 0; i < nn; i++) {
        const struct yolo_node *n = &g->nodes[i];
        for (int k = 0; k < n->n_out; k++) {
            int32_t t = n->out[k];
            if (t < 0)
                continue;
            if (producer[t] >= 0) {
                rc = yolo_node_error(d, YOLO_ERR_FORMAT, n, "output '%s' is also produced by node '%s'",
                                     g->tensors[t].name, g->nodes[producer[t]].name);
                goto done;
            }
            producer[t] = i;
        }
    }
    /* users as CSR: for each tensor, the nodes that read it (once per node per input slot) */
    int64_t n_edges = 0;
    for (int32_t i = 0; i < nn; i++)
        for (int k = 0; k < g->nodes[i].n_in; k++)
            if (g->nodes[i].in[k] >= 0) {
                users_start[g->nodes[i].in[k] + 1]++;
                n_edges++;
            }
    for (int32_t t = 0; t < nt; t++)
        users_start[t + 1] += users_start[t];
    users = malloc(sizeof(int32_t) * (size_t)(n_edges ? n_edges : 1));
    if (!users) {
        rc = yolo_diag_set(d, YOLO_ERR_NOMEM, "out of memory sorting %d nodes", nn);
        goto done;
    }
    int32_t *cursor = calloc((size_t)nt + 1, sizeof(int32_t));
    if (!cursor) {
        rc = yolo_diag_set(d, YOLO_ERR_NOMEM, "out of memory sorting %d nodes", nn);
        goto done;
    }
    for (int32_t i = 0; i < nn; i++) {
        const struct yolo_node *n = &g->nodes[i];
        for (int k = 0; k < n->n_in; k++) {
            int32_t t = n->in[k];
            if (t < 0)
                continue;
            users[users_start[t] + cursor[t]++] = i;
            if (producer[t] >= 0)
                pending[i]++;
            else if (!(g->tensors[t].flags & (YOLO_TF_CONST | YOLO_TF_INPUT))) {
                free(cursor);
                rc = yolo_node_error(d, YOLO_ERR_FORMAT, n, "input '%s' is not produced by any node, "
                                     "initializer or graph input", g->tensors[t].name);
                goto done;
            }
        }
    }
    free(cursor);
    /* ready queue = order[] itself; scanning in index order keeps file order among ready nodes */
    int32_t head = 0, tail = 0;
    for (int32_t i = 0; i < nn; i++)
        if (pending[i] == 0)
            order[tail++] = i;
    while (head < tail) {
        int32_t i = order[head++];
        const struct yolo_node *n = &g->nodes[i];
        for (int k = 0; k < n->n_out; k++) {
            int32_t t = n->out[k];
            if (t < 0)
                continue;
            for (int32_t u = users_start[t]; u < users_start[t + 1]; u++)
                if (--pending[users[u]] == 0)
                    order[tail++] = users[u];
        }
    }
    if (tail != nn) {
        for (int32_t i = 0; i < nn; i++)
            if (pending[i] > 0) {
                rc = yolo_node_error(d, YOLO_ERR_FORMAT, &g->nodes[i], "the graph has a cycle through "
                                     "this node");
                break;
            }
        goto done;
    }
    sorted = malloc(sizeof *sorted * (size_t)(nn ? nn : 1));
    if (!sorted) {
        rc = yolo_diag_set(d, YOLO_ERR_NOMEM, "out of memory sorting %d nodes", nn);
        goto done;
    }
    for (int32_t i = 0; i < nn; i++)
        sorted[i] = g->nodes[order[i]];
    if (nn)
        memcpy(g->nodes, sorted, sizeof *sorted * (size_t)nn);
done:
    free(sorted);
    free(users);
    free(users_start);
    free(order);
    free(pending);
    free(producer);
    return rc;
}
