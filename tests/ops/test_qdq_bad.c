/* test_qdq_bad.c: hostile QuantizeLinear / DequantizeLinear / QConv parameters give one clear
 * error at import or shape inference, never a crash: zero, negative, NaN, infinite and
 * denormal scales, zero points of the wrong dtype or count, axis out of range, blocked
 * quantization, non-constant scales, unsupported dtypes; QConv zero points out of range and
 * a bias beyond the accumulator bound. Each case prints nothing on success. */
#include "bc_test.h"
#include "ops/op_params.h"
#include "ops/quant.h"

struct qcase {
    const char *what;
    int quant;                /* 1 QuantizeLinear, 0 DequantizeLinear */
    enum yolo_dtype xdt;      /* DQ input dtype */
    float scale;
    int nscale;               /* scale values (1: scalar) */
    enum yolo_dtype zdt;      /* UNDEF: no zero point */
    int nzp;
    int64_t axis, block, odt;
    int scale_input;          /* 1: the scale is a graph input, not a constant */
    const char *expect;       /* a word the message must contain */
};

static int build(struct bt *t, const struct qcase *c)
{
    int64_t xs[4] = { 1, 3, 4, 5 }, ns = c->nscale, nz = c->nzp;
    float sc[8];
    uint8_t zp[8] = { 0 };
    int32_t zi[8] = { 0 };
    for (int i = 0; i < 8; i++)
        sc[i] = c->scale;
    int32_t in[3];
    in[0] = bt_in(t, "x", c->quant ? YOLO_DT_F32 : c->xdt, 4, xs);
    in[1] = c->scale_input ? bt_in(t, "s", YOLO_DT_F32, 0, &ns)
                           : bt_const(t, "s", YOLO_DT_F32, ns > 1 ? 1 : 0, &ns, sc);
    int n_in = 2;
    if (c->zdt != YOLO_DT_UNDEF) {
        in[2] = bt_const(t, "z", c->zdt, nz > 1 ? 1 : 0, &nz, c->zdt == YOLO_DT_I32 ? (void *)zi : (void *)zp);
        n_in = 3;
    }
    int32_t y = bt_out(t, "y");
    struct yolo_attr a[3] = { bt_attr_int("axis", c->axis), bt_attr_int("block_size", c->block),
                              bt_attr_int("output_dtype", c->odt) };
    struct yolo_attrs at = { a, c->quant ? 3 : 2, 21 };
    int rc = bt_node(t, c->quant ? YOLO_OP_QUANTIZE_LINEAR : YOLO_OP_DEQUANTIZE_LINEAR, n_in, in,
                     1, &y, &at);
    return rc ? rc : bt_prepare(t, 1);
}

