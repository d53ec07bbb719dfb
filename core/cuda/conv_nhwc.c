/* cuda/conv_nhwc.c: the host side of our channels-last FP16 convolutions
 * (kernels_conv_nhwc.cu, and kernels_nhwc.cu's depthwise one): which convolutions they can
 * run, their weights (FP16, k in tap-major order, in the node's piece of dextra at nhwc_off,
 * then the same rows packed for cuDNN), their launch with each operand at its own layout's
 * strides, and which channels-last convolutions cuDNN takes instead (cuda_nhwc_cudnn). layout.c
 * decides the layouts; a convolution with a channels-last operand runs here unless cuDNN or,
 * for the stem, the tiled kernel takes it (conv_cudnn.c). */
#include <stdlib.h>
#include <string.h>

#include "cuda/cuda_model.h"
#include "ops/op_params.h"

/* The kernel's arguments for node n, pointers and strides left unset; 0 if it cannot run it. */
static int nhwc_args(const struct cuda_model *m, const struct yolo_node *n,
                     struct yolo_cu_conv_nhwc *a)
{
    const struct yolo_graph *g = m->g;
    const struct yolo_tensor *X = &g->tensors[n->in[0]], *Y = &g->tensors[n->out[0]];
    const struct yolo_tensor *W = &g->tensors[n->in[1]];
    const int64_t *p = n->params;
    const int64_t lim = INT32_MAX / 2;
    if (!cuda_conv_is_half(m, n) || p[YOLO_CONV_GROUP] != 1 || X->ndim != 4 || Y->ndim != 4 ||
        X->shape[0] > lim || X->shape[1] > lim || X->shape[2] > lim || X->shape[3] > lim ||
        Y->shape[1] > lim || Y->shape[2] > lim || Y->shape[3] > lim || W->shape[2] > lim ||
        W->shape[3] > lim || p[YOLO_CONV_SH] > lim || p[YOLO_CONV_SW] > lim ||
        p[YOLO_CONV_PT] > lim || p[YOLO_CONV_PL] > lim || p[YOLO_CONV_DH] > lim ||
        p[YOLO_CONV_DW] > lim)
        return 0;
    int64_t k = W->shape[1] * W->shape[2] * W->shape[3];
    *a = (struct yolo_cu_conv_nhwc){
        .n = (int32_t)X->shape[0], .c = (int32_t)X->shape[1], .h = (int32_t)X->shape[2],
        .w = (int32_t)X->shape[3], .m = (int32_t)Y->shape[1], .oh = (int32_t)Y->shape[2],
        .ow = (int32_t)Y->shape[3], .kh = (int32_t)W->shape[2], .kw = (int32_t)W->shape[3],
        .sh = (int32_t)p[YOLO_CONV_SH], .sw = (int32_t)p[YOLO_CONV_SW],
        .ph = (int32_t)p[YOLO_CONV_PT], .pw = (int32_t)p[YOLO_CONV_PL],
        .dh = (int32_t)p[YOLO_CONV_DH], .dw = (int32_t)p[YOLO_CONV_DW],
        .x_st = m->st[n->in[0]], .y_st = m->st[n->out[0]], .act = (int32_t)p[YOLO_CONV_ACT],
        .kpad = (int32_t)((k + YOLO_CU_CONV_KPAD - 1) / YOLO_CU_CONV_KPAD * YOLO_CU_CONV_KPAD) };
    yolo_cu_conv_nhwc_plan(a, m->sms);
    a->patch = cuda_nhwc_patch(m, n);
    return k < lim && yolo_cu_conv_nhwc_ok(a);
}

/* Which channels-last convolutions the patch kernel runs (kernels_conv_patch.cu): 3x3,
 * stride 1 or 2, padding 1, the input channels-last FP16 in 16-channel pieces, the block's
 * shared memory within what this GPU allows; of those, by default, the stride-1 ones of at
 * most YOLO_CUDA_PATCH_MAXC (32) input channels, where the implicit GEMM's tap-by-tap gather
 * costs most. Measured per convolution (H100, yolov8n_dq FP16 at batch 128, every one the
 * kernel can take on it against the default): 16 channels at 160 x 160 0.257 ms against
 * 0.432 on the implicit GEMM (a Split part's reader) and 0.276 on cuDNN, 32 at 80 x 80 0.120
 * against 0.166 and 0.122; at stride 2 it lost to cuDNN from 32 channels (model.3 0.281
 * against 0.193, model.7 0.295 against 0.228) and tied the GEMM at 16; on the head's 64 and 80
 * channels cuDNN ran 0.22-0.40 ms against its 0.27-0.76. YOLO_CUDA_NHWC_CONV=patch: every one
 * it can; =gemm or =cudnn: none. The readers of a Split part of up to 128 channels, which
 * cuDNN refuses, go to it too (yolov8n_dq at batch 128 on an H100, against the implicit GEMM:
 * the four 64-channel ones at 40 x 40 0.092-0.094 ms against 0.126-0.127, the two of 128 at
 * 20 x 20 0.115 against 0.128-0.129). */
