/* ops/mod.c: Mod (ONNX opset 10, 13): element-wise remainder with multidirectional (numpy)
 * broadcasting; both inputs float32 or both int64.
 *
 * params[0] = fmod attribute (0 or 1, default 0).
 *
 * fmod = 0 (integers only, as the spec requires): the result has the sign of the divisor,
 *   like Python's %: Mod(-4, 3) = 2, Mod(4, -3) = -2.
 * fmod = 1: C fmod / %: the result has the sign of the dividend: Mod(-4, 3) = -1.
 * Integer x mod 0 is undefined in C and an error in ONNX Runtime; here it is defined as 0 (so
 * is INT64_MIN mod -1, whose C quotient overflows). float32 follows fmodf (x mod 0 = NaN). */
#include <math.h>

#include "broadcast.h"
#include "op_params.h"


static inline int64_t mod_floor_i64(int64_t a, int64_t b)
{
    if (b == 0 || b == -1)
        return 0;
    int64_t r = a % b;
    if (r != 0 && ((r < 0) != (b < 0)))
        r += b;
    return r;
}

static inline int64_t mod_trunc_i64(int64_t a, int64_t b)
{
    if (b == 0 || b == -1)
        return 0;
    return a % b;
}

YOLO_BC_RUN(mod_floor, int64_t, int64_t, int64_t, mod_floor_i64(a, b))
YOLO_BC_RUN(mod_trunc, int64_t, int64_t, int64_t, mod_trunc_i64(a, b))
YOLO_BC_RUN(mod_f32, float, float, float, fmodf(a, b))

static int mod_import(struct yolo_graph *g, struct yolo_node *n, struct yolo_attrs *a,
                      struct yolo_diag *d)
{
    (void)g;
    int bad = 0;
    int64_t fmod_attr = yolo_attr_int(a, "fmod", 0, &bad);
    if (bad || (fmod_attr != 0 && fmod_attr != 1))
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "attribute 'fmod' must be the int 0 or 1");
    n->params[YOLO_MOD_FMOD] = fmod_attr;
    return 0;
}

static int mod_shape(struct yolo_graph *g, struct yolo_node *n, struct yolo_diag *d)
{
    if (n->params[YOLO_MOD_FMOD] != 0 && n->params[YOLO_MOD_FMOD] != 1)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "fmod %lld is not 0 or 1",
                               (long long)n->params[YOLO_MOD_FMOD]);
    int rc = yolo_bc_arith_shape(g, n, d);
    if (rc)
        return rc;
    if (g->tensors[n->in[0]].dtype == YOLO_DT_F32 && n->params[YOLO_MOD_FMOD] == 0)
        return yolo_node_error(d, YOLO_ERR_UNSUPPORTED, n, "float inputs need fmod=1 (ONNX Mod)");
    return 0;
}

static void mod_ref(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth)
{
    yolo_bc_run_fn run = mod_f32;
    if (x->g->tensors[n->in[0]].dtype == YOLO_DT_I64)
        run = n->params[YOLO_MOD_FMOD] ? mod_trunc : mod_floor;
    yolo_bc_binary_kernel(x, n, ith, nth, run, NULL);
}

const struct yolo_op_impl yolo_op_mod = {
    "Mod", "Mod", mod_import, mod_shape, mod_ref, NULL
};
