/* compact.c: renumbers tensors so only those still referenced remain, and rebuilds the
 * const blob with only live constants (folded-away weights and shape constants vanish). */
#include <stdlib.h>
#include <string.h>

#include "passes.h"

int yolo_graph_compact(struct yolo_graph *g, struct yolo_diag *d)
{
    int32_t nt = g->n_tensors;
    int32_t *map = malloc(sizeof(int32_t) * (size_t)(nt ? nt : 1));
    struct yolo_tensor *nts = malloc(sizeof *nts * (size_t)(nt ? nt : 1));
    uint8_t *used = calloc((size_t)(nt ? nt : 1), 1);
    uint8_t *blob = NULL;
    if (!map || !nts || !used)
        goto nomem;
    for (int i = 0; i < g->n_inputs; i++)
        used[g->inputs[i]] = 1;
    for (int i = 0; i < g->n_outputs; i++)
        used[g->outputs[i]] = 1;
    for (int32_t i = 0; i < g->n_nodes; i++) {
        for (int k = 0; k < g->nodes[i].n_in; k++)
            if (g->nodes[i].in[k] >= 0)
                used[g->nodes[i].in[k]] = 1;
        for (int k = 0; k < g->nodes[i].n_out; k++)
            if (g->nodes[i].out[k] >= 0)
                used[g->nodes[i].out[k]] = 1;
    }
    uint64_t blob_bytes = 0;
    int32_t w = 0;
    for (int32_t t = 0; t < nt; t++) {
        map[t] = -1;
        if (!used[t])
            continue;
        map[t] = w;
        nts[w] = g->tensors[t];
        if (nts[w].flags & YOLO_TF_CONST) {
            blob_bytes = (blob_bytes + 63) & ~(uint64_t)63;
            blob_bytes += yolo_tensor_bytes(&nts[w]);
        }
        w++;
    }
    blob = malloc(blob_bytes ? blob_bytes : 64);
    if (!blob)
        goto nomem;
    memset(blob, 0, blob_bytes);
    uint64_t off = 0;
    for (int32_t t = 0; t < w; t++) {
        if (!(nts[t].flags & YOLO_TF_CONST))
            continue;
        off = (off + 63) & ~(uint64_t)63;
        uint64_t b = yolo_tensor_bytes(&nts[t]);
        memcpy(blob + off, g->consts + nts[t].offset, b);
        nts[t].offset = off;
        off += b;
    }
    for (int32_t i = 0; i < g->n_nodes; i++) {
        for (int k = 0; k < g->nodes[i].n_in; k++)
            if (g->nodes[i].in[k] >= 0)
                g->nodes[i].in[k] = map[g->nodes[i].in[k]];
        for (int k = 0; k < g->nodes[i].n_out; k++)
            if (g->nodes[i].out[k] >= 0)
                g->nodes[i].out[k] = map[g->nodes[i].out[k]];
    }
    for (int i = 0; i < g->n_inputs; i++)
        g->inputs[i] = map[g->inputs[i]];
    for (int i = 0; i < g->n_outputs; i++)
        g->outputs[i] = map[g->outputs[i]];
    memcpy(g->tensors, nts, sizeof *nts * (size_t)w);
    g->n_tensors = w;
    if (g->owns_consts)
        free(g->consts);
    g->consts = blob;
    g->consts_bytes = blob_bytes;
    g->consts_cap = blob_bytes ? blob_bytes : 64;
    g->owns_consts = 1;
    free(map);
    free(nts);
    free(used);
    return 0;
nomem:
    free(map);
    free(nts);
    free(used);
    free(blob);
    return yolo_diag_set(d, YOLO_ERR_NOMEM, "out of memory compacting the graph");
}
