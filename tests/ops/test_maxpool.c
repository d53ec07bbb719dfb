/* test_maxpool.c: MaxPool 2-D with strides, asymmetric pads, dilations, ceil_mode (including
 * the dropped last window) and auto_pad: output shapes from the spec's formulas, the
 * reference kernel (nth 1 and 3) against a -inf padded sliding-window oracle and a hand case;
 * bad attributes rejected. */
#include <float.h>
#include <math.h>

#include "harness.h"
#include "op_check.h"

#define SEED 2718u

struct mp_case {
    int64_t n, c, h, w, kh, kw, sh, sw, pt, pl, pb, pr, dh, dw, ceil;
    const char *auto_pad;        /* NULL: NOTSET with pads */
    int64_t oh, ow;              /* expected output size */
};

static int build(struct yolo_graph *g, const struct mp_case *c, int32_t *t, int n_out,
                 int with_kernel, struct yolo_diag *d)
{
    yolo_graph_init(g);
    int64_t ks[2] = { c->kh, c->kw }, st[2] = { c->sh, c->sw }, dl[2] = { c->dh, c->dw };
    int64_t pd[4] = { c->pt, c->pl, c->pb, c->pr };
    t[0] = yolo_graph_add_tensor(g, "x", YOLO_DT_F32, 4, (int64_t[]){ c->n, c->c, c->h, c->w }, d);
    int32_t outs[2];
    outs[0] = t[1] = yolo_graph_add_tensor(g, "y", YOLO_DT_F32, -1, NULL, d);
    outs[1] = yolo_graph_add_tensor(g, "idx", YOLO_DT_I64, -1, NULL, d);
    int32_t node = yolo_graph_add_node(g, YOLO_OP_MAXPOOL, "pool", 1, t, n_out, outs, d);
    struct yolo_attr av[6] = {
        { .name = "strides", .type = YOLO_ATTR_INTS, .ints = st, .n_ints = 2 },
        { .name = "dilations", .type = YOLO_ATTR_INTS, .ints = dl, .n_ints = 2 },
        { .name = "ceil_mode", .type = YOLO_ATTR_INT, .i = c->ceil },
        { .name = "pads", .type = YOLO_ATTR_INTS, .ints = pd, .n_ints = 4 },
        { .name = "kernel_shape", .type = YOLO_ATTR_INTS, .ints = ks, .n_ints = 2 },
    };
    int na = 4;
    if (c->auto_pad)
        av[3] = (struct yolo_attr){ .name = "auto_pad", .type = YOLO_ATTR_STRING, .s = c->auto_pad };
    if (with_kernel)
        av[na++] = av[4];
    struct yolo_attrs attrs = { av, na, 12 };
    int rc = yolo_op_maxpool.import_fn(g, &g->nodes[node], &attrs, d);
    return rc ? rc : yolo_op_maxpool.shape_fn(g, &g->nodes[node], d);
}

static void check_case(struct harness *h, const struct mp_case *c, uint64_t seed)
{
    struct yolo_graph g;
    struct yolo_diag d = { 0 };
    struct op_check oc;
    int32_t t[2];
    int rc = build(&g, c, t, 1, 1, &d);
    if ((rc = op_check_setup(h, rc, &oc, &g, seed, &d, "seed %llu", (unsigned long long)seed)) != 0)
        return;
    const struct yolo_tensor *Y = &g.tensors[t[1]];
    CHECK(h, Y->shape[2] == c->oh && Y->shape[3] == c->ow, "output %lldx%lld, want %lldx%lld "
          "(seed %llu)", (long long)Y->shape[2], (long long)Y->shape[3], (long long)c->oh,
          (long long)c->ow, (unsigned long long)seed);
    if (Y->shape[2] != c->oh || Y->shape[3] != c->ow) {
        op_check_release(&oc);
        yolo_graph_release(&g);
        return;
    }
    const int64_t *p = g.nodes[0].params;   /* pads as resolved (auto_pad) */
    int64_t pt = p[4], pl = p[5], ph = c->h + p[4] + p[6], pw = c->w + p[5] + p[7];
    int64_t planes = c->n * c->c, cnt = planes * c->oh * c->ow;
    const float *x = op_check_ptr(&oc, t[0]);
    float *padded = malloc(sizeof(float) * (size_t)(planes * ph * pw));
    float *want = malloc(sizeof(float) * (size_t)cnt);
    for (int64_t q = 0; q < planes; q++)
        for (int64_t i = 0; i < ph; i++)
            for (int64_t j = 0; j < pw; j++) {
                int64_t yi = i - pt, xi = j - pl;
                padded[(q * ph + i) * pw + j] = yi >= 0 && yi < c->h && xi >= 0 && xi < c->w
                                                    ? x[(q * c->h + yi) * c->w + xi] : -INFINITY;
            }
    for (int64_t q = 0; q < planes; q++)
        for (int64_t oy = 0; oy < c->oh; oy++)
            for (int64_t ox = 0; ox < c->ow; ox++) {
                float m = -INFINITY;
                for (int64_t a = 0; a < c->kh; a++)
                    for (int64_t b = 0; b < c->kw; b++) {
                        int64_t i = oy * c->sh + a * c->dh, j = ox * c->sw + b * c->dw;
                        if (i < ph && j < pw)   /* ceil_mode windows may run past the pad */
                            m = fmaxf(m, padded[(q * ph + i) * pw + j]);
                    }
                want[(q * c->oh + oy) * c->ow + ox] = m == -INFINITY ? -FLT_MAX : m;
            }
    for (int nth = 1; nth <= 3; nth += 2) {
        op_check_run(&oc, nth);
        CHECK(h, memcmp(op_check_ptr(&oc, t[1]), want, sizeof(float) * (size_t)cnt) == 0,
              "values differ, nth %d seed %llu", nth, (unsigned long long)seed);
    }
    free(padded);
    free(want);
    op_check_release(&oc);
    yolo_graph_release(&g);
}

