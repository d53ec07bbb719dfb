/* cpu/conv_bf16.c: see conv_bf16.h. Plain C: used when the CPU backend prepares a model and
 * by the kernel for its geometry. */
#include <string.h>

#include "bf16.h"
#include "cpu/conv_bf16.h"

/* One tile's packed columns stay within this many bytes, so the [K2][twp] panel that every
 * channel panel re-reads sits in L2 (1 MiB on Zen 4/5, 2 MiB on recent Xeons). */
#define PANEL_BUDGET ((int64_t)384 << 10)
#define K2_MAX       ((int64_t)1 << 15)   /* the panel of 16 columns stays within 2 MiB */

static int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }
static int64_t round_up(int64_t a, int64_t b) { return ceil_div(a, b) * b; }

int64_t yolo_conv_bf16_packed_words(int64_t M, int64_t cg, int64_t KH, int64_t KW)
{
    if (M < 1 || cg < 1 || KH < 1 || KW < 1 || M > (1 << 24) || cg > (1 << 24) || KH > 64 || KW > 64)
        return -1;
    int64_t k2 = ceil_div(cg * KH * KW, 2);
    return k2 > K2_MAX ? -1 : round_up(M, 8) * k2;
}

void yolo_conv_bf16_pack(const float *w, int64_t M, int64_t cg, int64_t KH, int64_t KW, void *out)
{
    int64_t K = cg * KH * KW, K2 = ceil_div(K, 2), words = yolo_conv_bf16_packed_words(M, cg, KH, KW);
    uint16_t *o = out;
    if (words <= 0)
        return;
    memset(o, 0, sizeof(uint32_t) * (size_t)words);
    for (int64_t m = 0; m < M; m++)
        for (int64_t k = 0; k < K; k++)
            o[(((m / 8) * K2 + k / 2) * 8 + m % 8) * 2 + k % 2] = yolo_bf16_from_f32(w[m * K + k]);
}

int64_t yolo_conv_bf16_s2_packed_words(int64_t M, int64_t cg, int64_t KH, int64_t KW)
{
    if (KW != 3 || yolo_conv_bf16_packed_words(M, cg, KH, KW) < 0 || ceil_div(cg, 2) * KH * 3 > K2_MAX)
        return -1;
    return round_up(M, 8) * ceil_div(cg, 2) * KH * 3;
}

void yolo_conv_bf16_s2_pack(const float *w, int64_t M, int64_t cg, int64_t KH, int64_t KW,
                            void *out)
{
    int64_t K2 = ceil_div(cg, 2) * KH * 3, words = yolo_conv_bf16_s2_packed_words(M, cg, KH, KW);
    uint16_t *o = out;
    if (words <= 0)
        return;
    memset(o, 0, sizeof(uint32_t) * (size_t)words);
    for (int64_t m = 0; m < M; m++)
        for (int64_t c = 0; c < cg; c++)
            for (int64_t kh = 0; kh < KH; kh++)
                for (int64_t kw = 0; kw < 3; kw++) {
                    int64_t kp = ((c / 2) * KH + kh) * 3 + kw;   /* channels 2cp, 2cp + 1 */
                    o[(((m / 8) * K2 + kp) * 8 + m % 8) * 2 + c % 2] =
                        yolo_bf16_from_f32(w[((m * cg + c) * KH + kh) * 3 + kw]);
                }
}

int yolo_conv_bf16_s2_applies(const struct yolo_graph *g, const struct yolo_node *n)
{
    if (!yolo_conv_bf16_applies(g, n))
        return 0;
    const int64_t *p = n->params;
    const struct yolo_tensor *W = &g->tensors[n->in[1]];
    return p[YOLO_CONV_KW] == 3 && p[YOLO_CONV_SW] == 2 && p[YOLO_CONV_DW] == 1 &&
           p[YOLO_CONV_DH] == 1 && p[YOLO_CONV_PL] <= 2 &&
           yolo_conv_bf16_s2_packed_words(W->shape[0], W->shape[1], W->shape[2], 3) > 0;
}

int yolo_conv_bf16_applies(const struct yolo_graph *g, const struct yolo_node *n)
{
    if (n->op != YOLO_OP_CONV || n->params[YOLO_CONV_PREC] != YOLO_CONV_PREC_BF16 ||
        n->params[YOLO_CONV_GROUP] != 1 || n->n_in < 2 || n->in[1] < 0)
        return 0;
    const struct yolo_tensor *W = &g->tensors[n->in[1]], *Y = &g->tensors[n->out[0]];
    if (!(W->flags & YOLO_TF_CONST) || W->dtype != YOLO_DT_F32 || W->ndim != 4 || Y->ndim != 4)
        return 0;
    return yolo_conv_bf16_packed_words(W->shape[0], W->shape[1], W->shape[2], W->shape[3]) > 0;
}

