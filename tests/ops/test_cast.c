/* test_cast.c: Cast between float32, int64, int32 and bool, every pair, over odd shapes and
 * wide random values against an oracle, plus hand-checked edge values: truncation toward
 * zero, NaN -> 0, saturation of out-of-range floats and int64 -> int32, int64 -> float32
 * rounding, NaN -> true, nonzero bool bytes; the thread split; rejected target types. */
#include "bc_test.h"

static const enum yolo_dtype dts[4] = { YOLO_DT_F32, YOLO_DT_I64, YOLO_DT_I32, YOLO_DT_BOOL };

/* oracle: through double for floats (exact for float32 inputs) */
static void oracle(enum yolo_dtype from, const void *src, enum yolo_dtype to, void *dst)
{
    double f = 0;
    int64_t v = 0;
    int isf = 0;
    if (from == YOLO_DT_F32) {
        isf = 1;
        f = *(const float *)src;
    } else if (from == YOLO_DT_I64) {
        v = *(const int64_t *)src;
    } else if (from == YOLO_DT_I32) {
        v = *(const int32_t *)src;
    } else {
        v = *(const uint8_t *)src ? 1 : 0;
    }
    if (to == YOLO_DT_F32) {
        *(float *)dst = isf ? (float)f : (float)v;
    } else if (to == YOLO_DT_BOOL) {
        *(uint8_t *)dst = isf ? (f != 0 || isnan(f)) : v != 0;
    } else {
        double lo = to == YOLO_DT_I64 ? -9223372036854775808.0 : -2147483648.0;
        double hi = to == YOLO_DT_I64 ? 9223372036854775808.0 : 2147483648.0;
        int64_t lo_i = to == YOLO_DT_I64 ? INT64_MIN : INT32_MIN;
        int64_t hi_i = to == YOLO_DT_I64 ? INT64_MAX : INT32_MAX;
        int64_t r;
        if (isf)
            r = isnan(f) ? 0 : f >= hi ? hi_i : f < lo ? lo_i : (int64_t)trunc(f);
        else
            r = v > hi_i ? hi_i : v < lo_i ? lo_i : v;
        if (to == YOLO_DT_I64)
            *(int64_t *)dst = r;
        else
            *(int32_t *)dst = (int32_t)r;
    }
}

static void fill(enum yolo_dtype dt, void *p, int64_t n, uint64_t *s)
{
    static const float fspec[] = { 1.9f, -1.9f, NAN, 1e30f, -1e30f, INFINITY, -INFINITY, 0.5f,
                                   -0.0f, 0x1p63f, -0x1p63f, 0x1p31f, -0x1p31f, 2147483520.0f };
    for (int64_t i = 0; i < n; i++) {
        uint64_t r = harness_rand(s);
        switch (dt) {
        case YOLO_DT_F32:
            ((float *)p)[i] = i < 14 ? fspec[i]
                              : (r & 1) ? harness_randf(s, -100, 100)
                                        : harness_randf(s, -1, 1) * (float)(1ull << (r % 64));
            break;
        case YOLO_DT_I64:
            ((int64_t *)p)[i] = (r & 1) ? (int64_t)r : (int64_t)(r % 201) - 100;
            break;
        case YOLO_DT_I32: ((int32_t *)p)[i] = (int32_t)(uint32_t)r; break;
        default: ((uint8_t *)p)[i] = (uint8_t)(r & 1); break;
        }
    }
}

static int cast_graph(struct bt *t, enum yolo_dtype from, int64_t to, int32_t nd,
                      const int64_t *shape, int32_t *x, int32_t *y)
{
    struct yolo_attr at[1] = { bt_attr_int("to", to) };
    struct yolo_attrs A = { at, 1, 13 };
    bt_init(t);
    *x = bt_in(t, "x", from, nd, shape);
    *y = bt_out(t, "y");
    int rc = bt_node(t, YOLO_OP_CAST, 1, x, 1, y, &A);
    if (!rc)
        rc = bt_prepare(t, 1);
    return rc;
}

