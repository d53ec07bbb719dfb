/* cpu/conv_pack.c: packed Conv weight layouts (see conv_pack.h), the work geometry shared by
 * the packed kernels and their scratch sizing. Plain C: used when the CPU backend prepares a
 * model (cpu/backend_cpu.c) and at run time by every ISA's kernel. */
#include <string.h>

#include "bf16.h"
#include "cpu/conv_bf16.h"
#include "cpu/conv_pack.h"
#include "cpu/qconv_pack.h"

static int64_t round_up(int64_t a, int64_t b) { return (a + b - 1) / b * b; }
static int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

int64_t yolo_conv_packed_numel(int64_t kind, int64_t M, int64_t cg, int64_t KH, int64_t KW)
{
    if (M < 1 || cg < 1 || KH < 1 || KW < 1 || M > (1 << 24) || cg > (1 << 24) || KH > 64 || KW > 64)
        return -1;
    int64_t mp = round_up(M, YOLO_CONV_PACK_MR);
    switch (kind) {
    case YOLO_CONV_PACK_GEMM8:
        return mp * cg * KH * KW;
    case YOLO_CONV_PACK_WINO43:
        return KH == 3 && KW == 3 ? 36 * mp * cg : -1;
    case YOLO_CONV_PACK_WINO43_BF16:   /* 32-bit words: one per channel pair and row */
        return KH == 3 && KW == 3 ? 36 * mp * ceil_div(cg, 2) : -1;
    case YOLO_CONV_PACK_CDIR32:
        return round_up(M, 32) * cg * KH * KW;
    case YOLO_CONV_PACK_VNNI8:
        return yolo_qconv_packed_numel(M, cg, KH, KW);
    case YOLO_CONV_PACK_BF16:
        return yolo_conv_bf16_packed_words(M, cg, KH, KW);
    case YOLO_CONV_PACK_BF16_S2:
        return yolo_conv_bf16_s2_packed_words(M, cg, KH, KW);
    default:
        return -1;
    }
}

int yolo_conv_pack_applies(int64_t kind, const struct yolo_node *n, int64_t group)
{
    const int64_t *p = n->params;
    if (group != 1)
        return 0;
    if (kind == YOLO_CONV_PACK_GEMM8)
        return 1;
    if (kind == YOLO_CONV_PACK_CDIR32)
        return p[YOLO_CONV_DH] == 1 && p[YOLO_CONV_DW] == 1 && p[YOLO_CONV_SW] >= 1 &&
               p[YOLO_CONV_SW] * 9 + p[YOLO_CONV_KW] <= 32;
    if (kind == YOLO_CONV_PACK_WINO43 || kind == YOLO_CONV_PACK_WINO43_BF16)
        return p[YOLO_CONV_KH] == 3 && p[YOLO_CONV_KW] == 3 && p[YOLO_CONV_SH] == 1 &&
               p[YOLO_CONV_SW] == 1 && p[YOLO_CONV_DH] == 1 && p[YOLO_CONV_DW] == 1;
    return 0;
}

/* Winograd F(4x4, 3x3)'s filter transform G (6x3) for points 0, +-b, +-a, inf (conv_pack.h),
 * rows in x86/wino_body.h's order 0, +b, -b, +a, -a, inf: row p is (1, p, p^2) / q_p(p), q_p
 * being the polynomial of B^T's row p (x (x - r) over the other finite points r; for 0, the
 * product of (x - r) over the nonzero ones). With a = 2, b = 1 it is Lavin & Gray's G. */
static void wino_g(double a, double b, double G[6][3])
{
    const double pts[4] = { b, -b, a, -a };
    const double q[4] = { 2 * b * b * (b * b - a * a), 2 * b * b * (b * b - a * a),
                          2 * a * a * (a * a - b * b), 2 * a * a * (a * a - b * b) };
    G[0][0] = 1 / (a * a * b * b), G[0][1] = 0, G[0][2] = 0;
    for (int r = 0; r < 4; r++) {
        G[1 + r][0] = 1 / q[r];
        G[1 + r][1] = pts[r] / q[r];
        G[1 + r][2] = pts[r] * pts[r] / q[r];
    }
    G[5][0] = 0, G[5][1] = 0, G[5][2] = 1;
}

