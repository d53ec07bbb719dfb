/* test_pow.c: Pow against a per-element oracle over broadcast shapes (float32 base with a
 * float32 or int64 exponent), YOLOv5's square by a scalar, integer exponents, the thread
 * split, rejected dtype combinations. */
#include "bc_test.h"

static void ref_ff(const void *a, const void *b, void *y)
{
    *(float *)y = powf(*(const float *)a, *(const float *)b);
}

static void ref_fi(const void *a, const void *b, void *y)
{
    *(float *)y = powf(*(const float *)a, (float)*(const int64_t *)b);
}

int main(int argc, char **argv)
{
    HARNESS_INIT(h, "test_pow");
    uint64_t seed = bt_seed(argc, argv, "test_pow", 20240605);
    bt_binary_driver(&h, YOLO_OP_POW, YOLO_DT_F32, YOLO_DT_F32, NULL, ref_ff, seed);
    bt_binary_driver(&h, YOLO_OP_POW, YOLO_DT_F32, YOLO_DT_I64, NULL, ref_fi, seed + 1);

    {
        float a[3] = { 1.5f, -3.0f, 0.0f }, b[1] = { 2.0f }, y[3], want[3] = { 2.25f, 9.0f, 0.0f };
        int rc = bt_binary_small(YOLO_OP_POW, NULL, YOLO_DT_F32, 1, (int64_t[]){ 3 }, a,
                                 YOLO_DT_F32, 0, NULL, b, y, sizeof y);
        CHECK(&h, rc == 0 && memcmp(y, want, sizeof y) == 0, "x^2 rc %d", rc);
    }
    {
        float a[1] = { 2.0f }, y[3], want[3] = { 0.5f, 1.0f, 8.0f };
        int64_t b[3] = { -1, 0, 3 };
        int rc = bt_binary_small(YOLO_OP_POW, NULL, YOLO_DT_F32, 1, (int64_t[]){ 1 }, a,
                                 YOLO_DT_I64, 1, (int64_t[]){ 3 }, b, y, sizeof y);
        CHECK(&h, rc == 0 && memcmp(y, want, sizeof y) == 0, "2^[-1,0,3] rc %d", rc);
    }
    {
        float a[1] = { -8.0f }, b[1] = { 0.5f }, y[1];
        int rc = bt_binary_small(YOLO_OP_POW, NULL, YOLO_DT_F32, 0, NULL, a, YOLO_DT_F32, 0, NULL,
                                 b, y, sizeof y);
        CHECK(&h, rc == 0 && isnan(y[0]), "(-8)^0.5 is NaN, rc %d", rc);
    }
    CHECK(&h, bt_binary_shape_rc(YOLO_OP_POW, NULL, YOLO_DT_I64, 1, (int64_t[]){ 3 }, YOLO_DT_I64,
                                 0, NULL) == YOLO_ERR_UNSUPPORTED, "i64 ^ i64");
    CHECK(&h, bt_binary_shape_rc(YOLO_OP_POW, NULL, YOLO_DT_F32, 1, (int64_t[]){ 3 }, YOLO_DT_I32,
                                 0, NULL) == YOLO_ERR_UNSUPPORTED, "f32 ^ i32");
    CHECK(&h, bt_binary_shape_rc(YOLO_OP_POW, NULL, YOLO_DT_F32, 1, (int64_t[]){ 3 }, YOLO_DT_F32,
                                 1, (int64_t[]){ 2 }) != 0, "[3] ^ [2]");
    return harness_finish(&h);
}
