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
                              struct yolo_conv_bf16_plan *pl)
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
    int64_t tw = PANEL_BUDGET / (pl->K2 * 4) / 48 * 48;   /* whole 48-column blocks */
    if (tw < 16)
        tw = 16;
    if (tw >= pl->P)
        tw = round_up(pl->P, 16);
    int64_t tiles = ceil_div(pl->P, tw);
    /* enough units for every thread: a multiple of nth tiles where columns allow, then
     * channel chunks (each chunk packs its tile's columns again: cheap next to the GEMM) */
    if (tiles % nth && ceil_div(pl->P, 16) >= round_up(tiles, nth)) {
        tiles = round_up(tiles, nth);
        tw = round_up(ceil_div(pl->P, tiles), 16);
        tiles = ceil_div(pl->P, tw);
    }
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

uint64_t yolo_conv_bf16_scratch(const struct yolo_graph *g, const struct yolo_node *n, int nth)
{
    struct yolo_conv_bf16_plan pl;
    yolo_conv_bf16_plan_make(g, n, nth, &pl);
    /* the packed panel, then two float rows of tw for the im2col of one k pair */
    return ((uint64_t)pl.K2 * (uint64_t)pl.tw + 2 * (uint64_t)pl.tw + 64) * 4;
}
