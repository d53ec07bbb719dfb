/* test_constant.c: Constant in each attribute form (value tensor float32 / int64, value_float,
 * value_floats, value_int, value_ints, empty list): output dtype, shape and bytes, the value
 * wired as input 0 and params[0], the thread split; rejected: no value, two values, string
 * values, a value that is not a constant, a node with inputs, hostile params. */
#include "bc_test.h"

/* Runs import + shape_fn + kernel for one attribute; on success checks that the output has
 * dtype dt, shape want[0..nw) and bytes equal to data. */
static int ccase(struct harness *h, int line, struct yolo_attr *at, int nat, struct bt *t,
                 enum yolo_dtype dt, int32_t nw, const int64_t *want, const void *data)
{
    struct yolo_attrs A = { at, nat, 13 };
    int32_t y = bt_out(t, "y");
    int rc = bt_node(t, YOLO_OP_CONSTANT, 0, NULL, 1, &y, &A);
    if (!rc)
        rc = bt_prepare(t, 1);
    if (!rc) {
        const struct yolo_tensor *Y = bt_t(t, y);
        CHECK(h, Y->dtype == dt && bt_shape_is(Y, nw, want), "line %d: dtype/shape", line);
        const struct yolo_node *n = bt_n(t);
        CHECK(h, n->n_in == 1 && n->in[0] >= 0 && n->params[0] == n->in[0] &&
                     (bt_t(t, n->in[0])->flags & YOLO_TF_CONST), "line %d: wiring", line);
        CHECK(h, bt_split_ok(t, 3), "line %d: split", line);
        CHECK(h, memcmp(op_check_ptr(&t->oc, y), data, yolo_tensor_bytes(Y)) == 0,
              "line %d: bytes", line);
    }
    return rc;
}

