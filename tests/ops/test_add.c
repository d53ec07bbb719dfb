/* test_add.c: Add against a per-element oracle over broadcast shapes (float32, int64), int64
 * wrap-around, hand-computed broadcasts, the thread split, and rejected inputs. */
#include "bc_test.h"

static void ref_f32(const void *a, const void *b, void *y)
{
    *(float *)y = *(const float *)a + *(const float *)b;
}

static void ref_i64(const void *a, const void *b, void *y)
{
    *(int64_t *)y = (int64_t)((uint64_t) * (const int64_t *)a + (uint64_t) * (const int64_t *)b);
}

int main(int argc, char **argv)
{
    HARNESS_INIT(h, "test_add");
    uint64_t seed = bt_seed(argc, argv, "test_add", 20240601);
    bt_binary_driver(&h, YOLO_OP_ADD, YOLO_DT_F32, YOLO_DT_F32, NULL, ref_f32, seed);
    bt_binary_driver(&h, YOLO_OP_ADD, YOLO_DT_I64, YOLO_DT_I64, NULL, ref_i64, seed + 1);

    /* [2,1] + [3]: numpy outer sum */
    {
        float a[2] = { 1, 10 }, b[3] = { 1, 2, 3 }, y[6];
        float want[6] = { 2, 3, 4, 11, 12, 13 };
        int rc = bt_binary_small(YOLO_OP_ADD, NULL, YOLO_DT_F32, 2, (int64_t[]){ 2, 1 }, a,
                                 YOLO_DT_F32, 1, (int64_t[]){ 3 }, b, y, sizeof y);
        CHECK(&h, rc == 0 && memcmp(y, want, sizeof y) == 0, "[2,1]+[3] rc %d", rc);
    }
    /* int64 overflow wraps instead of being UB */
    {
        int64_t a[2] = { INT64_MAX, -5 }, b[1] = { 1 }, y[2];
        int rc = bt_binary_small(YOLO_OP_ADD, NULL, YOLO_DT_I64, 1, (int64_t[]){ 2 }, a,
                                 YOLO_DT_I64, 0, NULL, b, y, sizeof y);
        CHECK(&h, rc == 0 && y[0] == INT64_MIN && y[1] == -4, "int64 wrap rc %d", rc);
    }
    /* rejected: mixed dtypes, int32, shapes that do not broadcast, wrong arity */
    CHECK(&h, bt_binary_shape_rc(YOLO_OP_ADD, NULL, YOLO_DT_F32, 1, (int64_t[]){ 3 }, YOLO_DT_I64,
                                 1, (int64_t[]){ 3 }) == YOLO_ERR_UNSUPPORTED, "f32 + i64");
    CHECK(&h, bt_binary_shape_rc(YOLO_OP_ADD, NULL, YOLO_DT_I32, 1, (int64_t[]){ 3 }, YOLO_DT_I32,
                                 1, (int64_t[]){ 3 }) == YOLO_ERR_UNSUPPORTED, "i32 + i32");
    CHECK(&h, bt_binary_shape_rc(YOLO_OP_ADD, NULL, YOLO_DT_F32, 1, (int64_t[]){ 3 }, YOLO_DT_F32,
                                 1, (int64_t[]){ 4 }) != 0, "[3] + [4]");
    CHECK(&h, bt_binary_shape_rc(YOLO_OP_ADD, NULL, YOLO_DT_F32, 2, (int64_t[]){ 2, 3 },
                                 YOLO_DT_F32, 2, (int64_t[]){ 3, 1 }) != 0, "[2,3] + [3,1]");
    {
        struct bt t;
        bt_init(&t);
        int32_t a = bt_in(&t, "a", YOLO_DT_F32, 1, (int64_t[]){ 3 }), y = bt_out(&t, "y");
        int rc = bt_node(&t, YOLO_OP_ADD, 1, &a, 1, &y, NULL);
        if (!rc)
            rc = bt_prepare(&t, 1);
        CHECK(&h, rc == YOLO_ERR_FORMAT && strstr(t.d.msg, "input"), "one input: %d %s", rc,
              t.d.msg);
        bt_free(&t);
    }
    return harness_finish(&h);
}