int main(int argc, char **argv)
{
    HARNESS_INIT(h, "test_cast");
    uint64_t seed = bt_seed(argc, argv, "test_cast", 20240616);
    uint64_t s = seed;
    for (int a = 0; a < 4; a++)
        for (int b = 0; b < 4; b++)
            for (size_t si = 0; si < sizeof bt_shapes / sizeof bt_shapes[0]; si++) {
                const struct bt_shape *sh = &bt_shapes[si];
                struct bt t;
                int32_t x, y;
                int rc = cast_graph(&t, dts[a], dts[b], sh->n, sh->s, &x, &y);
                CHECK(&h, rc == 0, "%s->%s: %s", yolo_dtype_name(dts[a]), yolo_dtype_name(dts[b]),
                      t.d.msg);
                if (rc) {
                    bt_free(&t);
                    continue;
                }
                CHECK(&h, bt_t(&t, y)->dtype == dts[b] && bt_shape_is(bt_t(&t, y), sh->n, sh->s),
                      "%s->%s shape %zu", yolo_dtype_name(dts[a]), yolo_dtype_name(dts[b]), si);
                int64_t n = bt_numel(sh->n, sh->s), bad = -1;
                fill(dts[a], op_check_ptr(&t.oc, x), n, &s);
                CHECK(&h, bt_split_ok(&t, 3), "%s->%s shape %zu: split", yolo_dtype_name(dts[a]),
                      yolo_dtype_name(dts[b]), si);
                size_t ea = yolo_dtype_size(dts[a]), eb = yolo_dtype_size(dts[b]);
                const uint8_t *X = op_check_ptr(&t.oc, x), *Y = op_check_ptr(&t.oc, y);
                for (int64_t i = 0; i < n && bad < 0; i++) {
                    uint8_t want[8];
                    oracle(dts[a], X + i * ea, dts[b], want);
                    int same = memcmp(want, Y + i * eb, eb) == 0;
                    if (dts[b] == YOLO_DT_F32) {
                        float wf, gf;
                        memcpy(&wf, want, 4);
                        memcpy(&gf, Y + i * eb, 4);
                        same = bt_same_f32(wf, gf);
                    }
                    if (!same)
                        bad = i;
                }
                CHECK(&h, bad < 0, "%s->%s shape %zu: element %lld", yolo_dtype_name(dts[a]),
                      yolo_dtype_name(dts[b]), si, (long long)bad);
                bt_free(&t);
            }

    /* hand-checked edge values */
    {
        struct bt t;
        int32_t x, y;
        float in[11] = { 1.9f, -1.9f, NAN, 1e30f, -1e30f, INFINITY, -INFINITY, -0.0f, 0x1p63f,
                         -0x1p63f, 0x1p62f };
        int64_t want[11] = { 1, -1, 0, INT64_MAX, INT64_MIN, INT64_MAX, INT64_MIN, 0, INT64_MAX,
                             INT64_MIN, (int64_t)1 << 62 };
        int rc = cast_graph(&t, YOLO_DT_F32, YOLO_DT_I64, 1, (int64_t[]){ 11 }, &x, &y);
        if (!rc) {
            bt_set(&t, x, in);
            rc = op_check_run(&t.oc, 2);
        }
        CHECK(&h, rc == 0 && memcmp(op_check_ptr(&t.oc, y), want, sizeof want) == 0, "f32->i64");
        bt_free(&t);
    }
    {
        struct bt t;
        int32_t x, y;
        float in[5] = { 3e9f, -3e9f, 2147483520.0f, -2147483648.0f, -7.99f };
        int32_t want[5] = { INT32_MAX, INT32_MIN, 2147483520, INT32_MIN, -7 };
        int rc = cast_graph(&t, YOLO_DT_F32, YOLO_DT_I32, 1, (int64_t[]){ 5 }, &x, &y);
        if (!rc) {
            bt_set(&t, x, in);
            rc = op_check_run(&t.oc, 2);
        }
        CHECK(&h, rc == 0 && memcmp(op_check_ptr(&t.oc, y), want, sizeof want) == 0, "f32->i32");
        bt_free(&t);
    }
    {
        struct bt t;
        int32_t x, y;
        int64_t in[4] = { (int64_t)1 << 40, -((int64_t)1 << 40), INT32_MIN, 123 };
        int32_t want[4] = { INT32_MAX, INT32_MIN, INT32_MIN, 123 };
        int rc = cast_graph(&t, YOLO_DT_I64, YOLO_DT_I32, 1, (int64_t[]){ 4 }, &x, &y);
        if (!rc) {
            bt_set(&t, x, in);
            rc = op_check_run(&t.oc, 2);
        }
        CHECK(&h, rc == 0 && memcmp(op_check_ptr(&t.oc, y), want, sizeof want) == 0, "i64->i32");
        bt_free(&t);
    }
    {
        /* int64 -> float32 rounds once: 2^60 + 2^36 + 1 is just above half an ulp (2^37) and
         * rounds up to 2^60 + 2^37; through double it would round twice, down to 2^60 */
        struct bt t;
        int32_t x, y;
        int64_t in[3] = { 16777217, ((int64_t)1 << 60) + ((int64_t)1 << 36) + 1, -3 };
        float want[3] = { 16777216.0f, 0x1.000002p60f, -3.0f };
        int rc = cast_graph(&t, YOLO_DT_I64, YOLO_DT_F32, 1, (int64_t[]){ 3 }, &x, &y);
        if (!rc) {
            bt_set(&t, x, in);
            rc = op_check_run(&t.oc, 2);
        }
        CHECK(&h, rc == 0 && memcmp(op_check_ptr(&t.oc, y), want, sizeof want) == 0, "i64->f32");
        bt_free(&t);
    }
    {
        struct bt t;
        int32_t x, y;
        float in[5] = { 0.0f, -0.0f, NAN, 0.1f, -1e-30f };
        uint8_t want[5] = { 0, 0, 1, 1, 1 };
        int rc = cast_graph(&t, YOLO_DT_F32, YOLO_DT_BOOL, 1, (int64_t[]){ 5 }, &x, &y);
        if (!rc) {
            bt_set(&t, x, in);
            rc = op_check_run(&t.oc, 2);
        }
        CHECK(&h, rc == 0 && memcmp(op_check_ptr(&t.oc, y), want, sizeof want) == 0, "f32->bool");
        bt_free(&t);
    }
    {
        struct bt t;
        int32_t x, y;
        uint8_t in[3] = { 0, 1, 2 };
        float want[3] = { 0, 1, 1 };
        int rc = cast_graph(&t, YOLO_DT_BOOL, YOLO_DT_F32, 1, (int64_t[]){ 3 }, &x, &y);
        if (!rc) {
            bt_set(&t, x, in);
            rc = op_check_run(&t.oc, 2);
        }
        CHECK(&h, rc == 0 && memcmp(op_check_ptr(&t.oc, y), want, sizeof want) == 0, "bool->f32");
        bt_free(&t);
    }

    /* rejected: float16 / uint8 / unknown targets, float64 input, missing `to` */
    int64_t bad_to[4] = { YOLO_DT_F16, YOLO_DT_U8, 99, YOLO_DT_F64 };
    for (int i = 0; i < 4; i++) {
        struct bt t;
        int32_t x, y;
        CHECK(&h, cast_graph(&t, YOLO_DT_F32, bad_to[i], 1, (int64_t[]){ 3 }, &x, &y) ==
                      YOLO_ERR_UNSUPPORTED, "to %lld", (long long)bad_to[i]);
        bt_free(&t);
    }
    {
        struct bt t;
        int32_t x, y;
        CHECK(&h, cast_graph(&t, YOLO_DT_F64, YOLO_DT_F32, 1, (int64_t[]){ 3 }, &x, &y) ==
                      YOLO_ERR_UNSUPPORTED, "f64 input");
        bt_free(&t);
    }
    {
        struct bt t;
        bt_init(&t);
        int32_t x = bt_in(&t, "x", YOLO_DT_F32, 1, (int64_t[]){ 3 }), y = bt_out(&t, "y");
        CHECK(&h, bt_node(&t, YOLO_OP_CAST, 1, &x, 1, &y, NULL) == YOLO_ERR_FORMAT, "no 'to'");
        bt_free(&t);
    }
    return harness_finish(&h);
}
