/* eltwise_body.h: Sigmoid and SiLU over contiguous float32 tensors, VL floats at a time
 * (simd.h's vsigmoid: relative error < 1e-6, no inf/NaN for finite input), and Add / Mul of
 * two float32 tensors of the output's shape or one of them a single element (no other
 * broadcasting: yolo_binary_fast_applies), and Pow by a constant 2 (yolo_pow2_fast_applies)
 * as a * a.
 * Threads split the elements in equal contiguous chunks, rounded to whole vectors. */
#include "cpu/fast_ops.h"
#include "simd.h"

static void split_vec(int64_t n, int ith, int nth, int64_t *s, int64_t *e)
{
    int64_t nv = (n + VL - 1) / VL;
    *s = nv * ith / nth * VL;
    *e = nv * (ith + 1) / nth * VL;
    if (*s > n)
        *s = n;
    if (*e > n)
        *e = n;
}

enum unary_fn { UN_SIGMOID, UN_SILU, UN_SQUARE };

static inline vf unary_apply(vf v, enum unary_fn f)
{
    return f == UN_SILU ? vsilu(v) : f == UN_SQUARE ? vmul(v, v) : vsigmoid(v);
}

/* Y = f(X) elementwise; f is a constant at every call, so each caller's loop is its own. */
static inline void unary(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth,
                         enum unary_fn f)
{
    const float *X = yolo_exec_ptr(x, n->in[0]);
    float *Y = yolo_exec_ptr(x, n->out[0]);
    int64_t s, e;
    split_vec(yolo_tensor_numel(&x->g->tensors[n->out[0]]), ith, nth, &s, &e);
    int64_t i = s;
    for (; i + VL <= e; i += VL)
        vstore(Y + i, unary_apply(vload(X + i), f));
    if (i < e) {
        vmask m = vm_n((int)(e - i));
        vstorem(Y + i, unary_apply(vloadm(X + i, m), f), m);
    }
}

void ISA_FN(yolo_sigmoid)(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth)
{
    unary(x, n, ith, nth, UN_SIGMOID);
}

void ISA_FN(yolo_silu)(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth)
{
    unary(x, n, ith, nth, UN_SILU);
}

/* Y = A op B over [s, e); with sb B is one element, broadcast (a constant at each call, so
 * each form is a loop of its own) */
static inline void binary_run(const float *A, const float *B, float *Y, int64_t s, int64_t e,
                              int mul, int sb)
{
    vf bs = sb ? vbcast(B) : vzero();
    int64_t i = s;
    for (; i + VL <= e; i += VL) {
        vf a = vload(A + i), b = sb ? bs : vload(B + i);
        vstore(Y + i, mul ? vmul(a, b) : vadd(a, b));
    }
    if (i < e) {
        vmask m = vm_n((int)(e - i));
        vf a = vloadm(A + i, m), b = sb ? bs : vloadm(B + i, m);
        vstorem(Y + i, mul ? vmul(a, b) : vadd(a, b), m);
    }
}

/* Operands of the output's shape, or one of one element (yolo_binary_fast_applies). Add and
 * Mul commute bit for bit in IEEE arithmetic, so a one-element A is handled as B. */
static inline void binary(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth,
                          int mul)
{
    const float *A = yolo_exec_ptr(x, n->in[0]), *B = yolo_exec_ptr(x, n->in[1]);
    float *Y = yolo_exec_ptr(x, n->out[0]);
    int64_t ny = yolo_tensor_numel(&x->g->tensors[n->out[0]]), s, e;
    split_vec(ny, ith, nth, &s, &e);
    if (ny > 1 && yolo_tensor_numel(&x->g->tensors[n->in[1]]) == 1)
        binary_run(A, B, Y, s, e, mul, 1);
    else if (ny > 1 && yolo_tensor_numel(&x->g->tensors[n->in[0]]) == 1)
        binary_run(B, A, Y, s, e, mul, 1);
    else
        binary_run(A, B, Y, s, e, mul, 0);
}

void ISA_FN(yolo_add)(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth)
{
    binary(x, n, ith, nth, 0);
}

void ISA_FN(yolo_mul)(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth)
{
    binary(x, n, ith, nth, 1);
}

/* Pow by a constant 2 (yolo_pow2_fast_applies): a * a, as the reference computes it. */
void ISA_FN(yolo_pow2)(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth)
{
    unary(x, n, ith, nth, UN_SQUARE);
}
