/* test_conv.c: Conv import + shape_fn, the reference kernel on a hand-computed case, the
 * im2col + sgemm kernel against the reference on odd shapes and every attribute combination
 * (nth 1, 2 and 3), and rejection of bad params. */
#include <math.h>

#include "harness.h"
#include "cpu/conv_gemm.h"
#include "op_check.h"

#define SEED 20240611u

struct conv_case {
    int64_t n, c, h, w, m, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr, group;
    int bias, act;
    const char *auto_pad;          /* NULL: attribute absent */
    int no_kernel_shape;           /* leave kernel_shape out: taken from W */
};

static struct yolo_attr attr_ints(const char *name, const int64_t *v, int32_t cnt)
{
    struct yolo_attr a = { .name = name, .type = YOLO_ATTR_INTS, .ints = v, .n_ints = cnt };
    return a;
}

/* Builds X -> Conv -> Y with random const W and B; returns the node's import status.
 * *yt gets Y's tensor index. */
static int build(struct yolo_graph *g, const struct conv_case *cc, uint64_t *rng, int32_t *yt,
                 struct yolo_diag *d)
{
    int64_t cg = cc->c / (cc->group ? cc->group : 1);
    int64_t xs[4] = { cc->n, cc->c, cc->h, cc->w }, ws[4] = { cc->m, cg, cc->kh, cc->kw };
    int64_t nw = cc->m * cg * cc->kh * cc->kw;
    float *wv = malloc(sizeof(float) * (size_t)(nw + cc->m));
    if (!wv)
        return YOLO_ERR_NOMEM;
    for (int64_t i = 0; i < nw + cc->m; i++)
        wv[i] = harness_randf(rng, -1.0f, 1.0f);
    int32_t in[3];
    in[0] = yolo_graph_add_tensor(g, "x", YOLO_DT_F32, 4, xs, d);
    in[1] = yolo_graph_add_const(g, "w", YOLO_DT_F32, 4, ws, wv, d);
    in[2] = yolo_graph_add_const(g, "b", YOLO_DT_F32, 1, &cc->m, wv + nw, d);
    free(wv);
    *yt = yolo_graph_add_tensor(g, "y", YOLO_DT_F32, -1, NULL, d);
    int32_t node = yolo_graph_add_node(g, YOLO_OP_CONV, "conv", cc->bias ? 3 : 2, in, 1, yt, d);
    if (node < 0)
        return YOLO_ERR_INTERNAL;
    int64_t ks[2] = { cc->kh, cc->kw }, st[2] = { cc->sh, cc->sw }, dl[2] = { cc->dh, cc->dw };
    int64_t pd[4] = { cc->pt, cc->pl, cc->pb, cc->pr };
    struct yolo_attr av[6];
    int32_t na = 0;
    if (!cc->no_kernel_shape)
        av[na++] = attr_ints("kernel_shape", ks, 2);
    av[na++] = attr_ints("strides", st, 2);
    av[na++] = attr_ints("dilations", dl, 2);
    if (!cc->auto_pad)
        av[na++] = attr_ints("pads", pd, 4);
    av[na++] = (struct yolo_attr){ .name = "group", .type = YOLO_ATTR_INT, .i = cc->group };
    if (cc->auto_pad)
        av[na++] = (struct yolo_attr){ .name = "auto_pad", .type = YOLO_ATTR_STRING,
                                       .s = cc->auto_pad };
    struct yolo_attrs attrs = { av, na, 17 };
    int rc = yolo_op_conv.import_fn(g, &g->nodes[node], &attrs, d);
    g->nodes[node].params[YOLO_CONV_ACT] = cc->act;
    return rc;
}

