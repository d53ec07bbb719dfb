/* ops/resize.c: placeholder; import, shape inference and reference kernel not written yet. */
#include "yolo_core.h"

const struct yolo_op_impl yolo_op_resize = { "Resize", "Resize", NULL, NULL, NULL, NULL, NULL, NULL };
