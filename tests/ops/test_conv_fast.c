/* test_conv_fast.c: the project's own convolution kernels (kernels/x86/conv_body.h) against
 * the reference kernel, for every ISA this CPU has (AVX2, AVX-512), on awkward shapes:
 * channels not a multiple of 8/16, odd and tiny spatial sizes, strides 1/2/3, dilation 2,
 * asymmetric pads, batch 2, every fused activation, with and without bias, nth 1..3.
 * Each conv is packed by the build pass (opt/pack_conv.c) twice: with Winograd F(4x4,3x3)
 * where it applies and with GEMM8 only, so all three packed paths (GEMM8 panels, GEMM8 by
 * rows, Winograd) and the depthwise kernel run. Pass: normalized MSE <= 1e-6; the worst
 * Winograd NMSE and max relative error are printed so the margin is visible.
 * Also: the Conv shape_fn rejects packed weights of the wrong size, an unknown layout or a
 * layout on a conv it does not fit (what a hostile engine file could carry). */
#include <math.h>

#include "harness.h"
#include "cpu/conv_pack.h"
#include "op_check.h"
#include "passes.h"

#define SEED 20261121u

struct cc { int64_t n, c, h, w, m, kh, kw, s, d, pt, pl, pb, pr, group; int bias, act; };

static int build(struct yolo_graph *g, const struct cc *c, uint64_t *rng, int32_t *yt,
                 struct yolo_diag *d)
{
    int64_t cg = c->c / c->group, nw = c->m * cg * c->kh * c->kw;
    int64_t xs[4] = { c->n, c->c, c->h, c->w }, ws[4] = { c->m, cg, c->kh, c->kw };
    float *wv = malloc(sizeof(float) * (size_t)(nw + c->m));
    if (!wv)
        return YOLO_ERR_NOMEM;
    for (int64_t i = 0; i < nw + c->m; i++)
        wv[i] = harness_randf(rng, -1.0f, 1.0f) / sqrtf((float)(cg * c->kh * c->kw));
    int32_t in[3];
    in[0] = yolo_graph_add_tensor(g, "x", YOLO_DT_F32, 4, xs, d);
    in[1] = yolo_graph_add_const(g, "w", YOLO_DT_F32, 4, ws, wv, d);
    in[2] = yolo_graph_add_const(g, "b", YOLO_DT_F32, 1, &c->m, wv + nw, d);
    free(wv);
    *yt = yolo_graph_add_tensor(g, "y", YOLO_DT_F32, -1, NULL, d);
    int32_t node = yolo_graph_add_node(g, YOLO_OP_CONV, "conv", c->bias ? 3 : 2, in, 1, yt, d);
    if (in[0] < 0 || in[1] < 0 || in[2] < 0 || *yt < 0 || node < 0)
        return YOLO_ERR_INTERNAL;
    int64_t *p = g->nodes[node].params;
    p[YOLO_CONV_KH] = c->kh;
    p[YOLO_CONV_KW] = c->kw;
    p[YOLO_CONV_SH] = p[YOLO_CONV_SW] = c->s;
    p[YOLO_CONV_DH] = p[YOLO_CONV_DW] = c->d;
    p[YOLO_CONV_PT] = c->pt;
    p[YOLO_CONV_PL] = c->pl;
    p[YOLO_CONV_PB] = c->pb;
    p[YOLO_CONV_PR] = c->pr;
    p[YOLO_CONV_GROUP] = c->group;
    p[YOLO_CONV_ACT] = c->act;
    return 0;
}

struct isa_run { const char *name; enum yolo_isa isa; int ok; };

static double worst_wino_nmse, worst_wino_rel;
static int path_runs[6];   /* wino43, gemm8-rows, gemm8, depthwise, unpacked, cdir */

