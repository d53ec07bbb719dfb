/* graph_edit.c: small queries and edits shared by the optimizer passes. */
#include <stdlib.h>
#include <string.h>

#include "passes.h"

int32_t yolo_graph_n_consumers(const struct yolo_graph *g, int32_t t)
{
    int32_t c = 0;
    for (int32_t i = 0; i < g->n_nodes; i++)
        for (int k = 0; k < g->nodes[i].n_in; k++)
            c += g->nodes[i].in[k] == t;
    return c;
}

int yolo_op_is_view(enum yolo_op op)
{
    return op == YOLO_OP_RESHAPE || op == YOLO_OP_FLATTEN || op == YOLO_OP_SQUEEZE ||
           op == YOLO_OP_UNSQUEEZE || op == YOLO_OP_IDENTITY;
}

int32_t yolo_graph_producer(const struct yolo_graph *g, int32_t t)
{
    for (int32_t i = 0; i < g->n_nodes; i++)
        for (int k = 0; k < g->nodes[i].n_out; k++)
            if (g->nodes[i].out[k] == t)
                return i;
    return -1;
}

int yolo_graph_is_output(const struct yolo_graph *g, int32_t t)
{
    for (int i = 0; i < g->n_outputs; i++)
        if (g->outputs[i] == t)
            return 1;
    return 0;
}

void yolo_graph_replace_input(struct yolo_graph *g, int32_t from, int32_t to)
{
    for (int32_t i = 0; i < g->n_nodes; i++)
        for (int k = 0; k < g->nodes[i].n_in; k++)
            if (g->nodes[i].in[k] == from)
                g->nodes[i].in[k] = to;
}

void yolo_graph_remove_nodes(struct yolo_graph *g, const uint8_t *dead)
{
    int32_t w = 0;
    for (int32_t i = 0; i < g->n_nodes; i++)
        if (!dead[i])
            g->nodes[w++] = g->nodes[i];
    g->n_nodes = w;
}

int yolo_uses_make(const struct yolo_graph *g, size_t room, struct yolo_uses *u,
                   struct yolo_diag *d)
{
    if (room < 1)
        room = 1;
    *u = (struct yolo_uses){ malloc(sizeof(int32_t) * room), calloc(room, sizeof(int32_t)),
                             malloc(sizeof(int32_t) * room) };
    if (!u->producer || !u->n_reads || !u->reader) {
        yolo_uses_free(u);
        return yolo_diag_set(d, YOLO_ERR_NOMEM, "out of memory indexing %d tensors", g->n_tensors);
    }
    for (size_t t = 0; t < room; t++)
        u->producer[t] = u->reader[t] = -1;
    for (int32_t i = 0; i < g->n_nodes; i++) {
        const struct yolo_node *n = &g->nodes[i];
        for (int k = 0; k < n->n_out; k++)
            if (n->out[k] >= 0 && u->producer[n->out[k]] < 0)
                u->producer[n->out[k]] = i;
        for (int k = 0; k < n->n_in; k++)
            if (n->in[k] >= 0) {
                u->n_reads[n->in[k]]++;
                u->reader[n->in[k]] = i;
            }
    }
    return 0;
}

int yolo_uses_private(const struct yolo_graph *g, const struct yolo_uses *u, int32_t t,
                      int32_t by)
{
    return t >= 0 && u->n_reads[t] == 1 && u->reader[t] == by &&
           !(g->tensors[t].flags & (YOLO_TF_CONST | YOLO_TF_INPUT | YOLO_TF_OUTPUT | YOLO_TF_KEEP));
}

void yolo_uses_free(struct yolo_uses *u)
{
    free(u->producer);
    free(u->n_reads);
    free(u->reader);
    *u = (struct yolo_uses){ NULL, NULL, NULL };
}
