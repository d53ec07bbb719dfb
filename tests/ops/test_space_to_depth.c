/* test_space_to_depth.c: SpaceToDepth on odd sizes (C 1..7, blocksizes 1..4, batch 2) in
 * float32 / uint8 / int64, against the ONNX definition written out as index arithmetic
 * (reshape [N, C, H/b, b, W/b, b], transpose (0, 3, 5, 1, 2, 4), reshape); the ONNX spec
 * example; the thread split; rejected inputs (H or W not a multiple, blocksize 0, rank 3). */
#include "bc_test.h"
#include "ops/op_params.h"

struct scase { int64_t n, c, h, w, b; };

static const struct scase cases[] = {
    { 1, 3, 4, 6, 2 }, { 2, 5, 6, 9, 3 }, { 1, 1, 2, 2, 2 }, { 1, 7, 10, 34, 2 },
    { 1, 2, 4, 4, 1 }, { 3, 2, 8, 8, 4 }, { 1, 3, 640, 64, 2 },
};

static int s2d_graph(struct bt *t, enum yolo_dtype dt, int32_t r, const int64_t *d, int64_t b,
                     int32_t *x, int32_t *y)
{
    bt_init(t);
    *x = bt_in(t, "x", dt, r, d);
    *y = bt_out(t, "y");
    struct yolo_attr a[1] = { bt_attr_int("blocksize", b) };
    struct yolo_attrs at = { a, 1, 13 };
    int rc = bt_node(t, YOLO_OP_SPACE_TO_DEPTH, 1, x, 1, y, &at);
    if (!rc)
        rc = bt_prepare(t, 1);
    return rc;
}

int main(int argc, char **argv)
{
    HARNESS_INIT(h, "test_space_to_depth");
    uint64_t seed = bt_seed(argc, argv, "test_space_to_depth", 20261204);
    enum yolo_dtype dts[3] = { YOLO_DT_F32, YOLO_DT_U8, YOLO_DT_I64 };
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++)
        for (int v = 0; v < 3; v++) {
            const struct scase *c = &cases[ci];
            struct bt t;
            int32_t x, y;
            int64_t xd[4] = { c->n, c->c, c->h, c->w }, b = c->b;
            int64_t yd[4] = { c->n, c->c * b * b, c->h / b, c->w / b };
            int rc = s2d_graph(&t, dts[v], 4, xd, b, &x, &y);
            CHECK(&h, rc == 0, "case %zu: %s", ci, t.d.msg);
            if (rc) {
                bt_free(&t);
                continue;
            }
            CHECK(&h, bt_shape_is(bt_t(&t, y), 4, yd), "case %zu: shape", ci);
            uint64_t s = seed + ci;
            uint8_t *X = op_check_ptr(&t.oc, x);
            size_t es = yolo_dtype_size(dts[v]);
            for (int64_t k = 0; k < bt_numel(4, xd) * (int64_t)es; k++)
                X[k] = (uint8_t)harness_rand(&s);
            CHECK(&h, bt_split_ok(&t, 3), "case %zu: split 3", ci);
            CHECK(&h, bt_split_ok(&t, 7), "case %zu: split 7", ci);
            const uint8_t *Y = op_check_ptr(&t.oc, y);
            /* the 6-D view of y: [N, bh, bw, C, H/b, W/b], read off x at [n, c, i*b+bh, j*b+bw] */
            int64_t v6[6] = { c->n, b, b, c->c, c->h / b, c->w / b }, idx[6], bad = -1;
            for (int64_t k = 0; k < bt_numel(6, v6) && bad < 0; k++) {
                bt_unravel(6, v6, k, idx);
                int64_t off = ((idx[0] * c->c + idx[3]) * c->h + idx[4] * b + idx[1]) * c->w +
                              idx[5] * b + idx[2];
                if (memcmp(X + off * (int64_t)es, Y + k * (int64_t)es, es) != 0)
                    bad = k;
            }
            CHECK(&h, bad < 0, "case %zu %s: element %lld", ci, yolo_dtype_name(dts[v]),
                  (long long)bad);
            bt_free(&t);
        }
    {   /* the ONNX operator documentation's example */
        struct bt t;
        int32_t x, y;
        float in[24] = { 0, 6, 1, 7, 2, 8, 12, 18, 13, 19, 14, 20,
                         3, 9, 4, 10, 5, 11, 15, 21, 16, 22, 17, 23 };
        float want[24];
        for (int i = 0; i < 24; i++)
            want[i] = (float)i;
        int rc = s2d_graph(&t, YOLO_DT_F32, 4, (int64_t[]){ 1, 1, 4, 6 }, 2, &x, &y);
        if (!rc) {
            bt_set(&t, x, in);
            rc = op_check_run(&t.oc, 1);
        }
        CHECK(&h, rc == 0 && bt_shape_is(bt_t(&t, y), 4, (int64_t[]){ 1, 4, 2, 3 }) &&
                      memcmp(op_check_ptr(&t.oc, y), want, sizeof want) == 0, "spec example");
        bt_free(&t);
    }
    struct bt t;
    int32_t x, y;
    CHECK(&h, s2d_graph(&t, YOLO_DT_F32, 4, (int64_t[]){ 1, 3, 5, 6 }, 2, &x, &y) ==
                  YOLO_ERR_FORMAT && strstr(t.d.msg, "multiple"), "odd height: %s", t.d.msg);
    bt_free(&t);
    CHECK(&h, s2d_graph(&t, YOLO_DT_F32, 4, (int64_t[]){ 1, 3, 6, 6 }, 0, &x, &y) ==
                  YOLO_ERR_FORMAT, "blocksize 0 (or missing)");
    bt_free(&t);
    CHECK(&h, s2d_graph(&t, YOLO_DT_F32, 3, (int64_t[]){ 3, 6, 6 }, 2, &x, &y) ==
                  YOLO_ERR_FORMAT, "rank 3");
    bt_free(&t);
    return harness_finish(&h);
}
