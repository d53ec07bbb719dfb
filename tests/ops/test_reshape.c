/* test_reshape.c: Reshape with the ONNX spec's examples (0 copies a dim, one -1 inferred),
 * allowzero, YOLOv5's 4-D -> 5-D head reshape, int64 data, byte copy + thread split +
 * harmless aliasing, and rejected shapes (two -1, count mismatch, 0 past the input's rank,
 * allowzero with 0 and -1, non-constant or wrongly typed shape input). */
#include "bc_test.h"

/* Reshape of an input of shape in[0..nin) by the const shape s[0..ns): the shape_fn status;
 * on success the output shape must be want[0..nw) and the data must copy through. */
static int reshape_case(struct harness *h, int line, enum yolo_dtype dt, int32_t nin,
                        const int64_t *in, int32_t ns, const int64_t *s, int allowzero,
                        int32_t nw, const int64_t *want, uint64_t seed)
{
    struct bt t;
    bt_init(&t);
    struct yolo_attr at[1] = { bt_attr_int("allowzero", allowzero) };
    struct yolo_attrs A = { at, 1, 14 };
    int32_t x[2] = { bt_in(&t, "x", dt, nin, in), bt_const_i64(&t, "shape", ns, s) };
    int32_t y = bt_out(&t, "y");
    int rc = bt_node(&t, YOLO_OP_RESHAPE, 2, x, 1, &y, &A);
    if (!rc)
        rc = bt_prepare(&t, seed);
    if (!rc) {
        CHECK(h, bt_shape_is(bt_t(&t, y), nw, want), "line %d: output shape", line);
        CHECK(h, bt_view_ok(&t, x[0], y), "line %d: data copy", line);
        const struct yolo_node *n = bt_n(&t);
        int ok = n->params[1] == nw;
        for (int32_t i = 0; ok && i < nw; i++)
            ok = n->params[2 + i] == want[i];
        CHECK(h, ok, "line %d: resolved params", line);
    }
    bt_free(&t);
    return rc;
}

#define OK_CASE(nin, in, ns, s, az, nw, want)                                                 \
    CHECK(&h, reshape_case(&h, __LINE__, YOLO_DT_F32, nin, (int64_t[])in, ns, (int64_t[])s,  \
                           az, nw, (int64_t[])want, seed) == 0,                              \
          "line %d rejected", __LINE__)
#define BAD_CASE(nin, in, ns, s, az)                                                          \
    CHECK(&h, reshape_case(&h, __LINE__, YOLO_DT_F32, nin, (int64_t[])in, ns, (int64_t[])s,  \
                           az, 0, NULL, seed) != 0,                                          \
          "line %d accepted", __LINE__)
#define L(...) { __VA_ARGS__ }

