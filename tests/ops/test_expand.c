/* test_expand.c: Expand of inputs of rank 0..6 to shapes that broadcast with them (a 1 in the
 * shape keeps the input's dim, a shorter shape), float32 / int64 / bool data, against an
 * oracle; the ONNX spec examples; the thread split; rejected shapes (incompatible, negative,
 * not constant, rank above the maximum). */
#include "bc_test.h"

static int ex_graph(struct bt *t, enum yolo_dtype dt, int32_t nd, const int64_t *d, int32_t ns,
                    const int64_t *shape, int32_t *x, int32_t *y)
{
    bt_init(t);
    *x = bt_in(t, "x", dt, nd, d);
    int32_t s = bt_const_i64(t, "shape", ns, shape);
    *y = bt_out(t, "y");
    int rc = bt_node(t, YOLO_OP_EXPAND, 2, (int32_t[]){ *x, s }, 1, y, NULL);
    if (!rc)
        rc = bt_prepare(t, 1);
    return rc;
}

int main(int argc, char **argv)
{
    HARNESS_INIT(h, "test_expand");
    uint64_t seed = bt_seed(argc, argv, "test_expand", 20240624);
    uint64_t s = seed;
    enum yolo_dtype dts[3] = { YOLO_DT_F32, YOLO_DT_I64, YOLO_DT_BOOL };
    for (size_t pi = 0; pi < sizeof bt_pairs / sizeof bt_pairs[0]; pi++)
        for (int swap = 0; swap < 2; swap++)
            for (int v = 0; v < 3; v++) {
                const struct bt_pair *p = &bt_pairs[pi];
                int32_t nd = swap ? p->nb : p->na, ns = swap ? p->na : p->nb;
                const int64_t *d = swap ? p->b : p->a, *sh = swap ? p->a : p->b;
                struct bt t;
                int32_t x, y;
                int rc = ex_graph(&t, dts[v], nd, d, ns, sh, &x, &y);
                CHECK(&h, rc == 0, "pair %zu swap %d: %s", pi, swap, t.d.msg);
                if (rc) {
                    bt_free(&t);
                    continue;
                }
                int32_t r = nd > ns ? nd : ns;
                int64_t ws[6];
                for (int32_t i = 0; i < r; i++) {
                    int64_t da = i - (r - nd) >= 0 ? d[i - (r - nd)] : 1;
                    int64_t db = i - (r - ns) >= 0 ? sh[i - (r - ns)] : 1;
                    ws[i] = da == 1 ? db : da;
                }
                CHECK(&h, bt_shape_is(bt_t(&t, y), r, ws) && bt_t(&t, y)->dtype == dts[v],
                      "pair %zu swap %d: shape", pi, swap);
                size_t es = yolo_dtype_size(dts[v]);
                uint8_t *X = op_check_ptr(&t.oc, x);
                for (int64_t i = 0; i < bt_numel(nd, d) * (int64_t)es; i++)
                    X[i] = dts[v] == YOLO_DT_BOOL ? (uint8_t)(harness_rand(&s) & 1)
                                                  : (uint8_t)harness_rand(&s);
                CHECK(&h, bt_split_ok(&t, 3), "pair %zu swap %d: split 3", pi, swap);
                CHECK(&h, bt_split_ok(&t, 5), "pair %zu swap %d: split 5", pi, swap);
                const uint8_t *Y = op_check_ptr(&t.oc, y);
                int64_t n = bt_numel(r, ws), bad = -1, idx[6];
                for (int64_t i = 0; i < n && bad < 0; i++) {
                    bt_unravel(r, ws, i, idx);
                    if (memcmp(X + bt_bcast_index(nd, d, r, idx) * es, Y + i * es, es) != 0)
                        bad = i;
                }
                CHECK(&h, bad < 0, "pair %zu swap %d %s: element %lld", pi, swap,
                      yolo_dtype_name(dts[v]), (long long)bad);
                bt_free(&t);
            }

    /* ONNX spec examples on data [[1],[2],[3]] */
    {
        float data[3] = { 1, 2, 3 };
        struct bt t;
        int32_t x, y;
        int rc = ex_graph(&t, YOLO_DT_F32, 2, (int64_t[]){ 3, 1 }, 3, (int64_t[]){ 2, 1, 6 }, &x,
                          &y);
        if (!rc) {
            bt_set(&t, x, data);
            rc = op_check_run(&t.oc, 2);
        }
        int ok = rc == 0 && bt_shape_is(bt_t(&t, y), 3, (int64_t[]){ 2, 3, 6 });
        const float *Y = ok ? op_check_ptr(&t.oc, y) : NULL;
        for (int i = 0; ok && i < 36; i++)
            ok = Y[i] == (float)((i / 6) % 3 + 1);
        CHECK(&h, ok, "spec dim_changed [2,1,6]");
        bt_free(&t);
        rc = ex_graph(&t, YOLO_DT_F32, 2, (int64_t[]){ 3, 1 }, 2, (int64_t[]){ 3, 4 }, &x, &y);
        if (!rc) {
            bt_set(&t, x, data);
            rc = op_check_run(&t.oc, 2);
        }
        ok = rc == 0 && bt_shape_is(bt_t(&t, y), 2, (int64_t[]){ 3, 4 });
        Y = ok ? op_check_ptr(&t.oc, y) : NULL;
        for (int i = 0; ok && i < 12; i++)
            ok = Y[i] == (float)(i / 4 + 1);
        CHECK(&h, ok, "spec dim_unchanged [3,4]");
        bt_free(&t);
    }
    {
        /* a 1 in the shape keeps the input's dim */
        struct bt t;
        int32_t x, y;
        int rc = ex_graph(&t, YOLO_DT_F32, 2, (int64_t[]){ 3, 4 }, 2, (int64_t[]){ 1, 1 }, &x, &y);
        CHECK(&h, rc == 0 && bt_shape_is(bt_t(&t, y), 2, (int64_t[]){ 3, 4 }) &&
                      bt_split_ok(&t, 2) &&
                      memcmp(op_check_ptr(&t.oc, x), op_check_ptr(&t.oc, y), 48) == 0,
              "shape of ones");
        bt_free(&t);
    }

    struct bt t;
    int32_t x, y;
    CHECK(&h, ex_graph(&t, YOLO_DT_F32, 1, (int64_t[]){ 3 }, 1, (int64_t[]){ 4 }, &x, &y) ==
                  YOLO_ERR_FORMAT, "[3] to [4]");
    bt_free(&t);
    CHECK(&h, ex_graph(&t, YOLO_DT_F32, 1, (int64_t[]){ 1 }, 1, (int64_t[]){ -2 }, &x, &y) ==
                  YOLO_ERR_FORMAT, "negative");
    bt_free(&t);
    CHECK(&h, ex_graph(&t, YOLO_DT_F32, 1, (int64_t[]){ 3 }, 7,
                       (int64_t[]){ 1, 1, 1, 1, 1, 1, 3 }, &x, &y) == YOLO_ERR_UNSUPPORTED,
          "rank 7");
    bt_free(&t);
    CHECK(&h, ex_graph(&t, YOLO_DT_F32, 1, (int64_t[]){ 1 }, 3,
                       (int64_t[]){ (int64_t)1 << 20, (int64_t)1 << 20, (int64_t)1 << 20 }, &x,
                       &y) == YOLO_ERR_UNSUPPORTED, "too large");
    bt_free(&t);
    {
        bt_init(&t);
        x = bt_in(&t, "x", YOLO_DT_F32, 1, (int64_t[]){ 3 });
        int32_t sh = bt_in(&t, "shape", YOLO_DT_I64, 1, (int64_t[]){ 1 });
        y = bt_out(&t, "y");
        bt_node(&t, YOLO_OP_EXPAND, 2, (int32_t[]){ x, sh }, 1, &y, NULL);
        int rc = bt_prepare(&t, 1);
        CHECK(&h, rc == YOLO_ERR_UNSUPPORTED && strstr(t.d.msg, "must be a constant"),
              "runtime shape: %s", t.d.msg);
        bt_free(&t);
    }
    return harness_finish(&h);
}
