/* maxpool_body.h: MaxPool (ops/maxpool.c params: [0] KH [1] KW [2] SH [3] SW [4] PT [5] PL
 * [8] DH [9] DW) for SW == DW == DH == 1, any kernel, pads and SH: separable. Per (n, c)
 * plane: h[y][ox] = max over kx of X[y][ox - PL + kx] (row pass, VL outputs at a time, from
 * a copy of the row with -FLT_MAX margins), then Y[oy][ox] = max over ky of
 * h[oy*SH - PT + ky][ox].
 * A window with no input element gives -FLT_MAX, as the reference. Max is exact, so the
 * result is bit-identical to the reference for NaN-free input. Threads split the planes. */
#include <float.h>

#include "cpu/fast_ops.h"
#include "simd.h"

void ISA_FN(yolo_maxpool)(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth)
{
    const int64_t *p = n->params;
    const struct yolo_tensor *X = &x->g->tensors[n->in[0]], *Y = &x->g->tensors[n->out[0]];
    const float *src = yolo_exec_ptr(x, n->in[0]);
    float *dst = yolo_exec_ptr(x, n->out[0]);
    int64_t H = X->shape[2], W = X->shape[3], OH = Y->shape[2], OW = Y->shape[3];
    int64_t KH = p[0], KW = p[1], SH = p[2], PT = p[4], PL = p[5];
    int64_t ldh = (OW + 15) / 16 * 16;
    float *h = (float *)(x->scratch + (uint64_t)ith * x->scratch_bytes);
    int64_t planes = X->shape[0] * X->shape[1];
    vf lowest = vset1(-FLT_MAX);
    /* the plane's rows between -FLT_MAX margins (pad[y][PL + x] = X[y][x]), so the row pass
     * needs no masks, which cost more than the maxima on YOLO's 20-wide SPPF rows. All rows
     * are copied before any is read: a load right after the stores it overlaps would wait
     * for them (no store forwarding across stores). The margins are written once per call;
     * each plane overwrites only [PL, PL + W) of every row. */
    int64_t padlen = (ldh + KW - 1 + 15) / 16 * 16;
    float *pad = h + H * ldh;
    for (int64_t j = 0; j < H * padlen; j += VL)
        vstore(pad + j, lowest);
    for (int64_t pl = planes * ith / nth, pe = planes * (ith + 1) / nth; pl < pe; pl++) {
        const float *xs = src + pl * H * W;
        float *ys = dst + pl * OH * OW;
        for (int64_t y = 0; y < H; y++)
            vcopy(pad + y * padlen + PL, xs + y * W, W);
        for (int64_t y = 0; y < H; y++) {
            const float *row = pad + y * padlen;
            for (int64_t ox = 0; ox < OW; ox += VL) {
                vf m = vload(row + ox);
                for (int64_t kx = 1; kx < KW; kx++)
                    m = vmax(m, vload(row + ox + kx));
                vstore(h + y * ldh + ox, m);
            }
        }
        for (int64_t oy = 0; oy < OH; oy++)
            for (int64_t ox = 0; ox < OW; ox += VL) {
                vf m = lowest;
                for (int64_t ky = 0; ky < KH; ky++) {
                    int64_t iy = oy * SH - PT + ky;
                    if (iy >= 0 && iy < H)
                        m = vmax(m, vload(h + iy * ldh + ox));
                }
                if (OW - ox >= VL)
                    vstore(ys + oy * OW + ox, m);
                else
                    vstorem(ys + oy * OW + ox, m, vm_n((int)(OW - ox)));
            }
    }
}
