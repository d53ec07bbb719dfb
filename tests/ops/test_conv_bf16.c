/* test_conv_bf16.c: the bfloat16 convolution (`yolo build --bf16`: cpu/conv_bf16.h,
 * x86/conv_avx512bf16.c) against the float32 reference kernel on odd shapes: 1x1, 3x3 stride
 * 2, stride 3 (the scalar gather), 6x6 stride 2 (YOLOv5's stem), 5x5 dilation 2, odd channel
 * and output counts (odd K: a half-empty last pair; M not a multiple of 8), asymmetric pads,
 * batch 2, widths that leave 16- and 32-column tails, a K large enough to cut the columns into
 * many tiles, every fused activation, nth 1..3.
 *
 * Each conv goes through the build pass (core/opt/bf16.c: PREC bf16, weights rounded), so the
 * reference computes in float32 on the same bf16 weights and the kernel's only extra error is
 * the activations' rounding. Bound, per output (core/bf16.h): with S = sum_k |w_k x_k|,
 *     |y - y_ref| <= 1.1 * ((2^-8 + 2^-18) * S + 2 * K * 2^-24 * S) + 1e-30
 * (x's rounding: 2^-9 relative, taken twice for margin; the two float32 sums' orders; the
 * activation's slope <= 1.1). The worst err / bound is printed so the margin is visible.
 * Each conv runs three ways: the bf16 kernel forced (where the CPU has AVX512_BF16); the
 * backend's own choice at avx512 (cpu/select.c keeps Winograd and the 27-row stem in float32);
 * forced avx2, as on a CPU without AVX512_BF16. A float32 kernel on the bf16 weights must
 * also meet NMSE <= 1e-6 against the reference, as every float kernel does; the bf16 kernel
 * must differ from the reference somewhere (it really rounded the activations). */
#include <math.h>

#include "harness.h"
#include "cpu/conv_bf16.h"
#include "cpu/conv_pack.h"
#include "op_check.h"
#include "passes.h"

#define SEED 20261204u

struct cc { int64_t n, c, h, w, m, kh, kw, s, d, pt, pl, pb, pr; int bias, act; };

static int build(struct yolo_graph *g, const struct cc *c, uint64_t *rng, int32_t *xt,
                 int32_t *yt, struct yolo_diag *d)
{
    int64_t nw = c->m * c->c * c->kh * c->kw;
    int64_t xs[4] = { c->n, c->c, c->h, c->w }, ws[4] = { c->m, c->c, c->kh, c->kw };
    float *wv = malloc(sizeof(float) * (size_t)(nw + c->m));
    if (!wv)
        return YOLO_ERR_NOMEM;
    for (int64_t i = 0; i < nw + c->m; i++)
        wv[i] = harness_randf(rng, -1.0f, 1.0f) / sqrtf((float)(c->c * c->kh * c->kw));
    int32_t in[3];
    in[0] = yolo_graph_add_tensor(g, "x", YOLO_DT_F32, 4, xs, d);
    in[1] = yolo_graph_add_const(g, "w", YOLO_DT_F32, 4, ws, wv, d);
    in[2] = yolo_graph_add_const(g, "b", YOLO_DT_F32, 1, &c->m, wv + nw, d);
    free(wv);
    *xt = in[0];
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
    p[YOLO_CONV_GROUP] = 1;
    p[YOLO_CONV_ACT] = c->act;
    uint8_t ok = 1;
    int n = 0, rc = yolo_opt_bf16(g, &ok, &n, d);
    return rc ? rc : n == 1 ? 0 : YOLO_ERR_INTERNAL;
}

