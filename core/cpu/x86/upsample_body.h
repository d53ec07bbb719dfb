/* upsample_body.h: nearest Resize of float32 NCHW by exactly 2 along H and W with every
 * output pixel (y, x) taken from (y / 2, x / 2) (YOLO's necks; select.c checks the index
 * mapping with the reference's own function, so any mode that maps that way qualifies).
 * A unit is one input row: loaded once, each float doubled by a permute (simd.h's vdup2),
 * and stored to both output rows it makes. The portable kernel (cpu/resize_nearest.c)
 * stored 8-byte pairs and copied every second row back out of the output. Only moves
 * floats: bit-identical to the reference. */
#include "cpu/fast_ops.h"
#include "simd.h"

void ISA_FN(yolo_upsample2x)(const struct yolo_exec *x, const struct yolo_node *n, int ith,
                             int nth)
{
    const struct yolo_tensor *X = &x->g->tensors[n->in[0]];
    const float *src = yolo_exec_ptr(x, n->in[0]);
    float *dst = yolo_exec_ptr(x, n->out[0]);
    int64_t W = X->shape[3], H = X->shape[2], planes = X->shape[0] * X->shape[1];
    /* each thread the same rows of every plane: the convolution before split its output by
     * position, so the rows a thread reads are the ones its own core wrote (split by rows of
     * the whole tensor, yolov5n's 20x20 -> 40x40 took 0.016-0.022 ms at 1 thread and 0.06 at
     * 2) */
    int64_t lo = H * ith / nth, per = H * (ith + 1) / nth - lo;
    for (int64_t u = 0; u < planes * per; u++) {
        int64_t r = u / per * H + lo + u % per;   /* row lo + u % per of plane u / per */
        const float *s = src + r * W;
        float *d0 = dst + r * 4 * W, *d1 = d0 + 2 * W;   /* output rows 2y and 2y + 1 */
        int64_t j = 0;
        for (; j + VL <= W; j += VL) {   /* whole vectors: plain stores (masked ones are dearer) */
            vf lo, hi;
            vdup2(vload(s + j), &lo, &hi);
            vstore(d0 + 2 * j, lo);
            vstore(d0 + 2 * j + VL, hi);
            vstore(d1 + 2 * j, lo);
            vstore(d1 + 2 * j + VL, hi);
        }
        if (j < W) {
            int left = (int)(W - j);
            vf lo, hi;
            vdup2(vloadm(s + j, vm_n(left)), &lo, &hi);
            vmask m0 = vm_n(2 * left), m1 = vm_n(2 * left - VL);
            vstorem(d0 + 2 * j, lo, m0);
            vstorem(d0 + 2 * j + VL, hi, m1);
            vstorem(d1 + 2 * j, lo, m0);
            vstorem(d1 + 2 * j + VL, hi, m1);
        }
    }
}
