/* broadcast.h: helpers shared by the element-wise and data-movement ops (ops/add.c ...
 * ops/expand.c): node I/O validation for shape_fn, numpy broadcasting of two shapes, a
 * strided iterator over broadcast operands, and the ith/nth work split.
 *
 *   // shape_fn of a binary op
 *   int rc = yolo_bc_binary_shape(g, n, YOLO_DT_F32, d);
 *   // kernel: y = a + b over this thread's slice of the output
 *   YOLO_BC_RUN(add_f32, float, float, float, a + b)
 *   yolo_bc_binary_kernel(x, n, ith, nth, add_f32, NULL);
 *
 * Everything here works on contiguous row-major tensors of rank <= YOLO_MAX_DIMS.
 * All functions are thread-safe (no state).
 */
#ifndef YOLO_OPS_BROADCAST_H
#define YOLO_OPS_BROADCAST_H

#include "yolo_core.h"

/* [*start, *end) of n work items for thread ith of nth: contiguous, nearly equal chunks
 * that together cover 0..n-1 exactly once. */
static inline void yolo_bc_split(int64_t n, int ith, int nth, int64_t *start, int64_t *end)
{
    if (nth < 1)
        nth = 1;
    if (ith < 0 || ith >= nth) {
        *start = *end = n;
        return;
    }
    int64_t chunk = n / nth, rem = n % nth;
    *start = (int64_t)ith * chunk + (ith < rem ? ith : rem);
    *end = *start + chunk + (ith < rem ? 1 : 0);
}

/* Checks a node's wiring for shape_fn: min_in..max_in inputs (slots >= min_in may be -1),
 * exactly n_out outputs, every index in range, every present input with a known, valid
 * shape (dims >= 0; the product of its dims, zeros counted as 1, at most
 * YOLO_MAX_TENSOR_BYTES, so no product of dims can overflow) and a known dtype, no output that
 * is also an input. Returns 0 or a status with d set. */
int yolo_bc_check_io(const struct yolo_graph *g, const struct yolo_node *n, int min_in,
                     int max_in, int n_out, struct yolo_diag *d);

/* The per-tensor part of yolo_bc_check_io for tensor t, named "<role> <k>" in errors. */
int yolo_bc_check_tensor(const struct yolo_graph *g, const struct yolo_node *n, int32_t t,
                         const char *role, int k, struct yolo_diag *d);

/* Sets output k of n to dtype dt and shape[0..ndim). Fails (UNSUPPORTED) on a rank above
 * YOLO_MAX_DIMS, a negative dim, or a size (or product of dims, zeros counted as 1) above
 * YOLO_MAX_TENSOR_BYTES. */
int yolo_bc_set_out(struct yolo_graph *g, const struct yolo_node *n, int k, enum yolo_dtype dt,
                    int32_t ndim, const int64_t *shape, struct yolo_diag *d);

/* Reads input slot `slot` of n, which must be a CONST int64 tensor of rank 0 or 1 with at most
 * max_len elements, into vals; *len gets the element count. `what` names it in errors
 * ("shape", "repeats"). Not const: UNSUPPORTED "'what' must be a constant". */
int yolo_bc_const_i64(const struct yolo_graph *g, const struct yolo_node *n, int slot,
                      const char *what, int32_t max_len, int64_t *vals, int32_t *len,
                      struct yolo_diag *d);

/* Axes lists that moved from an attribute to an optional input over opsets (Squeeze and
 * Unsqueeze at 13, ReduceMax at 18) use YOLO_BC_AXES_PARAMS params from `base`:
 *   params[base]     source: 0 = the attribute, 1 = input `slot` (none if absent)
 *   params[base + 1] count, params[base + 2 ...] the values as written (up to YOLO_MAX_DIMS)
 * import reads the attribute `name` if present; get re-reads a const input (so an engine
 * stays self-consistent) and writes it into params; norm checks them against a rank. */
