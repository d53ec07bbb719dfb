/* test_gather_elements.c: GatherElements over ranks 1..5, every axis (negative too), indices
 * smaller than data on non-axis dims and of any length on the axis, float32 / int64 data,
 * int64 / int32 indices with negative and out-of-range values (zeros, no out-of-bounds read)
 * against an oracle; the ONNX spec examples; the thread split; rejected ranks, dims, dtypes
 * and axes. */
#include "bc_test.h"

struct gecase { int32_t r; int64_t d[5]; int64_t i[5]; int64_t axis; };

static const struct gecase cases[] = {
    { 1, { 7 }, { 3 }, 0 },
    { 1, { 3 }, { 17 }, -1 },
    { 2, { 3, 5 }, { 3, 5 }, 0 },
    { 2, { 3, 5 }, { 2, 7 }, 1 },
    { 3, { 1, 50, 4 }, { 1, 7, 4 }, 1 },
    { 3, { 2, 7, 3 }, { 1, 3, 3 }, -1 },
    { 4, { 2, 3, 5, 7 }, { 2, 1, 4, 3 }, 2 },
    { 5, { 2, 3, 1, 5, 3 }, { 1, 3, 1, 2, 6 }, 4 },
    { 2, { 3, 4 }, { 0, 4 }, 0 },
};

static int ge_graph(struct bt *t, enum yolo_dtype dd, int32_t nd, const int64_t *ds,
                    enum yolo_dtype di, int32_t ni, const int64_t *is, int64_t axis, int32_t *x,
                    int32_t *idx, int32_t *y)
{
    struct yolo_attr at[1] = { bt_attr_int("axis", axis) };
    struct yolo_attrs A = { at, 1, 13 };
    bt_init(t);
    *x = bt_in(t, "data", dd, nd, ds);
    *idx = bt_in(t, "indices", di, ni, is);
    *y = bt_out(t, "y");
    int rc = bt_node(t, YOLO_OP_GATHER_ELEMENTS, 2, (int32_t[]){ *x, *idx }, 1, y, &A);
    if (!rc)
        rc = bt_prepare(t, 1);
    return rc;
}

static int small(enum yolo_dtype di, const void *ind, int64_t axis, int64_t r0, int64_t r1,
                 const float *data, int64_t d0, int64_t d1, float *out)
{
    struct bt t;
    int32_t x, ix, y;
    int rc = ge_graph(&t, YOLO_DT_F32, 2, (int64_t[]){ d0, d1 }, di, 2, (int64_t[]){ r0, r1 },
                      axis, &x, &ix, &y);
    if (!rc) {
        bt_set(&t, x, data);
        bt_set(&t, ix, ind);
        rc = op_check_run(&t.oc, 2);
    }
    if (!rc)
        memcpy(out, op_check_ptr(&t.oc, y), (size_t)(r0 * r1) * sizeof(float));
    bt_free(&t);
    return rc;
}