int cuda_nhwc_patch(const struct cuda_model *m, const struct yolo_node *n)
{
    const struct yolo_graph *g = m->g;
    const struct yolo_tensor *X = &g->tensors[n->in[0]], *Y = &g->tensors[n->out[0]];
    const struct yolo_tensor *W = &g->tensors[n->in[1]];
    const int64_t *p = n->params;
    if (!m->nhwc || !m->nhwc[n->in[0]] || m->st[n->in[0]] != YOLO_CU_F16 ||
        p[YOLO_CONV_GROUP] != 1 || X->ndim != 4 || Y->ndim != 4 || X->shape[1] % 16 ||
        X->shape[1] > 4096 || Y->shape[1] > 4096 || W->shape[2] != 3 || W->shape[3] != 3 ||
        p[YOLO_CONV_SH] != p[YOLO_CONV_SW] || (p[YOLO_CONV_SH] != 1 && p[YOLO_CONV_SH] != 2) ||
        p[YOLO_CONV_PT] != 1 || p[YOLO_CONV_PL] != 1 || p[YOLO_CONV_DH] != 1 ||
        p[YOLO_CONV_DW] != 1 || Y->shape[2] != (X->shape[2] - 1) / p[YOLO_CONV_SH] + 1 ||
        Y->shape[3] != (X->shape[3] - 1) / p[YOLO_CONV_SW] + 1 || !cuda_conv_is_half(m, n) ||
        yolo_cu_conv_patch_smem((int32_t)X->shape[1], (int32_t)Y->shape[1],
                                (int32_t)p[YOLO_CONV_SH]) > m->smem_optin)
        return 0;
    const char *env = getenv("YOLO_CUDA_NHWC_CONV");
    if (env && strcmp(env, "patch") == 0)
        return 1;
    if (env && (strcmp(env, "gemm") == 0 || strcmp(env, "cudnn") == 0))
        return 0;
    const char *maxc = getenv("YOLO_CUDA_PATCH_MAXC");
    int64_t bound = maxc && *maxc ? atoll(maxc) : 32;
    /* a reader of a Split part (its rows inside a wider whole) cuDNN refuses, so there the
     * patch kernel's rival is the implicit GEMM, up to 128 channels */
    int part = m->pixst[n->in[0]] != X->shape[1];
    return p[YOLO_CONV_SH] == 1 && X->shape[1] <= (part && bound < 128 ? 128 : bound);
}

/* A depthwise convolution (groups = input = output channels) in FP16 storage both sides: the
 * window kernel (kernels_nhwc.cu) on the FP16 weights the cuDNN path prepares anyway */
int cuda_nhwc_depthwise(const struct cuda_model *m, const struct yolo_node *n)
{
    const struct yolo_graph *g = m->g;
    const struct yolo_tensor *X = &g->tensors[n->in[0]], *Y = &g->tensors[n->out[0]];
    const int64_t *p = n->params, lim = INT32_MAX / 2;
    return cuda_conv_is_half(m, n) && X->ndim == 4 && Y->ndim == 4 && p[YOLO_CONV_GROUP] > 1 &&
           p[YOLO_CONV_GROUP] == X->shape[1] && X->shape[1] == Y->shape[1] &&
           m->st[n->in[0]] == YOLO_CU_F16 && m->st[n->out[0]] == YOLO_CU_F16 &&
           X->shape[0] < lim && X->shape[1] < lim && X->shape[2] < lim && X->shape[3] < lim &&
           Y->shape[2] < lim && Y->shape[3] < lim && p[YOLO_CONV_PT] < lim &&
           p[YOLO_CONV_PL] < lim && p[YOLO_CONV_SH] < lim && p[YOLO_CONV_SW] < lim &&
           p[YOLO_CONV_DH] < lim && p[YOLO_CONV_DW] < lim;
}

