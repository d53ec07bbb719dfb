/* test_batch_norm.c: BatchNormalization (inference form) on ranks 2..5: the reference kernel
 * (nth 1 and 3) against a double-precision oracle and a hand-computed case; training mode,
 * extra outputs and mis-shaped parameters rejected. */
#include <math.h>

#include "harness.h"
#include "op_check.h"

#define SEED 6061u

/* X plus four [C] constants (scale, B, mean, var > 0). t[0] = X, t[5] = Y. */
static int build(struct yolo_graph *g, int rank, const int64_t *shape, float eps, uint64_t *rng,
                 int32_t *t, int n_out, int64_t training, struct yolo_diag *d)
{
    yolo_graph_init(g);
    int64_t C = shape[1];
    float *pv = malloc(sizeof(float) * (size_t)(4 * C));
    if (!pv)
        return YOLO_ERR_NOMEM;
    for (int64_t i = 0; i < 4 * C; i++)
        pv[i] = i >= 3 * C ? harness_randf(rng, 0.1f, 3.0f) : harness_randf(rng, -2.0f, 2.0f);
    t[0] = yolo_graph_add_tensor(g, "x", YOLO_DT_F32, rank, shape, d);
    static const char *names[4] = { "scale", "b", "mean", "var" };
    for (int i = 0; i < 4; i++)
        t[1 + i] = yolo_graph_add_const(g, names[i], YOLO_DT_F32, 1, &C, pv + i * C, d);
    free(pv);
    int32_t outs[3];
    outs[0] = t[5] = yolo_graph_add_tensor(g, "y", YOLO_DT_F32, -1, NULL, d);
    outs[1] = yolo_graph_add_tensor(g, "rm", YOLO_DT_F32, -1, NULL, d);
    outs[2] = yolo_graph_add_tensor(g, "rv", YOLO_DT_F32, -1, NULL, d);
    int32_t node = yolo_graph_add_node(g, YOLO_OP_BATCH_NORM, "bn", 5, t, n_out, outs, d);
    struct yolo_attr av[3] = {
        { .name = "epsilon", .type = YOLO_ATTR_FLOAT, .f = eps },
        { .name = "momentum", .type = YOLO_ATTR_FLOAT, .f = 0.9f },
        { .name = "training_mode", .type = YOLO_ATTR_INT, .i = training },
    };
    struct yolo_attrs attrs = { av, 3, 15 };
    int rc = yolo_op_batch_norm.import_fn(g, &g->nodes[node], &attrs, d);
    return rc ? rc : yolo_op_batch_norm.shape_fn(g, &g->nodes[node], d);
}

static void check_case(struct harness *h, int rank, const int64_t *shape, float eps, uint64_t seed)
{
    struct yolo_graph g;
    struct yolo_diag d = { 0 };
    struct op_check oc;
    int32_t t[6];
    uint64_t rng = seed;
    int rc = build(&g, rank, shape, eps, &rng, t, 1, 0, &d);
    if ((rc = op_check_setup(h, rc, &oc, &g, seed, &d, "seed %llu", (unsigned long long)seed)) != 0)
        return;
    int64_t C = shape[1], inner = 1, cnt = yolo_tensor_numel(&g.tensors[t[0]]);
    for (int k = 2; k < rank; k++)
        inner *= shape[k];
    const float *x = op_check_ptr(&oc, t[0]), *sc = op_check_ptr(&oc, t[1]);
    const float *b = op_check_ptr(&oc, t[2]), *mean = op_check_ptr(&oc, t[3]);
    const float *var = op_check_ptr(&oc, t[4]);
    float *want = malloc(sizeof(float) * (size_t)cnt);
    for (int64_t i = 0; i < cnt; i++) {
        int64_t c = (i / inner) % C;
        want[i] = (float)(((double)x[i] - mean[c]) / sqrt((double)var[c] + eps) * sc[c] + b[c]);
    }
    for (int nth = 1; nth <= 3; nth += 2) {
        op_check_run(&oc, nth);
        double e = op_check_nmse(op_check_ptr(&oc, t[5]), want, cnt);
        CHECK(h, e <= 1e-10, "nmse %g nth %d seed %llu", e, nth, (unsigned long long)seed);
    }
    free(want);
    op_check_release(&oc);
    yolo_graph_release(&g);
}