/* S = sum_k |w_k x_k| for every output (the bound's scale), in double. */
static double *abs_sums(const struct yolo_graph *g, const struct cc *c, const float *x,
                        int64_t oh, int64_t ow)
{
    const float *w = yolo_graph_const_data(g, g->nodes[0].in[1]);
    double *s = calloc((size_t)(c->n * c->m * oh * ow), sizeof *s);
    if (!s)
        return NULL;
    for (int64_t b = 0; b < c->n; b++)
        for (int64_t m = 0; m < c->m; m++)
            for (int64_t oy = 0; oy < oh; oy++)
                for (int64_t ox = 0; ox < ow; ox++) {
                    double acc = 0;
                    for (int64_t ch = 0; ch < c->c; ch++)
                        for (int64_t ky = 0; ky < c->kh; ky++)
                            for (int64_t kx = 0; kx < c->kw; kx++) {
                                int64_t iy = oy * c->s - c->pt + ky * c->d;
                                int64_t ix = ox * c->s - c->pl + kx * c->d;
                                if (iy < 0 || iy >= c->h || ix < 0 || ix >= c->w)
                                    continue;
                                acc += fabs((double)w[((m * c->c + ch) * c->kh + ky) * c->kw + kx] *
                                            x[((b * c->c + ch) * c->h + iy) * c->w + ix]);
                            }
                    s[((b * c->m + m) * oh + oy) * ow + ox] = acc;
                }
    return s;
}

/* Winograd F(4x4, 3x3)'s matrices for the bf16 kernel's points 0, +-b, +-a, inf (conv_pack.h),
 * built here from their definition (Toom-Cook), apart from the kernel's factored formulas:
 * point order 0, +b, -b, +a, -a, inf; A^T[i][k] = p_k^i (inf: [i = 3]); B^T's row k the
 * coefficients of q_k(x) = prod (x - r) over the finite points r other than p_k, times x
 * unless p_k = 0 (inf: x prod over all nonzero r); G's row k (1, p_k, p_k^2) / q_k(p_k). */
static double wg[6][3], wbt[6][6], wat[4][6];

static void winograd_matrices(double a, double b)
{
    const double p[5] = { 0, b, -b, a, -a };
    for (int k = 0; k < 6; k++) {
        double poly[7] = { 1 };   /* coefficients of x^0 .. x^6, built by multiplying out */
        int deg = 0;
        for (int r = 0; r < 5; r++) {
            if (r == k || (k == 5 && r == 0))
                continue;
            for (int e = deg + 1; e > 0; e--)
                poly[e] = poly[e - 1] - p[r] * poly[e];
            poly[0] = -p[r] * poly[0];
            deg++;
        }
        if (k == 5) {   /* x times the product over the nonzero points */
            for (int e = deg + 1; e > 0; e--)
                poly[e] = poly[e - 1];
            poly[0] = 0;
        }
        for (int e = 0; e < 6; e++)
            wbt[k][e] = poly[e];
        if (k < 5) {
            double q = 0, x = 1;
            for (int e = 0; e < 6; e++, x *= p[k])
                q += poly[e] * x;
            for (int j = 0; j < 3; j++)
                wg[k][j] = pow(p[k], j) / q;
        } else {
            wg[5][0] = wg[5][1] = 0;
            wg[5][2] = 1;
        }
        for (int i = 0; i < 4; i++)
            wat[i][k] = k < 5 ? pow(p[k], i) : (i == 3);
    }
}

static int winograd_shape(const struct cc *c, int64_t oh, int64_t ow)
{
    return c->kh == 3 && c->kw == 3 && c->s == 1 && c->d == 1 && oh >= 4 && ow >= 4;
}

/* The bf16 Winograd kernel's scale: per output (tile row py, column px),
 *     S_w = sum_{i,j} |A^T[py][i] A^T[px][j]| sum_c |U[i][j][m][c] V[i][j][c][tile]|,
 * U = G w G^T, V = B^T d B of the tile's 6x6 input patch d, in double. Each GEMM product's
 * factors are rounded to bf16 (2^-9 relative each), so the transformed sum at (i, j) is off by
 * at most (2^-8 + 2^-18) sum_c |U V|, and the output transform adds those with its
 * coefficients' magnitudes. */
