/* test_flatten.c: Flatten for every axis in [-r, r] (axis 0 -> [1, numel], default axis 1),
 * a scalar input, YOLOv10's [1,300,1] axis 2, int64 data, byte copy + thread split + harmless
 * aliasing, and rejected axes. */
#include "bc_test.h"

/* shape_fn status; on success checks the output shape [want0, want1] and the data. */
static int flatten_case(struct harness *h, int line, enum yolo_dtype dt, int32_t nin,
                        const int64_t *in, int has_axis, int64_t axis, int64_t w0, int64_t w1,
                        uint64_t seed)
{
    struct bt t;
    bt_init(&t);
    struct yolo_attr at[1] = { bt_attr_int("axis", axis) };
    struct yolo_attrs A = { at, has_axis ? 1 : 0, 13 };
    int32_t x = bt_in(&t, "x", dt, nin, in), y = bt_out(&t, "y");
    int rc = bt_node(&t, YOLO_OP_FLATTEN, 1, &x, 1, &y, &A);
    if (!rc)
        rc = bt_prepare(&t, seed);
    if (!rc) {
        CHECK(h, bt_shape_is(bt_t(&t, y), 2, (int64_t[]){ w0, w1 }), "line %d axis %lld: shape "
              "[%lld, %lld]", line, (long long)axis, (long long)bt_t(&t, y)->shape[0],
              (long long)bt_t(&t, y)->shape[1]);
        CHECK(h, bt_view_ok(&t, x, y), "line %d: data", line);
    }
    bt_free(&t);
    return rc;
}

int main(int argc, char **argv)
{
    HARNESS_INIT(h, "test_flatten");
    uint64_t seed = bt_seed(argc, argv, "test_flatten", 20240611);
    int64_t s4[4] = { 2, 3, 4, 5 };
    int64_t want[5][2] = { { 1, 120 }, { 2, 60 }, { 6, 20 }, { 24, 5 }, { 120, 1 } };
    for (int64_t axis = -4; axis <= 4; axis++) {
        int64_t a = axis < 0 ? axis + 4 : axis;
        CHECK(&h, flatten_case(&h, __LINE__, YOLO_DT_F32, 4, s4, 1, axis, want[a][0], want[a][1],
                               seed) == 0, "axis %lld rejected", (long long)axis);
    }
    CHECK(&h, flatten_case(&h, __LINE__, YOLO_DT_F32, 4, s4, 0, 0, 2, 60, seed) == 0,
          "default axis");
    CHECK(&h, flatten_case(&h, __LINE__, YOLO_DT_I64, 3, (int64_t[]){ 1, 300, 1 }, 1, 2, 300, 1,
                           seed) == 0, "v10 [1,300,1] axis 2");
    CHECK(&h, flatten_case(&h, __LINE__, YOLO_DT_F32, 0, NULL, 1, 0, 1, 1, seed) == 0, "scalar");
    CHECK(&h, flatten_case(&h, __LINE__, YOLO_DT_F32, 5, (int64_t[]){ 3, 1, 7, 1, 17 }, 1, 3, 21,
                           17, seed) == 0, "rank 5");
    CHECK(&h, flatten_case(&h, __LINE__, YOLO_DT_F32, 2, (int64_t[]){ 0, 7 }, 1, 1, 0, 7, seed) ==
                  0, "empty");

    CHECK(&h, flatten_case(&h, __LINE__, YOLO_DT_F32, 4, s4, 1, 5, 0, 0, seed) == YOLO_ERR_FORMAT,
          "axis 5");
    CHECK(&h, flatten_case(&h, __LINE__, YOLO_DT_F32, 4, s4, 1, -5, 0, 0, seed) ==
                  YOLO_ERR_FORMAT, "axis -5");
    {
        struct bt t;
        bt_init(&t);
        int64_t v[1] = { 1 };
        struct yolo_attr at[1] = { bt_attr_ints("axis", v, 1) };
        struct yolo_attrs A = { at, 1, 13 };
        int32_t x = bt_in(&t, "x", YOLO_DT_F32, 1, (int64_t[]){ 3 }), y = bt_out(&t, "y");
        CHECK(&h, bt_node(&t, YOLO_OP_FLATTEN, 1, &x, 1, &y, &A) == YOLO_ERR_FORMAT,
              "axis as a list");
        bt_free(&t);
    }
    return harness_finish(&h);
}
