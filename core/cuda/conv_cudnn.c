/* cuda/conv_cudnn.c: Conv through cuDNN, then one epilogue kernel (bias + the fused
 * activation, and the storage conversion when the output tensor is stored otherwise).
 *
 * cuDNN's legacy API fuses only ReLU into a convolution, and YOLO's activation is SiLU, so the
 * bias and activation run as a separate element-wise pass; CUDA graphs make the extra launch
 * cheap. FP32 convolutions are restricted to FMA math (no TF32: the golden tolerances are
 * FP32's); FP16 ones use tensor cores with FP32 accumulation. The algorithm comes from cuDNN's
 * heuristics, or from timing every candidate when YOLO_CUDA_CONV_SEARCH=1 (slower in our CUDA
 * graph at every batch: H100, yolov8n_dq FP32 batch 1 1.61 -> 2.15-2.35 ms, FP16 batch 32
 * 4.36 -> 5.50-6.05; the heuristics stay the default).
 * Around cuDNN's FP16 kernels (NHWC inside) its own layout passes cost more than the kernels
 * (ncu, H100, yolov8n_dq batch 128: nchwToNhwc 1.52 ms, the convolutions 2.06, nhwcToNchw
 * 1.13, then our epilogue 1.98). Tried: cuDNN writing NHWC into scratch and one kernel of
 * ours transposing it with the epilogue: slower at batch 1 (yolov8n_dq 0.609 -> 0.678 ms,
 * yolov5n 0.599 -> 0.762), within 2% either way at 32 and 128 (cuDNN picks other algorithms
 * for that pair of layouts). The passes go only with NHWC activations end to end. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cuda/cuda_model.h"

int cudnn_fail(struct yolo_diag *d, const char *what, cudnnStatus_t s)
{
    return yolo_diag_set(d, YOLO_ERR_UNSUPPORTED, "cuda: %s failed: %s", what,
                         cudnnGetErrorString(s));
}

int cuda_conv_supported(const struct yolo_graph *g, const struct yolo_node *n)
{
    const int64_t *p = n->params;
    if (n->n_in < 2 || n->in[0] < 0 || n->in[1] < 0 || n->n_out != 1)
        return 0;
    const struct yolo_tensor *X = &g->tensors[n->in[0]], *W = &g->tensors[n->in[1]];
    /* cuDNN pads symmetrically; 2-D float convolutions with constant weights only */
    return X->ndim == 4 && W->ndim == 4 && X->dtype == YOLO_DT_F32 &&
           (W->flags & YOLO_TF_CONST) && p[YOLO_CONV_PT] == p[YOLO_CONV_PB] &&
           p[YOLO_CONV_PL] == p[YOLO_CONV_PR] && p[YOLO_CONV_GROUP] >= 1 &&
           (n->n_in < 3 || n->in[2] < 0 || (g->tensors[n->in[2]].flags & YOLO_TF_CONST)) &&
           X->shape[1] <= INT32_MAX && X->shape[2] <= INT32_MAX && X->shape[3] <= INT32_MAX &&
           X->shape[0] <= INT32_MAX;
}

void cuda_conv_release(struct cuda_conv *cv)
{
    if (cv->x)
        cudnnDestroyTensorDescriptor(cv->x);
    if (cv->y)
        cudnnDestroyTensorDescriptor(cv->y);
    if (cv->w)
        cudnnDestroyFilterDescriptor(cv->w);
    if (cv->conv)
        cudnnDestroyConvolutionDescriptor(cv->conv);
    memset(cv, 0, sizeof *cv);
}