static double *winograd_sums(const struct yolo_graph *g, const struct cc *c, const float *x,
                             int64_t oh, int64_t ow)
{
    const float *w = yolo_graph_const_data(g, g->nodes[0].in[1]);
    int64_t th = (oh + 3) / 4, tw = (ow + 3) / 4;
    double *s = calloc((size_t)(c->n * c->m * oh * ow), sizeof *s);
    double *u = malloc(sizeof(double) * (size_t)(c->m * c->c * 36));
    double *v = malloc(sizeof(double) * (size_t)(c->c * 36));
    if (!s || !u || !v) {
        free(s), free(u), free(v);
        return NULL;
    }
    for (int64_t mc = 0; mc < c->m * c->c; mc++)
        for (int i = 0; i < 6; i++)
            for (int j = 0; j < 6; j++) {
                double acc = 0;
                for (int a = 0; a < 3; a++)
                    for (int b = 0; b < 3; b++)
                        acc += wg[i][a] * w[mc * 9 + a * 3 + b] * wg[j][b];
                u[mc * 36 + i * 6 + j] = acc;
            }
    for (int64_t b = 0; b < c->n; b++)
        for (int64_t ty = 0; ty < th; ty++)
            for (int64_t tx = 0; tx < tw; tx++) {
                for (int64_t ch = 0; ch < c->c; ch++) {
                    double d[6][6];
                    for (int r = 0; r < 6; r++)
                        for (int q = 0; q < 6; q++) {
                            int64_t iy = 4 * ty - c->pt + r, ix = 4 * tx - c->pl + q;
                            d[r][q] = iy < 0 || iy >= c->h || ix < 0 || ix >= c->w ? 0 :
                                      x[((b * c->c + ch) * c->h + iy) * c->w + ix];
                        }
                    for (int i = 0; i < 6; i++)
                        for (int j = 0; j < 6; j++) {
                            double acc = 0;
                            for (int r = 0; r < 6; r++)
                                for (int q = 0; q < 6; q++)
                                    acc += wbt[i][r] * d[r][q] * wbt[j][q];
                            v[ch * 36 + i * 6 + j] = acc;
                        }
                }
                for (int64_t m = 0; m < c->m; m++) {
                    double t[36];
                    for (int k = 0; k < 36; k++) {
                        t[k] = 0;
                        for (int64_t ch = 0; ch < c->c; ch++)
                            t[k] += fabs(u[(m * c->c + ch) * 36 + k] * v[ch * 36 + k]);
                    }
                    for (int py = 0; py < 4 && 4 * ty + py < oh; py++)
                        for (int px = 0; px < 4 && 4 * tx + px < ow; px++) {
                            double acc = 0;
                            for (int k = 0; k < 36; k++)
                                acc += fabs(wat[py][k / 6] * wat[px][k % 6]) * t[k];
                            s[((b * c->m + m) * oh + 4 * ty + py) * ow + 4 * tx + px] = acc;
                        }
                }
            }
    free(u);
    free(v);
    return s;
}

static double worst_ratio, worst_wino;
static int n_bf16_runs, n_wino_runs, n_float_runs, n_rows_runs;

