/* bc_test.h: small helpers shared by the per-op tests of the element-wise and data-movement
 * ops (tests/ops/test_add.c ... test_expand.c): build a one-node graph by hand (running the
 * op's import_fn on hand-made attributes), run it through tests/op_check.h, check that a
 * split over nth threads gives the same bytes as nth = 1, and a generic driver for binary
 * broadcasting ops against an independent per-element oracle. Header-only (static), so it
 * adds nothing to other test binaries.
 *
 *   struct bt t; bt_init(&t);
 *   int32_t a = bt_in(&t, "a", YOLO_DT_F32, 2, (int64_t[]){3, 5});
 *   int32_t y = bt_out(&t, "y");
 *   int rc = bt_node(&t, YOLO_OP_RELU, 1, &a, 1, &y, NULL);   // import_fn, if any
 *   rc = bt_prepare(&t, seed);                                 // shape_fn, random inputs
 *   bt_split_ok(&t, 3);                                        // nth = 3 equals nth = 1
 *   ... read op_check_ptr(&t.oc, y) ...
 *   bt_free(&t);
 */
#ifndef YOLO_TEST_BC_TEST_H
#define YOLO_TEST_BC_TEST_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "op_check.h"

struct bt {
    struct yolo_graph g;
    struct op_check oc;
    struct yolo_diag d;
    int32_t node;
    int prepared;
};

static inline void bt_init(struct bt *t)
{
    memset(t, 0, sizeof *t);
    yolo_graph_init(&t->g);
    t->node = -1;
}

static inline void bt_free(struct bt *t)
{
    if (t->prepared)
        op_check_release(&t->oc);
    yolo_graph_release(&t->g);
    memset(t, 0, sizeof *t);
}

static inline int32_t bt_in(struct bt *t, const char *name, enum yolo_dtype dt, int32_t ndim,
                            const int64_t *shape)
{
    int32_t i = yolo_graph_add_tensor(&t->g, name, dt, ndim, shape, &t->d);
    if (i >= 0)
        t->g.tensors[i].flags |= YOLO_TF_INPUT;
    return i;
}

static inline int32_t bt_const(struct bt *t, const char *name, enum yolo_dtype dt, int32_t ndim,
                               const int64_t *shape, const void *data)
{
    return yolo_graph_add_const(&t->g, name, dt, ndim, shape, data, &t->d);
}

/* A 1-D const int64 tensor of n values. */
static inline int32_t bt_const_i64(struct bt *t, const char *name, int32_t n, const int64_t *v)
{
    int64_t shape[1] = { n };
    return bt_const(t, name, YOLO_DT_I64, 1, shape, v);
}

static inline int32_t bt_out(struct bt *t, const char *name)
{
    return yolo_graph_add_tensor(&t->g, name, YOLO_DT_UNDEF, -1, NULL, &t->d);
}

static inline struct yolo_attr bt_attr_int(const char *name, int64_t v)
{
    struct yolo_attr a;
    memset(&a, 0, sizeof a);
    a.name = name;
    a.type = YOLO_ATTR_INT;
    a.i = v;
    a.tensor = -1;
    return a;
}

static inline struct yolo_attr bt_attr_float(const char *name, float v)
{
    struct yolo_attr a = bt_attr_int(name, 0);
    a.type = YOLO_ATTR_FLOAT;
    a.f = v;
    return a;
}

static inline struct yolo_attr bt_attr_ints(const char *name, const int64_t *v, int32_t n)
{
    struct yolo_attr a = bt_attr_int(name, 0);
    a.type = YOLO_ATTR_INTS;
    a.ints = v;
    a.n_ints = n;
    return a;
}

static inline struct yolo_attr bt_attr_floats(const char *name, const float *v, int32_t n)
{
    struct yolo_attr a = bt_attr_int(name, 0);
    a.type = YOLO_ATTR_FLOATS;
    a.floats = v;
    a.n_floats = n;
    return a;
}

static inline struct yolo_attr bt_attr_tensor(const char *name, int32_t tensor)
{
    struct yolo_attr a = bt_attr_int(name, 0);
    a.type = YOLO_ATTR_TENSOR;
    a.tensor = tensor;
    return a;
}

/* Adds the node and runs its op's import_fn on attrs (NULL: no attributes, opset 17).
 * Returns import_fn's status (0 when there is none). */
