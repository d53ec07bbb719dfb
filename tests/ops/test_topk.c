/* test_topk.c: TopK (largest and smallest) over ranks 1..4 and every axis, K from 0 to dim,
 * float32 (with NaN and many ties) and int64, against a selection oracle (best first, lower
 * index first on ties, NaN above every number); the ONNX spec examples; ties; YOLOv10's
 * K = 300 of a long row; the thread split; rejected K (> dim, negative, not constant, float,
 * two values), attributes and dtypes. */
#include "bc_test.h"

struct kcase { int32_t r; int64_t d[4]; int64_t axis; };

static const struct kcase cases[] = {
    { 1, { 1 }, 0 },
    { 1, { 17 }, 0 },
    { 2, { 3, 7 }, 1 },
    { 2, { 3, 7 }, 0 },
    { 3, { 2, 5, 3 }, 1 },
    { 3, { 2, 5, 3 }, -1 },
    { 4, { 2, 3, 9, 2 }, 2 },
    { 2, { 1, 2400 }, -1 },
    { 2, { 0, 5 }, 1 },
};

/* a goes before b (values only) */
static int above(double a, double b, int largest)
{
    if (!largest) {
        double t = a;
        a = b;
        b = t;
    }
    return a > b || (isnan(a) && !isnan(b));
}

static int topk_graph(struct bt *t, enum yolo_dtype dt, int32_t r, const int64_t *d, int64_t axis,
                      int32_t nk, const int64_t *k, int64_t largest, int32_t *x, int32_t *yv,
                      int32_t *yi)
{
    struct yolo_attr at[3] = { bt_attr_int("axis", axis), bt_attr_int("largest", largest),
                               bt_attr_int("sorted", 1) };
    struct yolo_attrs A = { at, 3, 11 };
    bt_init(t);
    *x = bt_in(t, "x", dt, r, d);
    int32_t kt = bt_const_i64(t, "k", nk, k);
    *yv = bt_out(t, "values");
    *yi = bt_out(t, "indices");
    int rc = bt_node(t, YOLO_OP_TOPK, 2, (int32_t[]){ *x, kt }, 2, (int32_t[]){ *yv, *yi }, &A);
    if (!rc)
        rc = bt_prepare(t, 1);
    return rc;
}

/* runs a 1-D case, returns status */
static int run1(enum yolo_dtype dt, int64_t n, const void *in, int64_t k, int64_t largest,
                void *vals, int64_t *idx)
{
    struct bt t;
    int32_t x, yv, yi;
    int rc = topk_graph(&t, dt, 1, (int64_t[]){ n }, 0, 1, (int64_t[]){ k }, largest, &x, &yv,
                        &yi);
    if (!rc) {
        bt_set(&t, x, in);
        rc = op_check_run(&t.oc, 1);
    }
    if (!rc) {
        memcpy(vals, op_check_ptr(&t.oc, yv), (size_t)k * yolo_dtype_size(dt));
        memcpy(idx, op_check_ptr(&t.oc, yi), (size_t)k * 8);
    }
    bt_free(&t);
    return rc;
}