/* Which channels-last convolutions cuDNN runs instead of our implicit GEMM: both operands
 * channels-last FP16 with 8-channel rows, the input packed (cuDNN 9.14 on an H100 had no
 * FP16 algorithm for an input whose rows lie in a wider whole), one group, and the rule
 * below; YOLO_CUDA_NHWC_CONV=gemm or =cudnn: none, or every one it can. Should cuDNN still
 * refuse one at load, our kernel runs it (both weight layouts are prepared). Read at load.
 * The rule, from yolov8n_dq at batch 128 (H100, every convolution timed both ways): cuDNN
 * ran every 3x3 convolution faster (2-2.6x on the head's: 1.014 -> 0.396 ms), except the
 * stride-2 one with K = 144 (model.1: 0.479 against our 0.424), and the 1x1 ones of 40 x 40
 * and smaller (model.6.cv1 0.093 -> 0.076); our kernel ran the 1x1 ones of 160 x 160
 * faster (model.2.cv1: 0.246 against 0.359), and those of 80 x 80 with 64 outputs
 * (model.4.cv1 0.129 against 0.151, cv2 0.177 against 0.190), but not yolo11n_dq's of 80 x 80
 * with 80 or 128 (head cv3.0.1.1 0.307 against 0.186, model.4.cv2 0.310 against 0.276);
 * those of 80 x 80 with fewer outputs (yolov5n's 32) stay ours, as before that was measured. */
int cuda_nhwc_cudnn(const struct cuda_model *m, const struct yolo_node *n)
{
    const struct yolo_graph *g = m->g;
    const struct yolo_tensor *X = &g->tensors[n->in[0]], *Y = &g->tensors[n->out[0]];
    const struct yolo_tensor *W = &g->tensors[n->in[1]];
    if (!m->nhwc || !m->nhwc[n->in[0]] || !m->nhwc[n->out[0]] ||
        m->pixst[n->in[0]] != X->shape[1] || n->params[YOLO_CONV_GROUP] != 1 ||
        X->shape[1] % 8 || Y->shape[1] % 8 || !cuda_conv_is_half(m, n))
        return 0;
    const char *env = getenv("YOLO_CUDA_NHWC_CONV");
    if (env && strcmp(env, "gemm") == 0)
        return 0;
    if (env && strcmp(env, "cudnn") == 0)
        return 1;
    if (cuda_nhwc_patch(m, n))
        return 0;
    int64_t k = W->shape[1] * W->shape[2] * W->shape[3], taps = W->shape[2] * W->shape[3];
    if (taps == 1)
        return !(Y->shape[2] * Y->shape[3] >= 160 * 160 ||
                 (Y->shape[2] * Y->shape[3] >= 80 * 80 && Y->shape[1] <= 64));
    return !(k < 256 && (n->params[YOLO_CONV_SH] > 1 || n->params[YOLO_CONV_SW] > 1));
}

int cuda_nhwc_eligible(const struct cuda_model *m, const struct yolo_node *n)
{
    struct yolo_cu_conv_nhwc a;
    return nhwc_args(m, n, &a) || cuda_nhwc_depthwise(m, n);
}

uint64_t cuda_nhwc_extra_bytes(const struct yolo_graph *g, const struct yolo_node *n)
{
    const struct yolo_tensor *W = &g->tensors[n->in[1]];
    if (n->params[YOLO_CONV_GROUP] != 1)
        return 0;   /* depthwise: the FP16 copy every FP16 convolution has */
    /* the implicit GEMM's rows, then (for cuDNN, KRSC) the same packed */
    uint64_t krsc = (uint64_t)W->shape[0] * (uint64_t)(W->shape[1] * W->shape[2] * W->shape[3]) * 2;
    return cuda_igemm_weight_bytes(W) + krsc;
}

/* dextra is zeroed where the host left it (upload_extra copies a zeroed host image first) */
int cuda_nhwc_upload_weights(const struct cuda_model *m, int32_t i, struct yolo_diag *d)
{
    const struct yolo_node *n = &m->g->nodes[i];
    struct yolo_cu_conv_nhwc a;
    if (n->params[YOLO_CONV_GROUP] != 1)
        return 0;
    if (!nhwc_args(m, n, &a))
        return yolo_node_error(d, YOLO_ERR_INTERNAL, n, "cuda: channels-last convolution planned "
                               "for a shape it cannot run");
    const float *w32 = (const float *)(m->dconst + m->g->tensors[n->in[1]].offset);
    uint8_t *at = m->dextra + m->extra_off[i] + m->convs[i].nhwc_off;
    int e = yolo_cu_conv_nhwc_weights(&a, w32, at, NULL);
    if (!e && cuda_nhwc_cudnn(m, n)) {   /* cuDNN's KRSC filter: the same rows, packed */
        a.kpad = a.kh * a.kw * a.c;
        uint8_t *krsc = at + cuda_igemm_weight_bytes(&m->g->tensors[n->in[1]]);
        e = yolo_cu_conv_nhwc_weights(&a, w32, krsc, NULL);
    }
    return e ? cuda_fail(d, "preparing channels-last weights", (cudaError_t)e) : 0;
}

