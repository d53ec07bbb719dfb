/* test_matmul.c: MatMul shapes (1-D operands, batch broadcasting), the reference kernel on
 * a hand-computed 2x3 @ 3x2, the sgemm kernel against the reference (nth 1 and 3), and
 * rejection of bad shapes. */
#include "harness.h"
#include "op_check.h"

#define SEED 7301u

struct mm_case { int ar; int64_t as[6]; int br; int64_t bs[6]; int yr; int64_t ys[6]; };

/* Builds A, B -> MatMul -> Y. Returns the status of import + shape_fn. */
static int build(struct yolo_graph *g, const struct mm_case *c, int32_t *t, struct yolo_diag *d)
{
    yolo_graph_init(g);
    t[0] = yolo_graph_add_tensor(g, "a", YOLO_DT_F32, c->ar, c->as, d);
    t[1] = yolo_graph_add_tensor(g, "b", YOLO_DT_F32, c->br, c->bs, d);
    t[2] = yolo_graph_add_tensor(g, "y", YOLO_DT_F32, -1, NULL, d);
    int32_t node = yolo_graph_add_node(g, YOLO_OP_MATMUL, "mm", 2, t, 1, &t[2], d);
    struct yolo_attrs attrs = { NULL, 0, 13 };
    int rc = yolo_op_matmul.import_fn(g, &g->nodes[node], &attrs, d);
    return rc ? rc : yolo_op_matmul.shape_fn(g, &g->nodes[node], d);
}

/* numpy matmul written out: pad both shapes to the output's rank (1-D operands become
 * [1, K] and [K, 1]), then every output element is a dot product at broadcast indices. */
static float *oracle(const struct mm_case *c, const float *a, const float *b, int64_t cnt)
{
    int64_t as[8], bs[8], ys[8];
    int r = c->ar > c->br ? c->ar : c->br;
    r = r < 2 ? 2 : r;
    for (int i = 0; i < r; i++)
        as[i] = bs[i] = 1;
    if (c->ar == 1)
        as[r - 1] = c->as[0];
    else
        for (int i = 0; i < c->ar; i++)
            as[r - c->ar + i] = c->as[i];
    if (c->br == 1)
        bs[r - 2] = c->bs[0];
    else
        for (int i = 0; i < c->br; i++)
            bs[r - c->br + i] = c->bs[i];
    for (int i = 0; i < r - 2; i++)
        ys[i] = as[i] > bs[i] ? as[i] : bs[i];
    ys[r - 2] = as[r - 2];
    ys[r - 1] = bs[r - 1];
    int64_t K = as[r - 1];
    float *y = malloc(sizeof(float) * (size_t)(cnt ? cnt : 1));
    if (!y)
        return NULL;
    for (int64_t e = 0; e < cnt; e++) {
        int64_t idx[8], rem = e, ao = 0, bo = 0, am = 1, bm = 1;
        for (int i = r - 1; i >= 0; i--) {
            idx[i] = rem % ys[i];
            rem /= ys[i];
        }
        for (int i = r - 3; i >= 0; i--) {       /* broadcast: size-1 dims index 0 */
            ao += (as[i] == 1 ? 0 : idx[i]) * am;
            bo += (bs[i] == 1 ? 0 : idx[i]) * bm;
            am *= as[i];
            bm *= bs[i];
        }
        double acc = 0;
        for (int64_t k = 0; k < K; k++)
            acc += (double)a[(ao * as[r - 2] + idx[r - 2]) * K + k] *
                   b[(bo * K + k) * bs[r - 1] + idx[r - 1]];
        y[e] = (float)acc;
    }
    return y;
}

static void check_case(struct harness *h, const struct mm_case *c, uint64_t seed)
{
    struct yolo_graph g;
    struct yolo_diag d = { 0 };
    struct op_check oc;
    int32_t t[3];
    int rc = build(&g, c, t, &d);
    if ((rc = op_check_setup(h, rc, &oc, &g, seed, &d, "case rank %d x %d", c->ar, c->br)) != 0)
        return;
    const struct yolo_tensor *Y = &g.tensors[t[2]];
    int same = Y->ndim == c->yr;
    for (int i = 0; same && i < c->yr; i++)
        same = Y->shape[i] == c->ys[i];
    CHECK(h, same, "output shape rank %d (want %d), seed %llu", Y->ndim, c->yr,
          (unsigned long long)seed);
    int64_t cnt = yolo_tensor_numel(Y);
    op_check_run(&oc, 1);
    float *ref = op_check_copy(&oc, t[2]);
    if (same && ref) {
        float *want = oracle(c, op_check_ptr(&oc, t[0]), op_check_ptr(&oc, t[1]), cnt);
        CHECK(h, want && op_check_nmse(ref, want, cnt) <= 1e-10, "ref vs oracle, seed %llu",
              (unsigned long long)seed);
        free(want);
    }
    op_check_run(&oc, 3);
    CHECK(h, ref && memcmp(ref, op_check_ptr(&oc, t[2]), sizeof(float) * (size_t)cnt) == 0,
          "ref nth 3 differs from nth 1");
    for (int nth = 1; nth <= 3 && ref; nth += 2) {
        op_check_run_cpu(&oc, YOLO_OP_MATMUL, YOLO_ISA_AVX2, -1, nth, NULL);
        double e = op_check_nmse(op_check_ptr(&oc, t[2]), ref, cnt);
        CHECK(h, e <= 1e-6, "gemm nmse %g nth %d seed %llu rank %d x %d", e, nth,
              (unsigned long long)seed, c->ar, c->br);
    }
    free(ref);
    op_check_release(&oc);
    yolo_graph_release(&g);
}

