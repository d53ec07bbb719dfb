/* plan_models.h: what the memory-plan tests (test_passes, test_plan_images, test_cuda_layout)
 * share: a shared model built for a batch and loaded, and every tensor's lifetime. */
#ifndef YOLO_TESTS_PLAN_MODELS_H
#define YOLO_TESTS_PLAN_MODELS_H

#include "engine.h"

/* shared/data/models/MODEL.onnx built for `batch` images into a temporary file (removed
 * again) and loaded into *e (free with yolo_engine_free). 0 or a status with d set. */
int  pm_build_batch(const char *shared, const char *model, int batch, struct yolo_engine **e,
                    struct yolo_diag *d);
/* first[t]: the node writing t (-1 for graph inputs), last[t]: the last node reading it
 * (g->n_nodes for graph outputs); INT32_MAX / -1 where none. */
void pm_lifetimes(const struct yolo_graph *g, int32_t *first, int32_t *last);

#endif
