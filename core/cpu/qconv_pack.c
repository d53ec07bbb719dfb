/* cpu/qconv_pack.c: see qconv_pack.h. Plain C: used at load (packing) and by the kernel. */
#include <string.h>

#include "cpu/qconv_pack.h"
#include "ops/op_params.h"

/* A band's activations stay in L2 next to the weights: at most this many bytes. */
#define QCONV_BAND_BYTES ((uint64_t)384 << 10)

static int64_t round_up(int64_t a, int64_t b) { return (a + b - 1) / b * b; }
static int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

int yolo_qconv_vnni_applies(const struct yolo_graph *g, const struct yolo_node *n)
{
    const int64_t *p = n->params;
    if (n->op != YOLO_OP_QCONV || p[YOLO_CONV_GROUP] != 1)
        return 0;
    /* strides and dilations YOLO uses, so the scratch sizes below cannot overflow on a
     * hostile engine (shape_fn allows up to 2^20; the reference kernel runs the rest) */
    for (int i = YOLO_CONV_SH; i <= YOLO_CONV_SW; i++)
        if (p[i] > 16)
            return 0;
    if (p[YOLO_CONV_DH] > 16 || p[YOLO_CONV_DW] > 16)
        return 0;
    const struct yolo_tensor *W = &g->tensors[n->in[YOLO_QC_IN_W]];
    const struct yolo_tensor *Y = &g->tensors[n->out[0]];
    if (Y->shape[3] > (1 << 20) ||
        yolo_qconv_packed_numel(W->shape[0], W->shape[1], W->shape[2], W->shape[3]) <= 0)
        return 0;
    /* one band's scratch (one output row at the least) times any thread count stays far
     * from overflowing */
    struct yolo_qconv_geom q, qf;
    yolo_qconv_geom_make(g, n, 1, 0, &q);
    yolo_qconv_geom_make(g, n, 1, 1, &qf);
    return q.band_bytes + q.tmp_bytes <= ((uint64_t)1 << 36) &&
           qf.band_bytes + qf.tmp_bytes <= ((uint64_t)1 << 36);
}

int64_t yolo_qconv_packed_numel(int64_t M, int64_t C, int64_t KH, int64_t KW)
{
    if (M < 1 || C < 1 || KH < 1 || KW < 1 || M > (1 << 20) || C > (1 << 20) || KH > 64 || KW > 64)
        return -1;
    int64_t mp = round_up(M, YOLO_QCONV_MR);
    return mp + mp * KH * KW * ceil_div(C, 4);
}

void yolo_qconv_pack_weights(const int8_t *w, int64_t M, int64_t C, int64_t KH, int64_t KW,
                             void *out)
{
    int64_t mp = round_up(M, YOLO_QCONV_MR), c4n = ceil_div(C, 4), taps = KH * KW;
    int32_t *sumw = out;
    int8_t *pw = (int8_t *)(sumw + mp);
    memset(out, 0, (size_t)yolo_qconv_packed_numel(M, C, KH, KW) * 4);
    for (int64_t m = 0; m < M; m++)
        for (int64_t c = 0; c < C; c++)
            for (int64_t t = 0; t < taps; t++) {
                int8_t v = w[(m * C + c) * taps + t];
                sumw[m] += v;
                int64_t blk = ((m / YOLO_QCONV_MR) * taps + t) * c4n + c / 4;
                pw[(blk * YOLO_QCONV_MR + m % YOLO_QCONV_MR) * 4 + c % 4] = v;
            }
}

