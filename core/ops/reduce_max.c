/* ops/reduce_max.c: placeholder; import, shape inference and reference kernel not written yet. */
#include "yolo_core.h"

const struct yolo_op_impl yolo_op_reduce_max = { "ReduceMax", "ReduceMax", NULL, NULL, NULL, NULL, NULL, NULL };
