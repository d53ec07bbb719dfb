/* ops/constant_of_shape.c: placeholder; import, shape inference and reference kernel not written yet. */
#include "yolo_core.h"

const struct yolo_op_impl yolo_op_constant_of_shape = { "ConstantOfShape", "ConstantOfShape", NULL, NULL, NULL, NULL, NULL, NULL };
