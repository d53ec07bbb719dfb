/* cuda/conv_stem.c: the host side of the stem kernel (kernels_conv_stem.cu): which
 * convolution it runs (cuda_stem_ok) and its launch, the FP32 weights and bias copied from the
 * graph's const blob into the launch's parameters. conv_cudnn.c picks it for the stem of a
 * channels-last FP16 plan; YOLO_CUDA_STEM=0 leaves the stem to the kernels it ran on before
 * (for measuring what this buys). */
#include <stdlib.h>
#include <string.h>

#include "cuda/cuda_model.h"
#include "ops/op_params.h"

/* The kernel's arguments for node n, pointers left unset; 0 if its shape is none it runs. */
static int stem_args(const struct cuda_model *m, const struct yolo_node *n,
                     struct yolo_cu_conv_stem *a)
{
    const struct yolo_graph *g = m->g;
    const struct yolo_tensor *X = &g->tensors[n->in[0]], *Y = &g->tensors[n->out[0]];
    const struct yolo_tensor *W = &g->tensors[n->in[1]];
    const struct yolo_tensor *B = n->n_in >= 3 && n->in[2] >= 0 ? &g->tensors[n->in[2]] : NULL;
    const int64_t *p = n->params;
    const int64_t lim = INT32_MAX / 2;
    if (!m->nhwc || m->nhwc[n->in[0]] || !m->nhwc[n->out[0]] ||
        m->st[n->out[0]] != YOLO_CU_F16 || !cuda_conv_is_half(m, n) || X->ndim != 4 ||
        Y->ndim != 4 || W->ndim != 4 || X->shape[1] != 3 || W->shape[1] != 3 ||
        W->shape[2] != 3 || W->shape[3] != 3 || Y->shape[1] > YOLO_CU_STEM_MAXM ||
        !(W->flags & YOLO_TF_CONST) || W->dtype != YOLO_DT_F32 ||
        (B && (!(B->flags & YOLO_TF_CONST) || B->dtype != YOLO_DT_F32)) ||
        p[YOLO_CONV_GROUP] != 1 || p[YOLO_CONV_SH] != 2 || p[YOLO_CONV_SW] != 2 ||
        p[YOLO_CONV_DH] != 1 || p[YOLO_CONV_DW] != 1 || p[YOLO_CONV_PT] < 0 ||
        p[YOLO_CONV_PT] > 2 || p[YOLO_CONV_PL] < 0 || p[YOLO_CONV_PL] > 2 ||
        X->shape[0] > lim || X->shape[2] > lim || X->shape[3] > lim || Y->shape[2] > lim ||
        Y->shape[3] > lim)
        return 0;
    int64_t ys[4];
    cuda_strides4(m, n->out[0], ys);
    *a = (struct yolo_cu_conv_stem){
        .n = (int32_t)X->shape[0], .h = (int32_t)X->shape[2], .w = (int32_t)X->shape[3],
        .m = (int32_t)Y->shape[1], .oh = (int32_t)Y->shape[2], .ow = (int32_t)Y->shape[3],
        .ph = (int32_t)p[YOLO_CONV_PT], .pw = (int32_t)p[YOLO_CONV_PL], .x_st = m->st[n->in[0]],
        .act = (int32_t)p[YOLO_CONV_ACT], .xn = cuda_img_stride(m, n->in[0]), .yn = ys[0],
        .yp = ys[3], .y = (void *)(uintptr_t)16 };   /* any aligned address, for the check */
    return yolo_cu_conv_stem_ok(a);
}

int cuda_stem_ok(const struct cuda_model *m, const struct yolo_node *n)
{
    const char *env = getenv("YOLO_CUDA_STEM");
    struct yolo_cu_conv_stem a;
    return !(env && strcmp(env, "0") == 0) && n->op == YOLO_OP_CONV && stem_args(m, n, &a);
}

int cuda_stem_run(struct cuda_ctx *c, int32_t i, struct yolo_diag *d)
{
    const struct cuda_model *m = c->m;
    const struct yolo_graph *g = m->g;
    const struct yolo_node *n = &g->nodes[i];
    struct yolo_cu_conv_stem a;
    if (!stem_args(m, n, &a))
        return yolo_node_error(d, YOLO_ERR_INTERNAL, n, "cuda: stem kernel planned for a "
                               "convolution it cannot run");
    a.x = cuda_tensor_ptr(c, n->in[0]);
    a.y = cuda_tensor_ptr(c, n->out[0]);
    if (!yolo_cu_conv_stem_ok(&a))   /* an output not 16-byte aligned: the general kernel */
        return cuda_nhwc_run(c, i, d);
    size_t wn = (size_t)a.m * 27;
    memcpy(a.wt, g->consts + g->tensors[n->in[1]].offset, wn * sizeof(float));
    memset(a.bias, 0, sizeof a.bias);
    if (n->n_in >= 3 && n->in[2] >= 0)
        memcpy(a.bias, g->consts + g->tensors[n->in[2]].offset, (size_t)a.m * sizeof(float));
    int e = yolo_cu_conv_stem(&a, (yolo_cu_stream)c->run);
    return e ? yolo_node_error(d, YOLO_ERR_UNSUPPORTED, n, "cuda: stem kernel: %s",
                               cudaGetErrorString((cudaError_t)e))
             : 0;
}
