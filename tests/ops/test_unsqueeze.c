/* test_unsqueeze.c: Unsqueeze with axes as an attribute (opset 11) and as a const input
 * (opset 13): the ONNX spec's examples (one axis, two axes, unsorted axes, negative axes
 * counted on the output rank), scalar input, int64 data, byte copy + thread split + harmless
 * aliasing; rejected: repeated, out-of-range or missing axes, output rank > YOLO_MAX_DIMS,
 * non-constant axes, axes given twice. */
#include "bc_test.h"

static int ucase(struct harness *h, int line, enum bt_axes_form form, int32_t nin,
                 const int64_t *in, int32_t na, const int64_t *axes, int32_t nw,
                 const int64_t *want, uint64_t seed)
{
    struct bt t;
    int32_t x, y;
    int rc = bt_axes_node(&t, YOLO_OP_UNSQUEEZE, YOLO_DT_F32, nin, in, form, na, axes, NULL, 0,
                          form == BT_AXES_ATTR ? 11 : 13, seed, &x, &y);
    if (!rc) {
        CHECK(h, bt_shape_is(bt_t(&t, y), nw, want), "line %d form %d: shape", line, form);
        CHECK(h, bt_view_ok(&t, x, y), "line %d form %d: data", line, form);
    }
    bt_free(&t);
    return rc;
}

#define L(...) { __VA_ARGS__ }
#define OK_CASE(nin, in, na, ax, nw, want)                                                    \
    for (int f = BT_AXES_ATTR; f <= BT_AXES_INPUT; f++)                                       \
    CHECK(&h, ucase(&h, __LINE__, (enum bt_axes_form)f, nin, (int64_t[])in, na,              \
                    (int64_t[])ax, nw, (int64_t[])want, seed) == 0,                           \
          "line %d form %d rejected", __LINE__, f)
#define BAD_CASE(nin, in, na, ax, form)                                                       \
    CHECK(&h, ucase(&h, __LINE__, form, nin, (int64_t[])in, na, (int64_t[])ax, 0, NULL,      \
                    seed) != 0,                                                               \
          "line %d accepted", __LINE__)

int main(int argc, char **argv)
{
    HARNESS_INIT(h, "test_unsqueeze");
    uint64_t seed = bt_seed(argc, argv, "test_unsqueeze", 20240613);
    /* ONNX spec examples on x [3, 4, 5] */
    OK_CASE(3, L(3, 4, 5), 1, L(0), 4, L(1, 3, 4, 5));
    OK_CASE(3, L(3, 4, 5), 1, L(3), 4, L(3, 4, 5, 1));
    OK_CASE(3, L(3, 4, 5), 2, L(1, 4), 5, L(3, 1, 4, 5, 1));
    OK_CASE(3, L(3, 4, 5), 3, L(2, 4, 0), 6, L(1, 3, 1, 4, 1, 5));
    OK_CASE(3, L(3, 4, 5), 3, L(5, 4, 2), 6, L(3, 4, 1, 5, 1, 1));
    OK_CASE(4, L(1, 3, 1, 5), 1, L(-2), 5, L(1, 3, 1, 1, 5));
    /* scalar -> [1]; YOLOv10 [1,300] -> [1,300,1] */
    OK_CASE(0, L(0), 1, L(0), 1, L(1));
    OK_CASE(2, L(1, 300), 1, L(-1), 3, L(1, 300, 1));
    OK_CASE(1, L(7), 0, L(0), 1, L(7));
    {
        struct bt t;
        int32_t x, y;
        int rc = bt_axes_node(&t, YOLO_OP_UNSQUEEZE, YOLO_DT_I64, 2, (int64_t[]){ 3, 17 },
                              BT_AXES_INPUT, 1, (int64_t[]){ 1 }, NULL, 0, 13, seed, &x, &y);
        CHECK(&h, rc == 0 && bt_shape_is(bt_t(&t, y), 3, (int64_t[]){ 3, 1, 17 }) &&
                      bt_view_ok(&t, x, y), "int64 data");
        bt_free(&t);
    }

    for (int f = BT_AXES_ATTR; f <= BT_AXES_INPUT; f++) {
        enum bt_axes_form form = (enum bt_axes_form)f;
        BAD_CASE(3, L(3, 4, 5), 2, L(1, 1), form);
        BAD_CASE(3, L(3, 4, 5), 2, L(1, -4), form);
        BAD_CASE(3, L(3, 4, 5), 1, L(4), form);
        BAD_CASE(3, L(3, 4, 5), 1, L(-5), form);
        BAD_CASE(3, L(3, 4, 5), 4, L(0, 1, 2, 3), form);
        BAD_CASE(3, L(3, 4, 5), 7, L(0, 1, 2, 3, 4, 5, 6), form);
    }
    BAD_CASE(3, L(3, 4, 5), 1, L(0), BT_AXES_NONE);
    BAD_CASE(3, L(3, 4, 5), 1, L(0), BT_AXES_BOTH);
    {
        struct bt t;
        int32_t x, y;
        int rc = bt_axes_node(&t, YOLO_OP_UNSQUEEZE, YOLO_DT_F32, 1, (int64_t[]){ 3 },
                              BT_AXES_RUNTIME, 1, (int64_t[]){ 0 }, NULL, 0, 13, seed, &x, &y);
        CHECK(&h, rc == YOLO_ERR_UNSUPPORTED && strstr(t.d.msg, "must be a constant"),
              "runtime axes: %d %s", rc, t.d.msg);
        bt_free(&t);
    }
    {
        /* hostile params: an axes count beyond the params block */
        struct bt t;
        int32_t x, y;
        bt_axes_node(&t, YOLO_OP_UNSQUEEZE, YOLO_DT_F32, 1, (int64_t[]){ 3 }, BT_AXES_ATTR, 1,
                     (int64_t[]){ 0 }, NULL, 0, 11, seed, &x, &y);
        bt_n(&t)->params[1] = 100;
        op_check_release(&t.oc);
        CHECK(&h, bt_prepare(&t, 1) == YOLO_ERR_FORMAT, "params count 100");
        bt_n(&t)->params[1] = 1;
        bt_n(&t)->params[0] = 9;
        op_check_release(&t.oc);
        CHECK(&h, bt_prepare(&t, 1) == YOLO_ERR_FORMAT, "params source 9");
        bt_free(&t);
    }
    return harness_finish(&h);
}