void yolo_conv_pack_weights(int64_t kind, const void *wv, int64_t M, int64_t cg, int64_t KH,
                            int64_t KW, float *out)
{
    const float *w = wv;
    if (kind == YOLO_CONV_PACK_VNNI8) {
        yolo_qconv_pack_weights(wv, M, cg, KH, KW, out);
        return;
    }
    if (kind == YOLO_CONV_PACK_BF16) {
        yolo_conv_bf16_pack(w, M, cg, KH, KW, out);
        return;
    }
    if (kind == YOLO_CONV_PACK_BF16_S2) {
        yolo_conv_bf16_s2_pack(w, M, cg, KH, KW, out);
        return;
    }
    int64_t mp = round_up(M, YOLO_CONV_PACK_MR), K = cg * KH * KW;
    int64_t numel = yolo_conv_packed_numel(kind, M, cg, KH, KW);
    if (numel <= 0)
        return;
    if (M % YOLO_CONV_PACK_MR || kind == YOLO_CONV_PACK_CDIR32)   /* padding rows are zero */
        memset(out, 0, sizeof(float) * (size_t)numel);
    if (kind == YOLO_CONV_PACK_CDIR32) {
        for (int64_t m = 0; m < M; m++)
            for (int64_t k = 0; k < K; k++)
                out[((m / 32) * K + k) * 32 + m % 32] = w[m * K + k];
        return;
    }
    if (kind == YOLO_CONV_PACK_GEMM8) {
        for (int64_t m = 0; m < M; m++)
            for (int64_t k = 0; k < K; k++)
                out[((m / 8) * K + k) * 8 + m % 8] = w[m * K + k];
        return;
    }
    int64_t c2 = ceil_div(cg, 2);
    uint16_t *ob = (uint16_t *)out;
    if (kind == YOLO_CONV_PACK_WINO43_BF16)   /* the odd channel's partner and rows >= M */
        memset(out, 0, sizeof(float) * (size_t)numel);
    double wg[6][3];
    if (kind == YOLO_CONV_PACK_WINO43)
        wino_g(YOLO_WINO_F32_A, YOLO_WINO_F32_B, wg);
    else
        wino_g(YOLO_WINO_BF16_A, YOLO_WINO_BF16_B, wg);
    for (int64_t m = 0; m < M; m++)
        for (int64_t c = 0; c < cg; c++) {
            const float *g = w + (m * cg + c) * 9;
            double tmp[6][3];   /* G g */
            for (int i = 0; i < 6; i++)
                for (int b = 0; b < 3; b++)
                    tmp[i][b] = wg[i][0] * g[b] + wg[i][1] * g[3 + b] + wg[i][2] * g[6 + b];
            for (int i = 0; i < 6; i++)
                for (int j = 0; j < 6; j++) {
                    double u = tmp[i][0] * wg[j][0] + tmp[i][1] * wg[j][1] + tmp[i][2] * wg[j][2];
                    int64_t xi = i * 6 + j;
                    if (kind == YOLO_CONV_PACK_WINO43)
                        out[((xi * (mp / 8) + m / 8) * cg + c) * 8 + m % 8] = (float)u;
                    else
                        ob[(((xi * (mp / 8) + m / 8) * c2 + c / 2) * 8 + m % 8) * 2 + c % 2] =
                            yolo_bf16_from_f32((float)u);
                }
        }
}

