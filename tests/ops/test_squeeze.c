/* test_squeeze.c: Squeeze with axes as an attribute (opset 11), as a const input (opset 13)
 * and absent (every size-1 dim), negative axes, an empty axes input (every size-1 dim, as
 * ONNX Runtime), scalar results, byte copy + thread split + harmless aliasing; rejected:
 * squeezing a dim that is not 1, out-of-range and repeated axes, non-constant axes. */
#include "bc_test.h"

static int scase(struct harness *h, int line, enum bt_axes_form form, int32_t nin,
                 const int64_t *in, int32_t na, const int64_t *axes, int32_t nw,
                 const int64_t *want, uint64_t seed)
{
    struct bt t;
    int32_t x, y;
    int rc = bt_axes_node(&t, YOLO_OP_SQUEEZE, YOLO_DT_F32, nin, in, form, na, axes, NULL, 0,
                          form == BT_AXES_ATTR ? 11 : 13, seed, &x, &y);
    if (!rc) {
        CHECK(h, bt_shape_is(bt_t(&t, y), nw, want), "line %d form %d: shape (rank %d)", line,
              form, bt_t(&t, y)->ndim);
        CHECK(h, bt_view_ok(&t, x, y), "line %d form %d: data", line, form);
    }
    bt_free(&t);
    return rc;
}

#define L(...) { __VA_ARGS__ }
#define OK_CASE(nin, in, na, ax, nw, want)                                                    \
    for (int f = BT_AXES_ATTR; f <= BT_AXES_INPUT; f++)                                       \
    CHECK(&h, scase(&h, __LINE__, (enum bt_axes_form)f, nin, (int64_t[])in, na,              \
                    (int64_t[])ax, nw, (int64_t[])want, seed) == 0,                           \
          "line %d form %d rejected", __LINE__, f)
#define NONE_CASE(nin, in, nw, want)                                                          \
    CHECK(&h, scase(&h, __LINE__, BT_AXES_NONE, nin, (int64_t[])in, 0, NULL, nw,             \
                    (int64_t[])want, seed) == 0,                                              \
          "line %d rejected", __LINE__)
#define BAD_CASE(nin, in, na, ax, form)                                                       \
    CHECK(&h, scase(&h, __LINE__, form, nin, (int64_t[])in, na, (int64_t[])ax, 0, NULL,      \
                    seed) != 0,                                                               \
          "line %d accepted", __LINE__)

int main(int argc, char **argv)
{
    HARNESS_INIT(h, "test_squeeze");
    uint64_t seed = bt_seed(argc, argv, "test_squeeze", 20240614);
    /* ONNX spec examples */
    OK_CASE(4, L(1, 3, 4, 5), 1, L(0), 3, L(3, 4, 5));
    OK_CASE(4, L(1, 3, 1, 5), 1, L(-2), 3, L(1, 3, 5));
    OK_CASE(5, L(1, 7, 1, 17, 1), 2, L(4, 0), 3, L(7, 1, 17));
    OK_CASE(1, L(1), 1, L(0), 0, L(0));
    OK_CASE(6, L(1, 2, 1, 3, 1, 1), 3, L(-1, 2, 0), 3, L(2, 3, 1));
    NONE_CASE(4, L(1, 3, 1, 5), 2, L(3, 5));
    NONE_CASE(3, L(1, 1, 1), 0, L(0));
    NONE_CASE(2, L(3, 7), 2, L(3, 7));
    NONE_CASE(3, L(1, 0, 1), 1, L(0));
    /* an empty axes input squeezes every size-1 dim */
    CHECK(&h, scase(&h, __LINE__, BT_AXES_INPUT, 3, (int64_t[]){ 1, 3, 1 }, 0, (int64_t[]){ 0 },
                    1, (int64_t[]){ 3 }, seed) == 0, "empty axes input");

    for (int f = BT_AXES_ATTR; f <= BT_AXES_INPUT; f++) {
        enum bt_axes_form form = (enum bt_axes_form)f;
        BAD_CASE(3, L(1, 3, 1), 1, L(1), form);
        BAD_CASE(3, L(1, 3, 1), 1, L(3), form);
        BAD_CASE(3, L(1, 3, 1), 1, L(-4), form);
        BAD_CASE(3, L(1, 3, 1), 2, L(0, -3), form);
        BAD_CASE(0, L(0), 1, L(0), form);
    }
    BAD_CASE(3, L(1, 3, 1), 1, L(0), BT_AXES_BOTH);
    {
        struct bt t;
        int32_t x, y;
        int rc = bt_axes_node(&t, YOLO_OP_SQUEEZE, YOLO_DT_F32, 2, (int64_t[]){ 1, 3 },
                              BT_AXES_RUNTIME, 1, (int64_t[]){ 0 }, NULL, 0, 13, seed, &x, &y);
        CHECK(&h, rc == YOLO_ERR_UNSUPPORTED && strstr(t.d.msg, "must be a constant"),
              "runtime axes: %d %s", rc, t.d.msg);
        bt_free(&t);
    }
    {
        struct bt t;
        int32_t x, y;

        struct yolo_attr bad[1] = { bt_attr_float("axes", 0.0f) };
        struct yolo_attrs A = { bad, 1, 11 };
        bt_init(&t);
        x = bt_in(&t, "x", YOLO_DT_F32, 2, (int64_t[]){ 1, 3 });
        y = bt_out(&t, "y");
        CHECK(&h, bt_node(&t, YOLO_OP_SQUEEZE, 1, &x, 1, &y, &A) == YOLO_ERR_FORMAT,
              "float axes attribute");
        bt_free(&t);
    }
    return harness_finish(&h);
}