static void check_case(struct harness *h, const struct conv_case *cc, uint64_t seed)
{
    struct yolo_graph g;
    struct yolo_diag d = { 0 };
    struct op_check oc;
    int32_t yt;
    uint64_t rng = seed;
    yolo_graph_init(&g);
    int rc = build(&g, cc, &rng, &yt, &d);
    CHECK(h, rc == 0, "import: %s", d.msg);
    rc = op_check_setup(h, rc, &oc, &g, seed, &d, "prepare n%lld c%lld %lldx%lld m%lld k%lldx%lld g%lld",
                        (long long)cc->n, (long long)cc->c, (long long)cc->h, (long long)cc->w,
                        (long long)cc->m, (long long)cc->kh, (long long)cc->kw, (long long)cc->group);
    if (rc)
        return;
    int64_t cnt = yolo_tensor_numel(&g.tensors[yt]);
    op_check_run(&oc, 1);
    float *ref = op_check_copy(&oc, yt);
    op_check_run(&oc, 3);   /* the reference's own thread split must not change anything */
    CHECK(h, ref && memcmp(ref, op_check_ptr(&oc, yt), sizeof(float) * (size_t)cnt) == 0,
          "ref nth=3 differs from nth=1");
    for (int nth = 1; nth <= 3 && ref; nth++) {
        op_check_run_op(&oc, YOLO_OP_CONV, yolo_conv_gemm,
                        yolo_conv_gemm_scratch(&g, &g.nodes[0], nth), nth);
        double e = op_check_nmse(op_check_ptr(&oc, yt), ref, cnt);
        CHECK(h, e <= 1e-6, "gemm nmse %g nth %d: n%lld c%lld %lldx%lld m%lld k%lldx%lld "
              "s%lldx%lld d%lldx%lld p%lld,%lld,%lld,%lld g%lld bias%d act%d auto_pad %s", e, nth,
              (long long)cc->n, (long long)cc->c, (long long)cc->h, (long long)cc->w,
              (long long)cc->m, (long long)cc->kh, (long long)cc->kw, (long long)cc->sh,
              (long long)cc->sw, (long long)cc->dh, (long long)cc->dw, (long long)cc->pt,
              (long long)cc->pl, (long long)cc->pb, (long long)cc->pr, (long long)cc->group,
              cc->bias, cc->act, cc->auto_pad ? cc->auto_pad : "-");
    }
    free(ref);
    op_check_release(&oc);
    yolo_graph_release(&g);
}

/* X = 1..9 (3x3), W = [[1,0],[0,1]], B = 0.5: each output is x[i][j] + x[i+1][j+1] + 0.5. */
static void check_hand(struct harness *h)
{
    struct yolo_graph g;
    struct yolo_diag d = { 0 };
    struct op_check oc;
    yolo_graph_init(&g);
    float wv[4] = { 1, 0, 0, 1 }, bv[1] = { 0.5f };
    int32_t in[3], y;
    in[0] = yolo_graph_add_tensor(&g, "x", YOLO_DT_F32, 4, (int64_t[]){ 1, 1, 3, 3 }, &d);
    in[1] = yolo_graph_add_const(&g, "w", YOLO_DT_F32, 4, (int64_t[]){ 1, 1, 2, 2 }, wv, &d);
    in[2] = yolo_graph_add_const(&g, "b", YOLO_DT_F32, 1, (int64_t[]){ 1 }, bv, &d);
    y = yolo_graph_add_tensor(&g, "y", YOLO_DT_F32, -1, NULL, &d);
    int32_t node = yolo_graph_add_node(&g, YOLO_OP_CONV, "conv", 3, in, 1, &y, &d);
    struct yolo_attrs attrs = { NULL, 0, 11 };
    int rc = yolo_op_conv.import_fn(&g, &g.nodes[node], &attrs, &d);
    if ((rc = op_check_setup(h, rc, &oc, &g, 1, &d, "hand case")) != 0)
        return;
    float *x = op_check_ptr(&oc, in[0]);
    for (int i = 0; i < 9; i++)
        x[i] = (float)(i + 1);
    const float want[4] = { 6.5f, 8.5f, 12.5f, 14.5f };
    const struct yolo_tensor *Y = &g.tensors[y];
    CHECK(h, Y->ndim == 4 && Y->shape[2] == 2 && Y->shape[3] == 2, "hand case output shape");
    for (int k = 0; k < 2; k++) {
        op_check_run_op(&oc, YOLO_OP_CONV, k ? yolo_conv_gemm : NULL,
                        yolo_conv_gemm_scratch(&g, &g.nodes[node], 1), 1);
        const float *yv = op_check_ptr(&oc, y);
        for (int i = 0; i < 4; i++)
            CHECK(h, fabsf(yv[i] - want[i]) < 1e-6f, "hand case %s y[%d] = %g, want %g",
                  k ? "gemm" : "ref", i, yv[i], want[i]);
    }
    /* fused activations on the same case */
    g.nodes[node].params[YOLO_CONV_ACT] = YOLO_ACT_SILU;
    op_check_run(&oc, 1);
    const float *yv = op_check_ptr(&oc, y);
    CHECK(h, fabsf(yv[0] - 6.5f / (1.0f + expf(-6.5f))) < 1e-5f, "hand case silu %g", yv[0]);
    for (int i = 0; i < 9; i++)
        x[i] = -(float)(i + 1);
    g.nodes[node].params[YOLO_CONV_ACT] = YOLO_ACT_RELU;
    op_check_run(&oc, 1);
    CHECK(h, yv[3] == 0.0f, "hand case relu %g", yv[3]);
    g.nodes[node].params[YOLO_CONV_ACT] = YOLO_ACT_SIGMOID;
    op_check_run_op(&oc, YOLO_OP_CONV, yolo_conv_gemm, yolo_conv_gemm_scratch(&g, &g.nodes[node], 1), 1);
    CHECK(h, fabsf(yv[0] - 1.0f / (1.0f + expf(5.5f))) < 1e-6f, "hand case sigmoid %g", yv[0]);
    struct yolo_cpu_kernel ck;
    yolo_cpu_kernel_pick(&g, &g.nodes[node], YOLO_ISA_REF, 0, 1, &ck);
    CHECK(h, ck.fn == yolo_op_conv.ref_fn, "ref isa -> ref");
    yolo_cpu_kernel_pick(&g, &g.nodes[node], YOLO_ISA_AVX2, 0, 1, &ck);
    CHECK(h, yolo_isa_usable(YOLO_ISA_AVX2) == YOLO_ISA_REF || ck.fn == yolo_conv_gemm,
          "avx2 isa, unpacked weights -> gemm");
    CHECK(h, yolo_op_conv.flops_fn(&g, &g.nodes[node]) == 16.0, "flops %g",
          yolo_op_conv.flops_fn(&g, &g.nodes[node]));
    op_check_release(&oc);
    yolo_graph_release(&g);
}