static void check_case(struct harness *h, const struct cc *c, const struct isa_run *isas,
                       int winograd, uint64_t seed)
{
    struct yolo_graph g;
    struct yolo_diag d = { 0 };
    struct op_check oc;
    int32_t yt;
    uint64_t rng = seed;
    yolo_graph_init(&g);
    int rc = build(&g, c, &rng, &yt, &d);
    rc = op_check_setup(h, rc, &oc, &g, seed, &d, "prepare c%lld m%lld %lldx%lld k%lld s%lld g%lld",
                        (long long)c->c, (long long)c->m, (long long)c->h, (long long)c->w,
                        (long long)c->kh, (long long)c->s, (long long)c->group);
    if (rc)
        return;
    const struct yolo_node *n = &g.nodes[0];
    int dw = yolo_conv_dw_applies(&g, n);
    int64_t cnt = yolo_tensor_numel(&g.tensors[yt]);
    op_check_run(&oc, 1);
    float *ref = op_check_copy(&oc, yt);
    for (int i = 0; isas[i].name && ref; i++) {
        /* the layout the CPU backend packs at load for this ISA; with winograd off, GEMM8
         * panels instead */
        int64_t kind = yolo_cpu_conv_pack_kind(&g, n, isas[i].isa);
        if (!winograd && kind == YOLO_CONV_PACK_WINO43)
            kind = YOLO_CONV_PACK_GEMM8;
        CHECK(h, (c->group == 1) == (kind != YOLO_CONV_PACK_NONE), "packed layout %lld for group %lld",
              (long long)kind, (long long)c->group);
        struct yolo_conv_geom geo;
        yolo_conv_geom_make(&g, n, kind, 1, &geo);
        const char *path = kind == YOLO_CONV_PACK_WINO43 ? "winograd-f4x4"
                           : kind == YOLO_CONV_PACK_CDIR32 ? "cdir"
                           : kind == YOLO_CONV_PACK_GEMM8 ? (geo.rows ? "gemm8-rows" : "gemm8")
                           : dw ? "depthwise" : "unpacked";
        if (isas[i].isa == YOLO_ISA_AVX512 || !isas[i + 1].name)   /* count each case once */
            path_runs[kind == YOLO_CONV_PACK_WINO43 ? 0 : kind == YOLO_CONV_PACK_CDIR32 ? 5
                      : kind == YOLO_CONV_PACK_GEMM8 ? (geo.rows ? 1 : 2) : dw ? 3 : 4]++;
        if (!isas[i].ok || (kind == YOLO_CONV_PACK_NONE && !dw))
            continue;
        for (int nth = 1; nth <= 3; nth++) {
            const char *picked = "?";
            /* the output still holds the last run's values: poison it, so a kernel that
             * leaves an element unwritten fails */
            memset(op_check_ptr(&oc, yt), 0xa5, (size_t)yolo_tensor_bytes(&g.tensors[yt]));
            op_check_run_cpu(&oc, YOLO_OP_CONV, isas[i].isa, kind, nth, &picked);
            CHECK(h, dw && kind == YOLO_CONV_PACK_NONE ? !strcmp(picked, "depthwise")
                                                       : !strcmp(picked, path),
                  "%s: backend picked kernel %s for the %s path", isas[i].name, picked, path);
            const float *y = op_check_ptr(&oc, yt);
            double e = op_check_nmse(y, ref, cnt);
            CHECK(h, e <= 1e-6, "%s %s nmse %g nth %d: n%lld c%lld %lldx%lld m%lld k%lldx%lld "
                  "s%lld d%lld p%lld,%lld,%lld,%lld g%lld bias%d act%d", isas[i].name, path, e,
                  nth, (long long)c->n, (long long)c->c, (long long)c->h, (long long)c->w,
                  (long long)c->m, (long long)c->kh, (long long)c->kw, (long long)c->s,
                  (long long)c->d, (long long)c->pt, (long long)c->pl, (long long)c->pb,
                  (long long)c->pr, (long long)c->group, c->bias, c->act);
            if (kind == YOLO_CONV_PACK_WINO43) {
                double mx = 0, amax = 0;
                for (int64_t k = 0; k < cnt; k++) {
                    double a = fabs((double)ref[k]);
                    amax = a > amax ? a : amax;
                }
                for (int64_t k = 0; k < cnt; k++) {
                    double r = fabs((double)y[k] - ref[k]) / (amax > 0 ? amax : 1);
                    mx = r > mx ? r : mx;
                }
                worst_wino_nmse = e > worst_wino_nmse ? e : worst_wino_nmse;
                worst_wino_rel = mx > worst_wino_rel ? mx : worst_wino_rel;
            }
        }
    }
    free(ref);
    op_check_release(&oc);
    yolo_graph_release(&g);
}

/* Engines store each weight once (format 2): a Conv with a 4th input (format 1's packed copy)
 * is refused by shape_fn, and the backend's layout choice follows the conv's geometry. */
static void check_reject(struct harness *h)
{
    const struct cc c = { 1, 5, 9, 9, 7, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 3 };
    struct yolo_graph g;
    struct yolo_diag d = { 0 };
    int32_t yt;
    uint64_t rng = SEED;
    yolo_graph_init(&g);
    int rc = build(&g, &c, &rng, &yt, &d);
    rc = rc ? rc : yolo_op_conv.shape_fn(&g, &g.nodes[0], &d);
    CHECK(h, rc == 0 && yolo_cpu_conv_pack_kind(&g, &g.nodes[0], YOLO_ISA_AVX512) == YOLO_CONV_PACK_WINO43,
          "3x3 stride-1 conv: winograd layout (%s)", d.msg);
    struct yolo_node *n = &g.nodes[0];
    n->params[YOLO_CONV_SH] = 2;
    rc = yolo_op_conv.shape_fn(&g, n, &d);
    CHECK(h, rc == 0 && yolo_cpu_conv_pack_kind(&g, n, YOLO_ISA_AVX512) == YOLO_CONV_PACK_GEMM8,
          "stride 2: GEMM8 layout");
    if (n->n_in == 2)
        n->in[2] = -1;
    n->in[3] = n->in[1];
    n->n_in = 4;
    CHECK(h, yolo_op_conv.shape_fn(&g, n, &d) != 0, "a 4th conv input accepted");
    yolo_graph_release(&g);
}