#define YOLO_BC_AXES_PARAMS (2 + YOLO_MAX_DIMS)
int yolo_bc_axes_import(struct yolo_node *n, struct yolo_attrs *a, const char *name, int base,
                        struct yolo_diag *d);
/* *present = 0 when the node has no axes at all (input absent); axes get the values. */
int yolo_bc_axes_get(const struct yolo_graph *g, struct yolo_node *n, int base, int slot,
                     int64_t *axes, int32_t *count, int *present, struct yolo_diag *d);
/* Normalizes axes[0..count) for rank r in place (negative: + r), rejecting out-of-range and
 * repeated axes; *mask gets bit i for each axis i. */
int yolo_bc_axes_norm(const struct yolo_node *n, int64_t *axes, int32_t count, int32_t r,
                      uint32_t *mask, struct yolo_diag *d);

/* Normalizes axis (negative counts from the end) for a tensor of rank r into [0, r).
 * Returns -1 if out of range. */
static inline int32_t yolo_bc_axis(int64_t axis, int32_t r)
{
    if (axis < -(int64_t)r || axis >= (int64_t)r)
        return -1;
    return (int32_t)(axis < 0 ? axis + r : axis);
}

/* ONNX multidirectional (numpy) broadcasting: shapes aligned on the right, each pair of dims
 * equal or one of them 1 (a 0 against 1 gives 0). Returns 0 with the result in *nout/out,
 * or -1 if the shapes are incompatible or the result's rank exceeds YOLO_MAX_DIMS. */
int yolo_bc_shape(int32_t na, const int64_t *a, int32_t nb, const int64_t *b, int32_t *nout,
                  int64_t out[YOLO_MAX_DIMS]);

/* Iteration plan of an output over two inputs that broadcast to it. Dims of size 1 are
 * dropped and adjacent dims that are contiguous in every operand are merged, so a same-shape
 * op becomes one run, x * per-channel-scale becomes [N*C, H*W] runs with the scale fixed. */
struct yolo_bc_plan {
    int32_t ndim;                      /* >= 1 */
    int64_t shape[YOLO_MAX_DIMS];
    int64_t stride[2][YOLO_MAX_DIMS];  /* element strides of inputs 0 and 1; 0 = broadcast */
    int64_t numel;                     /* output elements */
};
/* Inputs a, b must broadcast to out (yolo_bc_shape); callers validated that in shape_fn. */
void yolo_bc_plan_make(struct yolo_bc_plan *p, int32_t nout, const int64_t *out, int32_t na,
                       const int64_t *a, int32_t nb, const int64_t *b);

/* Computes n consecutive output elements y[0..n) from a and b, where a advances by sa
 * elements per output element and b by sb; sa and sb are each 0 (broadcast) or 1. */
typedef void (*yolo_bc_run_fn)(const void *ctx, const uint8_t *a, int64_t sa, const uint8_t *b,
                               int64_t sb, uint8_t *y, int64_t n);

/* Output elements [start, end) of the plan, as runs along the innermost merged dim. ea, eb,
 * ey: element sizes in bytes of a, b and y. */
void yolo_bc_apply(const struct yolo_bc_plan *p, const void *a, size_t ea, const void *b,
                   size_t eb, void *y, size_t ey, int64_t start, int64_t end, yolo_bc_run_fn run,
                   const void *ctx);

/* Defines `static void name(...)`, a yolo_bc_run_fn computing y = expr element by element,
 * where expr reads the current operands as `a` (type ta) and `b` (type tb). The four
 * stride cases are separate loops so the compiler vectorizes the common ones. */
