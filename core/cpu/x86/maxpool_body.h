/* maxpool_body.h: MaxPool (ops/maxpool.c params: [0] KH [1] KW [2] SH [3] SW [4] PT [5] PL
 * [8] DH [9] DW) for SW == DW == DH == 1, any kernel, pads and SH: separable. Per (n, c)
 * plane: h[y][ox] = max over kx of X[y][ox - PL + kx] (row pass, VL outputs at a time,
 * padding lanes read as -FLT_MAX), then Y[oy][ox] = max over ky of h[oy*SH - PT + ky][ox].
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
    for (int64_t pl = planes * ith / nth, pe = planes * (ith + 1) / nth; pl < pe; pl++) {
        const float *xs = src + pl * H * W;
        float *ys = dst + pl * OH * OW;
        for (int64_t y = 0; y < H; y++) {
            const float *row = xs + y * W;
            for (int64_t ox = 0; ox < OW; ox += VL) {
                vf m = lowest;
                for (int64_t kx = 0; kx < KW; kx++) {
                    int64_t xb = ox - PL + kx;              /* input x of lane 0 */
                    int lo = xb < 0 ? (int)(-xb < VL ? -xb : VL) : 0;
                    int64_t lim = W - xb;
                    int hi = lim <= 0 ? 0 : lim >= VL ? VL : (int)lim;
                    if (lo >= hi)
                        continue;
                    vmask msk = vm_range(lo, hi);
                    m = vmax(m, vblend(msk, lowest, vloadm(row + xb, msk)));
                }
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
                int left = OW - ox < VL ? (int)(OW - ox) : VL;
                vstorem(ys + oy * OW + ox, m, vm_n(left));
            }
    }
}
