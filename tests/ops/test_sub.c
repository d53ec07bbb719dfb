/* test_sub.c: Sub against a per-element oracle over broadcast shapes (float32, int64), operand
 * order, int64 wrap-around, the thread split, and rejected inputs. */
#include "bc_test.h"

static void ref_f32(const void *a, const void *b, void *y)
{
    *(float *)y = *(const float *)a - *(const float *)b;
}

static void ref_i64(const void *a, const void *b, void *y)
{
    *(int64_t *)y = (int64_t)((uint64_t) * (const int64_t *)a - (uint64_t) * (const int64_t *)b);
}

int main(int argc, char **argv)
{
    HARNESS_INIT(h, "test_sub");
    uint64_t seed = bt_seed(argc, argv, "test_sub", 20240602);
    bt_binary_driver(&h, YOLO_OP_SUB, YOLO_DT_F32, YOLO_DT_F32, NULL, ref_f32, seed);
    bt_binary_driver(&h, YOLO_OP_SUB, YOLO_DT_I64, YOLO_DT_I64, NULL, ref_i64, seed + 1);

    /* scalar on the left: 10 - [1,2,3] (YOLOv8's anchor math has const - tensor) */
    {
        float a[1] = { 10 }, b[3] = { 1, 2, 3 }, y[3], want[3] = { 9, 8, 7 };
        int rc = bt_binary_small(YOLO_OP_SUB, NULL, YOLO_DT_F32, 0, NULL, a, YOLO_DT_F32, 1,
                                 (int64_t[]){ 3 }, b, y, sizeof y);
        CHECK(&h, rc == 0 && memcmp(y, want, sizeof y) == 0, "10 - [1,2,3] rc %d", rc);
    }
    {
        int64_t a[2] = { INT64_MIN, 3 }, b[2] = { 1, 5 }, y[2];
        int rc = bt_binary_small(YOLO_OP_SUB, NULL, YOLO_DT_I64, 1, (int64_t[]){ 2 }, a,
                                 YOLO_DT_I64, 1, (int64_t[]){ 2 }, b, y, sizeof y);
        CHECK(&h, rc == 0 && y[0] == INT64_MAX && y[1] == -2, "int64 wrap rc %d", rc);
    }
    CHECK(&h, bt_binary_shape_rc(YOLO_OP_SUB, NULL, YOLO_DT_I64, 1, (int64_t[]){ 3 }, YOLO_DT_F32,
                                 1, (int64_t[]){ 3 }) == YOLO_ERR_UNSUPPORTED, "i64 - f32");
    CHECK(&h, bt_binary_shape_rc(YOLO_OP_SUB, NULL, YOLO_DT_F32, 2, (int64_t[]){ 2, 3 },
                                 YOLO_DT_F32, 1, (int64_t[]){ 2 }) != 0, "[2,3] - [2]");
    return harness_finish(&h);
}
