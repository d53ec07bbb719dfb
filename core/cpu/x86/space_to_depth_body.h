/* space_to_depth_body.h: SpaceToDepth with blocksize 2 on float32 (ops/space_to_depth.c's
 * layout). A unit is one input row (n, c, 2i + bh): its even columns are output row i of
 * channel (2 bh) C + c and its odd columns the same row of channel (2 bh + 1) C + c, so one
 * pass of loads and deinterleaves (simd.h's vdeint2) writes both; the row's tail goes through
 * masked loads and stores. Bit-identical to the reference (it only moves floats). */
#include "cpu/fast_ops.h"
#include "simd.h"

void ISA_FN(yolo_space_to_depth2)(const struct yolo_exec *x, const struct yolo_node *n, int ith,
                                  int nth)
{
    const struct yolo_tensor *X = &x->g->tensors[n->in[0]];
    const float *src = yolo_exec_ptr(x, n->in[0]);
    float *dst = yolo_exec_ptr(x, n->out[0]);
    int64_t C = X->shape[1], H = X->shape[2], W = X->shape[3], OH = H / 2, OW = W / 2;
    int64_t rows = X->shape[0] * C * H, r0 = rows * ith / nth, r1 = rows * (ith + 1) / nth;
    for (int64_t r = r0; r < r1; r++) {
        int64_t iy = r % H, c = (r / H) % C, nb = r / (H * C), bh = iy % 2;
        const float *xr = src + r * W;
        float *y0 = dst + (((nb * 4 + 2 * bh) * C + c) * OH + iy / 2) * OW;
        float *y1 = y0 + C * OH * OW;   /* channel (2 bh + 1) C + c */
        int64_t j = 0;
        for (; j + VL <= OW; j += VL) {
            vf e, o;
            vdeint2(vload(xr + 2 * j), vload(xr + 2 * j + VL), &e, &o);
            vstore(y0 + j, e);
            vstore(y1 + j, o);
        }
        if (j < OW) {
            int left = (int)(OW - j);
            vf e, o;
            vdeint2(vloadm(xr + 2 * j, vm_n(2 * left)), vloadm(xr + 2 * j + VL, vm_n(2 * left - VL)),
                    &e, &o);
            vstorem(y0 + j, e, vm_n(left));
            vstorem(y1 + j, o, vm_n(left));
        }
    }
}