/* SAME_UPPER puts the odd pad at the end, SAME_LOWER at the beginning. */
static void check_auto_pad(struct harness *h)
{
    static const char *modes[3] = { "SAME_UPPER", "SAME_LOWER", "VALID" };
    for (int k = 0; k < 3; k++) {
        struct conv_case cc = { 1, 2, 4, 5, 3, 2, 2, 1, 2, 1, 1, 0, 0, 0, 0, 1, 1, 0, modes[k], 0 };
        struct yolo_graph g;
        struct yolo_diag d = { 0 };
        uint64_t rng = 7;
        int32_t yt;
        yolo_graph_init(&g);
        int rc = build(&g, &cc, &rng, &yt, &d);
        rc = rc ? rc : yolo_op_conv.shape_fn(&g, &g.nodes[0], &d);
        CHECK(h, rc == 0, "auto_pad %s: %s", modes[k], d.msg);
        const int64_t *p = g.nodes[0].params;
        const struct yolo_tensor *Y = &g.tensors[yt];
        if (k == 0)   /* H: out 4, total 1 -> 0/1; W: out 3, total (3-1)*2+2-5 = 1 -> 0/1 */
            CHECK(h, p[YOLO_CONV_PT] == 0 && p[YOLO_CONV_PB] == 1 && p[YOLO_CONV_PL] == 0 &&
                  p[YOLO_CONV_PR] == 1 && Y->shape[2] == 4 && Y->shape[3] == 3, "SAME_UPPER pads");
        if (k == 1)
            CHECK(h, p[YOLO_CONV_PT] == 1 && p[YOLO_CONV_PB] == 0 && p[YOLO_CONV_PL] == 1 &&
                  p[YOLO_CONV_PR] == 0 && Y->shape[2] == 4 && Y->shape[3] == 3, "SAME_LOWER pads");
        if (k == 2)
            CHECK(h, Y->shape[2] == 3 && Y->shape[3] == 2, "VALID shape %lldx%lld",
                  (long long)Y->shape[2], (long long)Y->shape[3]);
        /* shape_fn must be idempotent: engines re-run it on load */
        rc = yolo_op_conv.shape_fn(&g, &g.nodes[0], &d);
        CHECK(h, rc == 0 && Y->shape[2] == (k == 2 ? 3 : 4), "auto_pad %s re-run", modes[k]);
        yolo_graph_release(&g);
        check_case(h, &cc, SEED + 100 + (uint64_t)k);
    }
}