void yolo_qconv_geom_make(const struct yolo_graph *g, const struct yolo_node *n, int nth,
                          int flat_ok, struct yolo_qconv_geom *q)
{
    const int64_t *p = n->params;
    const struct yolo_tensor *X = &g->tensors[n->in[YOLO_QC_IN_X]], *Y = &g->tensors[n->out[0]];
    memset(q, 0, sizeof *q);
    q->N = X->shape[0], q->C = X->shape[1], q->H = X->shape[2], q->W = X->shape[3];
    q->M = Y->shape[1], q->OH = Y->shape[2], q->OW = Y->shape[3];
    q->Mp = round_up(q->M, YOLO_QCONV_MR);
    q->KH = p[YOLO_CONV_KH], q->KW = p[YOLO_CONV_KW], q->SH = p[YOLO_CONV_SH];
    q->SW = p[YOLO_CONV_SW], q->DH = p[YOLO_CONV_DH], q->DW = p[YOLO_CONV_DW];
    q->PT = p[YOLO_CONV_PT], q->PL = p[YOLO_CONV_PL];
    q->C4 = ceil_div(q->C, 4);
    q->wpad = (q->OW - 1) * q->SW + (q->KW - 1) * q->DW + 1;
    /* a tap reads output pixels ox .. ox + NR - 1 at phase offset (kx * DW) / SW */
    q->ws = round_up(round_up(q->OW, YOLO_QCONV_NR) + (q->KW - 1) * q->DW / q->SW + 1, 16);
    /* flat when the padded row is shorter than the row's whole tiles (qconv_pack.h); stride
     * 1 or 2, the same both ways */
    int64_t flat_w = q->OW + (q->KW - 1) * q->DW / q->SW;
    q->flat = flat_ok && q->SH == q->SW && (q->SW == 1 || q->SW == 2) &&
              flat_w < round_up(q->OW, YOLO_QCONV_NR);
    if (q->flat)
        q->ws = flat_w;
    q->wst = round_up(q->ws, 16);
    uint64_t row_bytes = (uint64_t)q->C4 * (uint64_t)q->SW * (uint64_t)q->ws * 4;
    /* enough bands for every thread (twice over, to even out), each within the budget */
    int64_t per_image = ceil_div(2 * (int64_t)(nth < 1 ? 1 : nth), q->N);
    int64_t br = ceil_div(q->OH, per_image);
    while (br > 1 && ((uint64_t)((br - 1) * q->SH + (q->KH - 1) * q->DH + 1)) * row_bytes >
                         QCONV_BAND_BYTES)
        br = (br + 1) / 2;
    q->br = br;
    q->nband = ceil_div(q->OH, br);
    q->in_rows = (br - 1) * q->SH + (q->KH - 1) * q->DH + 1;
    q->c4p = q->in_rows * q->SW * q->ws;
    q->pp = q->c4p;
    if (q->flat) {
        /* SH x SW planes (one at stride 1) of prow rows each; a plane's last row spills
         * the loader's 16-column steps (up to 15 pixels) into the plane's slack, not into
         * the next plane's first row, which may be loaded already */
        int64_t prow = br + (q->KH - 1) * q->DH / q->SH;
        q->pp = q->SH * q->SW == 1 ? q->in_rows * q->ws : round_up(prow * q->ws + 16, 16);
        /* the last tile reads up to NR - 1 + (KW-1)*DW/SW pixels past a plane's last row,
         * and the loader writes up to 15 */
        q->c4p = round_up(q->SH * q->SW * q->pp + YOLO_QCONV_NR + (q->KW - 1) * q->DW + 16, 16);
    }
    q->band_bytes = (uint64_t)q->C4 * (uint64_t)q->c4p * 4;
    /* 4 channels' padded input rows, each split into its SW phases of wst pixels, and one
     * unsplit padded row */
    q->tmp_bytes = (uint64_t)(5 * q->SW * q->wst);
}

uint64_t yolo_qconv_scratch(const struct yolo_graph *g, const struct yolo_node *n, int nth,
                            int flat_ok)
{
    struct yolo_qconv_geom q;
    yolo_qconv_geom_make(g, n, nth, flat_ok, &q);
    /* band, the phase rows, then (64-byte aligned) the table widened to int32 and the VNNI
     * epilogue's per-channel correction and scale (x86/qconv_avx512vnni.c: make_epv) */
    return q.band_bytes + ((q.tmp_bytes + 63) & ~(uint64_t)63) + 4 * 256 + 8 * (uint64_t)q.Mp;
}

void yolo_qconv_out_range(const struct yolo_node *n, int32_t *lo, int32_t *hi)
{
    int64_t dt = n->fparams[YOLO_QC_FP_DQS] != 0 ? n->params[YOLO_QC_GDT] : n->params[YOLO_QC_ODT];
    *lo = dt == YOLO_DT_I8 ? -128 : 0;
    *hi = dt == YOLO_DT_I8 ? 127 : 255;
}