static inline int bt_node(struct bt *t, enum yolo_op op, int32_t n_in, const int32_t *in,
                          int32_t n_out, const int32_t *out, struct yolo_attrs *attrs)
{
    struct yolo_attrs none = { NULL, 0, 17 };
    t->node = yolo_graph_add_node(&t->g, op, "n", n_in, in, n_out, out, &t->d);
    if (t->node < 0)
        return t->d.status;
    const struct yolo_op_impl *impl = yolo_op_impl_get(op);
    if (!impl || !impl->import_fn)
        return 0;
    return impl->import_fn(&t->g, &t->g.nodes[t->node], attrs ? attrs : &none, &t->d);
}

/* Runs shape_fn (through op_check_prepare): 0 or its status (message in t->d). */
static inline int bt_prepare(struct bt *t, uint64_t seed)
{
    memset(&t->d, 0, sizeof t->d);
    int rc = op_check_prepare(&t->oc, &t->g, seed, &t->d);
    t->prepared = 1;
    return rc;
}

/* Overwrites a prepared input tensor's bytes. */
static inline void bt_set(struct bt *t, int32_t tensor, const void *data)
{
    memcpy(op_check_ptr(&t->oc, tensor), data, yolo_tensor_bytes(&t->g.tensors[tensor]));
}

static inline struct yolo_node *bt_n(struct bt *t)
{
    return &t->g.nodes[t->node];
}

static inline struct yolo_tensor *bt_t(struct bt *t, int32_t i)
{
    return &t->g.tensors[i];
}

/* Fills every output of the node with a garbage pattern. */
static inline void bt_scribble(struct bt *t, uint8_t byte)
{
    const struct yolo_node *n = bt_n(t);
    for (int k = 0; k < n->n_out; k++)
        memset(op_check_ptr(&t->oc, n->out[k]), byte, yolo_tensor_bytes(&t->g.tensors[n->out[k]]));
}

/* Runs with nth = 1, snapshots the outputs, scribbles over them, runs with nth and compares
 * the bytes; leaves the nth = 1 result in place. 1 if equal (and the runs worked). */
static inline int bt_split_ok(struct bt *t, int nth)
{
    const struct yolo_node *n = bt_n(t);
    uint8_t *snap[YOLO_MAX_OUT] = { 0 };
    int ok = 1;
    bt_scribble(t, 0xA5);
    if (op_check_run(&t->oc, 1))
        return 0;
    for (int k = 0; k < n->n_out && ok; k++) {
        uint64_t b = yolo_tensor_bytes(&t->g.tensors[n->out[k]]);
        snap[k] = malloc(b ? b : 1);
        if (!snap[k])
            ok = 0;
        else
            memcpy(snap[k], op_check_ptr(&t->oc, n->out[k]), b);
    }
    bt_scribble(t, 0x5A);
    if (ok && op_check_run(&t->oc, nth))
        ok = 0;
    for (int k = 0; k < n->n_out && ok; k++) {
        uint64_t b = yolo_tensor_bytes(&t->g.tensors[n->out[k]]);
        if (memcmp(snap[k], op_check_ptr(&t->oc, n->out[k]), b) != 0)
            ok = 0;
    }
    for (int k = 0; k < n->n_out; k++) {
        if (snap[k])
            memcpy(op_check_ptr(&t->oc, n->out[k]), snap[k],
                   yolo_tensor_bytes(&t->g.tensors[n->out[k]]));
        free(snap[k]);
    }
    return ok;
}

static inline int64_t bt_numel(int32_t nd, const int64_t *s)
{
    int64_t n = 1;
    for (int32_t i = 0; i < nd; i++)
        n *= s[i];
    return n;
}

static inline void bt_unravel(int32_t nd, const int64_t *s, int64_t i, int64_t *idx)
{
    for (int32_t k = nd - 1; k >= 0; k--) {
        idx[k] = i % s[k];
        i /= s[k];
    }
}

/* Linear index into a tensor of shape a[0..na) broadcast (right-aligned) to an output of rank
 * nout at multi-index idx. */
static inline int64_t bt_bcast_index(int32_t na, const int64_t *a, int32_t nout,
                                     const int64_t *idx)
{
    int64_t off = 0;
    for (int32_t k = 0; k < na; k++) {
        int64_t i = idx[nout - na + k];
        off = off * a[k] + (a[k] == 1 ? 0 : i);
    }
    return off;
}