/* Each bad case must fail in import or shape_fn with a message, never crash. */
static void check_bad(struct harness *h)
{
    struct bad { struct conv_case cc; int patch; int64_t value; const char *what; };
    const struct bad bads[] = {
        { { 1, 4, 5, 5, 6, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 3, 1, 0, NULL, 0 }, -1, 0, "group 3 vs C 4" },
        { { 1, 4, 5, 5, 6, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 4, 1, 0, NULL, 0 }, -1, 0, "M 6 vs group 4" },
        { { 1, 4, 2, 2, 6, 3, 3, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 0, NULL, 0 }, -1, 0, "input < kernel" },
        { { 1, 4, 5, 5, 6, 3, 3, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, NULL, 0 }, -1, 0, "stride 0" },
        { { 1, 4, 5, 5, 6, 3, 3, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 0, NULL, 0 }, -1, 0, "dilation 0" },
        { { 1, 4, 5, 5, 6, 3, 3, 1, 1, 1, 1, -1, 1, 1, 1, 1, 1, 0, NULL, 0 }, -1, 0, "negative pad" },
        { { 1, 4, 5, 5, 6, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, "SAME_MIDDLE", 0 }, -1, 0, "auto_pad" },
        { { 1, 4, 5, 5, 6, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, NULL, 0 }, YOLO_CONV_ACT, 9, "act 9" },
        { { 1, 4, 5, 5, 6, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, NULL, 0 }, YOLO_CONV_KH, 2, "kh vs W" },
        { { 1, 4, 5, 5, 6, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, NULL, 0 }, YOLO_CONV_GROUP, 0, "group 0" },
        { { 1, 4, 5, 5, 6, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, NULL, 0 }, YOLO_CONV_AUTO_PAD, 5, "auto_pad 5" },
    };
    for (size_t i = 0; i < sizeof bads / sizeof bads[0]; i++) {
        struct yolo_graph g;
        struct yolo_diag d = { 0 };
        uint64_t rng = 3;
        int32_t yt;
        yolo_graph_init(&g);
        int rc = build(&g, &bads[i].cc, &rng, &yt, &d);
        if (rc == 0) {
            if (bads[i].patch >= 0)
                g.nodes[0].params[bads[i].patch] = bads[i].value;
            rc = yolo_op_conv.shape_fn(&g, &g.nodes[0], &d);
        }
        CHECK(h, rc != 0 && d.msg[0] != 0, "bad case '%s' accepted", bads[i].what);
        yolo_graph_release(&g);
    }
    /* structural problems: wrong bias length, 3-D input, weights with the wrong channels */
    for (int k = 0; k < 3; k++) {
        struct yolo_graph g;
        struct yolo_diag d = { 0 };
        yolo_graph_init(&g);
        int32_t in[3], y;
        in[0] = yolo_graph_add_tensor(&g, "x", YOLO_DT_F32, k == 1 ? 3 : 4,
                                      (int64_t[]){ 1, 4, 6, 6 }, &d);
        in[1] = yolo_graph_add_const(&g, "w", YOLO_DT_F32, 4,
                                     (int64_t[]){ 2, k == 2 ? 3 : 4, 1, 1 }, NULL, &d);
        in[2] = yolo_graph_add_const(&g, "b", YOLO_DT_F32, 1, (int64_t[]){ k == 0 ? 3 : 2 }, NULL,
                                     &d);
        y = yolo_graph_add_tensor(&g, "y", YOLO_DT_F32, -1, NULL, &d);
        int32_t node = yolo_graph_add_node(&g, YOLO_OP_CONV, "conv", 3, in, 1, &y, &d);
        struct yolo_attrs attrs = { NULL, 0, 12 };
        int rc = yolo_op_conv.import_fn(&g, &g.nodes[node], &attrs, &d);
        rc = rc ? rc : yolo_op_conv.shape_fn(&g, &g.nodes[node], &d);
        CHECK(h, rc != 0 && d.msg[0] != 0, "structural bad case %d accepted", k);
        yolo_graph_release(&g);
    }
    /* a 1-D kernel_shape is rejected at import as unsupported */
    {
        struct yolo_graph g;
        struct yolo_diag d = { 0 };
        yolo_graph_init(&g);
        int32_t in[2] = { yolo_graph_add_tensor(&g, "x", YOLO_DT_F32, 4, (int64_t[]){ 1, 1, 4, 4 }, &d),
                          yolo_graph_add_const(&g, "w", YOLO_DT_F32, 4, (int64_t[]){ 1, 1, 1, 1 },
                                               NULL, &d) };
        int32_t y = yolo_graph_add_tensor(&g, "y", YOLO_DT_F32, -1, NULL, &d);
        yolo_graph_add_node(&g, YOLO_OP_CONV, "conv", 2, in, 1, &y, &d);
        int64_t k1 = 1;
        struct yolo_attr av = attr_ints("kernel_shape", &k1, 1);
        struct yolo_attrs attrs = { &av, 1, 12 };
        int rc = yolo_op_conv.import_fn(&g, &g.nodes[0], &attrs, &d);
        CHECK(h, rc == YOLO_ERR_UNSUPPORTED, "1-D kernel_shape: rc %d %s", rc, d.msg);
        yolo_graph_release(&g);
    }
}

