/* eltwise_body.h: Sigmoid and SiLU over contiguous float32 tensors, VL floats at a time
 * (simd.h's vsigmoid: relative error < 1e-6, no inf/NaN for finite input), and Add / Mul of
 * two float32 tensors of the output's shape or one of them a single element (no other
 * broadcasting: yolo_binary_fast_applies), and Pow by a constant 2 (yolo_pow2_fast_applies)
 * as a * a.
 * Threads split the elements in equal contiguous chunks, rounded to whole vectors (Add and Mul
 * of 4-D tensors of one shape: the same chunk of every plane). */
#include "passes.h"
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
    const struct yolo_tensor *T = &x->g->tensors[n->out[0]];
    int64_t ny = yolo_tensor_numel(T), s, e;
    int same = !(ny > 1 && (yolo_tensor_numel(&x->g->tensors[n->in[1]]) == 1 ||
                            yolo_tensor_numel(&x->g->tensors[n->in[0]]) == 1));
    if (same && nth > 1 && T->ndim == 4 && T->shape[2] * T->shape[3] >= 4 * VL) {
        /* each thread the same part of every plane: the convolutions before split their
         * outputs by position, so each thread adds what its own core just wrote (split by
         * elements, a residual Add of yolov5n at 160x160 took 0.06 ms at 1 thread and 0.10 at
         * 2, half its reads coming from the other core) */
        int64_t plane = T->shape[2] * T->shape[3];
        split_vec(plane, ith, nth, &s, &e);
        for (int64_t o = 0; o < ny; o += plane)
            binary_run(A + o, B + o, Y + o, s, e, mul, 0);
        return;
    }
    split_vec(ny, ith, nth, &s, &e);
    if (!same && yolo_tensor_numel(&x->g->tensors[n->in[1]]) == 1)
        binary_run(A, B, Y, s, e, mul, 1);
    else if (!same)
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

/* y[0, w) = y op c (c one float broadcast when sc, else w floats), op Add or Mul; or y * y
 * (Pow by 2): the same operations as the Add, Mul and Pow kernels above, so the same floats */
static void chain_apply(float *y, int64_t w, enum yolo_op op, const float *c, int sc)
{
    vf cb = sc ? vbcast(c) : vzero();
    for (int64_t i = 0; i < w; i += VL) {
        vmask m = vm_n((int)(w - i < VL ? w - i : VL));
        vf a = vloadm(y + i, m), b = op == YOLO_OP_POW ? a : sc ? cb : vloadm(c + i, m);
        vstorem(y + i, op == YOLO_OP_ADD ? vadd(a, b) : vmul(a, b), m);
    }
}

struct sc_step { enum yolo_op op; const float *c; int one; };

/* One step of a piece's chain on rows [0, nr) of a block (row stride L, the piece's w
 * columns from y; a constant of the piece's shape from c, row stride w): vectors along each
 * row when w >= VL, else one float at a time, each loop with its operation fixed */
static void chain_rows(float *y, int64_t L, int64_t nr, int64_t w, const struct sc_step *s,
                       const float *c)
{
    if (w >= VL) {
        for (int64_t r = 0; r < nr; r++)
            chain_apply(y + r * L, w, s->op, s->one ? c : c + r * w, s->one);
    } else if (s->op == YOLO_OP_POW) {
        for (int64_t r = 0; r < nr; r++)
            for (int64_t e = 0; e < w; e++)
                y[r * L + e] = y[r * L + e] * y[r * L + e];
    } else if (s->one) {
        float b = c[0];
        for (int64_t r = 0; r < nr; r++)
            for (int64_t e = 0; e < w; e++)
                y[r * L + e] = s->op == YOLO_OP_ADD ? y[r * L + e] + b : y[r * L + e] * b;
    } else if (s->op == YOLO_OP_ADD) {
        for (int64_t r = 0; r < nr; r++)
            for (int64_t e = 0; e < w; e++)
                y[r * L + e] = y[r * L + e] + c[r * w + e];
    } else {
        for (int64_t r = 0; r < nr; r++)
            for (int64_t e = 0; e < w; e++)
                y[r * L + e] = y[r * L + e] * c[r * w + e];
    }
}

/* The split chain of node data (cpu/split_chain_mark.c) in Sigmoid node n's place, writing
 * the chain's Concat output. Per block of rows of the last axis (in L1): the Sigmoid of the
 * block, contiguous, into the output; then each piece's steps in turn over the block's rows.
 * The same operations on the same floats as the nodes one by one. Threads split the rows.
 * With sc->sigmoid_done the Conv before already wrote the Sigmoid there (cpu/conv_tp_mark.c):
 * only the pieces' steps run. */
enum { SC_BLOCK_ROWS = 64 };

void ISA_FN(yolo_split_chain)(const struct yolo_exec *x, const struct yolo_node *n, int ith,
                              int nth)
{
    const struct yolo_split_chain *sc = yolo_exec_node_data(x, n);
    const struct yolo_graph *g = x->g;
    const struct yolo_tensor *T = &g->tensors[n->in[0]];
    const float *X = yolo_exec_ptr(x, n->in[0]);
    float *Y = yolo_exec_ptr(x, g->nodes[sc->concat].out[0]);
    struct sc_step st[YOLO_SC_MAX_PIECES][YOLO_SC_MAX_OPS];
    for (int j = 0; j < sc->n_pieces; j++)
        for (int k = 0; k < sc->n_ops[j]; k++) {
            const struct yolo_node *o = &g->nodes[sc->op[j][k]];
            int32_t ct = o->in[sc->cin[j][k]];
            st[j][k] = (struct sc_step){ o->op, yolo_exec_ptr(x, ct),
                                         o->op == YOLO_OP_POW ||
                                             yolo_tensor_numel(&g->tensors[ct]) == 1 };
        }
    int64_t L = T->shape[T->ndim - 1], rows = yolo_tensor_numel(T) / L;
    for (int64_t r0 = rows * ith / nth, rend = rows * (ith + 1) / nth; r0 < rend;) {
        int64_t r1 = rend - r0 < SC_BLOCK_ROWS ? rend : r0 + SC_BLOCK_ROWS;
        const float *xb = X + r0 * L;
        float *yb = Y + r0 * L;
        int64_t len = (r1 - r0) * L, i = sc->sigmoid_done ? len : 0;
        for (; i + VL <= len; i += VL)
            vstore(yb + i, vsigmoid(vload(xb + i)));
        if (i < len) {
            vmask m = vm_n((int)(len - i));
            vstorem(yb + i, vsigmoid(vloadm(xb + i, m)), m);
        }
        int64_t c0 = 0;
        for (int j = 0; j < sc->n_pieces; c0 += sc->width[j++])
            for (int k = 0; k < sc->n_ops[j]; k++)
                chain_rows(yb + c0, L, r1 - r0, sc->width[j], &st[j][k],
                           st[j][k].one ? st[j][k].c : st[j][k].c + r0 * sc->width[j]);
        r0 = r1;
    }
}