void yolo_conv_geom_make(const struct yolo_graph *g, const struct yolo_node *n, int64_t kind,
                         int nth, struct yolo_conv_geom *cg)
{
    const int64_t *p = n->params;
    const struct yolo_tensor *X = &g->tensors[n->in[0]], *Wt = &g->tensors[n->in[1]];
    const struct yolo_tensor *Y = &g->tensors[n->out[0]];
    memset(cg, 0, sizeof *cg);
    cg->N = X->shape[0];
    cg->C = X->shape[1];
    cg->H = X->shape[2];
    cg->W = X->shape[3];
    cg->M = Y->shape[1];
    cg->Mp = round_up(cg->M, YOLO_CONV_PACK_MR);
    cg->OH = Y->shape[2];
    cg->OW = Y->shape[3];
    cg->P = cg->OH * cg->OW;
    cg->K = Wt->shape[1] * Wt->shape[2] * Wt->shape[3];
    cg->KH = p[YOLO_CONV_KH];
    cg->KW = p[YOLO_CONV_KW];
    cg->SH = p[YOLO_CONV_SH];
    cg->SW = p[YOLO_CONV_SW];
    cg->DH = p[YOLO_CONV_DH];
    cg->DW = p[YOLO_CONV_DW];
    cg->PT = p[YOLO_CONV_PT];
    cg->PL = p[YOLO_CONV_PL];
    cg->kind = kind;
    cg->act = p[YOLO_CONV_ACT];
    if (nth < 1)
        nth = 1;
    if (cg->kind == YOLO_CONV_PACK_GEMM8) {
        int direct = cg->KH == 1 && cg->KW == 1 && cg->SH == 1 && cg->SW == 1 && cg->PT == 0 &&
                     cg->PL == 0 && cg->OH == cg->H && cg->OW == cg->W;
        /* Rows fill whole vectors when OW is a multiple of 16 or at least 40 wide. They win
         * where packing an im2col panel is dear next to the GEMM it feeds: a short K, i.e.
         * few input channels (measured on yolov8n/yolo11n's stride-2 convs: rows 1.1-1.3x
         * faster for C = 3 and 16), and stride 2 at any K when the rows fill whole vectors,
         * since a stride-2 panel gathers every k row from another input plane while the band
         * copies each input row once, deinterleaved (1 thread, 3x3 s2: 64 -> 64 at 160x160
         * 5.5 -> 3.5 ms, 32 -> 64 at 160x160 2.6 -> 1.7 ms). For OW 40 or 20 a row wastes
         * 8 or 12 lanes of its last vector and the panels stay as fast or faster
         * (64 -> 128 at 80x80: panels 1.6 ms, rows 1.8 ms). */
        cg->rows = !direct && (cg->OW % 16 == 0 || cg->OW >= 40) &&
                   (cg->K <= 160 || (cg->SW == 2 && cg->OW % 16 == 0));
        if (!cg->rows)
            return;
        int64_t S = cg->SW, xmax = (cg->KW - 1) * cg->DW - cg->PL;
        int64_t qmax = xmax >= 0 ? xmax / S : 0, nph = ceil_div(cg->W, S);
        cg->ml = ceil_div(cg->PL, S);
        cg->seg = round_up(cg->ml + (nph > cg->OW + qmax ? nph : cg->OW + qmax) + 16, 16);
        int64_t per_row = cg->C * S * cg->seg, fixed = (cg->KH - 1) * cg->DH + 1;
        int64_t budget = ((int64_t)384 << 10) / 4;   /* floats of one band: L2-resident */
        int64_t br = (budget - fixed * per_row) / (cg->SH * per_row) + 1;
        int64_t want = cg->OH * cg->N / (4 * nth);  /* >= 4 bands per thread */
        if (br > want)
            br = want;
        if (br < 1)
            br = 1;
        if (br > cg->OH)
            br = cg->OH;
        cg->br = br;
        cg->nband = ceil_div(cg->OH, br);
        cg->in_rows = (br - 1) * cg->SH + fixed;
        cg->band_floats = (uint64_t)cg->in_rows * (uint64_t)per_row;
        return;
    }
    if (cg->kind == YOLO_CONV_PACK_CDIR32) {
        /* Bands of output rows whose input rows fit L2 beside one weight block (see
         * x86/conv_cdir_avx512.c), at least 2 work units per thread where the image has them. */
        cg->Mp = round_up(cg->M, 32);
        int64_t row = cg->C * cg->W * 4, wblock = cg->K * 32 * 4;
        int64_t budget = ((int64_t)640 << 10) - wblock;
        int64_t in_rows = budget / row, br = (in_rows - cg->KH) / cg->SH + 1;
        int64_t nmb = cg->Mp / 32, min_bands = ceil_div(2 * nth, cg->N * nmb);
        if (nth > 1 && min_bands > 1 && br > ceil_div(cg->OH, min_bands))
            br = ceil_div(cg->OH, min_bands);
        if (br < 1)
            br = 1;
        if (br > cg->OH)
            br = cg->OH;
        /* bands of equal height, their count a multiple of nth unless the M blocks and
         * images already split evenly (40 rows in bands of 13 were 13/13/13/1: one thread
         * of two did 26 rows) */
        int64_t nband = ceil_div(cg->OH, br);
        if ((cg->N * nmb) % nth)
            nband = round_up(nband, nth);
        cg->br = ceil_div(cg->OH, nband);
        cg->nband = ceil_div(cg->OH, cg->br);
        return;
    }
    if (cg->kind != YOLO_CONV_PACK_WINO43 && cg->kind != YOLO_CONV_PACK_WINO43_BF16)
        return;
    cg->TH = ceil_div(cg->OH, 4);
    cg->TW = ceil_div(cg->OW, 4);
    cg->T = cg->TH * cg->TW;
    /* A block's transformed input V [36][C][tbp] (bf16: [36][C/2][tbp] pairs) and GEMM output
     * [36][Mp][tbp] stay within
     * about 1 MiB (L2), at least one 16-tile vector row wide. The block count per image is
     * made a multiple of the thread count so a single image splits evenly. */
    int64_t vwords = cg->kind == YOLO_CONV_PACK_WINO43 ? cg->C : ceil_div(cg->C, 2);
    int64_t tbmax = ((int64_t)1 << 20) / (36 * 4 * (vwords + cg->Mp));
    tbmax = tbmax / 16 * 16;
    if (tbmax < 16)
        tbmax = 16;
    int64_t nblk = ceil_div(cg->T, tbmax);
    if (cg->N < nth) {
        int64_t per = ceil_div(nth, cg->N);
        nblk = round_up(nblk, per);
    }
    if (nblk > cg->T)
        nblk = cg->T;
    cg->tb = ceil_div(cg->T, nblk);
    cg->nblk = ceil_div(cg->T, cg->tb);
    cg->tbp = round_up(cg->tb, 16);
    /* The 36 matrices of V (and of Y) lie wino_vs (wino_ys) floats apart, one cache line more
     * than they fill: a transform stores (loads) one vector in each of the 36, and a stride
     * that is a multiple of 4 KiB (C * tbp often is: 64 * 48 floats = 12 KiB) puts all 36 in
     * one L1 set, which holds 12. */
    cg->wino_vs = vwords * cg->tbp + 16;
    cg->wino_ys = cg->Mp * cg->tbp + 16;
}