static inline int bt_same_f32(float a, float b)
{
    return (isnan(a) && isnan(b)) || memcmp(&a, &b, sizeof a) == 0;
}

/* Shape pairs the binary drivers run: same shapes of awkward sizes, scalars, per-channel,
 * numpy's two-sided case, rank 5 and 6, empty. */
struct bt_pair { int32_t na; int64_t a[6]; int32_t nb; int64_t b[6]; };
static const struct bt_pair bt_pairs[] = {
    { 1, { 1 }, 1, { 1 } },
    { 1, { 3 }, 1, { 3 } },
    { 1, { 7 }, 1, { 7 } },
    { 1, { 17 }, 1, { 17 } },
    { 3, { 2, 3, 7 }, 3, { 2, 3, 7 } },
    { 2, { 3, 17 }, 0, { 0 } },
    { 0, { 0 }, 2, { 5, 3 } },
    { 4, { 1, 3, 5, 7 }, 4, { 1, 3, 1, 1 } },
    { 4, { 2, 3, 5, 7 }, 3, { 3, 1, 1 } },
    { 4, { 1, 3, 1, 5 }, 4, { 2, 1, 4, 1 } },
    { 3, { 5, 1, 7 }, 1, { 7 } },
    { 1, { 7 }, 3, { 3, 1, 1 } },
    { 5, { 2, 1, 3, 1, 5 }, 3, { 3, 4, 1 } },
    { 5, { 1, 3, 17, 1, 2 }, 5, { 2, 3, 1, 5, 2 } },
    { 6, { 2, 1, 2, 1, 2, 3 }, 6, { 1, 2, 1, 2, 1, 1 } },
    { 2, { 0, 3 }, 2, { 1, 3 } },
    { 2, { 4, 1 }, 2, { 1, 0 } },
};

/* Per-element oracle of a binary op: *y = a op b, for the driver's dtypes. */
typedef void (*bt_ref_fn)(const void *a, const void *b, void *y);

/* Runs op on every bt_pairs shape pair with inputs of dtypes ta, tb (attrs may be NULL),
 * values from the seed (float32 uniform in [-3, 3), int64 in [-9, 9]), and checks each
 * output element against ref bit-exactly, the output shape against numpy's rule and that
 * nth = 3 and nth = 5 match nth = 1. Returns the number of failures. */
