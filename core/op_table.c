/* op_table.c: maps op ids (ops.def) to their implementations in ops/<stem>.c. */
#include <string.h>

#include "yolo_core.h"

static const struct yolo_op_impl *const op_impls[YOLO_OP_COUNT] = {
#define YOLO_OP(id, onnx, stem) [YOLO_OP_##id] = &yolo_op_##stem,
#include "ops.def"
#undef YOLO_OP
};

/* Engine files store ops by name (engine.h), so ids never reach the disk; tests/test_op_ids.c
 * still freezes the id list (tests and tools print ids) and checks every name is unique. */
_Static_assert(YOLO_OP_COUNT == 39, "ops.def is append-only: update the frozen id test too");

const struct yolo_op_impl *yolo_op_impl_get(enum yolo_op op)
{
    if ((int)op < 0 || op >= YOLO_OP_COUNT)
        return NULL;
    return op_impls[op];
}

enum yolo_op yolo_op_from_onnx(const char *onnx_name)
{
    for (int i = 0; i < YOLO_OP_COUNT; i++)
        if (op_impls[i]->onnx_name && strcmp(op_impls[i]->onnx_name, onnx_name) == 0)
            return (enum yolo_op)i;
    return YOLO_OP_COUNT;
}

enum yolo_op yolo_op_from_name(const char *name)
{
    for (int i = 0; i < YOLO_OP_COUNT; i++)
        if (strcmp(op_impls[i]->display_name, name) == 0)
            return (enum yolo_op)i;
    return YOLO_OP_COUNT;
}

const char *yolo_op_name(enum yolo_op op)
{
    const struct yolo_op_impl *impl = yolo_op_impl_get(op);
    return impl ? impl->display_name : "?";
}
