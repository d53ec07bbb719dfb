/* test_sigmoid.c: Sigmoid = 1 / (1 + exp(-x)) over ranks 0..6, exact against the formula, no
 * NaN from finite or infinite inputs, known values, monotonicity, thread split, rejected
 * dtypes. */
#include "bc_test.h"

static float ref(float x)
{
    return 1.0f / (1.0f + expf(-x));
}

static float run1(float v, int *rc)
{
    struct bt t;
    bt_init(&t);
    int32_t x = bt_in(&t, "x", YOLO_DT_F32, 0, NULL), y = bt_out(&t, "y");
    float out = -1.0f;
    *rc = bt_node(&t, YOLO_OP_SIGMOID, 1, &x, 1, &y, NULL);
    if (!*rc)
        *rc = bt_prepare(&t, 1);
    if (!*rc) {
        bt_set(&t, x, &v);
        *rc = op_check_run(&t.oc, 1);
        out = *(float *)op_check_ptr(&t.oc, y);
    }
    bt_free(&t);
    return out;
}

int main(int argc, char **argv)
{
    HARNESS_INIT(h, "test_sigmoid");
    uint64_t seed = bt_seed(argc, argv, "test_sigmoid", 20240607);
    bt_unary_driver(&h, YOLO_OP_SIGMOID, ref, -20.0f, 20.0f, seed);

    int rc;
    float v;
    v = run1(0.0f, &rc);
    CHECK(&h, rc == 0 && v == 0.5f, "sigmoid(0) = %g", (double)v);
    v = run1(-1000.0f, &rc);
    CHECK(&h, rc == 0 && v == 0.0f, "sigmoid(-1000) = %g", (double)v);
    v = run1(1000.0f, &rc);
    CHECK(&h, rc == 0 && v == 1.0f, "sigmoid(1000) = %g", (double)v);
    v = run1(-INFINITY, &rc);
    CHECK(&h, rc == 0 && v == 0.0f, "sigmoid(-inf) = %g", (double)v);
    v = run1(INFINITY, &rc);
    CHECK(&h, rc == 0 && v == 1.0f, "sigmoid(inf) = %g", (double)v);
    v = run1(2.0f, &rc);
    CHECK(&h, rc == 0 && fabs(v - 0.8807970779778823) < 1e-7, "sigmoid(2) = %.9g", (double)v);
    /* monotone, in [0, 1], never NaN over a sweep of finite inputs */
    float prev = -1.0f;
    int ok = 1;
    for (float x = -120.0f; x <= 120.0f && ok; x += 0.37f) {
        float s = ref(x);
        ok = !isnan(s) && s >= 0.0f && s <= 1.0f && s >= prev;
        prev = s;
    }
    CHECK(&h, ok, "sweep");

    CHECK(&h, bt_unary_shape_rc(YOLO_OP_SIGMOID, YOLO_DT_I64) == YOLO_ERR_UNSUPPORTED, "int64");
    CHECK(&h, bt_unary_shape_rc(YOLO_OP_SIGMOID, YOLO_DT_BOOL) == YOLO_ERR_UNSUPPORTED, "bool");
    {
        struct bt t;
        bt_init(&t);
        int32_t x[2] = { bt_in(&t, "x", YOLO_DT_F32, 1, (int64_t[]){ 3 }),
                         bt_in(&t, "z", YOLO_DT_F32, 1, (int64_t[]){ 3 }) };
        int32_t y = bt_out(&t, "y");
        bt_node(&t, YOLO_OP_SIGMOID, 2, x, 1, &y, NULL);
        CHECK(&h, bt_prepare(&t, 1) == YOLO_ERR_FORMAT, "two inputs");
        bt_free(&t);
    }
    return harness_finish(&h);
}