/* A depthwise convolution, both operands channels-last (layout.c ties them) */
static int depthwise_run(struct cuda_ctx *c, int32_t i, struct yolo_diag *d)
{
    const struct cuda_model *m = c->m;
    const struct yolo_graph *g = m->g;
    const struct yolo_node *n = &g->nodes[i];
    const struct yolo_tensor *X = &g->tensors[n->in[0]], *Y = &g->tensors[n->out[0]];
    const struct yolo_tensor *W = &g->tensors[n->in[1]];
    const int64_t *p = n->params;
    if (!cuda_nhwc_depthwise(m, n) || !m->nhwc[n->in[0]] || !m->nhwc[n->out[0]])
        return yolo_node_error(d, YOLO_ERR_INTERNAL, n, "cuda: depthwise convolution planned "
                               "channels-last on one side only");
    struct yolo_cu_nhwc_pool a = {
        .n = (int32_t)X->shape[0], .h = (int32_t)X->shape[2], .w = (int32_t)X->shape[3],
        .c = (int32_t)X->shape[1], .oh = (int32_t)Y->shape[2], .ow = (int32_t)Y->shape[3],
        .kh = (int32_t)W->shape[2], .kw = (int32_t)W->shape[3], .sh = (int32_t)p[YOLO_CONV_SH],
        .sw = (int32_t)p[YOLO_CONV_SW], .pt = (int32_t)p[YOLO_CONV_PT],
        .pl = (int32_t)p[YOLO_CONV_PL], .dh = (int32_t)p[YOLO_CONV_DH],
        .dw = (int32_t)p[YOLO_CONV_DW], .st = YOLO_CU_F16, .act = (int32_t)p[YOLO_CONV_ACT],
        .xp = m->pixst[n->in[0]], .yp = m->pixst[n->out[0]], .x = cuda_tensor_ptr(c, n->in[0]),
        .wt = m->dextra + m->extra_off[i], .bias = m->convs[i].bias,
        .y = cuda_tensor_ptr(c, n->out[0]) };
    int e = yolo_cu_dwconv_nhwc(&a, (yolo_cu_stream)c->run);
    return e ? yolo_node_error(d, YOLO_ERR_UNSUPPORTED, n, "cuda: convolution kernel: %s",
                               cudaGetErrorString((cudaError_t)e))
             : 0;
}

uint64_t cuda_nhwc_krsc_offset(const struct cuda_model *m, int32_t i)
{
    return m->convs[i].nhwc_off +
           cuda_igemm_weight_bytes(&m->g->tensors[m->g->nodes[i].in[1]]);
}

int cuda_nhwc_run(struct cuda_ctx *c, int32_t i, struct yolo_diag *d)
{
    const struct cuda_model *m = c->m;
    const struct yolo_node *n = &m->g->nodes[i];
    struct yolo_cu_conv_nhwc a;
    if (n->params[YOLO_CONV_GROUP] != 1)
        return depthwise_run(c, i, d);
    if (!nhwc_args(m, n, &a))
        return yolo_node_error(d, YOLO_ERR_INTERNAL, n, "cuda: channels-last convolution planned "
                               "for a shape it cannot run");
    const struct cuda_conv *cv = &m->convs[i];
    int32_t yt = cv->res ? cv->res_y : n->out[0];   /* a residual Add's output (fuse_add.c) */
    int64_t xs[4], ys[4], rs[4];
    cuda_strides4(m, n->in[0], xs);
    cuda_strides4(m, yt, ys);
    a.xn = xs[0], a.xc = xs[1], a.xp = xs[3];
    a.yn = ys[0], a.yc = ys[1], a.yp = ys[3];
    a.x = cuda_tensor_ptr(c, n->in[0]);
    a.y = cuda_tensor_ptr(c, yt);
    if (cv->res) {
        cuda_strides4(m, cv->res_b, rs);
        a.rn = rs[0], a.rp = rs[3];
        a.res = cuda_tensor_ptr(c, cv->res_b);
    }
    a.wt = m->dextra + m->extra_off[i] + m->convs[i].nhwc_off;
    a.bias = m->convs[i].bias;
    int e = yolo_cu_conv_nhwc(&a, (yolo_cu_stream)c->run);
    return e ? yolo_node_error(d, YOLO_ERR_UNSUPPORTED, n, "cuda: convolution kernel: %s",
                               cudaGetErrorString((cudaError_t)e))
             : 0;
}
