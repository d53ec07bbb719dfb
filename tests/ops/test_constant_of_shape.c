/* test_constant_of_shape.c: ConstantOfShape with the default value (float32 0) and float32 /
 * int64 / int32 / bool values, shapes of rank 0..6 (scalar and empty too), every element set,
 * the thread split; rejected: runtime or float or negative shapes, a rank above the maximum,
 * a value of two elements or an unsupported dtype, hostile params. */
#include "bc_test.h"

static int cos_graph(struct bt *t, int32_t ns, const int64_t *shape, int32_t value, int32_t *y)
{
    struct yolo_attr at[1] = { bt_attr_tensor("value", value) };
    struct yolo_attrs A = { at, value >= 0 ? 1 : 0, 9 };
    int32_t s = bt_const_i64(t, "shape", ns, shape);
    *y = bt_out(t, "y");
    int rc = bt_node(t, YOLO_OP_CONSTANT_OF_SHAPE, 1, &s, 1, y, &A);
    if (!rc)
        rc = bt_prepare(t, 1);
    return rc;
}

int main(int argc, char **argv)
{
    HARNESS_INIT(h, "test_constant_of_shape");
    uint64_t seed = bt_seed(argc, argv, "test_constant_of_shape", 20240623);
    (void)seed;
    float f = 1.5f;
    int64_t i64 = -7;
    int32_t i32 = 123456;
    uint8_t b = 1;
    struct { enum yolo_dtype dt; const void *v; } vals[5] = {
        { YOLO_DT_UNDEF, NULL }, { YOLO_DT_F32, &f }, { YOLO_DT_I64, &i64 }, { YOLO_DT_I32, &i32 },
        { YOLO_DT_BOOL, &b },
    };
    for (size_t si = 0; si < sizeof bt_shapes / sizeof bt_shapes[0]; si++)
        for (int v = 0; v < 5; v++) {
            const struct bt_shape *sh = &bt_shapes[si];
            struct bt t;
            bt_init(&t);
            int32_t val = -1, y;
            if (vals[v].v)
                val = bt_const(&t, "value", vals[v].dt, 1, (int64_t[]){ 1 }, vals[v].v);
            int rc = cos_graph(&t, sh->n, sh->s, val, &y);
            CHECK(&h, rc == 0, "shape %zu value %d: %s", si, v, t.d.msg);
            if (rc) {
                bt_free(&t);
                continue;
            }
            enum yolo_dtype dt = vals[v].v ? vals[v].dt : YOLO_DT_F32;
            CHECK(&h, bt_t(&t, y)->dtype == dt && bt_shape_is(bt_t(&t, y), sh->n, sh->s),
                  "shape %zu value %d: out", si, v);
            CHECK(&h, bt_split_ok(&t, 3), "shape %zu value %d: split", si, v);
            size_t es = yolo_dtype_size(dt);
            const uint8_t *Y = op_check_ptr(&t.oc, y);
            uint8_t zero[8] = { 0 };
            int64_t n = bt_numel(sh->n, sh->s), bad = -1;
            for (int64_t i = 0; i < n && bad < 0; i++)
                if (memcmp(Y + i * es, vals[v].v ? vals[v].v : zero, es) != 0)
                    bad = i;
            CHECK(&h, bad < 0, "shape %zu value %d: element %lld", si, v, (long long)bad);
            bt_free(&t);
        }

    struct bt t;
    int32_t y;
    bt_init(&t);
    CHECK(&h, cos_graph(&t, 2, (int64_t[]){ 2, -1 }, -1, &y) == YOLO_ERR_FORMAT, "negative dim");
    bt_free(&t);
    bt_init(&t);
    CHECK(&h, cos_graph(&t, 7, (int64_t[]){ 1, 1, 1, 1, 1, 1, 1 }, -1, &y) ==
                  YOLO_ERR_UNSUPPORTED, "rank 7");
    bt_free(&t);
    bt_init(&t);
    CHECK(&h, cos_graph(&t, 2, (int64_t[]){ (int64_t)1 << 40, (int64_t)1 << 40 }, -1, &y) ==
                  YOLO_ERR_UNSUPPORTED, "too large");
    bt_free(&t);
    {
        bt_init(&t);
        float two[2] = { 1, 2 };
        int32_t val = bt_const(&t, "value", YOLO_DT_F32, 1, (int64_t[]){ 2 }, two);
        CHECK(&h, cos_graph(&t, 1, (int64_t[]){ 3 }, val, &y) == YOLO_ERR_FORMAT, "two values");
        bt_free(&t);
    }
    {
        bt_init(&t);
        double dv = 1.0;
        int32_t val = bt_const(&t, "value", YOLO_DT_F64, 1, (int64_t[]){ 1 }, &dv);
        CHECK(&h, cos_graph(&t, 1, (int64_t[]){ 3 }, val, &y) == YOLO_ERR_UNSUPPORTED, "float64");
        bt_free(&t);
    }
    {
        bt_init(&t);
        int32_t s = bt_in(&t, "shape", YOLO_DT_I64, 1, (int64_t[]){ 2 });
        y = bt_out(&t, "y");
        bt_node(&t, YOLO_OP_CONSTANT_OF_SHAPE, 1, &s, 1, &y, NULL);
        int rc = bt_prepare(&t, 1);
        CHECK(&h, rc == YOLO_ERR_UNSUPPORTED && strstr(t.d.msg, "must be a constant"),
              "runtime shape: %s", t.d.msg);
        bt_free(&t);
    }
    {
        bt_init(&t);
        float sv[1] = { 3 };
        int32_t s = bt_const(&t, "shape", YOLO_DT_F32, 1, (int64_t[]){ 1 }, sv);
        y = bt_out(&t, "y");
        bt_node(&t, YOLO_OP_CONSTANT_OF_SHAPE, 1, &s, 1, &y, NULL);
        CHECK(&h, bt_prepare(&t, 1) == YOLO_ERR_UNSUPPORTED, "float shape");
        bt_free(&t);
    }
    {
        bt_init(&t);
        CHECK(&h, cos_graph(&t, 1, (int64_t[]){ 3 }, -1, &y) == 0, "setup");
        bt_n(&t)->params[0] = 99;
        op_check_release(&t.oc);
        CHECK(&h, bt_prepare(&t, 1) == YOLO_ERR_UNSUPPORTED, "params dtype 99");
        bt_free(&t);
    }
    return harness_finish(&h);
}
