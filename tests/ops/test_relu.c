/* test_relu.c: Relu over ranks 0..6 against max(0, x), NaN kept, known values, thread split,
 * rejected dtypes and arity. */
#include "bc_test.h"

static float ref(float x)
{
    if (isnan(x))
        return x;
    return x > 0.0f ? x : 0.0f;
}

int main(int argc, char **argv)
{
    HARNESS_INIT(h, "test_relu");
    uint64_t seed = bt_seed(argc, argv, "test_relu", 20240608);
    bt_unary_driver(&h, YOLO_OP_RELU, ref, -3.0f, 3.0f, seed);
    {
        struct bt t;
        bt_init(&t);
        int32_t x = bt_in(&t, "x", YOLO_DT_F32, 2, (int64_t[]){ 1, 5 }), y = bt_out(&t, "y");
        int rc = bt_node(&t, YOLO_OP_RELU, 1, &x, 1, &y, NULL);
        if (!rc)
            rc = bt_prepare(&t, 1);
        float in[5] = { -2.5f, -0.0f, 0.0f, 1.25f, INFINITY };
        float want[5] = { 0, 0, 0, 1.25f, INFINITY };
        if (!rc) {
            bt_set(&t, x, in);
            rc = op_check_run(&t.oc, 2);
        }
        const float *got = rc ? NULL : op_check_ptr(&t.oc, y);
        int ok = got != NULL;
        for (int i = 0; ok && i < 5; i++)
            ok = got[i] == want[i];
        CHECK(&h, ok, "relu values rc %d", rc);
        bt_free(&t);
    }
    CHECK(&h, bt_unary_shape_rc(YOLO_OP_RELU, YOLO_DT_I64) == YOLO_ERR_UNSUPPORTED, "int64");
    {
        struct bt t;
        bt_init(&t);
        int32_t x = bt_in(&t, "x", YOLO_DT_F32, 1, (int64_t[]){ 3 });
        int32_t y[2] = { bt_out(&t, "y"), bt_out(&t, "z") };
        bt_node(&t, YOLO_OP_RELU, 1, &x, 2, y, NULL);
        CHECK(&h, bt_prepare(&t, 1) == YOLO_ERR_FORMAT, "two outputs");
        bt_free(&t);
    }
    return harness_finish(&h);
}
