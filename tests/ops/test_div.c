/* test_div.c: Div against a per-element oracle over broadcast shapes (float32, int64 with zero
 * and negative divisors), int64 truncation toward zero, x / 0 = 0 and INT64_MIN / -1, float
 * division by zero, the thread split, rejected inputs. */
#include "bc_test.h"

static void ref_f32(const void *a, const void *b, void *y)
{
    *(float *)y = *(const float *)a / *(const float *)b;
}

/* independent of the kernel: truncation via magnitudes */
static void ref_i64(const void *pa, const void *pb, void *y)
{
    int64_t a = *(const int64_t *)pa, b = *(const int64_t *)pb;
    if (b == 0) {
        *(int64_t *)y = 0;
        return;
    }
    int64_t q = llabs(a) / llabs(b);
    *(int64_t *)y = ((a < 0) != (b < 0)) ? -q : q;
}

int main(int argc, char **argv)
{
    HARNESS_INIT(h, "test_div");
    uint64_t seed = bt_seed(argc, argv, "test_div", 20240604);
    bt_binary_driver(&h, YOLO_OP_DIV, YOLO_DT_F32, YOLO_DT_F32, NULL, ref_f32, seed);
    bt_binary_driver(&h, YOLO_OP_DIV, YOLO_DT_I64, YOLO_DT_I64, NULL, ref_i64, seed + 1);

    {
        int64_t a[6] = { 7, -7, 7, -7, 5, INT64_MIN }, b[6] = { 2, 2, -2, -2, 0, -1 }, y[6];
        int64_t want[6] = { 3, -3, -3, 3, 0, INT64_MIN };
        int rc = bt_binary_small(YOLO_OP_DIV, NULL, YOLO_DT_I64, 1, (int64_t[]){ 6 }, a,
                                 YOLO_DT_I64, 1, (int64_t[]){ 6 }, b, y, sizeof y);
        CHECK(&h, rc == 0 && memcmp(y, want, sizeof y) == 0, "int64 div rc %d: %lld %lld %lld %lld "
              "%lld %lld", rc, (long long)y[0], (long long)y[1], (long long)y[2], (long long)y[3],
              (long long)y[4], (long long)y[5]);
    }
    {
        /* YOLOv10: class = index / 80 on [1,300] int64 with a scalar divisor */
        int64_t a[3] = { 0, 79, 24000 - 1 }, b[1] = { 80 }, y[3], want[3] = { 0, 0, 299 };
        int rc = bt_binary_small(YOLO_OP_DIV, NULL, YOLO_DT_I64, 2, (int64_t[]){ 1, 3 }, a,
                                 YOLO_DT_I64, 0, NULL, b, y, sizeof y);
        CHECK(&h, rc == 0 && memcmp(y, want, sizeof y) == 0, "index / 80 rc %d", rc);
    }
    {
        float a[3] = { 1, -1, 0 }, b[1] = { 0 }, y[3];
        int rc = bt_binary_small(YOLO_OP_DIV, NULL, YOLO_DT_F32, 1, (int64_t[]){ 3 }, a,
                                 YOLO_DT_F32, 0, NULL, b, y, sizeof y);
        CHECK(&h, rc == 0 && isinf(y[0]) && y[0] > 0 && isinf(y[1]) && y[1] < 0 && isnan(y[2]),
              "float / 0 rc %d", rc);
    }
    CHECK(&h, bt_binary_shape_rc(YOLO_OP_DIV, NULL, YOLO_DT_F32, 1, (int64_t[]){ 3 }, YOLO_DT_I64,
                                 0, NULL) == YOLO_ERR_UNSUPPORTED, "f32 / i64");
    CHECK(&h, bt_binary_shape_rc(YOLO_OP_DIV, NULL, YOLO_DT_F32, 1, (int64_t[]){ 5 }, YOLO_DT_F32,
                                 1, (int64_t[]){ 2 }) != 0, "[5] / [2]");
    return harness_finish(&h);
}