#define YOLO_BC_RUN(name, ta, tb, ty, expr)                                                  \
    static void name(const void *ctx, const uint8_t *pa, int64_t sa, const uint8_t *pb,      \
                     int64_t sb, uint8_t *py, int64_t n)                                     \
    {                                                                                        \
        const ta *A = (const ta *)(const void *)pa;                                          \
        const tb *B = (const tb *)(const void *)pb;                                          \
        ty *Y = (ty *)(void *)py;                                                            \
        (void)ctx;                                                                           \
        if (sa && sb) {                                                                      \
            for (int64_t i = 0; i < n; i++) {                                                \
                const ta a = A[i];                                                           \
                const tb b = B[i];                                                           \
                Y[i] = (expr);                                                               \
            }                                                                                \
        } else if (sa) {                                                                     \
            const tb b = B[0];                                                               \
            for (int64_t i = 0; i < n; i++) {                                                \
                const ta a = A[i];                                                           \
                Y[i] = (expr);                                                               \
            }                                                                                \
        } else if (sb) {                                                                     \
            const ta a = A[0];                                                               \
            for (int64_t i = 0; i < n; i++) {                                                \
                const tb b = B[i];                                                           \
                Y[i] = (expr);                                                               \
            }                                                                                \
        } else {                                                                             \
            const ta a = A[0];                                                               \
            const tb b = B[0];                                                               \
            const ty v = (expr);                                                             \
            for (int64_t i = 0; i < n; i++)                                                  \
                Y[i] = v;                                                                    \
        }                                                                                    \
    }

/* shape_fn of a binary element-wise op: 2 inputs, 1 output, output = broadcast of the
 * inputs' shapes with dtype out_dt. Dtype rules are the caller's (checked before). */
int yolo_bc_binary_shape(struct yolo_graph *g, struct yolo_node *n, enum yolo_dtype out_dt,
                         struct yolo_diag *d);
/* shape_fn of Add, Sub, Mul, Div: check_io + both inputs F32 or both I64 + broadcast. */
int yolo_bc_arith_shape(struct yolo_graph *g, struct yolo_node *n, struct yolo_diag *d);
/* Kernel of a binary element-wise op: this thread's slice of out[0] = run(in[0], in[1]). */
void yolo_bc_binary_kernel(const struct yolo_exec *x, const struct yolo_node *n, int ith,
                           int nth, yolo_bc_run_fn run, const void *ctx);

/* shape_fn of a one-input element-wise op on dtype dt: output = input's shape and dtype. */
int yolo_bc_unary_shape(struct yolo_graph *g, struct yolo_node *n, enum yolo_dtype dt,
                        struct yolo_diag *d);

/* Copies `bytes` bytes from src to dst, this thread's share. dst == src: nothing to do (a
 * planner may alias a view's output with its input); other overlaps: thread 0 does one
 * memmove. */
void yolo_bc_copy(void *dst, const void *src, uint64_t bytes, int ith, int nth);
/* Kernel of the view ops (Reshape, Flatten, Squeeze, Unsqueeze, Identity): out[0] gets the
 * bytes of in[0]. */
void yolo_bc_view_kernel(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth);

/* Row-major multi-index of linear index i in shape[0..ndim). */
static inline void yolo_bc_unravel(int32_t ndim, const int64_t *shape, int64_t i, int64_t *idx)
{
    for (int32_t k = ndim - 1; k >= 0; k--) {
        idx[k] = shape[k] ? i % shape[k] : 0;
        i = shape[k] ? i / shape[k] : 0;
    }
}

/* Contiguous element strides of shape[0..ndim). */
static inline void yolo_bc_strides(int32_t ndim, const int64_t *shape, int64_t *stride)
{
    int64_t s = 1;
    for (int32_t k = ndim - 1; k >= 0; k--) {
        stride[k] = s;
        s *= shape[k];
    }
}

/* Gather-family ops (Gather, GatherElements): reads attribute 'axis' into *axis_param. */
int yolo_bc_import_axis(struct yolo_node *n, struct yolo_attrs *a, int64_t *axis_param,
                        struct yolo_diag *d);
/* Checks 2 inputs / 1 output, int64 or int32 indices in in[1], and resolves axis_param
 * against in[0]'s rank into *axis. */
int yolo_bc_check_gather(struct yolo_graph *g, struct yolo_node *n, int64_t axis_param,
                         int32_t *axis, struct yolo_diag *d);

#endif