int main(void)
{
    HARNESS_INIT(h, "test_qdq_bad");
    const enum yolo_dtype U8 = YOLO_DT_U8, I8 = YOLO_DT_I8, NONE = YOLO_DT_UNDEF;
    static const struct qcase ok[] = {
        { "per tensor u8", 1, 0, 0.1f, 1, YOLO_DT_U8, 1, 1, 0, 0, 0, NULL },
        { "per axis i8", 0, YOLO_DT_I8, 0.1f, 3, YOLO_DT_I8, 3, 1, 0, 0, 0, NULL },
        { "no zero point", 1, 0, 0.1f, 1, YOLO_DT_UNDEF, 0, 1, 0, 0, 0, NULL },
        { "output_dtype int8", 1, 0, 0.1f, 1, YOLO_DT_UNDEF, 0, 1, 0, YOLO_DT_I8, 0, NULL },
        { "int32 bias", 0, YOLO_DT_I32, 0.1f, 1, YOLO_DT_I32, 1, 1, 0, 0, 0, NULL },
    };
    static const struct qcase bad[] = {
        { "zero scale", 1, 0, 0.0f, 1, YOLO_DT_U8, 1, 1, 0, 0, 0, "scale" },
        { "negative scale", 0, YOLO_DT_U8, -1.0f, 1, YOLO_DT_U8, 1, 1, 0, 0, 0, "scale" },
        { "NaN scale", 1, 0, NAN, 1, YOLO_DT_U8, 1, 1, 0, 0, 0, "scale" },
        { "infinite scale", 1, 0, INFINITY, 1, YOLO_DT_U8, 1, 1, 0, 0, 0, "scale" },
        { "denormal scale", 1, 0, 1e-45f, 1, YOLO_DT_U8, 1, 1, 0, 0, 0, "scale" },
        { "zp dtype", 0, YOLO_DT_U8, 0.1f, 1, YOLO_DT_I8, 1, 1, 0, 0, 0, "zero point" },
        { "zp count", 0, YOLO_DT_I8, 0.1f, 3, YOLO_DT_I8, 2, 1, 0, 0, 0, "zero point" },
        { "axis out of range", 1, 0, 0.1f, 3, YOLO_DT_U8, 3, 7, 0, 0, 0, "axis" },
        { "scales vs axis size", 1, 0, 0.1f, 4, YOLO_DT_U8, 4, 1, 0, 0, 0, "scales" },
        { "blocked", 1, 0, 0.1f, 1, YOLO_DT_U8, 1, 1, 2, 0, 0, "block" },
        { "output_dtype float", 1, 0, 0.1f, 1, YOLO_DT_UNDEF, 0, 1, 0, YOLO_DT_F32, 0, "output_dtype" },
        { "output_dtype vs zp", 1, 0, 0.1f, 1, YOLO_DT_U8, 1, 1, 0, YOLO_DT_I8, 0, "output_dtype" },
        { "scale not const", 1, 0, 0.1f, 1, YOLO_DT_U8, 1, 1, 0, 0, 1, "constant" },
        { "DQ of float", 0, YOLO_DT_F32, 0.1f, 1, YOLO_DT_UNDEF, 0, 1, 0, 0, 0, "float32" },
        { "Q to int32 zp", 1, 0, 0.1f, 1, YOLO_DT_I32, 1, 1, 0, 0, 0, "int32" },
    };
    (void)U8; (void)I8; (void)NONE;
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
        struct bt t;
        bt_init(&t);
        int rc = build(&t, &ok[i]);
        CHECK(&h, rc == 0, "%s: should build: %s", ok[i].what, t.d.msg);
        if (!rc) {
            op_check_run(&t.oc, 3);
            CHECK(&h, bt_split_ok(&t, 3), "%s: thread split differs", ok[i].what);
        }
        bt_free(&t);
    }
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        struct bt t;
        bt_init(&t);
        int rc = build(&t, &bad[i]);
        CHECK(&h, rc != 0, "%s: accepted", bad[i].what);
        CHECK(&h, rc == 0 || (t.d.msg[0] && !strchr(t.d.msg, '\n') && strstr(t.d.msg, bad[i].expect)),
              "%s: message '%s' lacks '%s'", bad[i].what, t.d.msg, bad[i].expect);
        bt_free(&t);
    }
    /* QConv: zero point outside its dtype, bias beyond 2^30; then a fused QuantizeLinear's
     * output scale (fparams) negative, NaN, inf, denormal, on a float output */
    static const float osc_bad[5] = { -0.5f, NAN, INFINITY, 1e-40f, 0.25f };
    for (int v = 0; v < 7; v++) {
        struct bt t;
        bt_init(&t);
        int64_t xs[4] = { 1, 4, 5, 5 }, ws[4] = { 2, 4, 1, 1 }, m = 2;
        int8_t w[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
        float sc[2] = { 0.1f, 0.1f };
        int32_t b[2] = { v == 1 ? (1 << 30) + 1 : 0, 0 };
        int32_t in[5] = { bt_in(&t, "x", YOLO_DT_U8, 4, xs), bt_const(&t, "w", YOLO_DT_I8, 4, ws, w),
                          bt_const(&t, "b", YOLO_DT_I32, 1, &m, b),
                          bt_const(&t, "ws", YOLO_DT_F32, 1, &m, sc), -1 };
        int32_t y = bt_out(&t, "y");
        int rc = bt_node(&t, YOLO_OP_QCONV, 5, in, 1, &y, NULL);
        int64_t *p = bt_n(&t)->params;
        p[YOLO_CONV_KH] = p[YOLO_CONV_KW] = p[YOLO_CONV_SH] = p[YOLO_CONV_SW] = 1;
        p[YOLO_CONV_DH] = p[YOLO_CONV_DW] = p[YOLO_CONV_GROUP] = 1;
        p[YOLO_QC_XZP] = v == 0 ? 300 : 0;
        p[YOLO_QC_ODT] = v == 6 ? YOLO_DT_F32 : YOLO_DT_U8;
        if (v >= 2)
            bt_n(&t)->fparams[YOLO_QC_FP_OSC] = osc_bad[v - 2];
        rc = rc ? rc : bt_prepare(&t, 1);
        const char *want = v == 0 ? "zero point" : v == 1 ? "bias" : "output scale";
        CHECK(&h, rc != 0 && strstr(t.d.msg, want) && !strchr(t.d.msg, '\n'),
              "QConv case %d: rc %d '%s'", v, rc, t.d.msg);
        bt_free(&t);
    }
    return harness_finish(&h);
}
