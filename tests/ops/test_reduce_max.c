/* test_reduce_max.c: ReduceMax over ranks 0..5 and every subset of axes (attribute form,
 * opset 13, and const input form, opset 18; negative axes), keepdims 0/1, float32 (with NaN)
 * and int64, against an oracle; the ONNX spec example; reduce-all and noop_with_empty_axes;
 * empty reductions (-inf / INT64_MIN); YOLOv10's max over classes; the thread split; rejected
 * axes (repeated, out of range, not constant, given twice), attributes and dtypes. */
#include "bc_test.h"

static const struct bt_shape shapes[] = {
    { 0, { 0 } }, { 1, { 7 } }, { 2, { 3, 17 } }, { 3, { 1, 7, 5 } }, { 4, { 2, 3, 1, 5 } },
    { 5, { 2, 1, 3, 2, 3 } }, { 3, { 2, 0, 3 } },
};

/* oracle for the reduced set mask (bit i = dim i reduced) */
static void oracle(enum yolo_dtype dt, const struct bt_shape *sh, uint32_t mask, const void *X,
                   void *W)
{
    int64_t n_out = 1, idx[6];
    for (int32_t i = 0; i < sh->n; i++)
        if (!(mask & (1u << i)))
            n_out *= sh->s[i];
    for (int64_t o = 0; o < n_out; o++) {
        if (dt == YOLO_DT_F32)
            ((float *)W)[o] = -INFINITY;
        else
            ((int64_t *)W)[o] = INT64_MIN;
    }
    int64_t n = bt_numel(sh->n, sh->s);
    for (int64_t i = 0; i < n; i++) {
        bt_unravel(sh->n, sh->s, i, idx);
        int64_t o = 0;
        for (int32_t k = 0; k < sh->n; k++)
            if (!(mask & (1u << k)))
                o = o * sh->s[k] + idx[k];
        if (dt == YOLO_DT_F32) {
            float v = ((const float *)X)[i], *w = &((float *)W)[o];
            if (isnan(v) || v > *w)
                *w = isnan(*w) ? *w : v;
        } else if (((const int64_t *)X)[i] > ((int64_t *)W)[o]) {
            ((int64_t *)W)[o] = ((const int64_t *)X)[i];
        }
    }
}

static int rm_graph(struct bt *t, enum yolo_dtype dt, const struct bt_shape *sh,
                    enum bt_axes_form form, int32_t na, const int64_t *axes, int64_t keepdims,
                    int64_t noop, int32_t *x, int32_t *y)
{
    struct yolo_attr extra[2] = { bt_attr_int("keepdims", keepdims),
                                  bt_attr_int("noop_with_empty_axes", noop) };
    int64_t opset = form == BT_AXES_ATTR ? 13 : 18;
    return bt_axes_node(t, YOLO_OP_REDUCE_MAX, dt, sh->n, sh->s, form, na, axes, extra,
                        opset == 18 ? 2 : 1, opset, 1, x, y);
}