static inline int bt_binary_driver(struct harness *h, enum yolo_op op, enum yolo_dtype ta,
                                   enum yolo_dtype tb, struct yolo_attrs *attrs, bt_ref_fn ref,
                                   uint64_t seed)
{
    int fails = h->failed;
    for (size_t pi = 0; pi < sizeof bt_pairs / sizeof bt_pairs[0]; pi++) {
        const struct bt_pair *p = &bt_pairs[pi];
        struct bt t;
        bt_init(&t);
        int32_t in[2] = { bt_in(&t, "a", ta, p->na, p->a), bt_in(&t, "b", tb, p->nb, p->b) };
        int32_t y = bt_out(&t, "y");
        int rc = bt_node(&t, op, 2, in, 1, &y, attrs);
        if (!rc)
            rc = bt_prepare(&t, seed + pi);
        CHECK(h, rc == 0, "%s pair %zu: %s", yolo_op_name(op), pi, t.d.msg);
        if (rc) {
            bt_free(&t);
            continue;
        }
        /* expected shape */
        int32_t r = p->na > p->nb ? p->na : p->nb;
        int64_t shape[6];
        for (int32_t i = 0; i < r; i++) {
            int64_t da = i - (r - p->na) >= 0 ? p->a[i - (r - p->na)] : 1;
            int64_t db = i - (r - p->nb) >= 0 ? p->b[i - (r - p->nb)] : 1;
            shape[i] = da == 1 ? db : da;
        }
        const struct yolo_tensor *Y = bt_t(&t, y);
        int shape_ok = Y->ndim == r;
        for (int32_t i = 0; shape_ok && i < r; i++)
            shape_ok = Y->shape[i] == shape[i];
        CHECK(h, shape_ok, "%s pair %zu: output shape", yolo_op_name(op), pi);
        /* values */
        uint64_t s = seed * 31 + pi;
        for (int k = 0; k < 2; k++) {
            const struct yolo_tensor *T = bt_t(&t, in[k]);
            int64_t n = yolo_tensor_numel(T);
            void *v = op_check_ptr(&t.oc, in[k]);
            for (int64_t i = 0; i < n; i++) {
                if (T->dtype == YOLO_DT_F32)
                    ((float *)v)[i] = harness_randf(&s, -3.0f, 3.0f);
                else
                    ((int64_t *)v)[i] = (int64_t)(harness_rand(&s) % 19) - 9;
            }
        }
        CHECK(h, bt_split_ok(&t, 3), "%s pair %zu: nth=3 differs from nth=1", yolo_op_name(op), pi);
        CHECK(h, bt_split_ok(&t, 5), "%s pair %zu: nth=5 differs from nth=1", yolo_op_name(op), pi);
        size_t ea = yolo_dtype_size(ta), eb = yolo_dtype_size(tb), ey = yolo_dtype_size(Y->dtype);
        const uint8_t *A = op_check_ptr(&t.oc, in[0]), *B = op_check_ptr(&t.oc, in[1]);
        const uint8_t *YV = op_check_ptr(&t.oc, y);
        int64_t n = bt_numel(r, shape), idx[6], bad = -1;
        for (int64_t i = 0; i < n && bad < 0; i++) {
            bt_unravel(r, shape, i, idx);
            int64_t ia = bt_bcast_index(p->na, p->a, r, idx);
            int64_t ib = bt_bcast_index(p->nb, p->b, r, idx);
            uint8_t want[8];
            ref(A + ia * ea, B + ib * eb, want);
            if (Y->dtype == YOLO_DT_F32) {
                float w, got;
                memcpy(&w, want, 4);
                memcpy(&got, YV + i * ey, 4);
                if (!bt_same_f32(w, got))
                    bad = i;
            } else if (memcmp(want, YV + i * ey, ey) != 0) {
                bad = i;
            }
        }
        CHECK(h, bad < 0, "%s pair %zu (%s x %s): element %lld differs from the oracle",
              yolo_op_name(op), pi, yolo_dtype_name(ta), yolo_dtype_name(tb), (long long)bad);
        bt_free(&t);
    }
    return h->failed - fails;
}

/* Runs a binary op on tiny hand-written inputs (graph inputs, any dtypes) and returns the
 * output copied into out (n elements of ey bytes). 0 or a status. */
static inline int bt_binary_small(enum yolo_op op, struct yolo_attrs *attrs, enum yolo_dtype ta,
                                  int32_t na, const int64_t *sa, const void *va,
                                  enum yolo_dtype tb, int32_t nb, const int64_t *sb,
                                  const void *vb, void *out, size_t out_bytes)
{
    struct bt t;
    bt_init(&t);
    int32_t in[2] = { bt_in(&t, "a", ta, na, sa), bt_in(&t, "b", tb, nb, sb) };
    int32_t y = bt_out(&t, "y");
    int rc = bt_node(&t, op, 2, in, 1, &y, attrs);
    if (!rc)
        rc = bt_prepare(&t, 1);
    if (!rc) {
        bt_set(&t, in[0], va);
        bt_set(&t, in[1], vb);
        rc = op_check_run(&t.oc, 2);
    }
    if (!rc) {
        uint64_t b = yolo_tensor_bytes(bt_t(&t, y));
        memcpy(out, op_check_ptr(&t.oc, y), b < out_bytes ? b : out_bytes);
        if (b != out_bytes)
            rc = YOLO_ERR_INTERNAL;
    }
    bt_free(&t);
    return rc;
}

/* shape_fn outcome of a binary op on two input shapes/dtypes: 0 or the status. */
static inline int bt_binary_shape_rc(enum yolo_op op, struct yolo_attrs *attrs,
                                     enum yolo_dtype ta, int32_t na, const int64_t *sa,
                                     enum yolo_dtype tb, int32_t nb, const int64_t *sb)
{
    struct bt t;
    bt_init(&t);
    int32_t in[2] = { bt_in(&t, "a", ta, na, sa), bt_in(&t, "b", tb, nb, sb) };
    int32_t y = bt_out(&t, "y");
    int rc = bt_node(&t, op, 2, in, 1, &y, attrs);
    if (!rc)
        rc = bt_prepare(&t, 1);
    bt_free(&t);
    return rc;
}