void yolo_conv_bf16_plan_make(const struct yolo_graph *g, const struct yolo_node *n, int nth,
                              int rows, struct yolo_conv_bf16_plan *pl)
{
    const int64_t *p = n->params;
    const struct yolo_tensor *X = &g->tensors[n->in[0]], *Y = &g->tensors[n->out[0]];
    memset(pl, 0, sizeof *pl);
    pl->N = X->shape[0];
    pl->C = X->shape[1];
    pl->H = X->shape[2];
    pl->W = X->shape[3];
    pl->M = Y->shape[1];
    pl->Mp = round_up(pl->M, 8);
    pl->OH = Y->shape[2];
    pl->OW = Y->shape[3];
    pl->P = pl->OH * pl->OW;
    pl->KH = p[YOLO_CONV_KH];
    pl->KW = p[YOLO_CONV_KW];
    pl->SH = p[YOLO_CONV_SH];
    pl->SW = p[YOLO_CONV_SW];
    pl->DH = p[YOLO_CONV_DH];
    pl->DW = p[YOLO_CONV_DW];
    pl->PT = p[YOLO_CONV_PT];
    pl->PL = p[YOLO_CONV_PL];
    pl->act = p[YOLO_CONV_ACT];
    pl->K = pl->C * pl->KH * pl->KW;
    pl->K2 = ceil_div(pl->K, 2);
    if (nth < 1)
        nth = 1;
    if (rows) {
        /* bands of output rows whose converted input rows stay within PANEL_BUDGET, equal in
         * height, their count a multiple of nth where the rows allow */
        pl->rows = 1;
        pl->C2 = ceil_div(pl->C, 2);
        pl->K2 = pl->C2 * pl->KH * 3;
        pl->lw = round_up(pl->OW, 16) + 16;   /* word OW + 1 is the last a vector reaches */
        pl->narrow = pl->OW < YOLO_CONV_BF16_S2_OWMIN;
        /* per input row: both phases of every channel pair, lw words each; narrow rows also
         * hold the band's columns packed (K2 words per column) */
        int64_t row_bytes = pl->C2 * 2 * pl->lw * 4;
        int64_t per_out = pl->SH * row_bytes + (pl->narrow ? pl->K2 * pl->OW * 4 : 0);
        int64_t fixed = pl->KH * row_bytes;
        int64_t br = (PANEL_BUDGET - fixed) / per_out + 1;
        if (br < 1)
            br = 1;
        if (br > pl->OH)
            br = pl->OH;
        int64_t nb = ceil_div(pl->OH, br);
        if (pl->N % nth)
            nb = round_up(nb, nth) > pl->OH ? pl->OH : round_up(nb, nth);
        pl->tw = ceil_div(pl->OH, nb);
        /* narrow: bands in a multiple of the threads where some height gives one (20 rows, 2
         * threads: 6 bands would be 5 of 4 rows; 4 of 5 rows split evenly) */
        for (int64_t t = pl->tw; pl->narrow && pl->N % nth && t >= 1; t--)
            if (ceil_div(pl->OH, t) % nth == 0) {
                pl->tw = t;
                break;
            }
        pl->n_tiles = ceil_div(pl->OH, pl->tw);
        pl->in_rows = (pl->tw - 1) * pl->SH + pl->KH;
        pl->n_msplit = 1;
        pl->units = pl->N * pl->n_tiles;
        return;
    }
    int64_t tw = PANEL_BUDGET / (pl->K2 * 4) / 48 * 48;   /* whole 48-column blocks */
    if (tw < 16)
        tw = 16;
    if (tw >= pl->P)
        tw = round_up(pl->P, 16);
    int64_t tiles = ceil_div(pl->P, tw);
    /* enough units for every thread: a multiple of nth tiles where columns allow, then
     * channel chunks (each chunk packs its tile's columns again: cheap next to the GEMM) */
    if (tiles % nth && ceil_div(pl->P, 16) >= round_up(tiles, nth))
        tiles = round_up(tiles, nth);
    /* tiles of equal width: the panel budget's width and a remainder would give one thread
     * most of the columns (P = 400, K2 = 256: 336 + 64) */
    tw = round_up(ceil_div(pl->P, tiles), 16);
    tiles = ceil_div(pl->P, tw);
    int64_t ms = 1, base = pl->N * tiles;
    if (base < 4 * nth && base % nth) {
        ms = ceil_div(4 * nth, base);
        if (ms > pl->Mp / 8)
            ms = pl->Mp / 8;
    }
    pl->tw = tw;
    pl->n_tiles = tiles;
    pl->n_msplit = ms;
    pl->units = base * ms;
}

uint64_t yolo_conv_bf16_scratch(const struct yolo_graph *g, const struct yolo_node *n, int nth,
                                int rows)
{
    struct yolo_conv_bf16_plan pl;
    yolo_conv_bf16_plan_make(g, n, nth, rows, &pl);
    if (rows)   /* the band's rows (two phases per pair), a zero row, the row-pointer table
                 * (8 bytes per pair); narrow: the band's packed columns after them */
        return ((uint64_t)pl.C2 * 2 * (uint64_t)pl.in_rows * (uint64_t)pl.lw + (uint64_t)pl.lw +
                2 * (uint64_t)pl.K2 + 64 +
                (pl.narrow ? (uint64_t)pl.K2 * (uint64_t)round_up(pl.tw * pl.OW, 16) + 16 : 0)) * 4;
    /* the packed panel, then two float rows of tw for the im2col of one k pair */
    return ((uint64_t)pl.K2 * (uint64_t)pl.tw + 2 * (uint64_t)pl.tw + 64) * 4;
}
