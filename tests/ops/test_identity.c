/* test_identity.c: Identity over ranks 0..6 and float32 / int64 / bool / int32 data: same
 * shape and dtype, bytes copied, thread split, harmless aliasing; wrong arity rejected. */
#include "bc_test.h"

int main(int argc, char **argv)
{
    HARNESS_INIT(h, "test_identity");
    uint64_t seed = bt_seed(argc, argv, "test_identity", 20240612);
    enum yolo_dtype dts[4] = { YOLO_DT_F32, YOLO_DT_I64, YOLO_DT_BOOL, YOLO_DT_I32 };
    for (int k = 0; k < 4; k++)
        for (size_t si = 0; si < sizeof bt_shapes / sizeof bt_shapes[0]; si++) {
            const struct bt_shape *sh = &bt_shapes[si];
            struct bt t;
            bt_init(&t);
            int32_t x = bt_in(&t, "x", dts[k], sh->n, sh->s), y = bt_out(&t, "y");
            int rc = bt_node(&t, YOLO_OP_IDENTITY, 1, &x, 1, &y, NULL);
            if (!rc)
                rc = bt_prepare(&t, seed + si);
            CHECK(&h, rc == 0, "%s shape %zu: %s", yolo_dtype_name(dts[k]), si, t.d.msg);
            if (!rc) {
                /* int32 inputs are not randomized by op_check: fill them */
                int64_t n = bt_numel(sh->n, sh->s);
                uint8_t *p = op_check_ptr(&t.oc, x);
                uint64_t s = seed + si;
                for (uint64_t i = 0; i < (uint64_t)n * yolo_dtype_size(dts[k]); i++)
                    p[i] = dts[k] == YOLO_DT_BOOL ? (uint8_t)(harness_rand(&s) & 1)
                                                  : (uint8_t)harness_rand(&s);
                CHECK(&h, bt_shape_is(bt_t(&t, y), sh->n, sh->s), "shape %zu", si);
                CHECK(&h, bt_view_ok(&t, x, y), "%s shape %zu: data", yolo_dtype_name(dts[k]), si);
            }
            bt_free(&t);
        }
    {
        struct bt t;
        bt_init(&t);
        int32_t x[2] = { bt_in(&t, "x", YOLO_DT_F32, 1, (int64_t[]){ 3 }),
                         bt_in(&t, "z", YOLO_DT_F32, 1, (int64_t[]){ 3 }) };
        int32_t y = bt_out(&t, "y");
        bt_node(&t, YOLO_OP_IDENTITY, 2, x, 1, &y, NULL);
        CHECK(&h, bt_prepare(&t, 1) == YOLO_ERR_FORMAT, "two inputs");
        bt_free(&t);
    }
    {
        /* unknown input shape */
        struct bt t;
        bt_init(&t);
        int32_t x = bt_in(&t, "x", YOLO_DT_F32, -1, NULL), y = bt_out(&t, "y");
        bt_node(&t, YOLO_OP_IDENTITY, 1, &x, 1, &y, NULL);
        CHECK(&h, bt_prepare(&t, 1) != 0, "unknown shape");
        bt_free(&t);
    }
    return harness_finish(&h);
}
