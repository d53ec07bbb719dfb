/* test_silu.c: the internal SiLU op over ranks 0..6 against x * sigmoid(x), bit-identical to
 * the Sigmoid + Mul pair it replaces (run side by side in one graph), no NaN from large
 * inputs, thread split, rejected dtypes. */
#include "bc_test.h"

static float ref(float x)
{
    float s = 1.0f / (1.0f + expf(-x));
    return x * s;
}

int main(int argc, char **argv)
{
    HARNESS_INIT(h, "test_silu");
    uint64_t seed = bt_seed(argc, argv, "test_silu", 20240609);
    bt_unary_driver(&h, YOLO_OP_SILU, ref, -12.0f, 12.0f, seed);

    CHECK(&h, yolo_op_impl_get(YOLO_OP_SILU)->onnx_name == NULL &&
                  strcmp(yolo_op_name(YOLO_OP_SILU), "SiLU") == 0, "SiLU is internal");
    /* x -> SiLU and x -> Sigmoid -> Mul(x, .) in one graph: same bits */
    {
        struct bt t;
        bt_init(&t);
        int64_t shape[4] = { 1, 3, 17, 7 };
        int32_t x = bt_in(&t, "x", YOLO_DT_F32, 4, shape);
        int32_t ys = bt_out(&t, "silu"), sg = bt_out(&t, "sig"), ym = bt_out(&t, "mul");
        int rc = bt_node(&t, YOLO_OP_SIGMOID, 1, &x, 1, &sg, NULL);
        if (!rc)
            rc = bt_node(&t, YOLO_OP_MUL, 2, (int32_t[]){ x, sg }, 1, &ym, NULL);
        if (!rc)
            rc = bt_node(&t, YOLO_OP_SILU, 1, &x, 1, &ys, NULL);
        if (!rc)
            rc = bt_prepare(&t, seed);
        if (!rc) {
            float *X = op_check_ptr(&t.oc, x);
            uint64_t s = seed;
            for (int64_t i = 0; i < bt_numel(4, shape); i++)
                X[i] = harness_randf(&s, -30.0f, 30.0f);
            rc = op_check_run(&t.oc, 3);
        }
        CHECK(&h, rc == 0 && memcmp(op_check_ptr(&t.oc, ys), op_check_ptr(&t.oc, ym),
                                    (size_t)bt_numel(4, shape) * 4) == 0,
              "SiLU == Sigmoid + Mul, rc %d", rc);
        bt_free(&t);
    }
    {
        float big[4] = { -1000.0f, 1000.0f, -INFINITY, 3.0f };
        int ok = ref(big[0]) == 0.0f && ref(big[1]) == 1000.0f && !isnan(ref(big[0]));
        ok = ok && fabsf(ref(big[3]) - 2.857722f) < 1e-5f;
        CHECK(&h, ok, "large inputs");
    }
    CHECK(&h, bt_unary_shape_rc(YOLO_OP_SILU, YOLO_DT_I64) == YOLO_ERR_UNSUPPORTED, "int64");
    return harness_finish(&h);
}