static int pick_algo(struct cuda_conv *cv, cudnnHandle_t dnn, cudnnMathType_t want,
                     struct yolo_diag *d)
{
    enum { N_ALGO = CUDNN_CONVOLUTION_FWD_ALGO_COUNT };
    const size_t ws_cap = (size_t)512 << 20;
    cudnnConvolutionFwdAlgoPerf_t perf[N_ALGO];
    int got = 0;
    cudnnStatus_t s;
    const char *search = getenv("YOLO_CUDA_CONV_SEARCH");
    if (search && strcmp(search, "1") == 0)
        s = cudnnFindConvolutionForwardAlgorithm(dnn, cv->x, cv->w, cv->conv, cv->y, N_ALGO, &got,
                                                 perf);
    else
        s = cudnnGetConvolutionForwardAlgorithm_v7(dnn, cv->x, cv->w, cv->conv, cv->y, N_ALGO,
                                                   &got, perf);
    if (s != CUDNN_STATUS_SUCCESS)
        return cudnn_fail(d, "choosing a convolution algorithm", s);
    for (int k = 0; k < got; k++) {
        if (perf[k].status != CUDNN_STATUS_SUCCESS || perf[k].memory > ws_cap)
            continue;
        /* FP32: FMA kernels only, never TF32 (cuDNN's default math may use it) */
        if (want == CUDNN_FMA_MATH && perf[k].mathType != CUDNN_FMA_MATH)
            continue;
        s = cudnnSetConvolutionMathType(cv->conv, perf[k].mathType);
        if (s != CUDNN_STATUS_SUCCESS)
            continue;
        size_t ws = 0;
        s = cudnnGetConvolutionForwardWorkspaceSize(dnn, cv->x, cv->w, cv->conv, cv->y,
                                                    perf[k].algo, &ws);
        if (s != CUDNN_STATUS_SUCCESS)
            continue;
        cv->algo = perf[k].algo;
        cv->workspace = ws;
        return 0;
    }
    return yolo_diag_set(d, YOLO_ERR_UNSUPPORTED, "cuda: cuDNN has no %s algorithm for this "
                         "convolution", want == CUDNN_FMA_MATH ? "FP32 (FMA)" : "FP16");
}

static cudnnStatus_t create_descriptors(struct cuda_conv *cv)
{
    cudnnStatus_t s;
    if ((s = cudnnCreateTensorDescriptor(&cv->x)) || (s = cudnnCreateTensorDescriptor(&cv->y)) ||
        (s = cudnnCreateFilterDescriptor(&cv->w)))
        return s;
    return cudnnCreateConvolutionDescriptor(&cv->conv);
}

/* Channels-last on both sides (cuda_nhwc_cudnn): cuDNN reads x where it lies (its rows at
 * the pixel stride), with the KRSC weights conv_nhwc.c prepared, and writes packed NHWC into
 * y, or into cvt_out when y is a part of a wider whole; our epilogue then writes y. */
static int prepare_nhwc(struct cuda_model *m, int32_t i, cudnnHandle_t dnn, struct yolo_diag *d)
{
    const struct yolo_graph *g = m->g;
    const struct yolo_node *n = &g->nodes[i];
    struct cuda_conv *cv = &m->convs[i];
    const struct yolo_tensor *X = &g->tensors[n->in[0]], *W = &g->tensors[n->in[1]];
    const struct yolo_tensor *Y = &g->tensors[n->out[0]];
    const int64_t *p = n->params;
    int64_t xs[4];
    cuda_strides4(m, n->in[0], xs);
    cv->kernel = CUDA_CONV_CUDNN;
    cudnnStatus_t s;
    if ((s = create_descriptors(cv)))
        return cudnn_fail(d, "creating descriptors", s);
    if (xs[0] > INT32_MAX)
        return yolo_node_error(d, YOLO_ERR_UNSUPPORTED, n, "cuda: an input image of more than "
                               "2^31 elements");
    if ((s = cudnnSetTensor4dDescriptorEx(cv->x, CUDNN_DATA_HALF, (int)X->shape[0],
                                          (int)X->shape[1], (int)X->shape[2], (int)X->shape[3],
                                          (int)xs[0], (int)xs[1], (int)xs[2], (int)xs[3])) ||
        (s = cudnnSetTensor4dDescriptor(cv->y, CUDNN_TENSOR_NHWC, CUDNN_DATA_HALF,
                                        (int)Y->shape[0], (int)Y->shape[1], (int)Y->shape[2],
                                        (int)Y->shape[3])) ||
        (s = cudnnSetFilter4dDescriptor(cv->w, CUDNN_DATA_HALF, CUDNN_TENSOR_NHWC,
                                        (int)W->shape[0], (int)W->shape[1], (int)W->shape[2],
                                        (int)W->shape[3])) ||
        (s = cudnnSetConvolution2dDescriptor(cv->conv, (int)p[YOLO_CONV_PT], (int)p[YOLO_CONV_PL],
                                             (int)p[YOLO_CONV_SH], (int)p[YOLO_CONV_SW],
                                             (int)p[YOLO_CONV_DH], (int)p[YOLO_CONV_DW],
                                             CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT)))
        return yolo_node_error(d, YOLO_ERR_UNSUPPORTED, n, "cuda: cuDNN refuses this convolution: "
                               "%s", cudnnGetErrorString(s));
    if ((s = cudnnSetConvolutionMathType(cv->conv, CUDNN_TENSOR_OP_MATH)))
        return cudnn_fail(d, "setting the math type", s);
    if (pick_algo(cv, dnn, CUDNN_TENSOR_OP_MATH, d)) {   /* refused: our kernel runs it */
        if (d)
            *d = (struct yolo_diag){ 0 };
        cv->kernel = CUDA_CONV_NHWC;
        return 0;
    }
    if (cv->workspace > m->workspace)
        m->workspace = cv->workspace;
    size_t cvt = (size_t)yolo_tensor_numel(Y) * 2;
    if (m->pixst[n->out[0]] != Y->shape[1] && cvt > m->cvt_bytes)
        m->cvt_bytes = cvt;
    return 0;
}

