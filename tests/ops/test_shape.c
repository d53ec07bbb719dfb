/* test_shape.c: Shape over ranks 0..6 and any dtype, and the start/end slicing of opset 15
 * (the ONNX spec's examples: negative, clamped, empty); output int64 1-D; the thread split;
 * rejected attribute types and arity. */
#include "bc_test.h"

static int shape_graph(struct bt *t, enum yolo_dtype dt, int32_t r, const int64_t *d,
                       struct yolo_attr *at, int nat, int32_t *x, int32_t *y)
{
    struct yolo_attrs A = { at, nat, 15 };
    bt_init(t);
    *x = bt_in(t, "x", dt, r, d);
    *y = bt_out(t, "y");
    int rc = bt_node(t, YOLO_OP_SHAPE, 1, x, 1, y, &A);
    if (!rc)
        rc = bt_prepare(t, 1);
    return rc;
}

int main(int argc, char **argv)
{
    HARNESS_INIT(h, "test_shape");
    uint64_t seed = bt_seed(argc, argv, "test_shape", 20240622);
    (void)seed;
    enum yolo_dtype dts[3] = { YOLO_DT_F32, YOLO_DT_I64, YOLO_DT_BOOL };
    for (size_t si = 0; si < sizeof bt_shapes / sizeof bt_shapes[0]; si++)
        for (int v = 0; v < 3; v++) {
            const struct bt_shape *sh = &bt_shapes[si];
            struct bt t;
            int32_t x, y;
            int rc = shape_graph(&t, dts[v], sh->n, sh->s, NULL, 0, &x, &y);
            CHECK(&h, rc == 0, "shape %zu: %s", si, t.d.msg);
            if (!rc) {
                CHECK(&h, bt_t(&t, y)->dtype == YOLO_DT_I64 &&
                              bt_shape_is(bt_t(&t, y), 1, (int64_t[]){ sh->n }),
                      "shape %zu: out", si);
                CHECK(&h, bt_split_ok(&t, 3), "shape %zu: split", si);
                CHECK(&h, memcmp(op_check_ptr(&t.oc, y), sh->s, (size_t)sh->n * 8) == 0,
                      "shape %zu: values", si);
            }
            bt_free(&t);
        }

    /* start / end on [3, 4, 5]: has_start, start, has_end, end -> expected values */
    static const struct { int hs; int64_t s; int he; int64_t e; int32_t n; int64_t w[3]; } sl[] = {
        { 0, 0, 0, 0, 3, { 3, 4, 5 } },  { 1, 1, 0, 0, 2, { 4, 5 } },
        { 0, 0, 1, 1, 1, { 3 } },        { 1, -1, 0, 0, 1, { 5 } },
        { 0, 0, 1, -1, 2, { 3, 4 } },    { 1, 10, 0, 0, 0, { 0 } },
        { 0, 0, 1, 10, 3, { 3, 4, 5 } }, { 1, 1, 1, 2, 1, { 4 } },
        { 1, -10, 0, 0, 3, { 3, 4, 5 } }, { 1, 2, 1, 1, 0, { 0 } },
        { 1, INT64_MIN, 1, INT64_MAX, 3, { 3, 4, 5 } },
    };
    for (size_t i = 0; i < sizeof sl / sizeof sl[0]; i++) {
        struct yolo_attr at[2];
        int nat = 0;
        if (sl[i].hs)
            at[nat++] = bt_attr_int("start", sl[i].s);
        if (sl[i].he)
            at[nat++] = bt_attr_int("end", sl[i].e);
        struct bt t;
        int32_t x, y;
        int rc = shape_graph(&t, YOLO_DT_F32, 3, (int64_t[]){ 3, 4, 5 }, at, nat, &x, &y);
        if (!rc)
            rc = op_check_run(&t.oc, 2);
        CHECK(&h, rc == 0 && bt_shape_is(bt_t(&t, y), 1, (int64_t[]){ sl[i].n }) &&
                      memcmp(op_check_ptr(&t.oc, y), sl[i].w, (size_t)sl[i].n * 8) == 0,
              "slice case %zu", i);
        bt_free(&t);
    }

    {
        struct yolo_attr at[1] = { bt_attr_float("start", 1.0f) };
        struct bt t;
        int32_t x, y;
        CHECK(&h, shape_graph(&t, YOLO_DT_F32, 1, (int64_t[]){ 3 }, at, 1, &x, &y) ==
                      YOLO_ERR_FORMAT, "float start");
        bt_free(&t);
    }
    {
        struct bt t;
        bt_init(&t);
        int32_t x = bt_in(&t, "x", YOLO_DT_F32, 1, (int64_t[]){ 3 }), y = bt_out(&t, "y");
        bt_node(&t, YOLO_OP_SHAPE, 2, (int32_t[]){ x, x }, 1, &y, NULL);
        CHECK(&h, bt_prepare(&t, 1) == YOLO_ERR_FORMAT, "two inputs");
        bt_free(&t);
    }
    return harness_finish(&h);
}
