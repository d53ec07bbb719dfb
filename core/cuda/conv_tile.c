/* cuda/conv_tile.c: the host side of our tiled FP16 convolution (kernels_conv_tile.cu):
 * which convolutions it can run, its weights in the node's piece of dextra (FP16, slice by
 * slice of input channels, K ordered tap by tap with the channels inside, made on the device
 * at load) and its launch. Which kernel runs a convolution is cuda_conv_pick (conv_igemm.c). */
#include <stdlib.h>
#include <string.h>

#include "cuda/cuda_model.h"
#include "ops/op_params.h"

/* The kernel's slices and channel groups (deep layers, small grids: clusters, shared memory
 * past 48 KiB), on unless YOLO_CUDA_TILE_SPLIT=0, read once at load (m->tile_split), since
 * the weights' layout depends on it. With it off the kernel runs only what it ran before (64
 * channels or fewer either side, one block a tile, the default shared memory). */
int cuda_tile_split_wanted(void)
{
    const char *env = getenv("YOLO_CUDA_TILE_SPLIT");
    return !(env && strcmp(env, "0") == 0);
}

/* The kernel's arguments for node n with the tile planned; 0 when it cannot run it. */
static int tile_args(const struct cuda_model *m, const struct yolo_node *n,
                     struct yolo_cu_conv_tile *a)
{
    int split = m->tile_split;
    const struct yolo_graph *g = m->g;
    const struct yolo_tensor *X = &g->tensors[n->in[0]], *Y = &g->tensors[n->out[0]];
    const struct yolo_tensor *W = &g->tensors[n->in[1]];
    const int64_t *p = n->params;
    const int64_t lim = INT32_MAX;
    /* the kernel's 32-bit index arithmetic and shared-memory offsets */
    if (!cuda_conv_is_half(m, n) || p[YOLO_CONV_GROUP] != 1 || X->shape[0] >= 65536 ||
        X->shape[1] > (split ? 512 : 64) || Y->shape[1] > (split ? 65535 : 64) ||
        W->shape[2] > 7 || W->shape[3] > 7 ||
        p[YOLO_CONV_SH] > 4 || p[YOLO_CONV_SW] > 4 || p[YOLO_CONV_DH] > 4 || p[YOLO_CONV_DW] > 4 ||
        p[YOLO_CONV_PT] >= 4096 || p[YOLO_CONV_PL] >= 4096 ||
        X->shape[1] * X->shape[2] * X->shape[3] >= lim ||
        Y->shape[0] * Y->shape[1] * Y->shape[2] * Y->shape[3] >= lim)
        return 0;
    *a = (struct yolo_cu_conv_tile){
        .n = (int32_t)X->shape[0], .c = (int32_t)X->shape[1], .h = (int32_t)X->shape[2],
        .w = (int32_t)X->shape[3], .m = (int32_t)Y->shape[1], .oh = (int32_t)Y->shape[2],
        .ow = (int32_t)Y->shape[3], .kh = (int32_t)W->shape[2], .kw = (int32_t)W->shape[3],
        .sh = (int32_t)p[YOLO_CONV_SH], .sw = (int32_t)p[YOLO_CONV_SW],
        .ph = (int32_t)p[YOLO_CONV_PT], .pw = (int32_t)p[YOLO_CONV_PL],
        .dh = (int32_t)p[YOLO_CONV_DH], .dw = (int32_t)p[YOLO_CONV_DW],
        .x_st = m->st[n->in[0]], .y_st = m->st[n->out[0]], .act = (int32_t)p[YOLO_CONV_ACT],
        .xn = cuda_img_stride(m, n->in[0]), .yn = cuda_img_stride(m, n->out[0]),
        .sms = split ? m->sms : 0, .smem_max = split ? m->smem_optin : 0 };
    /* switch off: only the whole plan (one slice, every channel tile in one block) */
    return yolo_cu_conv_tile_plan(a) && (split || (a->ks == 1 && a->mt * 16 >= a->m));
}

int cuda_tile_eligible(const struct cuda_model *m, const struct yolo_node *n)
{
    const char *pick = getenv("YOLO_CUDA_CONV");
    struct yolo_cu_conv_tile a;
    return !(pick && strcmp(pick, "cudnn") == 0) && tile_args(m, n, &a);
}

