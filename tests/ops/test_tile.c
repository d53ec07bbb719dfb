/* test_tile.c: Tile over ranks 0..5 with repeats 0..3 per dim, float32 / int64 / bool data,
 * against an oracle (out[i] = in[i mod dims]); the ONNX spec example; YOLOv10's
 * [1,k,1] x [1,1,80]; the thread split; rejected repeats (wrong count, negative, not
 * constant, float, overflowing). */
#include "bc_test.h"

struct tcase { int32_t r; int64_t d[5]; int64_t rep[5]; };

static const struct tcase cases[] = {
    { 0, { 0 }, { 0 } },
    { 1, { 7 }, { 3 } },
    { 1, { 3 }, { 0 } },
    { 2, { 2, 2 }, { 2, 2 } },
    { 2, { 3, 17 }, { 1, 2 } },
    { 3, { 1, 7, 1 }, { 1, 1, 4 } },
    { 3, { 2, 3, 5 }, { 3, 1, 1 } },
    { 4, { 1, 3, 1, 5 }, { 2, 1, 3, 1 } },
    { 5, { 2, 1, 3, 1, 2 }, { 1, 3, 1, 2, 2 } },
    { 2, { 0, 3 }, { 2, 2 } },
};

static int tile_graph(struct bt *t, enum yolo_dtype dt, int32_t r, const int64_t *d, int32_t nrep,
                      const int64_t *rep, int32_t *x, int32_t *y)
{
    bt_init(t);
    *x = bt_in(t, "x", dt, r, d);
    int32_t rp = bt_const_i64(t, "repeats", nrep, rep);
    *y = bt_out(t, "y");
    int rc = bt_node(t, YOLO_OP_TILE, 2, (int32_t[]){ *x, rp }, 1, y, NULL);
    if (!rc)
        rc = bt_prepare(t, 1);
    return rc;
}

int main(int argc, char **argv)
{
    HARNESS_INIT(h, "test_tile");
    uint64_t seed = bt_seed(argc, argv, "test_tile", 20240619);
    enum yolo_dtype dts[3] = { YOLO_DT_F32, YOLO_DT_I64, YOLO_DT_BOOL };
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++)
        for (int v = 0; v < 3; v++) {
            const struct tcase *c = &cases[ci];
            struct bt t;
            int32_t x, y;
            int rc = tile_graph(&t, dts[v], c->r, c->d, c->r, c->rep, &x, &y);
            CHECK(&h, rc == 0, "case %zu: %s", ci, t.d.msg);
            if (rc) {
                bt_free(&t);
                continue;
            }
            int64_t ws[5];
            for (int32_t k = 0; k < c->r; k++)
                ws[k] = c->d[k] * c->rep[k];
            CHECK(&h, bt_shape_is(bt_t(&t, y), c->r, ws), "case %zu: shape", ci);
            uint64_t s = seed + ci;
            uint8_t *X = op_check_ptr(&t.oc, x);
            size_t es = yolo_dtype_size(dts[v]);
            for (int64_t k = 0; k < bt_numel(c->r, c->d) * (int64_t)es; k++)
                X[k] = dts[v] == YOLO_DT_BOOL ? (uint8_t)(harness_rand(&s) & 1)
                                              : (uint8_t)harness_rand(&s);
            CHECK(&h, bt_split_ok(&t, 3), "case %zu: split 3", ci);
            CHECK(&h, bt_split_ok(&t, 4), "case %zu: split 4", ci);
            const uint8_t *Y = op_check_ptr(&t.oc, y);
            int64_t n = bt_numel(c->r, ws), bad = -1, idx[5];
            for (int64_t k = 0; k < n && bad < 0; k++) {
                bt_unravel(c->r, ws, k, idx);
                int64_t off = 0;
                for (int32_t q = 0; q < c->r; q++)
                    off = off * c->d[q] + idx[q] % c->d[q];
                if (memcmp(X + off * es, Y + k * es, es) != 0)
                    bad = k;
            }
            CHECK(&h, bad < 0, "case %zu %s: element %lld", ci, yolo_dtype_name(dts[v]),
                  (long long)bad);
            bt_free(&t);
        }
    {
        struct bt t;
        int32_t x, y;
        float in[4] = { 0, 1, 2, 3 };
        float want[16] = { 0, 1, 0, 1, 2, 3, 2, 3, 0, 1, 0, 1, 2, 3, 2, 3 };
        int rc = tile_graph(&t, YOLO_DT_F32, 2, (int64_t[]){ 2, 2 }, 2, (int64_t[]){ 2, 2 }, &x,
                            &y);
        if (!rc) {
            bt_set(&t, x, in);
            rc = op_check_run(&t.oc, 2);
        }
        CHECK(&h, rc == 0 && memcmp(op_check_ptr(&t.oc, y), want, sizeof want) == 0,
              "spec example");
        CHECK(&h, rc == 0 && bt_n(&t)->params[0] == 2 && bt_n(&t)->params[1] == 2 &&
                      bt_n(&t)->params[2] == 2, "resolved params");
        bt_free(&t);
    }

    struct bt t;
    int32_t x, y;
    CHECK(&h, tile_graph(&t, YOLO_DT_F32, 2, (int64_t[]){ 2, 3 }, 1, (int64_t[]){ 2 }, &x, &y) ==
                  YOLO_ERR_FORMAT, "one repeat for rank 2");
    bt_free(&t);
    CHECK(&h, tile_graph(&t, YOLO_DT_F32, 2, (int64_t[]){ 2, 3 }, 2, (int64_t[]){ 2, -1 }, &x,
                         &y) == YOLO_ERR_FORMAT, "negative repeat");
    bt_free(&t);
    CHECK(&h, tile_graph(&t, YOLO_DT_F32, 2, (int64_t[]){ 2, 3 }, 2,
                         (int64_t[]){ INT64_MAX / 2, 3 }, &x, &y) != 0, "overflowing repeat");
    bt_free(&t);
    CHECK(&h, tile_graph(&t, YOLO_DT_F32, 2, (int64_t[]){ 2, 3 }, 2,
                         (int64_t[]){ (int64_t)1 << 30, (int64_t)1 << 30 }, &x, &y) ==
                  YOLO_ERR_UNSUPPORTED, "too large output");
    bt_free(&t);
    {
        bt_init(&t);
        x = bt_in(&t, "x", YOLO_DT_F32, 1, (int64_t[]){ 3 });
        int32_t rp = bt_in(&t, "repeats", YOLO_DT_I64, 1, (int64_t[]){ 1 });
        y = bt_out(&t, "y");
        bt_node(&t, YOLO_OP_TILE, 2, (int32_t[]){ x, rp }, 1, &y, NULL);
        int rc = bt_prepare(&t, 1);
        CHECK(&h, rc == YOLO_ERR_UNSUPPORTED && strstr(t.d.msg, "must be a constant"),
              "runtime repeats: %s", t.d.msg);
        bt_free(&t);
    }
    {
        bt_init(&t);
        float rv[1] = { 2 };
        x = bt_in(&t, "x", YOLO_DT_F32, 1, (int64_t[]){ 3 });
        int32_t rp = bt_const(&t, "repeats", YOLO_DT_F32, 1, (int64_t[]){ 1 }, rv);
        y = bt_out(&t, "y");
        bt_node(&t, YOLO_OP_TILE, 2, (int32_t[]){ x, rp }, 1, &y, NULL);
        CHECK(&h, bt_prepare(&t, 1) == YOLO_ERR_UNSUPPORTED, "float repeats");
        bt_free(&t);
    }
    return harness_finish(&h);
}