int main(int argc, char **argv)
{
    HARNESS_INIT(h, "test_topk");
    uint64_t seed = bt_seed(argc, argv, "test_topk", 20240620);
    uint64_t s = seed;
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        const struct kcase *c = &cases[ci];
        int32_t ax = (int32_t)(c->axis < 0 ? c->axis + c->r : c->axis);
        int64_t dim = c->d[ax];
        int64_t ks[4] = { 0, 1, (dim + 1) / 2, dim };
        if (dim == 2400)
            ks[2] = 300;
        for (int kv = 0; kv < 4; kv++)
            for (int v = 0; v < 4; v++) {
                enum yolo_dtype dt = (v & 1) ? YOLO_DT_I64 : YOLO_DT_F32;
                int largest = !(v & 2);
                int64_t K = ks[kv];
                struct bt t;
                int32_t x, yv, yi;
                int rc = topk_graph(&t, dt, c->r, c->d, c->axis, 1, &K, largest, &x, &yv, &yi);
                CHECK(&h, rc == 0, "case %zu K %lld: %s", ci, (long long)K, t.d.msg);
                if (rc) {
                    bt_free(&t);
                    continue;
                }
                int64_t n = bt_numel(c->r, c->d);
                void *X = op_check_ptr(&t.oc, x);
                for (int64_t i = 0; i < n; i++) {
                    uint64_t r = harness_rand(&s);
                    if (dt == YOLO_DT_I64)
                        ((int64_t *)X)[i] = (int64_t)(r % 7) - 3;
                    else
                        ((float *)X)[i] = r % 17 == 0 ? NAN : (float)(int)(r % 9) * 0.25f - 1.0f;
                }
                int64_t ws[4];
                memcpy(ws, c->d, sizeof ws);
                ws[ax] = K;
                CHECK(&h, bt_shape_is(bt_t(&t, yv), c->r, ws) && bt_shape_is(bt_t(&t, yi), c->r, ws)
                              && bt_t(&t, yv)->dtype == dt && bt_t(&t, yi)->dtype == YOLO_DT_I64,
                      "case %zu: shapes", ci);
                CHECK(&h, bt_split_ok(&t, 3), "case %zu K %lld: split 3", ci, (long long)K);
                /* oracle: repeated selection of the first best remaining element */
                int64_t outer = 1, inner = 1, bad = -1;
                for (int32_t q = 0; q < ax; q++)
                    outer *= c->d[q];
                for (int32_t q = ax + 1; q < c->r; q++)
                    inner *= c->d[q];
                const int64_t *YI = op_check_ptr(&t.oc, yi);
                const uint8_t *YV = op_check_ptr(&t.oc, yv);
                size_t es = yolo_dtype_size(dt);
                char *taken = calloc((size_t)dim + 1, 1);
                for (int64_t o = 0; o < outer && bad < 0; o++)
                    for (int64_t in = 0; in < inner && bad < 0; in++) {
                        memset(taken, 0, (size_t)dim + 1);
                        for (int64_t k = 0; k < K && bad < 0; k++) {
                            int64_t best = -1;
                            double bv = 0;
                            for (int64_t j = 0; j < dim; j++) {
                                if (taken[j])
                                    continue;
                                int64_t xi = (o * dim + j) * inner + in;
                                double val = dt == YOLO_DT_F32 ? (double)((float *)X)[xi]
                                                               : (double)((int64_t *)X)[xi];
                                if (best < 0 || above(val, bv, largest)) {
                                    best = j;
                                    bv = val;
                                }
                            }
                            taken[best] = 1;
                            int64_t yo = (o * K + k) * inner + in;
                            int64_t xo = (o * dim + best) * inner + in;
                            if (YI[yo] != best ||
                                memcmp(YV + yo * es, (uint8_t *)X + xo * es, es) != 0)
                                bad = yo;
                        }
                    }
                free(taken);
                CHECK(&h, bad < 0, "case %zu K %lld %s largest %d: element %lld", ci, (long long)K,
                      yolo_dtype_name(dt), largest, (long long)bad);
                bt_free(&t);
            }
    }

    /* ONNX spec examples */
    {
        float x[12] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 };
        float wv[9] = { 3, 2, 1, 7, 6, 5, 11, 10, 9 };
        int64_t wi[9] = { 3, 2, 1, 3, 2, 1, 3, 2, 1 };
        struct bt t;
        int32_t xt, yv, yi;
        int rc = topk_graph(&t, YOLO_DT_F32, 2, (int64_t[]){ 3, 4 }, 1, 1, (int64_t[]){ 3 }, 1,
                            &xt, &yv, &yi);
        if (!rc) {
            bt_set(&t, xt, x);
            rc = op_check_run(&t.oc, 2);
        }
        CHECK(&h, rc == 0 && memcmp(op_check_ptr(&t.oc, yv), wv, sizeof wv) == 0 &&
                      memcmp(op_check_ptr(&t.oc, yi), wi, sizeof wi) == 0, "spec largest");
        bt_free(&t);
    }
    {
        float x[12] = { 0, 1, 2, 3, 4, 5, 6, 7, 11, 10, 9, 8 };
        float wv[9] = { 0, 1, 2, 4, 5, 6, 8, 9, 10 };
        int64_t wi[9] = { 0, 1, 2, 0, 1, 2, 3, 2, 1 };
        struct bt t;
        int32_t xt, yv, yi;
        int rc = topk_graph(&t, YOLO_DT_F32, 2, (int64_t[]){ 3, 4 }, -1, 1, (int64_t[]){ 3 }, 0,
                            &xt, &yv, &yi);
        if (!rc) {
            bt_set(&t, xt, x);
            rc = op_check_run(&t.oc, 2);
        }
        CHECK(&h, rc == 0 && memcmp(op_check_ptr(&t.oc, yv), wv, sizeof wv) == 0 &&
                      memcmp(op_check_ptr(&t.oc, yi), wi, sizeof wi) == 0, "spec smallest");
        bt_free(&t);
    }
    /* ties: lower index first */
    {
        float x[6] = { 1, 3, 3, 2, 3, 1 }, v[4], wv[4] = { 3, 3, 3, 2 };
        int64_t idx[4], wi[4] = { 1, 2, 4, 3 };
        int rc = run1(YOLO_DT_F32, 6, x, 4, 1, v, idx);
        CHECK(&h, rc == 0 && memcmp(v, wv, sizeof wv) == 0 && memcmp(idx, wi, sizeof wi) == 0,
              "ties largest: %lld %lld %lld %lld", (long long)idx[0], (long long)idx[1],
              (long long)idx[2], (long long)idx[3]);
        float wv2[3] = { 1, 1, 2 };
        int64_t wi2[3] = { 0, 5, 3 };
        rc = run1(YOLO_DT_F32, 6, x, 3, 0, v, idx);
        CHECK(&h, rc == 0 && memcmp(v, wv2, sizeof wv2) == 0 && memcmp(idx, wi2, sizeof wi2) == 0,
              "ties smallest");
    }
    {
        int64_t x[5] = { 5, 5, 5, 5, 5 }, v[3], idx[3], wi[3] = { 0, 1, 2 };
        int rc = run1(YOLO_DT_I64, 5, x, 3, 1, v, idx);
        CHECK(&h, rc == 0 && memcmp(idx, wi, sizeof wi) == 0 && v[0] == 5, "all equal int64");
    }
    {
        float x[3] = { 1, NAN, 3 }, v[3];
        int64_t idx[3];
        int rc = run1(YOLO_DT_F32, 3, x, 2, 1, v, idx);
        CHECK(&h, rc == 0 && isnan(v[0]) && v[1] == 3 && idx[0] == 1 && idx[1] == 2,
              "NaN largest");
        rc = run1(YOLO_DT_F32, 3, x, 3, 0, v, idx);
        CHECK(&h, rc == 0 && v[0] == 1 && v[1] == 3 && isnan(v[2]) && idx[2] == 1,
              "NaN smallest");
    }

    /* rejected */
    struct bt t;
    int32_t x, yv, yi;
    CHECK(&h, topk_graph(&t, YOLO_DT_F32, 2, (int64_t[]){ 3, 4 }, 1, 1, (int64_t[]){ 5 }, 1, &x,
                         &yv, &yi) == YOLO_ERR_FORMAT, "K > dim");
    bt_free(&t);
    CHECK(&h, topk_graph(&t, YOLO_DT_F32, 2, (int64_t[]){ 3, 4 }, 1, 1, (int64_t[]){ -1 }, 1, &x,
                         &yv, &yi) == YOLO_ERR_FORMAT, "K < 0");
    bt_free(&t);
    CHECK(&h, topk_graph(&t, YOLO_DT_F32, 2, (int64_t[]){ 3, 4 }, 1, 2, (int64_t[]){ 1, 2 }, 1,
                         &x, &yv, &yi) != 0, "two K values");
    bt_free(&t);
    CHECK(&h, topk_graph(&t, YOLO_DT_F32, 2, (int64_t[]){ 3, 4 }, 2, 1, (int64_t[]){ 1 }, 1, &x,
                         &yv, &yi) == YOLO_ERR_FORMAT, "axis 2");
    bt_free(&t);
    CHECK(&h, topk_graph(&t, YOLO_DT_F32, 2, (int64_t[]){ 3, 4 }, 1, 1, (int64_t[]){ 1 }, 2, &x,
                         &yv, &yi) == YOLO_ERR_FORMAT, "largest 2");
    bt_free(&t);
    CHECK(&h, topk_graph(&t, YOLO_DT_I32, 2, (int64_t[]){ 3, 4 }, 1, 1, (int64_t[]){ 1 }, 1, &x,
                         &yv, &yi) == YOLO_ERR_UNSUPPORTED, "int32 input");
    bt_free(&t);
    {
        bt_init(&t);
        x = bt_in(&t, "x", YOLO_DT_F32, 1, (int64_t[]){ 4 });
        int32_t k = bt_in(&t, "k", YOLO_DT_I64, 1, (int64_t[]){ 1 });
        yv = bt_out(&t, "v");
        yi = bt_out(&t, "i");
        bt_node(&t, YOLO_OP_TOPK, 2, (int32_t[]){ x, k }, 2, (int32_t[]){ yv, yi }, NULL);
        int rc = bt_prepare(&t, 1);
        CHECK(&h, rc == YOLO_ERR_UNSUPPORTED && strstr(t.d.msg, "must be a constant"),
              "runtime K: %s", t.d.msg);
        bt_free(&t);
    }
    {
        bt_init(&t);
        x = bt_in(&t, "x", YOLO_DT_F32, 1, (int64_t[]){ 4 });
        int32_t k = bt_const_i64(&t, "k", 1, (int64_t[]){ 1 });
        yv = bt_out(&t, "v");
        bt_node(&t, YOLO_OP_TOPK, 2, (int32_t[]){ x, k }, 1, &yv, NULL);
        CHECK(&h, bt_prepare(&t, 1) == YOLO_ERR_FORMAT, "one output");
        bt_free(&t);
    }
    return harness_finish(&h);
}
