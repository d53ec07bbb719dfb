/* test_gather.c: Gather over data ranks 1..4 and index ranks 0..2, every axis (negative too),
 * float32 / int64 data, int64 / int32 indices, negative indices, out-of-range indices (zeros,
 * no out-of-bounds read) against an oracle; the ONNX spec examples; YOLOv10's [300,1] by
 * [1,300]; the thread split; rejected dtypes, axes and ranks. */
#include "bc_test.h"

struct gcase { int32_t nd; int64_t d[4]; int32_t ni; int64_t i[3]; int64_t axis; };

static const struct gcase cases[] = {
    { 1, { 7 }, 0, { 0 }, 0 },
    { 1, { 17 }, 1, { 5 }, 0 },
    { 2, { 3, 5 }, 2, { 2, 3 }, 0 },
    { 2, { 3, 5 }, 2, { 2, 3 }, 1 },
    { 2, { 3, 5 }, 1, { 4 }, -1 },
    { 3, { 2, 7, 3 }, 1, { 7 }, 1 },
    { 3, { 2, 7, 3 }, 0, { 0 }, -2 },
    { 4, { 1, 3, 5, 7 }, 2, { 3, 1 }, 3 },
    { 4, { 2, 3, 1, 5 }, 3, { 2, 1, 2 }, 2 },
    { 2, { 300, 1 }, 2, { 1, 300 }, 0 },
    { 2, { 0, 3 }, 1, { 0 }, 0 },
    { 2, { 3, 4 }, 1, { 0 }, 1 },
};

static int gather_graph(struct bt *t, enum yolo_dtype dd, int32_t nd, const int64_t *ds,
                        enum yolo_dtype di, int32_t ni, const int64_t *is, int64_t axis,
                        int32_t *x, int32_t *idx, int32_t *y)
{
    struct yolo_attr at[1] = { bt_attr_int("axis", axis) };
    struct yolo_attrs A = { at, 1, 13 };
    bt_init(t);
    *x = bt_in(t, "data", dd, nd, ds);
    *idx = bt_in(t, "indices", di, ni, is);
    *y = bt_out(t, "y");
    int rc = bt_node(t, YOLO_OP_GATHER, 2, (int32_t[]){ *x, *idx }, 1, y, &A);
    if (!rc)
        rc = bt_prepare(t, 1);
    return rc;
}

