/* x86/dfl_q_avx512.c: a QDQ model's DFL up to its QuantizeLinear (passes.h, yolo_dfl_q_find;
 * cpu/dfl_mark.c) as one pass: for 16 adjacent outputs at a time (anchors, adjacent in the
 * source too) the 16 bins are loaded from the first Transpose's input in place, softmaxed and
 * quantized, and written as the QuantizeLinear's output (the c4 layout or plain bytes).
 *
 * The same bytes as the nodes one by one: the Softmax kernel (softmax_body.h) takes a row of
 * 16 bins as one vector, its maximum and e^(x - max) by the same functions, the sum by
 * _mm512_reduce_add_ps, whose order of additions (GCC's: the upper 8 lanes onto the lower 8,
 * then 4 onto 4, then lanes 2, 3 onto 0, 1, then 1 onto 0) is repeated here with the bins
 * in place of lanes, then one division 1 / sum and a product per bin; the QuantizeLinear is
 * quant16.h's. Threads split (image, row, 16 outputs) units. */
#include "cpu/cpu.h"
#include "cpu/fast_ops.h"
#include "cpu/x86/c4_pack.h"
#include "cpu/x86/quant16.h"
#include "simd.h"

void yolo_dfl_q_avx512(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth)
{
    const struct yolo_cpu_dfl *f = yolo_exec_node_data(x, n);
    const struct yolo_tensor *X3 = &x->g->tensors[n->in[0]];
    int64_t N = X3->shape[0], H = X3->shape[2], W = X3->shape[3];   /* 16 bins: dim 1 */
    const int64_t *st = f->st;
    const float *src = yolo_exec_ptr(x, f->src);
    uint8_t *y = yolo_exec_ptr(x, n->out[0]);
    const __m512 vs = _mm512_set1_ps(f->q_scale), big = _mm512_set1_ps(1073741824.0f);
    const __m512i vz = _mm512_set1_epi32(f->q_zp), vlo = _mm512_set1_epi32(f->q_lo),
                  vhi = _mm512_set1_epi32(f->q_hi);
    int64_t nvec = (W + 15) / 16, units = N * H * nvec;
    for (int64_t u = units * ith / nth, u1 = units * (ith + 1) / nth; u < u1; u++) {
        int64_t j = (u % nvec) * 16, r = u / nvec, h = r % H, b = r / H;
        const float *s = src + b * st[0] + h * st[2] + j;
        __mmask16 m = vm_n((int)(W - j < 16 ? W - j : 16));
        vf e[16], mx = vset1(-INFINITY);
        for (int k = 0; k < 16; k++) {
            e[k] = vloadm(s + k * st[1], m);
            mx = vmax(mx, e[k]);
        }
        for (int k = 0; k < 16; k++)
            e[k] = vexp_shift(e[k], mx);
        vf t[8], sum;
        for (int k = 0; k < 8; k++)
            t[k] = vadd(e[k + 8], e[k]);
        for (int k = 0; k < 4; k++)
            t[k] = vadd(t[k + 4], t[k]);
        sum = vadd(vadd(t[0], t[2]), vadd(t[1], t[3]));
        vf inv = vdiv(vset1(1.0f), sum);
        __m512i q[16];
        for (int k = 0; k < 16; k++)
            q[k] = quant16v(vmul(e[k], inv), vs, big, vz, vlo, vhi);
        if (f->q_c4) {   /* 4 planes of 4 bins, pixels (h, w) of 4 bytes */
            for (int g = 0; g < 4; g++)
                _mm512_mask_storeu_epi32(y + (((b * 4 + g) * H + h) * W + j) * 4, m,
                                         yolo_c4_pack(q[4 * g], q[4 * g + 1], q[4 * g + 2],
                                                      q[4 * g + 3]));
        } else {
            for (int k = 0; k < 16; k++)
                _mm512_mask_cvtepi32_storeu_epi8(y + ((b * 16 + k) * H + h) * W + j, m, q[k]);
        }
    }
}