int cuda_conv_prepare(struct cuda_model *m, int32_t i, cudnnHandle_t dnn, struct yolo_diag *d)
{
    const struct yolo_graph *g = m->g;
    const struct yolo_node *n = &g->nodes[i];
    struct cuda_conv *cv = &m->convs[i];
    const struct yolo_tensor *X = &g->tensors[n->in[0]], *W = &g->tensors[n->in[1]];
    const struct yolo_tensor *Y = &g->tensors[n->out[0]];
    const int64_t *p = n->params;
    cv->half = cuda_conv_is_half(m, n);
    cv->bias = n->n_in >= 3 && n->in[2] >= 0
             ? (const float *)(m->dconst + g->tensors[n->in[2]].offset) : NULL;
    if (cv->igemm_ok) {
        cuda_igemm_plan(m, i, m->sms);
        cuda_pw_plan(m, i, m->sms);
    }
    if (cv->igemm_ok || cv->tile_ok)   /* which runs it: cuda_conv_pick, or measured */
        cv->kernel = cuda_conv_pick(m, i);
    if (cv->nhwc && cuda_stem_ok(m, n)) {   /* the image's 3x3 stride-2 convolution */
        cv->kernel = CUDA_CONV_STEM;
        return 0;
    }
    if (cv->nhwc && cv->tile_ok && !m->nhwc[n->in[0]]) {
        /* another stem, from the NCHW image (or yolov5n's SpaceToDepth of it) into
         * channels-last: the tiled kernel (H100, batch 128: yolov5n's 3.17 ms on our direct
         * kernel, 1.47 on the tiled one into NCHW; yolov8n_dq's 1.18 against 1.23) */
        cv->kernel = CUDA_CONV_TILE;
        return 0;
    }
    if (cv->nhwc && !cuda_nhwc_cudnn(m, n)) {   /* a channels-last operand (layout.c) */
        cv->kernel = CUDA_CONV_NHWC;
        return 0;
    }
    if (cv->nhwc)
        return prepare_nhwc(m, i, dnn, d);
    cudnnDataType_t dt = cv->half ? CUDNN_DATA_HALF : CUDNN_DATA_FLOAT;
    int32_t ct = cv->half ? YOLO_CU_F16 : YOLO_CU_F32;
    /* cuDNN reads a part inside its whole at the whole's image stride (a converted input is
     * packed); it writes packed, and a part's output goes through cvt_out and the epilogue */
    int64_t xh = X->shape[2] * X->shape[3], xc = X->shape[1] * xh;
    int64_t xn = m->st[n->in[0]] == ct ? cuda_img_stride(m, n->in[0]) : xc;
    cudnnStatus_t s;
    if ((s = create_descriptors(cv)))
        return cudnn_fail(d, "creating descriptors", s);
    if (xn > INT32_MAX)
        return yolo_node_error(d, YOLO_ERR_UNSUPPORTED, n, "cuda: an input image of more than "
                               "2^31 elements");
    if ((s = cudnnSetTensor4dDescriptorEx(cv->x, dt, (int)X->shape[0], (int)X->shape[1],
                                          (int)X->shape[2], (int)X->shape[3], (int)xn, (int)xh,
                                          (int)X->shape[3], 1)) ||
        (s = cudnnSetTensor4dDescriptor(cv->y, CUDNN_TENSOR_NCHW, dt, (int)Y->shape[0],
                                        (int)Y->shape[1], (int)Y->shape[2], (int)Y->shape[3])) ||
        (s = cudnnSetFilter4dDescriptor(cv->w, dt, CUDNN_TENSOR_NCHW, (int)W->shape[0],
                                        (int)W->shape[1], (int)W->shape[2], (int)W->shape[3])) ||
        (s = cudnnSetConvolution2dDescriptor(cv->conv, (int)p[YOLO_CONV_PT], (int)p[YOLO_CONV_PL],
                                             (int)p[YOLO_CONV_SH], (int)p[YOLO_CONV_SW],
                                             (int)p[YOLO_CONV_DH], (int)p[YOLO_CONV_DW],
                                             CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT)) ||
        (s = cudnnSetConvolutionGroupCount(cv->conv, (int)p[YOLO_CONV_GROUP])))
        return yolo_node_error(d, YOLO_ERR_UNSUPPORTED, n, "cuda: cuDNN refuses this convolution: "
                               "%s", cudnnGetErrorString(s));
    cudnnMathType_t want = cv->half ? CUDNN_TENSOR_OP_MATH : CUDNN_FMA_MATH;
    if ((s = cudnnSetConvolutionMathType(cv->conv, want)))
        return cudnn_fail(d, "setting the math type", s);
    int rc = pick_algo(cv, dnn, want, d);
    if (rc) {
        char why[160];
        snprintf(why, sizeof why, "%s", d ? d->msg : "");
        return yolo_node_error(d, rc, n, "%s", why);
    }
    if (cv->workspace > m->workspace)
        m->workspace = cv->workspace;
    size_t cvt = (size_t)yolo_tensor_numel(X) > (size_t)yolo_tensor_numel(Y)
               ? (size_t)yolo_tensor_numel(X) : (size_t)yolo_tensor_numel(Y);
    cvt *= cv->half ? 2 : 4;
    int in_ok = m->st[n->in[0]] == ct;
    int out_ok = m->st[n->out[0]] == ct && !m->imgst[n->out[0]];
    if ((!in_ok || !out_ok) && cvt > m->cvt_bytes)
        m->cvt_bytes = cvt;
    return 0;
}

