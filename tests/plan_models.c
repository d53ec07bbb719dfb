/* plan_models.c: see plan_models.h. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "plan_models.h"
#include "yolo.h"

int pm_build_batch(const char *shared, const char *model, int batch, struct yolo_engine **e,
                   struct yolo_diag *d)
{
    char path[1024], engine[1024];
    const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(path, sizeof path, "%s/data/models/%s.onnx", shared, model);
    snprintf(engine, sizeof engine, "%s/yolo_plan_models_%ld_%s_b%d.engine", tmp, (long)getpid(),
             model, batch);
    struct yolo_build_params bp;
    yolo_build_params_default(&bp);
    bp.max_batch = batch;
    *e = NULL;
    int rc = yolo_build(path, engine, &bp, NULL, d);
    rc = rc ? rc : yolo_engine_load(engine, 0, e, d);
    unlink(engine);
    return rc;
}

void pm_lifetimes(const struct yolo_graph *g, int32_t *first, int32_t *last)
{
    for (int32_t t = 0; t < g->n_tensors; t++) {
        first[t] = INT32_MAX;
        last[t] = -1;
    }
    for (int i = 0; i < g->n_inputs; i++)
        first[g->inputs[i]] = -1;
    for (int i = 0; i < g->n_outputs; i++)
        last[g->outputs[i]] = g->n_nodes;
    for (int32_t i = 0; i < g->n_nodes; i++) {
        for (int k = 0; k < g->nodes[i].n_out; k++)
            if (g->nodes[i].out[k] >= 0 && first[g->nodes[i].out[k]] > i)
                first[g->nodes[i].out[k]] = i;
        for (int k = 0; k < g->nodes[i].n_in; k++)
            if (g->nodes[i].in[k] >= 0 && last[g->nodes[i].in[k]] < i)
                last[g->nodes[i].in[k]] = i;
    }
}