static void check_case(struct harness *h, const struct cc *c, int has_bf16, uint64_t seed)
{
    struct yolo_graph g;
    struct yolo_diag d = { 0 };
    struct op_check oc;
    int32_t xt, yt;
    uint64_t rng = seed;
    yolo_graph_init(&g);
    int rc = build(&g, c, &rng, &xt, &yt, &d);
    rc = op_check_setup(h, rc, &oc, &g, seed, &d, "prepare n%lld c%lld %lldx%lld m%lld k%lldx%lld s%lld",
                        (long long)c->n, (long long)c->c, (long long)c->h, (long long)c->w,
                        (long long)c->m, (long long)c->kh, (long long)c->kw, (long long)c->s);
    if (rc)
        return;
    const struct yolo_tensor *Y = &g.tensors[yt];
    int64_t cnt = yolo_tensor_numel(Y), K = c->c * c->kh * c->kw;
    op_check_run(&oc, 1);
    float *ref = op_check_copy(&oc, yt);
    int wino = winograd_shape(c, Y->shape[2], Y->shape[3]);
    double *S = ref ? abs_sums(&g, c, op_check_ptr(&oc, xt), Y->shape[2], Y->shape[3]) : NULL;
    double *SW = ref && wino ? winograd_sums(&g, c, op_check_ptr(&oc, xt), Y->shape[2], Y->shape[3])
                             : NULL;
    CHECK(h, ref && S && (!wino || SW), "out of memory");
    const double rel = 1.1 * (ldexp(1, -8) + ldexp(1, -18) + 2.0 * (double)K * ldexp(1, -24));
    /* the transforms' own float32 roundings: 2^-20 of S_w covers them (the float32 Winograd
     * kernel's NMSE against the reference is about 1e-13, tests/ops/test_conv_fast.c) */
    const double rel_w = 1.1 * (ldexp(1, -8) + ldexp(1, -18) + ldexp(1, -20) +
                                2.0 * (double)(36 * c->c) * ldexp(1, -24));
    for (int nth = 1; ref && S && (!wino || SW) && nth <= 3; nth++)
        for (int v = 0; v < 5; v++) {
            /* v 0: the bf16 kernel on every shape (where the CPU has it); 1: the backend's
             * own choice at avx512 (the bf16 kernel, or Winograd / gemm8-rows in float32
             * where those are faster, cpu/select.c); 2: forced avx2, the float32 kernels;
             * 3: the bf16 Winograd kernel (the default for 3x3 stride-1 shapes)
             * forced on every shape it fits;
             * 4: the stride-2 rows path forced on every 3-wide stride-2 shape (the backend
             * takes it for output rows of 32 and up) */
            if ((v == 0 || v == 3) && !has_bf16)
                continue;
            if (v == 3 && !wino)
                continue;
            if (v == 4 && (!has_bf16 || c->kw != 3 || c->s != 2 || c->d != 1))
                continue;
            const char *picked = "?";
            rc = op_check_run_cpu(&oc, YOLO_OP_CONV, v == 2 ? YOLO_ISA_AVX2 : YOLO_ISA_AVX512,
                                  v == 0 ? YOLO_CONV_PACK_BF16 :
                                  v == 3 ? YOLO_CONV_PACK_WINO43_BF16 :
                                  v == 4 ? YOLO_CONV_PACK_BF16_S2 : -1, nth, &picked);
            const float *y = op_check_ptr(&oc, yt);
            int rows = !strcmp(picked, "bf16-rows-s2");
            int bf = rows || !strcmp(picked, "bf16-gemm"), bw = !strcmp(picked, "winograd-f4x4-bf16");
            n_rows_runs += rows;
            int s2_default = has_bf16 && c->kw == 3 && c->s == 2 && c->d == 1 && K >= YOLO_CONV_BF16_KMIN;
            const char *e = getenv("YOLO_BF16_WINO");   /* on unless "0" (no head here) */
            int wino_on = has_bf16 && wino && !(e && !strcmp(e, "0"));
            CHECK(h, rc == 0 && (v != 0 || (bf && !rows)) && (v != 3 || bw) && (v != 4 || rows) &&
                  (v != 1 || (bw == wino_on && rows == s2_default)) && (v != 2 || (!bf && !bw)),
                  "variant %d picked %s", v, picked);
            double worst = 0, nmse = op_check_nmse(y, ref, cnt);
            int64_t at = 0, differ = 0;
            for (int64_t i = 0; i < cnt; i++) {
                double e = fabs((double)y[i] - ref[i]);
                double bound = (bw ? rel_w * SW[i] : rel * S[i]) + 1e-30;
                differ += y[i] != ref[i];
                if (!(e / bound <= worst)) {
                    worst = e / bound;
                    at = i;
                }
            }
            CHECK(h, worst <= 1.0, "%s nth %d: err %g > bound %g at %lld (y %g ref %g): n%lld "
                  "c%lld %lldx%lld m%lld k%lldx%lld s%lld d%lld p%lld,%lld,%lld,%lld bias%d act%d",
                  picked, nth, fabs((double)y[at] - ref[at]),
                  bw ? rel_w * SW[at] : rel * S[at], (long long)at, y[at],
                  ref[at], (long long)c->n, (long long)c->c, (long long)c->h, (long long)c->w,
                  (long long)c->m, (long long)c->kh, (long long)c->kw, (long long)c->s,
                  (long long)c->d, (long long)c->pt, (long long)c->pl, (long long)c->pb,
                  (long long)c->pr, c->bias, c->act);
            if (bf || bw) {
                *(bw ? &n_wino_runs : &n_bf16_runs) += 1;
                double *wr = bw ? &worst_wino : &worst_ratio;
                *wr = worst > *wr ? worst : *wr;
                CHECK(h, differ > 0, "%s equals the float32 reference bit for bit: did it round "
                      "the activations? (c%lld m%lld)", picked, (long long)c->c, (long long)c->m);
            } else {
                n_float_runs++;
                CHECK(h, nmse <= 1e-6, "float32 kernel %s on bf16 weights, nth %d: nmse %g",
                      picked, nth, nmse);
            }
        }
    free(SW);
    free(S);
    free(ref);
    op_check_release(&oc);
    yolo_graph_release(&g);
}