/* Shapes of ranks 0 to 6 with awkward sizes, including an empty one. */
struct bt_shape { int32_t n; int64_t s[6]; };
static const struct bt_shape bt_shapes[] = {
    { 0, { 0 } }, { 1, { 1 } }, { 1, { 3 } }, { 1, { 7 } }, { 1, { 17 } }, { 2, { 3, 17 } },
    { 3, { 1, 7, 5 } }, { 4, { 1, 3, 5, 7 } }, { 5, { 2, 3, 1, 5, 3 } },
    { 6, { 1, 2, 3, 1, 5, 2 } }, { 2, { 0, 5 } },
};

/* Per-element oracle of a one-input float32 op. */
typedef float (*bt_unary_fn)(float x);

/* Runs a one-input float32 op on every bt_shapes shape with values in [lo, hi) from the seed
 * plus the specials (0, -0, +-1e30, +-inf, NaN, +-100) at the front; checks shape, every
 * element bit-exactly against ref and nth = 3, 5 against nth = 1. */
static inline void bt_unary_driver(struct harness *h, enum yolo_op op, bt_unary_fn ref, float lo,
                                   float hi, uint64_t seed)
{
    static const float specials[] = { 0.0f, -0.0f, 1e30f, -1e30f, INFINITY, -INFINITY, NAN,
                                      100.0f, -100.0f, 88.5f, -88.5f, 1e-30f };
    for (size_t si = 0; si < sizeof bt_shapes / sizeof bt_shapes[0]; si++) {
        const struct bt_shape *sh = &bt_shapes[si];
        struct bt t;
        bt_init(&t);
        int32_t x = bt_in(&t, "x", YOLO_DT_F32, sh->n, sh->s), y = bt_out(&t, "y");
        int rc = bt_node(&t, op, 1, &x, 1, &y, NULL);
        if (!rc)
            rc = bt_prepare(&t, seed + si);
        CHECK(h, rc == 0, "%s shape %zu: %s", yolo_op_name(op), si, t.d.msg);
        if (rc) {
            bt_free(&t);
            continue;
        }
        const struct yolo_tensor *Y = bt_t(&t, y);
        int shape_ok = Y->ndim == sh->n && Y->dtype == YOLO_DT_F32;
        for (int32_t i = 0; shape_ok && i < sh->n; i++)
            shape_ok = Y->shape[i] == sh->s[i];
        CHECK(h, shape_ok, "%s shape %zu: output shape", yolo_op_name(op), si);
        int64_t n = bt_numel(sh->n, sh->s), bad = -1;
        float *X = op_check_ptr(&t.oc, x);
        uint64_t s = seed * 17 + si;
        for (int64_t i = 0; i < n; i++)
            X[i] = i < (int64_t)(sizeof specials / sizeof specials[0]) ? specials[i]
                                                                        : harness_randf(&s, lo, hi);
        CHECK(h, bt_split_ok(&t, 3), "%s shape %zu: nth=3 differs", yolo_op_name(op), si);
        CHECK(h, bt_split_ok(&t, 5), "%s shape %zu: nth=5 differs", yolo_op_name(op), si);
        const float *YV = op_check_ptr(&t.oc, y);
        for (int64_t i = 0; i < n && bad < 0; i++)
            if (!bt_same_f32(YV[i], ref(X[i])))
                bad = i;
        CHECK(h, bad < 0, "%s shape %zu: element %lld: x %g got %g want %g", yolo_op_name(op), si,
              (long long)bad, bad < 0 ? 0.0 : (double)X[bad], bad < 0 ? 0.0 : (double)YV[bad],
              bad < 0 ? 0.0 : (double)ref(X[bad]));
        bt_free(&t);
    }
}

/* shape_fn outcome of a one-input op on an input of dtype dt, shape [3]. */
static inline int bt_unary_shape_rc(enum yolo_op op, enum yolo_dtype dt)
{
    struct bt t;
    bt_init(&t);
    int32_t x = bt_in(&t, "x", dt, 1, (int64_t[]){ 3 }), y = bt_out(&t, "y");
    int rc = bt_node(&t, op, 1, &x, 1, &y, NULL);
    if (!rc)
        rc = bt_prepare(&t, 1);
    bt_free(&t);
    return rc;
}

