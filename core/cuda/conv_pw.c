/* cuda/conv_pw.c: the host side of our pointwise FP16 convolution (kernels_conv_pw.cu):
 * which convolutions it can run (1x1, stride 1, no padding, one group, FP16 input storage,
 * h * w a multiple of 8, the implicit GEMM's FP16 weights prepared), its tile and its
 * launch. Which kernel runs a convolution is cuda_conv_pick (conv_igemm.c). */
#include <stdint.h>
#include <stdlib.h>

#include "cuda/cuda_model.h"
#include "ops/op_params.h"

/* The kernel's arguments for node n, pointers left NULL; 0 when it cannot run it. */
static int pw_args(const struct cuda_model *m, const struct yolo_node *n,
                   struct yolo_cu_conv_pw *a)
{
    const struct yolo_graph *g = m->g;
    const struct yolo_tensor *X = &g->tensors[n->in[0]], *Y = &g->tensors[n->out[0]];
    const struct yolo_tensor *W = &g->tensors[n->in[1]];
    const int64_t *p = n->params;
    if (!cuda_conv_is_half(m, n) || p[YOLO_CONV_GROUP] != 1 || W->shape[2] != 1 ||
        W->shape[3] != 1 || p[YOLO_CONV_SH] != 1 || p[YOLO_CONV_SW] != 1 || p[YOLO_CONV_PT] ||
        p[YOLO_CONV_PL] || p[YOLO_CONV_PB] || p[YOLO_CONV_PR] || m->st[n->in[0]] != YOLO_CU_F16 ||
        X->shape[2] != Y->shape[2] || X->shape[3] != Y->shape[3] ||
        X->shape[0] > INT32_MAX || X->shape[1] > INT32_MAX || Y->shape[1] > INT32_MAX ||
        X->shape[2] * X->shape[3] > INT32_MAX)
        return 0;
    *a = (struct yolo_cu_conv_pw){ .n = (int32_t)X->shape[0], .c = (int32_t)X->shape[1],
                                   .hw = (int32_t)(X->shape[2] * X->shape[3]),
                                   .m = (int32_t)Y->shape[1],
                                   .kpad = (int32_t)((W->shape[1] + YOLO_CU_CONV_KPAD - 1) /
                                                     YOLO_CU_CONV_KPAD * YOLO_CU_CONV_KPAD),
                                   .y_st = m->st[n->out[0]], .act = (int32_t)p[YOLO_CONV_ACT],
                                   .xn = cuda_img_stride(m, n->in[0]),
                                   .yn = cuda_img_stride(m, n->out[0]) };
    return yolo_cu_conv_pw_ok(a);
}

int cuda_pw_eligible(const struct cuda_model *m, const struct yolo_node *n)
{
    struct yolo_cu_conv_pw a;
    return pw_args(m, n, &a);
}

/* The rule's threshold: images x pixels of a 1x1 convolution from which the pointwise kernel
 * runs it (YOLO_CUDA_PW_MIN overrides; a huge value restores the rule before it). */
int64_t cuda_pw_min_pixels(void)
{
    const char *env = getenv("YOLO_CUDA_PW_MIN");
    char *end = NULL;
    long long v = env ? strtoll(env, &end, 10) : 0;
    return env && end != env && *end == 0 && v >= 0 ? (int64_t)v : 200 * 1024;
}

/* Measured on an H100 (yolov8n_dq and yolo11n_dq FP16, engines of batch 128, every node
 * timed on its own, YOLO_CUDA_CONV=tune's picks against the rule's): the pointwise GEMM beat
 * cuDNN and the tiled kernel on every 1x1 convolution of 40 x 40 pixels and up, 1.1-2.9x
 * (model.2.cv1, 32 channels at 160 x 160: tiled 0.463, pointwise 0.214 ms; model.15.cv1,
 * 192 -> 64 at 80 x 80: cuDNN 0.376, pointwise 0.195), and lost at 20 x 20 and at 384
 * channels in (model.12.cv1 at 40 x 40: 0.171 against cuDNN's 0.157). Tune mode's picks made
 * yolov8n_dq's batch-128 network 18.42 -> 16.95 ms. At batch 1 cuDNN won every 1x1 (the
 * comment of cuda_conv_pick): no 1x1 of the shared models reaches 200 K images x pixels
 * there (160 x 160 is 25600). */
int cuda_pw_preferred(const struct cuda_model *m, const struct yolo_node *n)
{
    struct yolo_cu_conv_pw a;
    return pw_args(m, n, &a) && (int64_t)a.n * a.hw >= m->pw_min_pixels && a.c <= 256;
}

void cuda_pw_plan(struct cuda_model *m, int32_t i, int32_t sms)
{
    struct yolo_cu_conv_pw a;
    if (pw_args(m, &m->g->nodes[i], &a)) {
        yolo_cu_conv_pw_plan(&a, sms);
        m->convs[i].pw_wide = a.wide;
    }
}

int cuda_pw_run(struct cuda_ctx *c, int32_t i, struct yolo_diag *d)
{
    const struct cuda_model *m = c->m;
    const struct yolo_node *n = &m->g->nodes[i];
    const struct cuda_conv *cv = &m->convs[i];
    struct yolo_cu_conv_pw a;
    if (!pw_args(m, n, &a))
        return yolo_node_error(d, YOLO_ERR_INTERNAL, n, "cuda: pointwise convolution planned for "
                               "a shape it cannot run");
    a.wide = cv->pw_wide;
    a.x = cuda_tensor_ptr(c, n->in[0]);
    a.y = cuda_tensor_ptr(c, n->out[0]);
    a.wt = m->dextra + m->extra_off[i] + cv->igemm_off;
    a.bias = cv->bias;
    if (((uintptr_t)a.x | (uintptr_t)a.y) & 15)   /* a piece of a Split at an odd offset */
        return cuda_igemm_run(c, i, d);
    int e = yolo_cu_conv_pw(&a, (yolo_cu_stream)c->run);
    return e ? yolo_node_error(d, YOLO_ERR_UNSUPPORTED, n, "cuda: convolution kernel: %s",
                               cudaGetErrorString((cudaError_t)e))
             : 0;
}