static void check_hand(struct harness *h)
{
    struct mm_case c = { 2, { 2, 3 }, 2, { 3, 2 }, 2, { 2, 2 } };
    struct yolo_graph g;
    struct yolo_diag d = { 0 };
    struct op_check oc;
    int32_t t[3];
    int rc = build(&g, &c, t, &d);
    if ((rc = op_check_setup(h, rc, &oc, &g, 1, &d, "hand")) != 0)
        return;
    const float av[6] = { 1, 2, 3, 4, 5, 6 }, bv[6] = { 7, 8, 9, 10, 11, 12 };
    const float want[4] = { 58, 64, 139, 154 };
    memcpy(op_check_ptr(&oc, t[0]), av, sizeof av);
    memcpy(op_check_ptr(&oc, t[1]), bv, sizeof bv);
    for (int k = 0; k < 2; k++) {
        if (k)
            op_check_run_cpu(&oc, YOLO_OP_MATMUL, YOLO_ISA_AVX512, -1, 2, NULL);
        else
            op_check_run(&oc, 2);
        const float *y = op_check_ptr(&oc, t[2]);
        for (int i = 0; i < 4; i++)
            CHECK(h, y[i] == want[i], "%s y[%d] = %g, want %g", k ? "gemm" : "ref", i, y[i],
                  want[i]);
    }
    struct yolo_cpu_kernel ck;
    yolo_cpu_kernel_pick(&g, &g.nodes[0], YOLO_ISA_REF, 0, 1, &ck);
    CHECK(h, ck.fn == yolo_op_matmul.ref_fn, "ref isa");
    CHECK(h, yolo_op_matmul.flops_fn(&g, &g.nodes[0]) == 12.0, "flops");
    op_check_release(&oc);
    yolo_graph_release(&g);
}

int main(void)
{
    HARNESS_INIT(h, "test_matmul");
    printf("test_matmul: seed %u\n", SEED);
    check_hand(&h);
    const struct mm_case cases[] = {
        { 2, { 17, 7 }, 2, { 7, 3 }, 2, { 17, 3 } },
        { 1, { 7 }, 2, { 7, 3 }, 1, { 3 } },                       /* 1-D @ 2-D */
        { 2, { 5, 7 }, 1, { 7 }, 1, { 5 } },                       /* 2-D @ 1-D */
        { 1, { 17 }, 1, { 17 }, 0, { 0 } },                        /* dot product */
        { 4, { 1, 2, 17, 7 }, 4, { 1, 2, 7, 17 }, 4, { 1, 2, 17, 17 } },  /* attention */
        { 4, { 1, 2, 32, 400 }, 4, { 1, 2, 400, 32 }, 4, { 1, 2, 32, 32 } },
        { 4, { 3, 1, 5, 4 }, 3, { 2, 4, 3 }, 4, { 3, 2, 5, 3 } },  /* broadcast both ways */
        { 3, { 2, 3, 4 }, 2, { 4, 5 }, 3, { 2, 3, 5 } },
        { 1, { 7 }, 3, { 2, 7, 3 }, 2, { 2, 3 } },
        { 3, { 3, 5, 7 }, 1, { 7 }, 2, { 3, 5 } },
        { 5, { 2, 1, 3, 1, 2 }, 3, { 3, 2, 3 }, 5, { 2, 1, 3, 1, 3 } },
        { 6, { 1, 2, 1, 3, 4, 2 }, 4, { 2, 1, 2, 5 }, 6, { 1, 2, 2, 3, 4, 5 } },
        { 2, { 1, 1 }, 2, { 1, 1 }, 2, { 1, 1 } },
        { 2, { 3, 0 }, 2, { 0, 4 }, 2, { 3, 4 } },                  /* K = 0: zeros */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        check_case(&h, &cases[i], SEED + i);
    const struct mm_case bad[] = {
        { 2, { 2, 3 }, 2, { 4, 2 }, 0, { 0 } },                      /* K mismatch */
        { 3, { 2, 3, 4 }, 3, { 3, 4, 5 }, 0, { 0 } },                /* batch 2 vs 3 */
        { 0, { 0 }, 2, { 4, 2 }, 0, { 0 } },                         /* scalar operand */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct yolo_graph g;
        struct yolo_diag d = { 0 };
        int32_t t[3];
        int rc = build(&g, &bad[i], t, &d);
        CHECK(&h, rc != 0 && d.msg[0], "bad case %zu accepted", i);
        yolo_graph_release(&g);
    }
    {   /* int64 operands are rejected, not misread */
        struct yolo_graph g;
        struct yolo_diag d = { 0 };
        struct mm_case c = { 2, { 2, 3 }, 2, { 3, 2 }, 0, { 0 } };
        int32_t t[3];
        build(&g, &c, t, &d);
        g.tensors[t[0]].dtype = YOLO_DT_I64;
        int rc = yolo_op_matmul.shape_fn(&g, &g.nodes[0], &d);
        CHECK(&h, rc == YOLO_ERR_UNSUPPORTED, "int64 MatMul: rc %d", rc);
        yolo_graph_release(&g);
    }
    return harness_finish(&h);
}