static void check_hand(struct harness *h)
{
    struct mp_case c = { 1, 1, 4, 4, 2, 2, 2, 2, 0, 0, 0, 0, 1, 1, 0, NULL, 2, 2 };
    struct yolo_graph g;
    struct yolo_diag d = { 0 };
    struct op_check oc;
    int32_t t[2];
    int rc = build(&g, &c, t, 1, 1, &d);
    if ((rc = op_check_setup(h, rc, &oc, &g, 1, &d, "hand")) != 0)
        return;
    float *x = op_check_ptr(&oc, t[0]);
    for (int i = 0; i < 16; i++)
        x[i] = (float)(i + 1);
    const float want[4] = { 6, 8, 14, 16 };
    op_check_run(&oc, 1);
    CHECK(h, memcmp(op_check_ptr(&oc, t[1]), want, sizeof want) == 0, "4x4 k2 s2");
    op_check_release(&oc);
    yolo_graph_release(&g);
}

int main(void)
{
    HARNESS_INIT(h, "test_maxpool");
    printf("test_maxpool: seed %u\n", SEED);
    check_hand(&h);
    /*   n  c   h   w  kh kw sh sw pt pl pb pr dh dw ceil auto_pad       oh  ow */
    const struct mp_case cases[] = {
        { 1, 7, 13, 13, 5, 5, 1, 1, 2, 2, 2, 2, 1, 1, 0, NULL, 13, 13 },    /* SPPF */
        { 2, 3, 17, 9, 2, 2, 2, 2, 0, 0, 0, 0, 1, 1, 0, NULL, 8, 4 },
        { 1, 3, 6, 6, 3, 3, 2, 2, 0, 0, 0, 0, 1, 1, 1, NULL, 3, 3 },        /* ceil: 2 -> 3 */
        { 1, 2, 5, 5, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1, NULL, 3, 3 },        /* last window dropped */
        { 1, 3, 11, 7, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 0, NULL, 11, 7 },      /* dilation 2 */
        { 1, 3, 9, 8, 3, 2, 2, 1, 0, 1, 2, 0, 1, 1, 0, NULL, 5, 8 },        /* asymmetric */
        { 1, 2, 7, 7, 3, 3, 2, 2, 0, 0, 0, 0, 1, 1, 0, "SAME_UPPER", 4, 4 },
        { 1, 2, 7, 8, 2, 3, 2, 3, 0, 0, 0, 0, 1, 1, 0, "SAME_LOWER", 4, 3 },
        { 1, 2, 7, 8, 3, 3, 2, 2, 0, 0, 0, 0, 1, 1, 0, "VALID", 3, 3 },
        { 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 0, NULL, 1, 1 },
        { 1, 3, 3, 3, 3, 3, 1, 1, 2, 2, 2, 2, 1, 1, 0, NULL, 5, 5 },        /* pad-only windows */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        check_case(&h, &cases[i], SEED + i);
    const struct mp_case bad[] = {
        { 1, 1, 4, 4, 5, 5, 1, 1, 0, 0, 0, 0, 1, 1, 0, NULL, 0, 0 },        /* kernel > input */
        { 1, 1, 4, 4, 2, 2, 0, 1, 0, 0, 0, 0, 1, 1, 0, NULL, 0, 0 },        /* stride 0 */
        { 1, 1, 4, 4, 2, 2, 1, 1, -1, 0, 0, 0, 1, 1, 0, NULL, 0, 0 },       /* negative pad */
        { 1, 1, 4, 4, 2, 2, 1, 1, 0, 0, 0, 0, 0, 1, 0, NULL, 0, 0 },        /* dilation 0 */
        { 1, 1, 4, 4, 2, 2, 1, 1, 0, 0, 0, 0, 1, 1, 0, "SAME", 0, 0 },      /* unknown auto_pad */
        { 1, 1, 4, 4, 2, 2, 1, 1, 0, 0, 0, 0, 1, 1, 2, NULL, 0, 0 },        /* ceil_mode 2 */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct yolo_graph g;
        struct yolo_diag d = { 0 };
        int32_t t[2];
        int rc = build(&g, &bad[i], t, 1, 1, &d);
        CHECK(&h, rc != 0 && d.msg[0], "bad case %zu accepted", i);
        yolo_graph_release(&g);
    }
    {   /* no kernel_shape; the Indices output; a 3-D input */
        const struct mp_case c = { 1, 1, 4, 4, 2, 2, 1, 1, 0, 0, 0, 0, 1, 1, 0, NULL, 3, 3 };
        for (int k = 0; k < 3; k++) {
            struct yolo_graph g;
            struct yolo_diag d = { 0 };
            int32_t t[2];
            int rc = build(&g, &c, t, k == 1 ? 2 : 1, k != 0, &d);
            if (k == 2 && rc == 0) {
                g.tensors[t[0]].ndim = 3;
                rc = yolo_op_maxpool.shape_fn(&g, &g.nodes[0], &d);
            }
            CHECK(&h, rc != 0 && d.msg[0], "structural bad case %d accepted", k);
            yolo_graph_release(&g);
        }
    }
    return harness_finish(&h);
}