uint64_t yolo_conv_pack_scratch(const struct yolo_graph *g, const struct yolo_node *n,
                                int64_t kind, int nth)
{
    if (kind == YOLO_CONV_PACK_NONE)
        return 0;
    struct yolo_conv_geom cg;
    yolo_conv_geom_make(g, n, kind, nth, &cg);
    uint64_t floats = YOLO_CONV_PANEL_FLOATS + 64;
    if (cg.rows)   /* band + a zero segment + K row pointers (2 floats each) */
        floats = cg.band_floats + (uint64_t)cg.seg + 2 * (uint64_t)cg.K + 64;
    if (cg.kind == YOLO_CONV_PACK_CDIR32)   /* the zero-padded copy of a border tile's input */
        floats = (uint64_t)cg.C * (uint64_t)cg.KH * 32 + 64;
    if (cg.kind == YOLO_CONV_PACK_WINO43 || cg.kind == YOLO_CONV_PACK_WINO43_BF16)
        floats = 36 * (uint64_t)(cg.wino_vs + cg.wino_ys) + 64;
    return floats * sizeof(float);
}

uint64_t yolo_conv_tp_scratch(int64_t M)
{
    return ((uint64_t)(M + 7) / 8 * 8 * 48 + 64) * sizeof(float);
}

int yolo_conv_dw_applies(const struct yolo_graph *g, const struct yolo_node *n)
{
    const int64_t *p = n->params;
    const struct yolo_tensor *X = &g->tensors[n->in[0]], *Y = &g->tensors[n->out[0]];
    return p[YOLO_CONV_GROUP] > 1 && p[YOLO_CONV_GROUP] == X->shape[1] &&
           Y->shape[1] == X->shape[1] && p[YOLO_CONV_SW] == 1 &&
           p[YOLO_CONV_KH] * p[YOLO_CONV_KW] <= 64;
}

void yolo_conv_dw_padded(const struct yolo_graph *g, const struct yolo_node *n, int64_t *hp,
                         int64_t *wp)
{
    const int64_t *p = n->params;
    const struct yolo_tensor *Y = &g->tensors[n->out[0]];
    *hp = (Y->shape[2] - 1) * p[YOLO_CONV_SH] + (p[YOLO_CONV_KH] - 1) * p[YOLO_CONV_DH] + 1;
    *wp = round_up(round_up(Y->shape[3], 16) + (p[YOLO_CONV_KW] - 1) * p[YOLO_CONV_DW] + 16, 16);
}