int main(void)
{
    HARNESS_INIT(h, "test_conv");
    printf("test_conv: seed %u\n", SEED);
    check_hand(&h);
    check_auto_pad(&h);
    /*  n  c   h   w   m  kh kw sh sw dh dw pt pl pb pr grp bias act */
    const struct conv_case cases[] = {
        { 1, 3, 17, 17, 5, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, YOLO_ACT_NONE, NULL, 0 },
        { 1, 3, 17, 17, 5, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, YOLO_ACT_SILU, NULL, 0 },
        { 2, 7, 9, 13, 11, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, YOLO_ACT_RELU, NULL, 0 },   /* 1x1 */
        { 1, 6, 7, 7, 9, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 3, 0, YOLO_ACT_NONE, NULL, 0 },     /* 1x1 grouped */
        { 1, 5, 8, 6, 4, 1, 1, 2, 2, 1, 1, 0, 0, 0, 0, 1, 1, YOLO_ACT_SIGMOID, NULL, 0 },  /* 1x1 stride 2 */
        { 1, 4, 5, 5, 3, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, YOLO_ACT_NONE, NULL, 0 },     /* 1x1 padded */
        { 1, 6, 11, 9, 6, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 6, 1, YOLO_ACT_SILU, NULL, 0 },    /* depthwise */
        { 2, 17, 7, 7, 17, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 17, 1, YOLO_ACT_RELU, NULL, 0 },  /* depthwise s2 */
        { 1, 4, 9, 9, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 4, 0, YOLO_ACT_NONE, NULL, 0 },     /* dw mult 2 */
        { 1, 6, 13, 11, 9, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 3, 1, YOLO_ACT_SIGMOID, NULL, 0 },/* groups 3 */
        { 1, 3, 15, 17, 5, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 1, 1, YOLO_ACT_NONE, NULL, 0 },   /* dilation 2 */
        { 1, 3, 15, 17, 5, 3, 3, 2, 1, 2, 1, 0, 2, 1, 0, 1, 0, YOLO_ACT_SILU, NULL, 0 },   /* mixed */
        { 1, 5, 10, 7, 7, 3, 2, 1, 2, 1, 1, 0, 1, 2, 3, 1, 1, YOLO_ACT_NONE, NULL, 0 },    /* asym pads */
        { 1, 3, 32, 32, 4, 6, 6, 2, 2, 1, 1, 2, 2, 2, 2, 1, 1, YOLO_ACT_SILU, NULL, 0 },   /* v5 stem */
        { 1, 2, 7, 7, 3, 7, 7, 1, 1, 1, 1, 3, 3, 3, 3, 1, 1, YOLO_ACT_NONE, NULL, 0 },     /* 7x7 */
        { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, YOLO_ACT_NONE, NULL, 0 },     /* 1 pixel */
        { 1, 3, 1, 17, 2, 1, 3, 1, 1, 1, 1, 0, 1, 0, 1, 1, 1, YOLO_ACT_RELU, NULL, 0 },    /* 1 row */
        { 3, 9, 5, 3, 5, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, YOLO_ACT_NONE, NULL, 1 },     /* no kernel_shape */
        { 1, 2, 4, 4, 2, 3, 3, 3, 3, 1, 1, 4, 4, 4, 4, 1, 1, YOLO_ACT_NONE, NULL, 0 },     /* pad > kernel */
        { 1, 80, 20, 20, 80, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, YOLO_ACT_SILU, NULL, 0 }, /* > 1 tile */
        { 1, 16, 40, 40, 16, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, YOLO_ACT_SILU, NULL, 0 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        check_case(&h, &cases[i], SEED + i);
    check_bad(&h);
    return harness_finish(&h);
}
