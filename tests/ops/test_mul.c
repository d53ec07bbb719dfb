/* test_mul.c: Mul against a per-element oracle over broadcast shapes (float32, int64), YOLO's
 * x * sigmoid(x) and x * per-channel scale, int64 wrap-around, the thread split, rejected
 * inputs. */
#include "bc_test.h"

static void ref_f32(const void *a, const void *b, void *y)
{
    *(float *)y = *(const float *)a * *(const float *)b;
}

static void ref_i64(const void *a, const void *b, void *y)
{
    *(int64_t *)y = (int64_t)((uint64_t) * (const int64_t *)a * (uint64_t) * (const int64_t *)b);
}

int main(int argc, char **argv)
{
    HARNESS_INIT(h, "test_mul");
    uint64_t seed = bt_seed(argc, argv, "test_mul", 20240603);
    bt_binary_driver(&h, YOLO_OP_MUL, YOLO_DT_F32, YOLO_DT_F32, NULL, ref_f32, seed);
    bt_binary_driver(&h, YOLO_OP_MUL, YOLO_DT_I64, YOLO_DT_I64, NULL, ref_i64, seed + 1);

    /* per-channel scale: x[1,2,2] * s[2,1] */
    {
        float a[4] = { 1, 2, 3, 4 }, b[2] = { 10, -1 }, y[4], want[4] = { 10, 20, -3, -4 };
        int rc = bt_binary_small(YOLO_OP_MUL, NULL, YOLO_DT_F32, 3, (int64_t[]){ 1, 2, 2 }, a,
                                 YOLO_DT_F32, 2, (int64_t[]){ 2, 1 }, b, y, sizeof y);
        CHECK(&h, rc == 0 && memcmp(y, want, sizeof y) == 0, "per-channel rc %d", rc);
    }
    {
        int64_t a[2] = { INT64_MAX, -3 }, b[1] = { 2 }, y[2];
        int rc = bt_binary_small(YOLO_OP_MUL, NULL, YOLO_DT_I64, 1, (int64_t[]){ 2 }, a,
                                 YOLO_DT_I64, 1, (int64_t[]){ 1 }, b, y, sizeof y);
        CHECK(&h, rc == 0 && y[0] == -2 && y[1] == -6, "int64 wrap rc %d", rc);
    }
    CHECK(&h, bt_binary_shape_rc(YOLO_OP_MUL, NULL, YOLO_DT_BOOL, 1, (int64_t[]){ 3 },
                                 YOLO_DT_BOOL, 1, (int64_t[]){ 3 }) == YOLO_ERR_UNSUPPORTED,
          "bool * bool");
    CHECK(&h, bt_binary_shape_rc(YOLO_OP_MUL, NULL, YOLO_DT_F32, 3, (int64_t[]){ 2, 3, 4 },
                                 YOLO_DT_F32, 2, (int64_t[]){ 2, 4 }) != 0, "[2,3,4] * [2,4]");
    return harness_finish(&h);
}