/* cuDNN's convolution i from x into out, on the node's stream and workspace */
static int forward(struct cuda_ctx *c, int32_t i, const void *x, void *out, struct yolo_diag *d)
{
    const struct cuda_conv *cv = &c->m->convs[i];
    const float one = 1.0f, zero = 0.0f;
    cudnnStatus_t s = cudnnSetStream(c->dnn, c->run);
    if (s == CUDNN_STATUS_SUCCESS)
        s = cudnnConvolutionForward(c->dnn, &one, cv->x, x, cv->w, cv->weights, cv->conv, cv->algo,
                                    c->run_workspace, cv->workspace, &zero, cv->y, out);
    if (s != CUDNN_STATUS_SUCCESS)
        return yolo_node_error(d, YOLO_ERR_UNSUPPORTED, &c->m->g->nodes[i],
                               "cuda: cudnnConvolutionForward: %s", cudnnGetErrorString(s));
    return 0;
}

/* prepare_nhwc's convolution: cuDNN, then bias and activation into y at its rows */
static int run_nhwc(struct cuda_ctx *c, int32_t i, const void *x, void *y, struct yolo_diag *d)
{
    const struct cuda_model *m = c->m;
    const struct yolo_node *n = &m->g->nodes[i];
    const struct cuda_conv *cv = &m->convs[i];
    const struct yolo_tensor *Y = &m->g->tensors[n->out[0]];
    int64_t yp = m->pixst[n->out[0]];
    void *out = yp == Y->shape[1] ? y : (void *)c->cvt_out;
    int rc = forward(c, i, x, out, d);
    if (rc)
        return rc;
    int64_t rows = Y->shape[0] * Y->shape[2] * Y->shape[3];
    int e = yolo_cu_epilogue_nhwc(out, y, cv->bias, rows, (int32_t)Y->shape[1], yp,
                                  (int32_t)n->params[YOLO_CONV_ACT], (yolo_cu_stream)c->run);
    return e ? cuda_fail(d, "a convolution's epilogue", (cudaError_t)e) : 0;
}

