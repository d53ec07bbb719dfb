/* test_pow.c: Pow against a per-element oracle over broadcast shapes (float32 base with a
 * float32 or int64 exponent), YOLOv5's square by a scalar, integer exponents, the thread
 * split, rejected dtype combinations; the square (exponent 2) is a * a bit for bit on
 * special values, on floats where glibc's powf is 1 ulp off, and on 2^20 random bit
 * patterns (normal, subnormal, inf, NaN). */
#include <float.h>

#include "bc_test.h"

static float square_or_pow(float a, float b)
{
    return b == 2.0f ? a * a : powf(a, b);   /* as ops/pow.c: the exact square */
}

static void ref_ff(const void *a, const void *b, void *y)
{
    *(float *)y = square_or_pow(*(const float *)a, *(const float *)b);
}

static void ref_fi(const void *a, const void *b, void *y)
{
    *(float *)y = square_or_pow(*(const float *)a, (float)*(const int64_t *)b);
}

/* x ^ 2 through the reference kernel, for n bases; 0 if it ran */
static int square_all(const float *a, int64_t n, float *y, enum yolo_dtype edt)
{
    float two = 2.0f;
    int64_t two_i = 2;
    return bt_binary_small(YOLO_OP_POW, NULL, YOLO_DT_F32, 1, &n, a, edt, 0, NULL,
                           edt == YOLO_DT_F32 ? (const void *)&two : (const void *)&two_i, y,
                           sizeof(float) * (size_t)n);
}

static void check_square(struct harness *h, uint64_t seed)
{
    enum { N = 1 << 20, NS = 16 };
    float *a = malloc(sizeof(float) * N), *y = malloc(sizeof(float) * N);
    if (!a || !y) {
        free(a);
        free(y);
        return;
    }
    /* 0x1.8p-74 and 0x1.001p+63: glibc 2.36's powf gives 0x1.4p-147 and 0x1.002002p+126,
     * the exact squares round to 0x1p-147 and 0x1.002p+126 */
    const float special[NS] = { 0.0f, -0.0f, INFINITY, -INFINITY, NAN, 0x1p-149f, -0x1p-149f,
                                0x1.8p-74f, 0x1.001p+63f, -0x1.003p+63f, 0x1p64f, FLT_MAX,
                                FLT_MIN, 1.0f, -3.0f, 0x1.fffffep-64f };
    memcpy(a, special, sizeof special);
    uint64_t s = seed;
    for (int64_t i = NS; i < N; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        uint32_t u = (uint32_t)(s >> 32);
        memcpy(&a[i], &u, sizeof u);
    }
    for (int e = 0; e < 2; e++) {
        int rc = square_all(a, N, y, e ? YOLO_DT_I64 : YOLO_DT_F32);
        int64_t bad = 0;
        for (int64_t i = 0; !rc && i < N; i++) {
            float w = a[i] * a[i];
            bad += isnan(w) ? !isnan(y[i]) : memcmp(&w, &y[i], sizeof w) != 0;
        }
        CHECK(h, rc == 0 && bad == 0, "x^2 (%s exponent) is not x*x for %lld bases, rc %d",
              e ? "int64" : "float32", (long long)bad, rc);
    }
    free(a);
    free(y);
}

int main(int argc, char **argv)
{
    HARNESS_INIT(h, "test_pow");
    uint64_t seed = bt_seed(argc, argv, "test_pow", 20240605);
    bt_binary_driver(&h, YOLO_OP_POW, YOLO_DT_F32, YOLO_DT_F32, NULL, ref_ff, seed);
    bt_binary_driver(&h, YOLO_OP_POW, YOLO_DT_F32, YOLO_DT_I64, NULL, ref_fi, seed + 1);
    check_square(&h, seed + 2);

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
