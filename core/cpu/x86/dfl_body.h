/* dfl_body.h: the DFL of a YOLOv8/11 head as one pass (passes.h, struct yolo_dfl_chain; the
 * backend's struct yolo_cpu_dfl is the node data), run at its Conv: for every output, the
 * bins' maximum, then e^(x - max) summed and dotted with the Conv's weights, then
 * bias + dot / sum. VL adjacent outputs at a time where they are adjacent in the source
 * (st[3] == 1: the anchors of [N, 4, 16, A]), so every bin is one vector load; one at a
 * time otherwise. Threads split (image, row, vector) units. */
#include "cpu/cpu.h"
#include "cpu/fast_ops.h"
#include "simd.h"

void ISA_FN(yolo_dfl)(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth)
{
    const struct yolo_cpu_dfl *f = yolo_exec_node_data(x, n);
    const struct yolo_tensor *X3 = &x->g->tensors[n->in[0]];
    int64_t N = X3->shape[0], bins = X3->shape[1], H = X3->shape[2], W = X3->shape[3];
    const int64_t *st = f->st;
    const float *src = yolo_exec_ptr(x, f->src);
    float *y = yolo_exec_ptr(x, n->out[0]);
    int64_t vw = st[3] == 1 ? VL : 1, nvec = (W + vw - 1) / vw, units = N * H * nvec;
    for (int64_t u = units * ith / nth, u1 = units * (ith + 1) / nth; u < u1; u++) {
        int64_t j = (u % nvec) * vw, r = u / nvec, h = r % H, b = r / H;
        const float *s = src + b * st[0] + h * st[2] + j * st[3];
        float *o = y + (b * H + h) * W + j;
        if (vw == 1) {   /* strided: one output */
            float mx = -INFINITY, sum = 0.0f, dot = 0.0f;
            for (int64_t k = 0; k < bins; k++)
                mx = s[k * st[1]] > mx ? s[k * st[1]] : mx;
            for (int64_t k = 0; k < bins; k++) {
                float e = expf(s[k * st[1]] - mx);
                sum += e;
                dot += f->w[k] * e;
            }
            *o = f->bias + dot / sum;
            continue;
        }
        vmask m = vm_n((int)(W - j < VL ? W - j : VL));
        vf mx = vset1(-INFINITY), sum = vzero(), dot = vzero();
        for (int64_t k = 0; k < bins; k++)
            mx = vmax(mx, vloadm(s + k * st[1], m));
        for (int64_t k = 0; k < bins; k++) {
            vf e = vexp_shift(vloadm(s + k * st[1], m), mx);
            sum = vadd(sum, e);
            dot = vfma(vset1(f->w[k]), e, dot);
        }
        vstorem(o, vadd(vset1(f->bias), vdiv(dot, sum)), m);
    }
}
