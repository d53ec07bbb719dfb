/* test_mod.c: Mod with fmod = 0 (sign of the divisor, integers) and fmod = 1 (sign of the
 * dividend; int64 and float32) against independent oracles over broadcast shapes, the ONNX
 * spec examples, division by zero and INT64_MIN mod -1 (defined as 0), YOLOv10's index mod 80,
 * the thread split, rejected attributes and dtypes. */
#include "bc_test.h"

/* Python's %, through floor division in double (exact for the small test values) */
static void ref_floor(const void *pa, const void *pb, void *y)
{
    int64_t a = *(const int64_t *)pa, b = *(const int64_t *)pb;
    *(int64_t *)y = b == 0 ? 0 : a - b * (int64_t)floor((double)a / (double)b);
}

static void ref_trunc(const void *pa, const void *pb, void *y)
{
    int64_t a = *(const int64_t *)pa, b = *(const int64_t *)pb;
    *(int64_t *)y = b == 0 ? 0 : a - b * (int64_t)trunc((double)a / (double)b);
}

static void ref_f32(const void *a, const void *b, void *y)
{
    *(float *)y = fmodf(*(const float *)a, *(const float *)b);
}

int main(int argc, char **argv)
{
    HARNESS_INIT(h, "test_mod");
    uint64_t seed = bt_seed(argc, argv, "test_mod", 20240606);
    struct yolo_attr f0[1] = { bt_attr_int("fmod", 0) }, f1[1] = { bt_attr_int("fmod", 1) };
    struct yolo_attrs A0 = { f0, 1, 13 }, A1 = { f1, 1, 13 };
    bt_binary_driver(&h, YOLO_OP_MOD, YOLO_DT_I64, YOLO_DT_I64, &A0, ref_floor, seed);
    bt_binary_driver(&h, YOLO_OP_MOD, YOLO_DT_I64, YOLO_DT_I64, NULL, ref_floor, seed + 1);
    bt_binary_driver(&h, YOLO_OP_MOD, YOLO_DT_I64, YOLO_DT_I64, &A1, ref_trunc, seed + 2);
    bt_binary_driver(&h, YOLO_OP_MOD, YOLO_DT_F32, YOLO_DT_F32, &A1, ref_f32, seed + 3);

    /* the ONNX spec's examples */
    int64_t x[6] = { -4, 7, 5, 4, -7, 8 }, d[6] = { 2, -3, 8, -2, 3, 5 }, y[6];
    {
        int64_t want[6] = { 0, -2, 5, 0, 2, 3 };
        int rc = bt_binary_small(YOLO_OP_MOD, &A0, YOLO_DT_I64, 1, (int64_t[]){ 6 }, x,
                                 YOLO_DT_I64, 1, (int64_t[]){ 6 }, d, y, sizeof y);
        CHECK(&h, rc == 0 && memcmp(y, want, sizeof y) == 0, "fmod=0 spec example rc %d", rc);
    }
    {
        int64_t want[6] = { 0, 1, 5, 0, -1, 3 };
        int rc = bt_binary_small(YOLO_OP_MOD, &A1, YOLO_DT_I64, 1, (int64_t[]){ 6 }, x,
                                 YOLO_DT_I64, 1, (int64_t[]){ 6 }, d, y, sizeof y);
        CHECK(&h, rc == 0 && memcmp(y, want, sizeof y) == 0, "fmod=1 spec example rc %d", rc);
    }
    {
        float fx[6] = { -4.3f, 7.2f, 5.0f, 4.3f, -7.2f, 8.0f };
        float fd[6] = { 2.1f, -3.4f, 8.0f, -2.1f, 3.4f, 5.0f }, fy[6];
        int rc = bt_binary_small(YOLO_OP_MOD, &A1, YOLO_DT_F32, 1, (int64_t[]){ 6 }, fx,
                                 YOLO_DT_F32, 1, (int64_t[]){ 6 }, fd, fy, sizeof fy);
        int ok = rc == 0;
        float want[6] = { -0.1f, 0.4f, 5.0f, 0.1f, -0.4f, 3.0f };
        for (int i = 0; i < 6 && ok; i++)
            ok = fabsf(fy[i] - want[i]) < 1e-5f && fy[i] == fmodf(fx[i], fd[i]);
        CHECK(&h, ok, "float fmod spec example rc %d", rc);
    }
    {
        /* x mod 0 and INT64_MIN mod -1 are defined as 0, in both modes */
        int64_t a[3] = { 5, -5, INT64_MIN }, b[3] = { 0, 0, -1 }, want[3] = { 0, 0, 0 }, r[3];
        int rc = bt_binary_small(YOLO_OP_MOD, &A0, YOLO_DT_I64, 1, (int64_t[]){ 3 }, a,
                                 YOLO_DT_I64, 1, (int64_t[]){ 3 }, b, r, sizeof r);
        CHECK(&h, rc == 0 && memcmp(r, want, sizeof r) == 0, "fmod=0 by zero rc %d", rc);
        rc = bt_binary_small(YOLO_OP_MOD, &A1, YOLO_DT_I64, 1, (int64_t[]){ 3 }, a, YOLO_DT_I64,
                             1, (int64_t[]){ 3 }, b, r, sizeof r);
        CHECK(&h, rc == 0 && memcmp(r, want, sizeof r) == 0, "fmod=1 by zero rc %d", rc);
    }
    {
        int64_t a[3] = { 0, 81, 23999 }, b[1] = { 80 }, want[3] = { 0, 1, 79 }, r[3];
        int rc = bt_binary_small(YOLO_OP_MOD, &A0, YOLO_DT_I64, 2, (int64_t[]){ 1, 3 }, a,
                                 YOLO_DT_I64, 0, NULL, b, r, sizeof r);
        CHECK(&h, rc == 0 && memcmp(r, want, sizeof r) == 0, "index mod 80 rc %d", rc);
    }
    /* rejected: float with fmod=0, fmod=2, fmod of the wrong type, mixed dtypes */
    CHECK(&h, bt_binary_shape_rc(YOLO_OP_MOD, &A0, YOLO_DT_F32, 1, (int64_t[]){ 3 }, YOLO_DT_F32,
                                 1, (int64_t[]){ 3 }) == YOLO_ERR_UNSUPPORTED, "float fmod=0");
    {
        struct yolo_attr f2[1] = { bt_attr_int("fmod", 2) };
        struct yolo_attrs A2 = { f2, 1, 13 };
        CHECK(&h, bt_binary_shape_rc(YOLO_OP_MOD, &A2, YOLO_DT_I64, 1, (int64_t[]){ 3 },
                                     YOLO_DT_I64, 1, (int64_t[]){ 3 }) == YOLO_ERR_FORMAT,
              "fmod=2");
        f2[0] = bt_attr_float("fmod", 1.0f);
        CHECK(&h, bt_binary_shape_rc(YOLO_OP_MOD, &A2, YOLO_DT_I64, 1, (int64_t[]){ 3 },
                                     YOLO_DT_I64, 1, (int64_t[]){ 3 }) == YOLO_ERR_FORMAT,
              "fmod as a float");
    }
    CHECK(&h, bt_binary_shape_rc(YOLO_OP_MOD, &A1, YOLO_DT_F32, 1, (int64_t[]){ 3 }, YOLO_DT_I64,
                                 1, (int64_t[]){ 3 }) == YOLO_ERR_UNSUPPORTED, "f32 mod i64");
    {
        /* a hostile engine's params are re-checked by shape_fn */
        struct bt t;
        bt_init(&t);
        int32_t in[2] = { bt_in(&t, "a", YOLO_DT_I64, 1, (int64_t[]){ 3 }),
                          bt_in(&t, "b", YOLO_DT_I64, 1, (int64_t[]){ 3 }) };
        int32_t o = bt_out(&t, "y");
        bt_node(&t, YOLO_OP_MOD, 2, in, 1, &o, &A0);
        bt_n(&t)->params[0] = 7;
        CHECK(&h, bt_prepare(&t, 1) == YOLO_ERR_FORMAT, "params fmod=7");
        bt_free(&t);
    }
    return harness_finish(&h);
}