int main(int argc, char **argv)
{
    HARNESS_INIT(h, "test_reshape");
    uint64_t seed = bt_seed(argc, argv, "test_reshape", 20240610);
    /* ONNX Reshape spec examples on a [2, 3, 4] input */
    OK_CASE(3, L(2, 3, 4), 3, L(4, 2, 3), 0, 3, L(4, 2, 3));
    OK_CASE(3, L(2, 3, 4), 2, L(2, 12), 0, 2, L(2, 12));
    OK_CASE(3, L(2, 3, 4), 4, L(2, 3, 2, 2), 0, 4, L(2, 3, 2, 2));
    OK_CASE(3, L(2, 3, 4), 1, L(24), 0, 1, L(24));
    OK_CASE(3, L(2, 3, 4), 3, L(2, -1, 2), 0, 3, L(2, 6, 2));
    OK_CASE(3, L(2, 3, 4), 4, L(-1, 2, 3, 4), 0, 4, L(1, 2, 3, 4));
    OK_CASE(3, L(2, 3, 4), 4, L(2, 0, 4, 1), 0, 4, L(2, 3, 4, 1));
    OK_CASE(3, L(2, 3, 4), 4, L(2, 0, 1, -1), 0, 4, L(2, 3, 1, 4));
    OK_CASE(3, L(2, 3, 4), 3, L(0, 0, -1), 0, 3, L(2, 3, 4));
    OK_CASE(3, L(2, 3, 4), 1, L(-1), 0, 1, L(24));
    /* allowzero: a 0 is a real empty dim */
    OK_CASE(3, L(0, 3, 4), 3, L(3, 4, 0), 1, 3, L(3, 4, 0));
    OK_CASE(3, L(0, 3, 4), 2, L(0, 12), 0, 2, L(0, 12));
    /* awkward sizes, scalar <-> [1], rank 6 */
    OK_CASE(2, L(7, 17), 3, L(17, 1, 7), 0, 3, L(17, 1, 7));
    OK_CASE(1, L(1), 0, L(0), 0, 0, L(0));
    OK_CASE(0, L(0), 2, L(1, -1), 0, 2, L(1, 1));
    OK_CASE(5, L(1, 3, 5, 1, 7), 6, L(1, 1, 3, 5, 7, 1), 0, 6, L(1, 1, 3, 5, 7, 1));
    /* YOLOv5's head: [1, 255, 4, 5] -> [1, 3, 85, 4, 5] */
    OK_CASE(4, L(1, 255, 4, 5), 5, L(1, 3, 85, 4, 5), 0, 5, L(1, 3, 85, 4, 5));
    CHECK(&h, reshape_case(&h, __LINE__, YOLO_DT_I64, 2, (int64_t[]){ 3, 5 }, 2,
                           (int64_t[]){ 5, -1 }, 0, 2, (int64_t[]){ 5, 3 }, seed) == 0,
          "int64 data");

    BAD_CASE(3, L(2, 3, 4), 2, L(-1, -1), 0);
    BAD_CASE(3, L(2, 3, 4), 2, L(5, 5), 0);
    BAD_CASE(3, L(2, 3, 4), 2, L(5, -1), 0);
    BAD_CASE(3, L(2, 3, 4), 2, L(-2, 12), 0);
    BAD_CASE(1, L(24), 3, L(2, 0, 12), 0);
    BAD_CASE(3, L(0, 3, 4), 2, L(0, -1), 1);
    BAD_CASE(3, L(2, 3, 4), 7, L(1, 1, 1, 1, 2, 3, 4), 0);
    BAD_CASE(3, L(2, 3, 4), 3, L(INT64_MAX, INT64_MAX, 2), 0);
    BAD_CASE(3, L(2, 3, 4), 3, L(0, 0, 0), 1);

    /* the shape must be a const int64 tensor */
    {
        struct bt t;
        bt_init(&t);
        int32_t x[2] = { bt_in(&t, "x", YOLO_DT_F32, 1, (int64_t[]){ 6 }),
                         bt_in(&t, "s", YOLO_DT_I64, 1, (int64_t[]){ 2 }) };
        int32_t y = bt_out(&t, "y");
        bt_node(&t, YOLO_OP_RESHAPE, 2, x, 1, &y, NULL);
        int rc = bt_prepare(&t, 1);
        CHECK(&h, rc == YOLO_ERR_UNSUPPORTED && strstr(t.d.msg, "must be a constant"),
              "runtime shape: %d %s", rc, t.d.msg);
        bt_free(&t);
    }
    {
        struct bt t;
        bt_init(&t);
        float sv[2] = { 2, 3 };
        int32_t x[2] = { bt_in(&t, "x", YOLO_DT_F32, 1, (int64_t[]){ 6 }),
                         bt_const(&t, "s", YOLO_DT_F32, 1, (int64_t[]){ 2 }, sv) };
        int32_t y = bt_out(&t, "y");
        bt_node(&t, YOLO_OP_RESHAPE, 2, x, 1, &y, NULL);
        CHECK(&h, bt_prepare(&t, 1) == YOLO_ERR_UNSUPPORTED, "float shape");
        bt_free(&t);
    }
    {
        struct bt t;
        bt_init(&t);
        struct yolo_attr at[1] = { bt_attr_int("allowzero", 2) };
        struct yolo_attrs A = { at, 1, 14 };
        int32_t x[2] = { bt_in(&t, "x", YOLO_DT_F32, 1, (int64_t[]){ 6 }),
                         bt_const_i64(&t, "s", 1, (int64_t[]){ 6 }) };
        int32_t y = bt_out(&t, "y");
        CHECK(&h, bt_node(&t, YOLO_OP_RESHAPE, 2, x, 1, &y, &A) == YOLO_ERR_FORMAT,
              "allowzero=2");
        bt_n(&t)->params[0] = 2;
        CHECK(&h, bt_prepare(&t, 1) == YOLO_ERR_FORMAT, "params allowzero=2");
        bt_free(&t);
    }
    {
        struct bt t;
        bt_init(&t);
        int32_t x = bt_in(&t, "x", YOLO_DT_F32, 1, (int64_t[]){ 6 }), y = bt_out(&t, "y");
        bt_node(&t, YOLO_OP_RESHAPE, 1, &x, 1, &y, NULL);
        CHECK(&h, bt_prepare(&t, 1) == YOLO_ERR_FORMAT, "missing shape input");
        bt_free(&t);
    }
    return harness_finish(&h);
}