int main(void)
{
    HARNESS_INIT(h, "test_conv_fast");
    struct yolo_cpu cpu;
    yolo_cpu_detect(&cpu);
    enum yolo_isa best = yolo_isa_select(&cpu, NULL);
    const struct isa_run isas[] = {
        { "avx2", YOLO_ISA_AVX2, best >= YOLO_ISA_AVX2 },
        { "avx512", YOLO_ISA_AVX512, best >= YOLO_ISA_AVX512 },
        { NULL, YOLO_ISA_REF, 0 }
    };
    printf("test_conv_fast: seed %u, isa avx2 %s, avx512 %s\n", SEED, isas[0].ok ? "yes" : "no",
           isas[1].ok ? "yes" : "no");
    /*   n  c   h   w   m  kh kw s  d  pt pl pb pr  g bias act */
    static const struct cc cases[] = {
        { 1, 5, 9, 11, 7, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 3 },     /* odd everything */
        { 1, 16, 64, 64, 32, 3, 3, 2, 1, 1, 1, 1, 1, 1, 1, 3 },  /* stride 2, OW 32: cdir */
        { 2, 7, 13, 75, 45, 3, 3, 2, 1, 1, 1, 1, 1, 1, 0, 2 },   /* cdir: OW 38, M 45, batch 2 */
        { 1, 5, 10, 80, 33, 3, 3, 2, 1, 0, 2, 1, 0, 1, 1, 1 },   /* cdir: pads 0/2, M 33 */
        { 1, 3, 12, 70, 40, 6, 6, 2, 1, 2, 2, 2, 2, 1, 1, 3 },   /* cdir: 6x6 kernel */
        { 1, 9, 9, 66, 64, 4, 4, 2, 1, 1, 1, 2, 2, 1, 1, 3 },    /* cdir: 4x4, pads 1/2 */
        { 1, 130, 7, 64, 32, 3, 3, 2, 1, 1, 1, 1, 1, 1, 1, 3 },  /* cdir: K 1170 */
        { 1, 4, 3, 64, 96, 3, 3, 2, 1, 1, 1, 1, 1, 1, 1, 3 },    /* cdir: H 3, 3 M blocks */
        { 1, 16, 40, 40, 32, 3, 3, 2, 1, 1, 1, 1, 1, 1, 1, 3 },  /* cdir: OW 20, 10-pixel tiles */
        { 2, 9, 11, 60, 40, 3, 3, 2, 1, 0, 1, 1, 0, 1, 0, 1 },   /* cdir: OW 30, M 40 */
        { 1, 3, 9, 80, 32, 7, 7, 2, 1, 3, 3, 3, 3, 1, 1, 3 },    /* cdir: 7x7, generic tile */
        { 1, 2, 16, 90, 32, 14, 14, 2, 1, 6, 6, 7, 7, 1, 1, 3 }, /* cdir: KW 14, the bound */
        { 2, 16, 20, 20, 24, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 3 },  /* batch 2, 5x5 tiles */
        { 1, 3, 4, 4, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 0, 2 },      /* one tile, M 1 */
        { 1, 9, 17, 35, 19, 3, 3, 1, 1, 0, 2, 1, 0, 1, 1, 1 },   /* asymmetric pads */
        { 1, 8, 6, 70, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 0 },     /* wide: chunks inside a row */
        { 1, 4, 9, 200, 6, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 3 },    /* wider: unmasked chunks */
        { 1, 33, 7, 5, 17, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 3 },    /* narrow: chunks across rows */
        { 1, 16, 32, 32, 32, 3, 3, 2, 1, 1, 1, 1, 1, 1, 1, 3 },  /* stride 2, rows path */
        { 1, 3, 40, 41, 16, 3, 3, 2, 1, 1, 1, 1, 1, 1, 1, 3 },   /* stride 2, C 3, odd W */
        { 1, 7, 13, 13, 10, 3, 3, 2, 1, 1, 1, 1, 1, 1, 0, 1 },   /* stride 2, panels path */
        { 1, 21, 9, 32, 13, 3, 3, 2, 1, 1, 1, 1, 1, 1, 1, 3 },   /* stride 2, K 189: rows */
        { 2, 37, 10, 63, 9, 3, 3, 2, 1, 1, 1, 1, 1, 1, 0, 2 },   /* rows, odd W, batch 2 */
        { 1, 19, 7, 33, 8, 3, 3, 2, 1, 0, 1, 1, 0, 1, 1, 1 },    /* rows, asymmetric pads */
        { 1, 130, 6, 32, 11, 3, 3, 2, 1, 1, 1, 1, 1, 1, 1, 3 },  /* rows, K 1170: 2 blocks */
        { 1, 24, 11, 40, 12, 3, 3, 2, 1, 1, 1, 1, 1, 1, 1, 3 },  /* stride 2, OW 20: panels */
        { 2, 130, 9, 42, 11, 3, 3, 2, 1, 1, 1, 1, 1, 1, 1, 3 },  /* stride 2, OW 21, K 1170 */
        { 1, 10, 12, 40, 19, 3, 3, 2, 1, 0, 2, 1, 0, 1, 1, 1 },  /* stride 2, OW 20, pads 0/2 */
        { 1, 6, 3, 30, 5, 3, 3, 2, 1, 1, 1, 1, 1, 1, 0, 0 },     /* stride 2, 2 rows of 15 */
        { 1, 4, 20, 20, 9, 4, 4, 2, 1, 1, 1, 2, 2, 1, 1, 3 },    /* stride 2, 4x4 kernel */
        { 1, 3, 64, 66, 16, 6, 6, 2, 1, 2, 2, 2, 2, 1, 1, 3 },   /* YOLOv5's 6x6 stem */
        { 1, 5, 20, 50, 9, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1, 3 },    /* stride 3, rows path */
        { 1, 5, 11, 11, 9, 3, 3, 3, 1, 2, 0, 1, 2, 1, 1, 0 },    /* stride 3, panels path */
        { 1, 6, 21, 48, 11, 3, 3, 1, 2, 2, 2, 2, 2, 1, 1, 3 },   /* dilation 2 */
        { 1, 12, 9, 10, 20, 5, 5, 1, 1, 2, 2, 2, 2, 1, 1, 3 },   /* 5x5 */
        { 1, 13, 8, 9, 17, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 3 },    /* 1x1 */
        { 2, 40, 7, 7, 70, 1, 1, 1, 1, 0, 0, 0, 0, 1, 0, 2 },    /* 1x1, batch 2 */
        { 1, 2400, 3, 5, 9, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 3 },   /* 1x1, K > one block */
        /* 1x1 read in place (whole panels), K 2500 in 2 or 3 blocks, a ragged last panel */
        { 2, 2500, 7, 15, 11, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 3 },
        { 1, 270, 5, 6, 10, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 3 },   /* 3x3 K 2430: blocks */
        { 1, 40, 10, 48, 9, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 3 },   /* 3x3 K 360 */
        { 1, 7, 9, 12, 5, 1, 1, 2, 1, 0, 0, 0, 0, 1, 1, 0 },     /* 1x1 stride 2 */
        { 1, 16, 12, 19, 16, 3, 3, 1, 1, 1, 1, 1, 1, 16, 1, 3 }, /* depthwise */
        { 1, 9, 5, 33, 9, 5, 5, 1, 2, 4, 3, 4, 5, 9, 0, 1 },     /* depthwise, dilated */
        { 1, 8, 6, 6, 16, 3, 3, 1, 1, 1, 1, 1, 1, 2, 1, 3 },     /* grouped: not packed */
    };
    uint64_t seed = SEED;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        for (int wino = 0; wino < 2; wino++)
            check_case(&h, &cases[i], isas, wino, seed++);
    printf("test_conv_fast: worst Winograd F(4x4,3x3) nmse %.3g, max |err| / max |y| %.3g\n",
           worst_wino_nmse, worst_wino_rel);
    CHECK(&h, worst_wino_rel < 1e-4, "Winograd max relative error %g", worst_wino_rel);
    printf("test_conv_fast: cases per path: wino43 %d, gemm8-rows %d, gemm8 %d, depthwise %d, "
           "unpacked %d, cdir %d\n", path_runs[0], path_runs[1], path_runs[2], path_runs[3],
           path_runs[4], path_runs[5]);
    for (int i = 0; i < 6; i++)   /* cdir needs AVX-512 */
        CHECK(&h, path_runs[i] > 0 || (i == 5 && yolo_isa_usable(YOLO_ISA_AVX512) != YOLO_ISA_AVX512),
              "no case took path %d", i);
    check_reject(&h);
    return harness_finish(&h);
}