int main(int argc, char **argv)
{
    HARNESS_INIT(h, "test_reduce_max");
    uint64_t seed = bt_seed(argc, argv, "test_reduce_max", 20240621);
    uint64_t s = seed;
    for (size_t si = 0; si < sizeof shapes / sizeof shapes[0]; si++) {
        const struct bt_shape *sh = &shapes[si];
        for (uint32_t mask = 0; mask < (1u << sh->n) || (sh->n == 0 && mask == 0); mask++)
            for (int v = 0; v < 8; v++) {
                enum yolo_dtype dt = (v & 1) ? YOLO_DT_I64 : YOLO_DT_F32;
                int keep = (v >> 1) & 1;
                enum bt_axes_form form = (v & 4) ? BT_AXES_INPUT : BT_AXES_ATTR;
                int64_t axes[6];
                int32_t na = 0;
                for (int32_t i = 0; i < sh->n; i++)
                    if (mask & (1u << i))
                        axes[na++] = (i + v) % 2 ? i - sh->n : i; /* some negative */
                struct bt t;
                int32_t x, y;
                int rc = rm_graph(&t, dt, sh, form, na, axes, keep, 0, &x, &y);
                CHECK(&h, rc == 0, "shape %zu mask %u v %d: %s", si, mask, v, t.d.msg);
                if (rc) {
                    bt_free(&t);
                    continue;
                }
                /* no axes = reduce all */
                uint32_t eff = na ? mask : (1u << sh->n) - 1;
                int64_t ws[6];
                int32_t r = 0;
                for (int32_t i = 0; i < sh->n; i++)
                    if (!(eff & (1u << i)))
                        ws[r++] = sh->s[i];
                    else if (keep)
                        ws[r++] = 1;
                CHECK(&h, bt_shape_is(bt_t(&t, y), r, ws) && bt_t(&t, y)->dtype == dt,
                      "shape %zu mask %u keep %d: output shape", si, mask, keep);
                int64_t n = bt_numel(sh->n, sh->s);
                void *X = op_check_ptr(&t.oc, x);
                for (int64_t i = 0; i < n; i++) {
                    uint64_t q = harness_rand(&s);
                    if (dt == YOLO_DT_F32)
                        ((float *)X)[i] = q % 23 == 0 ? NAN : harness_randf(&s, -5, 5);
                    else
                        ((int64_t *)X)[i] = (int64_t)q;
                }
                CHECK(&h, bt_split_ok(&t, 3), "shape %zu mask %u: split", si, mask);
                uint64_t ob = yolo_tensor_bytes(bt_t(&t, y));
                uint8_t *want = malloc(ob + 8);
                oracle(dt, sh, eff, X, want);
                const uint8_t *Y = op_check_ptr(&t.oc, y);
                int ok = 1;
                for (uint64_t b = 0; ok && dt == YOLO_DT_F32 && b < ob; b += 4) {
                    float wf, gf;
                    memcpy(&wf, want + b, 4);
                    memcpy(&gf, Y + b, 4);
                    ok = bt_same_f32(wf, gf);
                }
                if (dt == YOLO_DT_I64)
                    ok = memcmp(want, Y, ob) == 0;
                CHECK(&h, ok, "shape %zu mask %u %s keep %d form %d: values", si, mask,
                      yolo_dtype_name(dt), keep, form);
                free(want);
                bt_free(&t);
            }
    }

    /* the ONNX spec example: axes [1], keepdims 1 */
    {
        float data[12] = { 5, 1, 20, 2, 30, 1, 40, 2, 55, 1, 60, 2 };
        float want[6] = { 20, 2, 40, 2, 60, 2 };
        struct bt_shape sh = { 3, { 3, 2, 2 } };
        struct bt t;
        int32_t x, y;
        int rc = rm_graph(&t, YOLO_DT_F32, &sh, BT_AXES_INPUT, 1, (int64_t[]){ 1 }, 1, 0, &x, &y);
        if (!rc) {
            bt_set(&t, x, data);
            rc = op_check_run(&t.oc, 2);
        }
        CHECK(&h, rc == 0 && bt_shape_is(bt_t(&t, y), 3, (int64_t[]){ 3, 1, 2 }) &&
                      memcmp(op_check_ptr(&t.oc, y), want, sizeof want) == 0, "spec example");
        bt_free(&t);
    }
    /* noop_with_empty_axes = 1 and no axes: identity */
    {
        struct bt_shape sh = { 2, { 3, 5 } };
        struct bt t;
        int32_t x, y;
        int rc = rm_graph(&t, YOLO_DT_F32, &sh, BT_AXES_NONE, 0, NULL, 0, 1, &x, &y);
        CHECK(&h, rc == 0 && bt_shape_is(bt_t(&t, y), 2, sh.s) && bt_split_ok(&t, 2) &&
                      memcmp(op_check_ptr(&t.oc, x), op_check_ptr(&t.oc, y), 60) == 0,
              "noop with empty axes");
        bt_free(&t);
        rc = rm_graph(&t, YOLO_DT_F32, &sh, BT_AXES_INPUT, 0, (int64_t[]){ 0 }, 0, 0, &x, &y);
        CHECK(&h, rc == 0 && bt_t(&t, y)->ndim == 0, "empty axes input reduces all");
        bt_free(&t);
    }
    /* empty reduction */
    {
        struct bt_shape sh = { 2, { 2, 0 } };
        struct bt t;
        int32_t x, y;
        int rc = rm_graph(&t, YOLO_DT_F32, &sh, BT_AXES_ATTR, 1, (int64_t[]){ 1 }, 0, 0, &x, &y);
        if (!rc)
            rc = op_check_run(&t.oc, 1);
        const float *Y = rc ? NULL : op_check_ptr(&t.oc, y);
        CHECK(&h, Y && Y[0] == -INFINITY && Y[1] == -INFINITY, "empty set -> -inf");
        bt_free(&t);
        rc = rm_graph(&t, YOLO_DT_I64, &sh, BT_AXES_ATTR, 1, (int64_t[]){ 1 }, 0, 0, &x, &y);
        if (!rc)
            rc = op_check_run(&t.oc, 1);
        const int64_t *YI = rc ? NULL : op_check_ptr(&t.oc, y);
        CHECK(&h, YI && YI[0] == INT64_MIN && YI[1] == INT64_MIN, "empty set -> INT64_MIN");
        bt_free(&t);
    }

    /* rejected */
    struct bt_shape sh3 = { 3, { 2, 3, 4 } };
    struct bt t;
    int32_t x, y;
    for (int f = BT_AXES_ATTR; f <= BT_AXES_INPUT; f++) {
        CHECK(&h, rm_graph(&t, YOLO_DT_F32, &sh3, f, 2, (int64_t[]){ 1, -2 }, 1, 0, &x, &y) ==
                      YOLO_ERR_FORMAT, "repeated axis, form %d", f);
        bt_free(&t);
        CHECK(&h, rm_graph(&t, YOLO_DT_F32, &sh3, f, 1, (int64_t[]){ 3 }, 1, 0, &x, &y) ==
                      YOLO_ERR_FORMAT, "axis 3, form %d", f);
        bt_free(&t);
        CHECK(&h, rm_graph(&t, YOLO_DT_F32, &sh3, f, 1, (int64_t[]){ -4 }, 1, 0, &x, &y) ==
                      YOLO_ERR_FORMAT, "axis -4, form %d", f);
        bt_free(&t);
    }
    CHECK(&h, rm_graph(&t, YOLO_DT_F32, &sh3, BT_AXES_RUNTIME, 1, (int64_t[]){ 0 }, 1, 0, &x,
                       &y) == YOLO_ERR_UNSUPPORTED && strstr(t.d.msg, "must be a constant"),
          "runtime axes");
    bt_free(&t);
    CHECK(&h, rm_graph(&t, YOLO_DT_F32, &sh3, BT_AXES_BOTH, 1, (int64_t[]){ 0 }, 1, 0, &x, &y) ==
                  YOLO_ERR_FORMAT, "axes twice");
    bt_free(&t);
    CHECK(&h, rm_graph(&t, YOLO_DT_F32, &sh3, BT_AXES_ATTR, 1, (int64_t[]){ 0 }, 2, 0, &x, &y) ==
                  YOLO_ERR_FORMAT, "keepdims 2");
    bt_free(&t);
    CHECK(&h, rm_graph(&t, YOLO_DT_I32, &sh3, BT_AXES_ATTR, 1, (int64_t[]){ 0 }, 1, 0, &x, &y) ==
                  YOLO_ERR_UNSUPPORTED, "int32");
    bt_free(&t);
    return harness_finish(&h);
}