int main(int argc, char **argv)
{
    HARNESS_INIT(h, "test_gather_elements");
    uint64_t seed = bt_seed(argc, argv, "test_gather_elements", 20240618);
    uint64_t s = seed;
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++)
        for (int v = 0; v < 4; v++) {
            const struct gecase *c = &cases[ci];
            enum yolo_dtype dd = (v & 1) ? YOLO_DT_I64 : YOLO_DT_F32;
            enum yolo_dtype di = (v & 2) ? YOLO_DT_I32 : YOLO_DT_I64;
            struct bt t;
            int32_t x, ix, y;
            int rc = ge_graph(&t, dd, c->r, c->d, di, c->r, c->i, c->axis, &x, &ix, &y);
            CHECK(&h, rc == 0, "case %zu v %d: %s", ci, v, t.d.msg);
            if (rc) {
                bt_free(&t);
                continue;
            }
            int32_t ax = (int32_t)(c->axis < 0 ? c->axis + c->r : c->axis);
            int64_t dim = c->d[ax], ni = bt_numel(c->r, c->i);
            void *I = op_check_ptr(&t.oc, ix);
            for (int64_t k = 0; k < ni; k++) {
                uint64_t r = harness_rand(&s);
                int64_t val = (int64_t)(r % (uint64_t)(2 * dim)) - dim;
                if (r % 11 == 0)
                    val = (r % 2) ? dim + (int64_t)(r % 3) : -dim - 1 - (int64_t)(r % 3);
                if (di == YOLO_DT_I32)
                    ((int32_t *)I)[k] = (int32_t)val;
                else
                    ((int64_t *)I)[k] = val;
            }
            CHECK(&h, bt_shape_is(bt_t(&t, y), c->r, c->i) && bt_t(&t, y)->dtype == dd,
                  "case %zu: shape", ci);
            CHECK(&h, bt_split_ok(&t, 3), "case %zu v %d: split 3", ci, v);
            CHECK(&h, bt_split_ok(&t, 5), "case %zu v %d: split 5", ci, v);
            size_t es = yolo_dtype_size(dd);
            const uint8_t *X = op_check_ptr(&t.oc, x), *Y = op_check_ptr(&t.oc, y);
            uint8_t zero[8] = { 0 };
            int64_t bad = -1, idx[5];
            for (int64_t k = 0; k < ni && bad < 0; k++) {
                bt_unravel(c->r, c->i, k, idx);
                int64_t iv = di == YOLO_DT_I32 ? ((int32_t *)I)[k] : ((int64_t *)I)[k];
                if (iv < 0)
                    iv += dim;
                const uint8_t *want = zero;
                if (iv >= 0 && iv < dim) {
                    idx[ax] = iv;
                    int64_t off = 0;
                    for (int32_t q = 0; q < c->r; q++)
                        off = off * c->d[q] + idx[q];
                    want = X + off * es;
                }
                if (memcmp(want, Y + k * es, es) != 0)
                    bad = k;
            }
            CHECK(&h, bad < 0, "case %zu v %d: element %lld", ci, v, (long long)bad);
            bt_free(&t);
        }

    /* ONNX spec examples */
    {
        float data[4] = { 1, 2, 3, 4 }, out[4], want[4] = { 1, 1, 4, 3 };
        int64_t ind[4] = { 0, 0, 1, 0 };
        int rc = small(YOLO_DT_I64, ind, 1, 2, 2, data, 2, 2, out);
        CHECK(&h, rc == 0 && memcmp(out, want, sizeof want) == 0, "spec example 1");
    }
    {
        float data[9] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 }, out[6], want[6] = { 4, 8, 3, 7, 2, 3 };
        int32_t ind[6] = { 1, 2, 0, 2, 0, 0 };
        int rc = small(YOLO_DT_I32, ind, 0, 2, 3, data, 3, 3, out);
        CHECK(&h, rc == 0 && memcmp(out, want, sizeof want) == 0, "spec example 2");
    }
    {
        float data[9] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 }, out[6], want[6] = { 7, 5, 3, 4, 2, 3 };
        int64_t ind[6] = { -1, -2, 0, -2, 0, 0 };
        int rc = small(YOLO_DT_I64, ind, 0, 2, 3, data, 3, 3, out);
        CHECK(&h, rc == 0 && memcmp(out, want, sizeof want) == 0, "spec negative indices");
    }
    {
        float data[4] = { 1, 2, 3, 4 }, out[4], want[4] = { 0, 2, 0, 3 };
        int64_t ind[4] = { 2, 1, -3, 0 };
        int rc = small(YOLO_DT_I64, ind, 1, 2, 2, data, 2, 2, out);
        CHECK(&h, rc == 0 && memcmp(out, want, sizeof want) == 0, "out of range -> 0");
    }

    struct bt t;
    int32_t x, ix, y;
    CHECK(&h, ge_graph(&t, YOLO_DT_F32, 2, (int64_t[]){ 3, 4 }, YOLO_DT_I64, 1, (int64_t[]){ 4 },
                       0, &x, &ix, &y) == YOLO_ERR_FORMAT, "rank mismatch");
    bt_free(&t);
    CHECK(&h, ge_graph(&t, YOLO_DT_F32, 2, (int64_t[]){ 3, 4 }, YOLO_DT_I64, 2,
                       (int64_t[]){ 2, 5 }, 0, &x, &ix, &y) == YOLO_ERR_FORMAT,
          "indices dim beyond data on a non-axis dim");
    bt_free(&t);
    CHECK(&h, ge_graph(&t, YOLO_DT_F32, 2, (int64_t[]){ 3, 4 }, YOLO_DT_F32, 2,
                       (int64_t[]){ 2, 4 }, 0, &x, &ix, &y) == YOLO_ERR_UNSUPPORTED,
          "float indices");
    bt_free(&t);
    CHECK(&h, ge_graph(&t, YOLO_DT_F32, 2, (int64_t[]){ 3, 4 }, YOLO_DT_I64, 2,
                       (int64_t[]){ 2, 4 }, 2, &x, &ix, &y) == YOLO_ERR_FORMAT, "axis 2");
    bt_free(&t);
    CHECK(&h, ge_graph(&t, YOLO_DT_F32, 0, NULL, YOLO_DT_I64, 0, NULL, 0, &x, &ix, &y) != 0,
          "scalar");
    bt_free(&t);
    return harness_finish(&h);
}