static void check_hand(struct harness *h)
{
    struct yolo_graph g;
    struct yolo_diag d = { 0 };
    struct op_check oc;
    int32_t t[6];
    uint64_t rng = 1;
    int rc = build(&g, 4, (int64_t[]){ 1, 2, 1, 2 }, 1.0f, &rng, t, 1, 0, &d);
    if ((rc = op_check_setup(h, rc, &oc, &g, 1, &d, "hand")) != 0)
        return;
    /* channel 0: (x - 1) / sqrt(3 + 1) * 2 + 1 = x; channel 1: (x - 2) / sqrt(0 + 1) * 0.5 - 1 */
    const float x[4] = { 1, 2, 3, 4 }, sc[2] = { 2, 0.5f }, b[2] = { 1, -1 }, mean[2] = { 1, 2 };
    const float var[2] = { 3, 0 }, want[4] = { 1, 2, -0.5f, 0 };
    memcpy(op_check_ptr(&oc, t[0]), x, sizeof x);
    memcpy(op_check_ptr(&oc, t[1]), sc, sizeof sc);
    memcpy(op_check_ptr(&oc, t[2]), b, sizeof b);
    memcpy(op_check_ptr(&oc, t[3]), mean, sizeof mean);
    memcpy(op_check_ptr(&oc, t[4]), var, sizeof var);
    op_check_run(&oc, 1);
    const float *y = op_check_ptr(&oc, t[5]);
    for (int i = 0; i < 4; i++)
        CHECK(h, fabsf(y[i] - want[i]) < 1e-6f, "y[%d] = %g, want %g", i, y[i], want[i]);
    op_check_release(&oc);
    yolo_graph_release(&g);
}

int main(void)
{
    HARNESS_INIT(h, "test_batch_norm");
    printf("test_batch_norm: seed %u\n", SEED);
    check_hand(&h);
    check_case(&h, 4, (int64_t[]){ 1, 17, 7, 9 }, 1e-5f, SEED);
    check_case(&h, 4, (int64_t[]){ 3, 5, 1, 1 }, 1e-3f, SEED + 1);
    check_case(&h, 2, (int64_t[]){ 7, 3 }, 1e-5f, SEED + 2);
    check_case(&h, 3, (int64_t[]){ 2, 7, 17 }, 0.0f, SEED + 3);
    check_case(&h, 5, (int64_t[]){ 1, 3, 3, 5, 7 }, 1e-5f, SEED + 4);
    /* training mode, the running-stat outputs, a parameter of the wrong length, int64 X */
    for (int k = 0; k < 4; k++) {
        struct yolo_graph g;
        struct yolo_diag d = { 0 };
        int32_t t[6];
        uint64_t rng = 5;
        int rc = build(&g, 4, (int64_t[]){ 1, 3, 2, 2 }, 1e-5f, &rng, t, k == 1 ? 3 : 1,
                       k == 0 ? 1 : 0, &d);
        if (rc == 0 && k >= 2) {
            if (k == 2)
                g.tensors[t[3]].shape[0] = 2;
            else
                g.tensors[t[0]].dtype = YOLO_DT_I64;
            rc = yolo_op_batch_norm.shape_fn(&g, &g.nodes[0], &d);
        }
        CHECK(&h, rc != 0 && d.msg[0], "bad case %d accepted", k);
        CHECK(&h, k > 1 || rc == YOLO_ERR_UNSUPPORTED, "bad case %d: rc %d", k, rc);
        yolo_graph_release(&g);
    }
    return harness_finish(&h);
}