int cuda_conv_run(struct cuda_ctx *c, int32_t i, struct yolo_diag *d)
{
    const struct cuda_model *m = c->m;
    const struct yolo_graph *g = m->g;
    const struct yolo_node *n = &g->nodes[i];
    const struct cuda_conv *cv = &m->convs[i];
    if (cv->kernel == CUDA_CONV_IGEMM)
        return cuda_igemm_run(c, i, d);
    if (cv->kernel == CUDA_CONV_TILE)
        return cuda_tile_run(c, i, d);
    if (cv->kernel == CUDA_CONV_PW)
        return cuda_pw_run(c, i, d);
    if (cv->kernel == CUDA_CONV_NHWC)
        return cuda_nhwc_run(c, i, d);
    if (cv->kernel == CUDA_CONV_STEM)
        return cuda_stem_run(c, i, d);
    int32_t ct = cv->half ? YOLO_CU_F16 : YOLO_CU_F32;
    int32_t xt = n->in[0], yt = n->out[0];
    const void *x = cuda_tensor_ptr(c, xt);
    void *y = cuda_tensor_ptr(c, yt);
    if (cv->nhwc)
        return run_nhwc(c, i, x, y, d);
    int64_t nx = yolo_tensor_numel(&g->tensors[xt]), ny = yolo_tensor_numel(&g->tensors[yt]);
    const struct yolo_tensor *X = &g->tensors[xt], *Y = &g->tensors[yt];
    int64_t xi = X->shape[0] > 0 ? nx / X->shape[0] : 0;   /* one packed input image */
    if (m->st[xt] != ct) {
        struct yolo_cu_copy cp = { .ndim = 2, .src_st = m->st[xt], .dst_st = ct, .numel = nx,
                                   .shape = { X->shape[0], xi },
                                   .ss = { cuda_img_stride(m, xt), 1 }, .ds = { xi, 1 }, .src = x,
                                   .dst = c->cvt_in };
        int e = yolo_cu_copy(&cp, 1, (yolo_cu_stream)c->run);
        if (e)
            return cuda_fail(d, "converting a convolution's input", (cudaError_t)e);
        x = c->cvt_in;
    }
    void *out = m->st[yt] == ct && !m->imgst[yt] ? y : (void *)c->cvt_out;
    int rc = forward(c, i, x, out, d);
    if (rc)
        return rc;
    int64_t act = n->params[YOLO_CONV_ACT];
    if (cv->bias || act != YOLO_ACT_NONE || out != y) {
        int64_t yn = cuda_img_stride(m, yt);
        int e = yolo_cu_conv_epilogue(out, ct, y, m->st[yt], cv->bias, ny, Y->shape[2] * Y->shape[3],
                                      Y->shape[1], (int32_t)act, out == y ? yn : 0, yn,
                                      (yolo_cu_stream)c->run);
        if (e)
            return cuda_fail(d, "a convolution's epilogue", (cudaError_t)e);
    }
    return 0;
}
