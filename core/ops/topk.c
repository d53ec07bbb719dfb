/* ops/topk.c: placeholder; import, shape inference and reference kernel not written yet. */
#include "yolo_core.h"

const struct yolo_op_impl yolo_op_topk = { "TopK", "TopK", NULL, NULL, NULL, NULL, NULL, NULL };