/* Measured on an H200 (yolov8n FP16, batch 1, 32, 128, per node): on 3x3 convolutions the
 * whole-tile kernel (64 channels or fewer either side, 48 KiB) beats the implicit GEMM and
 * cuDNN at every batch; on 1x1 ones (no halo, no tap reuse) only when the grid is large
 * (1024+ blocks of 256 pixels: 80 x 80 and up at batch 128, 160 x 160 at batch 32): below
 * that the implicit GEMM's smaller blocks win. The split plan (slices, channel groups, more
 * shared memory) pays only on 3x3 convolutions whose grid of tiles leaves multiprocessors
 * idle (H100, per node: yolov8n_dq batch 1 model.7 0.014 ms against cuDNN's 0.014,
 * model.22's first head conv 0.014 against 0.018; the whole network 0.74 -> 0.62 ms); on a
 * full grid cuDNN was up to 2.6x faster on the layers only the split makes eligible (batch
 * 32: model.6.m 0.078 against 0.040 ms, model.7 0.169 against 0.064), so there the rule is
 * the whole-tile one. */
int cuda_tile_preferred(const struct cuda_model *m, const struct yolo_node *n)
{
    struct yolo_cu_conv_tile a, whole;
    if (!tile_args(m, n, &a))
        return 0;
    whole = a;
    whole.sms = whole.smem_max = 0;
    int whole_ok = yolo_cu_conv_tile_plan(&whole) && whole.ks == 1 && whole.mt * 16 >= whole.m;
    int64_t blocks = (int64_t)a.n * ((a.oh + a.th - 1) / a.th) * ((a.ow + a.tw - 1) / a.tw);
    /* tiles x 16-channel groups: under one per multiprocessor, the whole-tile kernel and
     * cuDNN leave the GPU part idle. On the three shared models this holds at batch 1 and at
     * no 3x3 layer of batch 32 or 128, where the picks and plans are the whole-tile rule's */
    int64_t work = blocks * ((a.m + 15) / 16);
    if (a.kh * a.kw > 1)
        return whole_ok || (m->tile_split && work < m->sms);
    return whole_ok && blocks >= 1024;
}

uint64_t cuda_tile_extra_bytes(const struct cuda_model *m, const struct yolo_node *n)
{
    struct yolo_cu_conv_tile a;
    return tile_args(m, n, &a) ? (uint64_t)yolo_cu_conv_tile_weight_bytes(&a) : 0;
}

/* FP32 [m][c][kh][kw] in the const blob -> the kernel's FP16 slices, on the device */
int cuda_tile_upload_weights(const struct cuda_model *m, int32_t i, struct yolo_diag *d)
{
    const struct yolo_node *n = &m->g->nodes[i];
    struct yolo_cu_conv_tile a;
    if (!tile_args(m, n, &a))
        return yolo_node_error(d, YOLO_ERR_INTERNAL, n, "cuda: tiled convolution planned for a "
                               "shape it cannot run");
    const float *w32 = (const float *)(m->dconst + m->g->tensors[n->in[1]].offset);
    int e = yolo_cu_conv_tile_weights(&a, w32, m->dextra + m->extra_off[i] + m->convs[i].tile_off,
                                      NULL);
    return e ? cuda_fail(d, "converting weights to FP16", (cudaError_t)e) : 0;
}

int cuda_tile_run(struct cuda_ctx *c, int32_t i, struct yolo_diag *d)
{
    const struct cuda_model *m = c->m;
    const struct yolo_node *n = &m->g->nodes[i];
    const struct cuda_conv *cv = &m->convs[i];
    struct yolo_cu_conv_tile a;
    if (!tile_args(m, n, &a))
        return yolo_node_error(d, YOLO_ERR_INTERNAL, n, "cuda: tiled convolution planned for a "
                               "shape it cannot run");
    a.x = cuda_tensor_ptr(c, n->in[0]);
    a.y = cuda_tensor_ptr(c, n->out[0]);
    if (m->nhwc && m->nhwc[n->out[0]]) {   /* the stem into channels-last (conv_cudnn.c) */
        int64_t ys[4];
        cuda_strides4(m, n->out[0], ys);
        a.yn = ys[0], a.yc = ys[1], a.yp = ys[3];
    }
    a.wt = m->dextra + m->extra_off[i] + cv->tile_off;
    a.bias = cv->bias;
    int e = yolo_cu_conv_tile(&a, (yolo_cu_stream)c->run);
    return e ? yolo_node_error(d, YOLO_ERR_UNSUPPORTED, n, "cuda: convolution kernel: %s",
                               cudaGetErrorString((cudaError_t)e))
             : 0;
}
