/* cpu/isa.c: yolo_isa_usable and yolo_isa_usable_on (cpu.h), yolo_binary_fast_applies and yolo_pow2_fast_applies
 * (fast_ops.h). */
#include <string.h>

#include "cpu/fast_ops.h"

enum yolo_isa yolo_isa_usable_on(const struct yolo_cpu *cpu, enum yolo_isa isa)
{
    enum yolo_isa best = yolo_isa_select(cpu, NULL);
    return isa < best ? isa : best;
}

enum yolo_isa yolo_isa_usable(enum yolo_isa isa)
{
    struct yolo_cpu cpu;
    yolo_cpu_detect(&cpu);
    return yolo_isa_usable_on(&cpu, isa);
}

static int same_shape(const struct yolo_tensor *T, const struct yolo_tensor *Y)
{
    return T->ndim == Y->ndim && !memcmp(T->shape, Y->shape, sizeof(int64_t) * (size_t)Y->ndim);
}

/* Add / Mul of float32 operands of the output's shape, or one of them a single element (a
 * scale: YOLO11's attention multiplies its scores by one; YOLOv5's head its xy by 2). */
int yolo_binary_fast_applies(const struct yolo_graph *g, const struct yolo_node *n)
{
    if (n->n_in != 2 || n->n_out != 1 || n->in[0] < 0 || n->in[1] < 0 || n->out[0] < 0)
        return 0;
    const struct yolo_tensor *A = &g->tensors[n->in[0]], *B = &g->tensors[n->in[1]];
    const struct yolo_tensor *Y = &g->tensors[n->out[0]];
    if (A->dtype != YOLO_DT_F32 || B->dtype != YOLO_DT_F32 || Y->dtype != YOLO_DT_F32)
        return 0;
    return (same_shape(A, Y) && (same_shape(B, Y) || yolo_tensor_numel(B) == 1)) ||
           (same_shape(B, Y) && yolo_tensor_numel(A) == 1);
}

/* A float32 base raised to a constant of one element that is 2 (float32 2.0 or int64 2),
 * the output the base's shape: YOLOv5's head squares its wh this way. */
int yolo_pow2_fast_applies(const struct yolo_graph *g, const struct yolo_node *n)
{
    if (n->n_in != 2 || n->n_out != 1 || n->in[0] < 0 || n->in[1] < 0 || n->out[0] < 0)
        return 0;
    const struct yolo_tensor *A = &g->tensors[n->in[0]], *B = &g->tensors[n->in[1]];
    const struct yolo_tensor *Y = &g->tensors[n->out[0]];
    const void *e = yolo_graph_const_data(g, n->in[1]);
    if (!e || yolo_tensor_numel(B) != 1 || A->dtype != YOLO_DT_F32 || Y->dtype != YOLO_DT_F32 ||
        !same_shape(A, Y))
        return 0;
    if (B->dtype == YOLO_DT_F32)
        return *(const float *)e == 2.0f;
    return B->dtype == YOLO_DT_I64 && *(const int64_t *)e == 2;
}