int main(int argc, char **argv)
{
    HARNESS_INIT(h, "test_gather");
    uint64_t seed = bt_seed(argc, argv, "test_gather", 20240617);
    uint64_t s = seed;
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++)
        for (int v = 0; v < 4; v++) {
            const struct gcase *c = &cases[ci];
            enum yolo_dtype dd = (v & 1) ? YOLO_DT_I64 : YOLO_DT_F32;
            enum yolo_dtype di = (v & 2) ? YOLO_DT_I32 : YOLO_DT_I64;
            struct bt t;
            int32_t x, ix, y;
            int rc = gather_graph(&t, dd, c->nd, c->d, di, c->ni, c->i, c->axis, &x, &ix, &y);
            CHECK(&h, rc == 0, "case %zu v %d: %s", ci, v, t.d.msg);
            if (rc) {
                bt_free(&t);
                continue;
            }
            int32_t ax = (int32_t)(c->axis < 0 ? c->axis + c->nd : c->axis);
            int64_t dim = c->d[ax], ni = bt_numel(c->ni, c->i);
            /* indices: mostly in [-dim, dim), some out of range */
            void *I = op_check_ptr(&t.oc, ix);
            for (int64_t k = 0; k < ni; k++) {
                uint64_t r = harness_rand(&s);
                int64_t val = dim ? (int64_t)(r % (uint64_t)(2 * dim)) - dim : 0;
                if (r % 13 == 0)
                    val = (r % 2) ? dim + (int64_t)(r % 5) : -dim - 1 - (int64_t)(r % 5);
                if (di == YOLO_DT_I32)
                    ((int32_t *)I)[k] = (int32_t)val;
                else
                    ((int64_t *)I)[k] = val;
            }
            /* expected shape */
            int64_t ws[6];
            int32_t r = 0;
            for (int32_t k = 0; k < ax; k++)
                ws[r++] = c->d[k];
            for (int32_t k = 0; k < c->ni; k++)
                ws[r++] = c->i[k];
            for (int32_t k = ax + 1; k < c->nd; k++)
                ws[r++] = c->d[k];
            CHECK(&h, bt_shape_is(bt_t(&t, y), r, ws) && bt_t(&t, y)->dtype == dd,
                  "case %zu: shape", ci);
            CHECK(&h, bt_split_ok(&t, 3), "case %zu v %d: split 3", ci, v);
            CHECK(&h, bt_split_ok(&t, 7), "case %zu v %d: split 7", ci, v);
            /* oracle */
            size_t es = yolo_dtype_size(dd);
            int64_t outer = 1, inner = 1, bad = -1;
            for (int32_t k = 0; k < ax; k++)
                outer *= c->d[k];
            for (int32_t k = ax + 1; k < c->nd; k++)
                inner *= c->d[k];
            const uint8_t *X = op_check_ptr(&t.oc, x), *Y = op_check_ptr(&t.oc, y);
            uint8_t zero[8] = { 0 };
            for (int64_t o = 0; o < outer && bad < 0; o++)
                for (int64_t j = 0; j < ni && bad < 0; j++) {
                    int64_t iv = di == YOLO_DT_I32 ? ((int32_t *)I)[j] : ((int64_t *)I)[j];
                    int64_t src = iv < 0 ? iv + dim : iv;
                    for (int64_t e = 0; e < inner && bad < 0; e++) {
                        const uint8_t *want = (src >= 0 && src < dim)
                                                  ? X + ((o * dim + src) * inner + e) * es
                                                  : zero;
                        int64_t oi = (o * ni + j) * inner + e;
                        if (memcmp(want, Y + oi * es, es) != 0)
                            bad = oi;
                    }
                }
            CHECK(&h, bad < 0, "case %zu v %d: element %lld", ci, v, (long long)bad);
            bt_free(&t);
        }

    /* ONNX spec examples */
    {
        struct bt t;
        int32_t x, ix, y;
        float data[6] = { 1.0f, 1.2f, 2.3f, 3.4f, 4.5f, 5.7f };
        int64_t ind[4] = { 0, 1, 1, 2 };
        float want[8] = { 1.0f, 1.2f, 2.3f, 3.4f, 2.3f, 3.4f, 4.5f, 5.7f };
        int rc = gather_graph(&t, YOLO_DT_F32, 2, (int64_t[]){ 3, 2 }, YOLO_DT_I64, 2,
                              (int64_t[]){ 2, 2 }, 0, &x, &ix, &y);
        if (!rc) {
            bt_set(&t, x, data);
            bt_set(&t, ix, ind);
            rc = op_check_run(&t.oc, 1);
        }
        CHECK(&h, rc == 0 && bt_shape_is(bt_t(&t, y), 3, (int64_t[]){ 2, 2, 2 }) &&
                      memcmp(op_check_ptr(&t.oc, y), want, sizeof want) == 0, "spec axis 0");
        bt_free(&t);
    }
    {
        struct bt t;
        int32_t x, ix, y;
        float data[9] = { 1.0f, 1.2f, 1.9f, 2.3f, 3.4f, 3.9f, 4.5f, 5.7f, 5.9f };
        int64_t ind[2] = { 0, 2 };
        float want[6] = { 1.0f, 1.9f, 2.3f, 3.9f, 4.5f, 5.9f };
        int rc = gather_graph(&t, YOLO_DT_F32, 2, (int64_t[]){ 3, 3 }, YOLO_DT_I64, 2,
                              (int64_t[]){ 1, 2 }, 1, &x, &ix, &y);
        if (!rc) {
            bt_set(&t, x, data);
            bt_set(&t, ix, ind);
            rc = op_check_run(&t.oc, 1);
        }
        CHECK(&h, rc == 0 && bt_shape_is(bt_t(&t, y), 3, (int64_t[]){ 3, 1, 2 }) &&
                      memcmp(op_check_ptr(&t.oc, y), want, sizeof want) == 0, "spec axis 1");
        bt_free(&t);
    }
    {
        /* negative index, out of range -> 0 */
        struct bt t;
        int32_t x, ix, y;
        int64_t data[3] = { 10, 20, 30 }, ind[4] = { 0, -1, 3, -4 }, want[4] = { 10, 30, 0, 0 };
        int rc = gather_graph(&t, YOLO_DT_I64, 1, (int64_t[]){ 3 }, YOLO_DT_I64, 1,
                              (int64_t[]){ 4 }, 0, &x, &ix, &y);
        if (!rc) {
            bt_set(&t, x, data);
            bt_set(&t, ix, ind);
            rc = op_check_run(&t.oc, 1);
        }
        CHECK(&h, rc == 0 && memcmp(op_check_ptr(&t.oc, y), want, sizeof want) == 0,
              "negative / out of range");
        bt_free(&t);
    }

    /* rejected */
    struct bt t;
    int32_t x, ix, y;
    CHECK(&h, gather_graph(&t, YOLO_DT_F32, 2, (int64_t[]){ 3, 4 }, YOLO_DT_F32, 1,
                           (int64_t[]){ 2 }, 0, &x, &ix, &y) == YOLO_ERR_UNSUPPORTED,
          "float indices");
    bt_free(&t);
    CHECK(&h, gather_graph(&t, YOLO_DT_F32, 2, (int64_t[]){ 3, 4 }, YOLO_DT_I64, 1,
                           (int64_t[]){ 2 }, 2, &x, &ix, &y) == YOLO_ERR_FORMAT, "axis 2");
    bt_free(&t);
    CHECK(&h, gather_graph(&t, YOLO_DT_F32, 2, (int64_t[]){ 3, 4 }, YOLO_DT_I64, 1,
                           (int64_t[]){ 2 }, -3, &x, &ix, &y) == YOLO_ERR_FORMAT, "axis -3");
    bt_free(&t);
    CHECK(&h, gather_graph(&t, YOLO_DT_F32, 0, NULL, YOLO_DT_I64, 0, NULL, 0, &x, &ix, &y) != 0,
          "scalar data");
    bt_free(&t);
    CHECK(&h, gather_graph(&t, YOLO_DT_F32, 4, (int64_t[]){ 2, 2, 2, 2 }, YOLO_DT_I64, 4,
                           (int64_t[]){ 1, 1, 1, 2 }, 0, &x, &ix, &y) == YOLO_ERR_UNSUPPORTED,
          "rank 7 result");
    bt_free(&t);
    return harness_finish(&h);
}
