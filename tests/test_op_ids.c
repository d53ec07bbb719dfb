/* test_op_ids.c: op identity is frozen. Engine files store ops by their stable name
 * (core/engine.h, format 2), and tools and tests print ids, so both must never change
 * meaning: this list is the contract. Reordering, renaming or inserting in core/ops.def
 * fails here (append new ops at the end of both). Also: names are unique, round-trip through
 * yolo_op_from_name, and an engine written with one op table and read back names the same
 * ops. */
#include <string.h>

#include "harness.h"
#include "yolo_core.h"

struct frozen { int id; enum yolo_op op; const char *name; };
static const struct frozen frozen[] = {
    {  0, YOLO_OP_CONV, "Conv" },
    {  1, YOLO_OP_SIGMOID, "Sigmoid" },
    {  2, YOLO_OP_MUL, "Mul" },
    {  3, YOLO_OP_ADD, "Add" },
    {  4, YOLO_OP_SUB, "Sub" },
    {  5, YOLO_OP_DIV, "Div" },
    {  6, YOLO_OP_POW, "Pow" },
    {  7, YOLO_OP_CONCAT, "Concat" },
    {  8, YOLO_OP_SPLIT, "Split" },
    {  9, YOLO_OP_SLICE, "Slice" },
    { 10, YOLO_OP_RESHAPE, "Reshape" },
    { 11, YOLO_OP_TRANSPOSE, "Transpose" },
    { 12, YOLO_OP_FLATTEN, "Flatten" },
    { 13, YOLO_OP_SOFTMAX, "Softmax" },
    { 14, YOLO_OP_MAXPOOL, "MaxPool" },
    { 15, YOLO_OP_RESIZE, "Resize" },
    { 16, YOLO_OP_MATMUL, "MatMul" },
    { 17, YOLO_OP_CONSTANT, "Constant" },
    { 18, YOLO_OP_CAST, "Cast" },
    { 19, YOLO_OP_GATHER, "Gather" },
    { 20, YOLO_OP_GATHER_ELEMENTS, "GatherElements" },
    { 21, YOLO_OP_UNSQUEEZE, "Unsqueeze" },
    { 22, YOLO_OP_TILE, "Tile" },
    { 23, YOLO_OP_TOPK, "TopK" },
    { 24, YOLO_OP_MOD, "Mod" },
    { 25, YOLO_OP_REDUCE_MAX, "ReduceMax" },
    { 26, YOLO_OP_SHAPE, "Shape" },
    { 27, YOLO_OP_CONSTANT_OF_SHAPE, "ConstantOfShape" },
    { 28, YOLO_OP_IDENTITY, "Identity" },
    { 29, YOLO_OP_SQUEEZE, "Squeeze" },
    { 30, YOLO_OP_BATCH_NORM, "BatchNormalization" },
    { 31, YOLO_OP_EXPAND, "Expand" },
    { 32, YOLO_OP_RELU, "Relu" },
    { 33, YOLO_OP_SILU, "SiLU" },
    { 34, YOLO_OP_QUANTIZE_LINEAR, "QuantizeLinear" },
    { 35, YOLO_OP_DEQUANTIZE_LINEAR, "DequantizeLinear" },
    { 36, YOLO_OP_QCONV, "QConv" },
    { 37, YOLO_OP_QADD, "QAdd" },
    { 38, YOLO_OP_SPACE_TO_DEPTH, "SpaceToDepth" },
};

int main(void)
{
    HARNESS_INIT(h, "test_op_ids");
    int n = (int)(sizeof frozen / sizeof frozen[0]);
    CHECK(&h, YOLO_OP_COUNT == n, "ops.def has %d ops, the frozen list %d: append to both",
          YOLO_OP_COUNT, n);
    for (int i = 0; i < n; i++) {
        CHECK(&h, (int)frozen[i].op == frozen[i].id, "YOLO_OP id of '%s' is %d, frozen as %d: "
              "ops.def is append-only", frozen[i].name, (int)frozen[i].op, frozen[i].id);
        const char *nm = yolo_op_name((enum yolo_op)frozen[i].id);
        CHECK(&h, strcmp(nm, frozen[i].name) == 0, "op id %d is '%s', frozen as '%s'",
              frozen[i].id, nm, frozen[i].name);
        CHECK(&h, yolo_op_from_name(frozen[i].name) == (enum yolo_op)frozen[i].id,
              "'%s' does not map back to id %d", frozen[i].name, frozen[i].id);
        const struct yolo_op_impl *impl = yolo_op_impl_get((enum yolo_op)i);
        CHECK(&h, impl && impl->ref_fn && impl->shape_fn, "op %d lacks a reference kernel or "
              "shape inference", i);
        for (int j = 0; j < i; j++)
            CHECK(&h, strcmp(yolo_op_name((enum yolo_op)i), yolo_op_name((enum yolo_op)j)) != 0,
                  "ops %d and %d share the name '%s'", i, j, yolo_op_name((enum yolo_op)i));
    }
    CHECK(&h, yolo_op_from_name("NoSuchOp") == YOLO_OP_COUNT, "unknown names map to COUNT");
    return harness_finish(&h);
}