int main(int argc, char **argv)
{
    HARNESS_INIT(h, "test_constant");
    uint64_t seed = bt_seed(argc, argv, "test_constant", 20240615);
    uint64_t s = seed;
    {
        struct bt t;
        bt_init(&t);
        float v[21];
        for (int i = 0; i < 21; i++)
            v[i] = harness_randf(&s, -5, 5);
        int32_t c = bt_const(&t, "val", YOLO_DT_F32, 3, (int64_t[]){ 3, 1, 7 }, v);
        struct yolo_attr at[1] = { bt_attr_tensor("value", c) };
        CHECK(&h, ccase(&h, __LINE__, at, 1, &t, YOLO_DT_F32, 3, (int64_t[]){ 3, 1, 7 }, v) == 0,
              "value tensor f32: %s", t.d.msg);
        bt_free(&t);
    }
    {
        struct bt t;
        bt_init(&t);
        int64_t v[4] = { 1, 3, 5, INT64_MIN };
        int32_t c = bt_const_i64(&t, "val", 4, v);
        struct yolo_attr at[1] = { bt_attr_tensor("value", c) };
        CHECK(&h, ccase(&h, __LINE__, at, 1, &t, YOLO_DT_I64, 1, (int64_t[]){ 4 }, v) == 0,
              "value tensor i64: %s", t.d.msg);
        bt_free(&t);
    }
    {
        struct bt t;
        bt_init(&t);
        float v = 2.5f;
        struct yolo_attr at[1] = { bt_attr_float("value_float", v) };
        CHECK(&h, ccase(&h, __LINE__, at, 1, &t, YOLO_DT_F32, 0, NULL, &v) == 0, "value_float");
        bt_free(&t);
    }
    {
        struct bt t;
        bt_init(&t);
        float v[3] = { 1, -2, 3.5f };
        struct yolo_attr at[1] = { bt_attr_floats("value_floats", v, 3) };
        CHECK(&h, ccase(&h, __LINE__, at, 1, &t, YOLO_DT_F32, 1, (int64_t[]){ 3 }, v) == 0,
              "value_floats");
        bt_free(&t);
    }
    {
        struct bt t;
        bt_init(&t);
        int64_t v = -7;
        struct yolo_attr at[1] = { bt_attr_int("value_int", v) };
        CHECK(&h, ccase(&h, __LINE__, at, 1, &t, YOLO_DT_I64, 0, NULL, &v) == 0, "value_int");
        bt_free(&t);
    }
    {
        struct bt t;
        bt_init(&t);
        int64_t v[2] = { 300, 1 };
        struct yolo_attr at[1] = { bt_attr_ints("value_ints", v, 2) };
        CHECK(&h, ccase(&h, __LINE__, at, 1, &t, YOLO_DT_I64, 1, (int64_t[]){ 2 }, v) == 0,
              "value_ints");
        bt_free(&t);
    }
    {
        struct bt t;
        bt_init(&t);
        struct yolo_attr at[1] = { bt_attr_ints("value_ints", NULL, 0) };
        CHECK(&h, ccase(&h, __LINE__, at, 1, &t, YOLO_DT_I64, 1, (int64_t[]){ 0 }, "") == 0,
              "empty value_ints: %s", t.d.msg);
        bt_free(&t);
    }

    /* rejected */
    {
        struct bt t;
        bt_init(&t);
        CHECK(&h, ccase(&h, __LINE__, NULL, 0, &t, YOLO_DT_F32, 0, NULL, NULL) == YOLO_ERR_FORMAT,
              "no value");
        bt_free(&t);
    }
    {
        struct bt t;
        bt_init(&t);
        struct yolo_attr at[2] = { bt_attr_float("value_float", 1), bt_attr_int("value_int", 1) };
        CHECK(&h, ccase(&h, __LINE__, at, 2, &t, YOLO_DT_F32, 0, NULL, NULL) == YOLO_ERR_FORMAT,
              "two values");
        bt_free(&t);
    }
    {
        struct bt t;
        bt_init(&t);
        struct yolo_attr at[1] = { bt_attr_int("value_string", 0) };
        at[0].type = YOLO_ATTR_STRING;
        at[0].s = "hello";
        CHECK(&h, ccase(&h, __LINE__, at, 1, &t, YOLO_DT_F32, 0, NULL, NULL) ==
                      YOLO_ERR_UNSUPPORTED, "value_string");
        bt_free(&t);
    }
    {
        struct bt t;
        bt_init(&t);
        struct yolo_attr at[1] = { bt_attr_int("value_float", 3) };
        CHECK(&h, ccase(&h, __LINE__, at, 1, &t, YOLO_DT_F32, 0, NULL, NULL) == YOLO_ERR_FORMAT,
              "value_float of type int");
        bt_free(&t);
    }
    {
        struct bt t;
        bt_init(&t);
        int32_t c = bt_in(&t, "notconst", YOLO_DT_F32, 1, (int64_t[]){ 2 });
        struct yolo_attr at[1] = { bt_attr_tensor("value", c) };
        CHECK(&h, ccase(&h, __LINE__, at, 1, &t, YOLO_DT_F32, 0, NULL, NULL) == YOLO_ERR_FORMAT,
              "value not const");
        bt_free(&t);
    }
    {
        struct bt t;
        bt_init(&t);
        int32_t x = bt_in(&t, "x", YOLO_DT_F32, 1, (int64_t[]){ 2 }), y = bt_out(&t, "y");
        struct yolo_attr at[1] = { bt_attr_float("value_float", 1) };
        struct yolo_attrs A = { at, 1, 13 };
        CHECK(&h, bt_node(&t, YOLO_OP_CONSTANT, 1, &x, 1, &y, &A) == YOLO_ERR_FORMAT, "an input");
        bt_free(&t);
    }
    {
        /* hostile engine: no input and params[0] out of range or not const */
        struct bt t;
        bt_init(&t);
        int32_t x = bt_in(&t, "x", YOLO_DT_F32, 1, (int64_t[]){ 2 }), y = bt_out(&t, "y");
        bt_node(&t, YOLO_OP_CONSTANT, 0, NULL, 1, &y, NULL);
        bt_n(&t)->params[0] = 99;
        CHECK(&h, bt_prepare(&t, 1) == YOLO_ERR_FORMAT, "params[0] = 99");
        op_check_release(&t.oc);
        bt_n(&t)->params[0] = x;
        CHECK(&h, bt_prepare(&t, 1) == YOLO_ERR_FORMAT, "params[0] not const");
        op_check_release(&t.oc);
        bt_n(&t)->params[0] = -5;
        CHECK(&h, bt_prepare(&t, 1) == YOLO_ERR_FORMAT, "params[0] = -5");
        bt_free(&t);
    }
    return harness_finish(&h);
}
