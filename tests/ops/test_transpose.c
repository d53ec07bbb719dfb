/* test_transpose.c: Transpose of ranks 0..6 (YOLOv5's 5-D head, YOLO11's attention), f32,
 * int64 and bool, default and explicit perm: the reference kernel (nth 1 and 3) against an
 * index oracle written here and a hand-computed 2x3 case; bad perms rejected. */
#include "harness.h"
#include "op_check.h"

#define SEED 5150u

struct tp_case { enum yolo_dtype dt; int rank; int64_t shape[6]; int n_perm; int64_t perm[6]; };

static int build(struct yolo_graph *g, const struct tp_case *c, int32_t *t, struct yolo_diag *d)
{
    yolo_graph_init(g);
    t[0] = yolo_graph_add_tensor(g, "x", c->dt, c->rank, c->shape, d);
    t[1] = yolo_graph_add_tensor(g, "y", c->dt, -1, NULL, d);
    int32_t node = yolo_graph_add_node(g, YOLO_OP_TRANSPOSE, "tp", 1, t, 1, &t[1], d);
    struct yolo_attr av = { .name = "perm", .type = YOLO_ATTR_INTS, .ints = c->perm,
                            .n_ints = c->n_perm };
    struct yolo_attrs attrs = { &av, c->n_perm ? 1 : 0, 13 };
    int rc = yolo_op_transpose.import_fn(g, &g->nodes[node], &attrs, d);
    return rc ? rc : yolo_op_transpose.shape_fn(g, &g->nodes[node], d);
}

static void check_case(struct harness *h, const struct tp_case *c, uint64_t seed)
{
    struct yolo_graph g;
    struct yolo_diag d = { 0 };
    struct op_check oc;
    int32_t t[2];
    int rc = build(&g, c, t, &d);
    if ((rc = op_check_setup(h, rc, &oc, &g, seed, &d, "seed %llu", (unsigned long long)seed)) != 0)
        return;
    int r = c->rank;
    int64_t perm[6], ostride[6], numel = yolo_tensor_numel(&g.tensors[t[0]]);
    for (int i = 0; i < r; i++)
        perm[i] = c->n_perm ? c->perm[i] : r - 1 - i;
    const struct yolo_tensor *Y = &g.tensors[t[1]];
    int shape_ok = Y->ndim == r && Y->dtype == c->dt;
    for (int i = 0; i < r && shape_ok; i++)
        shape_ok = Y->shape[i] == c->shape[perm[i]];
    CHECK(h, shape_ok, "output shape, seed %llu", (unsigned long long)seed);
    for (int i = r - 1, s = 1; i >= 0; i--) {
        ostride[i] = s;
        s *= (int)Y->shape[i];
    }
    size_t es = yolo_dtype_size(c->dt);
    for (int nth = 1; nth <= 3; nth += 2) {
        op_check_run(&oc, nth);
        const uint8_t *x = op_check_ptr(&oc, t[0]), *y = op_check_ptr(&oc, t[1]);
        int64_t bad = 0;
        for (int64_t e = 0; e < numel; e++) {   /* input element e -> its output position */
            int64_t rem = e, idx[6], o = 0;
            for (int i = r - 1; i >= 0; i--) {
                idx[i] = rem % c->shape[i];
                rem /= c->shape[i];
            }
            for (int i = 0; i < r; i++)
                o += idx[perm[i]] * ostride[i];
            bad += memcmp(x + e * es, y + o * es, es) != 0;
        }
        CHECK(h, bad == 0, "%lld misplaced elements, nth %d seed %llu", (long long)bad, nth,
              (unsigned long long)seed);
    }
    op_check_release(&oc);
    yolo_graph_release(&g);
}

static void check_hand(struct harness *h)
{
    struct tp_case c = { YOLO_DT_F32, 2, { 2, 3 }, 0, { 0 } };
    struct yolo_graph g;
    struct yolo_diag d = { 0 };
    struct op_check oc;
    int32_t t[2];
    int rc = build(&g, &c, t, &d);
    if ((rc = op_check_setup(h, rc, &oc, &g, 1, &d, "hand")) != 0)
        return;
    const float xv[6] = { 1, 2, 3, 4, 5, 6 }, want[6] = { 1, 4, 2, 5, 3, 6 };
    memcpy(op_check_ptr(&oc, t[0]), xv, sizeof xv);
    op_check_run(&oc, 1);
    CHECK(h, memcmp(op_check_ptr(&oc, t[1]), want, sizeof want) == 0, "2x3 transpose");
    op_check_release(&oc);
    yolo_graph_release(&g);
}

int main(void)
{
    HARNESS_INIT(h, "test_transpose");
    printf("test_transpose: seed %u\n", SEED);
    check_hand(&h);
    const struct tp_case cases[] = {
        { YOLO_DT_F32, 5, { 1, 3, 17, 5, 7 }, 5, { 0, 1, 3, 4, 2 } },   /* YOLOv5 head */
        { YOLO_DT_F32, 4, { 1, 17, 3, 7 }, 4, { 0, 2, 1, 3 } },
        { YOLO_DT_F32, 4, { 1, 2, 7, 17 }, 4, { 0, 1, 3, 2 } },
        { YOLO_DT_F32, 4, { 1, 4, 16, 7 }, 4, { 0, 3, 1, 2 } },
        { YOLO_DT_F32, 3, { 1, 84, 17 }, 3, { 0, 2, 1 } },
        { YOLO_DT_F32, 3, { 3, 7, 17 }, 0, { 0 } },                        /* default: reverse */
        { YOLO_DT_I64, 4, { 2, 3, 1, 7 }, 4, { 3, 0, 2, 1 } },
        { YOLO_DT_BOOL, 3, { 3, 5, 7 }, 3, { 1, 2, 0 } },
        { YOLO_DT_F32, 6, { 2, 1, 3, 2, 3, 2 }, 6, { 5, 3, 1, 0, 2, 4 } },
        { YOLO_DT_F32, 1, { 17 }, 1, { 0 } },
        { YOLO_DT_F32, 0, { 0 }, 0, { 0 } },                               /* scalar */
        { YOLO_DT_F32, 3, { 2, 0, 3 }, 3, { 2, 1, 0 } },                   /* empty */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        check_case(&h, &cases[i], SEED + i);
    const struct tp_case bad[] = {
        { YOLO_DT_F32, 3, { 2, 3, 4 }, 3, { 0, 0, 1 } },       /* repeated */
        { YOLO_DT_F32, 3, { 2, 3, 4 }, 3, { 0, 1, 3 } },       /* out of range */
        { YOLO_DT_F32, 3, { 2, 3, 4 }, 2, { 1, 0 } },          /* wrong length */
        { YOLO_DT_F32, 3, { 2, 3, 4 }, 3, { -1, 0, 1 } },      /* negative */
        { YOLO_DT_UNDEF, 2, { 2, 3 }, 0, { 0 } },              /* unknown dtype */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct yolo_graph g;
        struct yolo_diag d = { 0 };
        int32_t t[2];
        int rc = build(&g, &bad[i], t, &d);
        CHECK(&h, rc != 0 && d.msg[0], "bad perm case %zu accepted", i);
        yolo_graph_release(&g);
    }
    return harness_finish(&h);
}