/* A hostile engine's Conv with an unknown precision is refused by shape_fn. */
static void check_reject(struct harness *h)
{
    const struct cc c = { 1, 5, 9, 9, 7, 3, 3, 1, 1, 1, 1, 1, 1, 1, 3 };
    struct yolo_graph g;
    struct yolo_diag d = { 0 };
    int32_t xt, yt;
    uint64_t rng = SEED;
    yolo_graph_init(&g);
    int rc = build(&g, &c, &rng, &xt, &yt, &d);
    g.nodes[0].params[YOLO_CONV_PREC] = 2;
    CHECK(h, rc == 0 && yolo_op_conv.shape_fn(&g, &g.nodes[0], &d) != 0 && strstr(d.msg, "precision"),
          "precision 2 accepted (%s)", d.msg);
    yolo_graph_release(&g);
}

int main(void)
{
    HARNESS_INIT(h, "test_conv_bf16");
    winograd_matrices(YOLO_WINO_BF16_A, YOLO_WINO_BF16_B);
    struct yolo_cpu cpu;
    yolo_cpu_detect(&cpu);
    int has_bf16 = cpu.avx512bf16 && yolo_isa_select(&cpu, NULL) == YOLO_ISA_AVX512;
    if (yolo_isa_select(&cpu, NULL) < YOLO_ISA_AVX2) {
        printf("test_conv_bf16: no AVX2 on this CPU: skipped\n");
        return 0;
    }
    printf("test_conv_bf16: seed %u, avx512_bf16 %s\n", SEED, has_bf16 ? "yes" : "no");
    /*   n  c    h   w   m  kh kw s  d  pt pl pb pr bias act */
    static const struct cc cases[] = {
        { 1, 13, 8, 9, 17, 1, 1, 1, 1, 0, 0, 0, 0, 1, 3 },     /* 1x1, odd K, 72 columns */
        { 2, 40, 7, 7, 70, 1, 1, 1, 1, 0, 0, 0, 0, 0, 2 },     /* 1x1, batch 2, M 70 */
        { 1, 7, 9, 12, 5, 1, 1, 2, 1, 0, 0, 0, 0, 1, 0 },      /* 1x1 stride 2 */
        { 1, 5, 9, 11, 7, 3, 3, 1, 1, 1, 1, 1, 1, 1, 3 },      /* 3x3, odd everything */
        { 1, 16, 32, 32, 32, 3, 3, 2, 1, 1, 1, 1, 1, 1, 3 },   /* 3x3 stride 2 */
        { 1, 3, 40, 41, 16, 3, 3, 2, 1, 1, 1, 1, 1, 1, 3 },    /* stride 2, C 3, odd W */
        { 1, 7, 13, 13, 10, 3, 3, 2, 1, 1, 1, 1, 1, 0, 1 },    /* stride 2, M 10 */
        { 1, 9, 17, 35, 19, 3, 3, 1, 1, 0, 2, 1, 0, 1, 1 },    /* asymmetric pads */
        { 1, 3, 64, 66, 16, 6, 6, 2, 1, 2, 2, 2, 2, 1, 3 },    /* YOLOv5's 6x6 stem */
        { 1, 5, 20, 50, 9, 3, 3, 3, 1, 1, 1, 1, 1, 1, 3 },     /* stride 3 */
        { 1, 6, 21, 48, 11, 3, 3, 1, 2, 2, 2, 2, 2, 1, 3 },    /* dilation 2 */
        { 1, 12, 9, 10, 20, 5, 5, 1, 1, 2, 2, 2, 2, 1, 3 },    /* 5x5 */
        { 1, 4, 4, 4, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1, 2 },       /* 16 columns, M 3 */
        { 1, 300, 9, 13, 24, 3, 3, 1, 1, 1, 1, 1, 1, 1, 3 },   /* K 2700: many column tiles */
        { 1, 2400, 3, 5, 9, 1, 1, 1, 1, 0, 0, 0, 0, 1, 3 },    /* 1x1 K 2400 */
        { 2, 33, 20, 20, 40, 3, 3, 1, 1, 1, 1, 1, 1, 1, 3 },   /* batch 2, 400 columns */
        { 1, 64, 40, 40, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1, 3 },   /* Winograd: several blocks */
        { 1, 31, 23, 37, 13, 3, 3, 1, 1, 1, 1, 1, 1, 0, 3 },   /* Winograd: ragged tiles */
        { 1, 16, 66, 70, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1, 3 },   /* Winograd: 16 x 18 tiles */
        { 1, 16, 20, 70, 24, 3, 3, 2, 1, 1, 1, 1, 1, 1, 3 },   /* s2 rows: 35 wide */
        { 1, 9, 17, 200, 17, 3, 3, 2, 1, 1, 1, 1, 1, 0, 3 },   /* s2 rows: 100 = 48+48+4 */
        { 1, 5, 9, 67, 9, 3, 3, 2, 1, 0, 0, 0, 0, 1, 1 },      /* s2 rows: no pad, 33 wide */
        { 2, 24, 61, 64, 16, 3, 3, 2, 1, 1, 1, 1, 1, 1, 3 },   /* s2 rows: batch 2, bands */
        { 1, 3, 12, 66, 8, 3, 3, 2, 1, 2, 2, 0, 0, 1, 2 },     /* s2 rows: pads 2 / 0 */
        { 1, 40, 40, 40, 24, 3, 3, 2, 1, 1, 1, 1, 1, 1, 3 },   /* s2 narrow: 20 wide, bands */
        { 2, 33, 19, 21, 20, 3, 3, 2, 1, 1, 1, 1, 1, 0, 1 },   /* s2 narrow: 11 wide, batch 2 */
        { 1, 64, 9, 9, 40, 3, 3, 2, 1, 1, 1, 1, 1, 1, 3 },     /* s2 narrow: 5 x 5 */
    };
    uint64_t seed = SEED;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        check_case(&h, &cases[i], has_bf16, seed++);
    printf("test_conv_bf16: %d bf16 runs, worst err / bound %.3g; %d bf16 Winograd runs, worst "
           "%.3g; %d float32 fallback runs\n", n_bf16_runs, worst_ratio, n_wino_runs, worst_wino,
           n_float_runs);
    CHECK(&h, !has_bf16 || (n_bf16_runs > 0 && n_wino_runs > 0 && n_rows_runs > 0),
          "a bf16 kernel never ran");
    check_reject(&h);
    return harness_finish(&h);
}