/* Runs the graph with its output tensor `out` placed at the same arena offset as `in` (what
 * a planner aliasing a view does) and checks that in's bytes are unchanged. */
static inline int bt_alias_ok(struct bt *t, int32_t in, int32_t out)
{
    uint64_t b = yolo_tensor_bytes(bt_t(t, in));
    uint8_t *save = malloc(b ? b : 1);
    if (!save)
        return 0;
    memcpy(save, op_check_ptr(&t->oc, in), b);
    uint64_t off = bt_t(t, out)->offset;
    bt_t(t, out)->offset = bt_t(t, in)->offset;
    int ok = op_check_run(&t->oc, 3) == 0 && memcmp(save, op_check_ptr(&t->oc, in), b) == 0;
    bt_t(t, out)->offset = off;
    free(save);
    return ok;
}

/* For a view op already prepared: output bytes equal input bytes (after nth = 1 and a split
 * over nth = 3) and aliasing is harmless. */
static inline int bt_view_ok(struct bt *t, int32_t in, int32_t out)
{
    uint64_t b = yolo_tensor_bytes(bt_t(t, in));
    if (b != yolo_tensor_bytes(bt_t(t, out)) || bt_t(t, in)->dtype != bt_t(t, out)->dtype)
        return 0;
    if (!bt_split_ok(t, 3))
        return 0;
    if (memcmp(op_check_ptr(&t->oc, in), op_check_ptr(&t->oc, out), b) != 0)
        return 0;
    return bt_alias_ok(t, in, out);
}

/* Output shape equals want[0..n). */
static inline int bt_shape_is(const struct yolo_tensor *T, int32_t n, const int64_t *want)
{
    if (T->ndim != n)
        return 0;
    for (int32_t i = 0; i < n; i++)
        if (T->shape[i] != want[i])
            return 0;
    return 1;
}

/* How a test passes axes to Squeeze / Unsqueeze / ReduceMax. */
enum bt_axes_form { BT_AXES_NONE, BT_AXES_ATTR, BT_AXES_INPUT, BT_AXES_RUNTIME, BT_AXES_BOTH };

/* One-node graph x -> op(axes) -> y with the axes in the given form (extra attributes may be
 * NULL). Returns the status of import + shape_fn; on success *t is prepared (free it). */
static inline int bt_axes_node(struct bt *t, enum yolo_op op, enum yolo_dtype dt, int32_t nin,
                               const int64_t *in, enum bt_axes_form form, int32_t na,
                               const int64_t *axes, const struct yolo_attr *extra, int n_extra,
                               int64_t opset, uint64_t seed, int32_t *x, int32_t *y)
{
    struct yolo_attr at[8];
    int nat = 0;
    for (int i = 0; i < n_extra && nat < 7; i++)
        at[nat++] = extra[i];
    if (form == BT_AXES_ATTR || form == BT_AXES_BOTH)
        at[nat++] = bt_attr_ints("axes", axes, na);
    struct yolo_attrs A = { at, nat, opset };
    int32_t ins[2];
    int32_t n_in = 1;
    bt_init(t);
    ins[0] = bt_in(t, "x", dt, nin, in);
    if (form == BT_AXES_INPUT || form == BT_AXES_BOTH)
        ins[n_in++] = bt_const_i64(t, "axes", na, axes);
    else if (form == BT_AXES_RUNTIME)
        ins[n_in++] = bt_in(t, "axes", YOLO_DT_I64, 1, (int64_t[]){ na });
    *x = ins[0];
    *y = bt_out(t, "y");
    int rc = bt_node(t, op, n_in, ins, 1, y, &A);
    if (!rc)
        rc = bt_prepare(t, seed);
    return rc;
}

/* Reads a uint64 seed from argv[1] or YOLO_TEST_SEED, else def; prints it. */
static inline uint64_t bt_seed(int argc, char **argv, const char *name, uint64_t def)
{
    uint64_t seed = def;
    const char *e = argc > 1 ? argv[1] : getenv("YOLO_TEST_SEED");
    if (e && *e)
        seed = strtoull(e, NULL, 0);
    printf("%s: seed %llu\n", name, (unsigned long long)seed);
    return seed;
}

#endif
