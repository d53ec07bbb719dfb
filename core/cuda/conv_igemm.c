/* cuda/conv_igemm.c: the host side of our FP16 convolution (kernels_conv.cu): which
 * convolutions take it, the device data it needs from load (the FP16 weight rows and the k
 * table, in the node's piece of dextra) and its launch.
 *
 * It can take every FP16 convolution with one group (YOLO's depthwise convolutions stay on
 * cuDNN). Which kernel runs each is a fixed rule (cuda_conv_pick, below), so a model gives
 * the same bits every time it is loaded; YOLO_CUDA_CONV=tune times the candidates at load
 * instead (conv_tune.c: faster, but the choice, and so the last bits of FP16 results, can
 * differ between loads). */
#include <stdlib.h>
#include <string.h>

#include "cuda/cuda_model.h"
#include "ops/op_params.h"

static uint64_t round_up(uint64_t v, uint64_t to)
{
    return (v + to - 1) / to * to;
}

static uint64_t k_of(const struct yolo_tensor *W)
{
    return (uint64_t)W->shape[1] * (uint64_t)W->shape[2] * (uint64_t)W->shape[3];
}

uint64_t cuda_igemm_weight_bytes(const struct yolo_tensor *W)
{
    return round_up((uint64_t)W->shape[0], YOLO_CU_CONV_MPAD) *
           round_up(k_of(W), YOLO_CU_CONV_KPAD) * 2;
}

int cuda_igemm_eligible(const struct cuda_model *m, const struct yolo_node *n)
{
    if (!cuda_conv_is_half(m, n) || n->params[YOLO_CONV_GROUP] != 1)
        return 0;
    const char *pick = getenv("YOLO_CUDA_CONV");
    if (pick && strcmp(pick, "cudnn") == 0)
        return 0;
    const struct yolo_graph *g = m->g;
    const struct yolo_tensor *X = &g->tensors[n->in[0]], *Y = &g->tensors[n->out[0]];
    const struct yolo_tensor *W = &g->tensors[n->in[1]];
    const int64_t *p = n->params;
    const int64_t lim = INT32_MAX;
    /* the kernel's 32-bit index arithmetic and its 16-bit tap offsets */
    return X->shape[2] < 8192 && X->shape[3] < 8192 && p[YOLO_CONV_PT] < 4096 &&
           p[YOLO_CONV_PL] < 4096 &&
           X->shape[1] * X->shape[2] * X->shape[3] < lim &&
           Y->shape[0] * Y->shape[2] * Y->shape[3] < lim && Y->shape[1] < lim &&
           (W->shape[2] - 1) * p[YOLO_CONV_DH] < 8192 && (W->shape[3] - 1) * p[YOLO_CONV_DW] < 8192 &&
           k_of(W) < (uint64_t)lim / 2;
}

/* Which kernel runs FP16 convolution i: a fixed rule by shape, so a model gives the same bits
 * every time it is loaded. Measured on an H200 (yolov8n and yolo11n, FP16, batch 1 to 128;
 * every conv both ways): the implicit GEMM wins over cuDNN where a spatial kernel has a
 * short K (the stem, 3 x 3 x 3 = 27, and the 3 x 3 x 16 = 144 convs of the first stage, where
 * cuDNN spends most on the layout and a separate epilogue pass: 2-5x at batch 128); cuDNN wins
 * from K ~ 256 up (deep 3x3 layers, up to 3x), where our gather of the NCHW input costs more
 * than the multiplications, and on every 1x1 convolution whatever its K (yolov8n, each conv
 * timed in a CUDA graph by YOLO_CUDA_CONV=tune with YOLO_CUDA_LOG=1: at batch 1 cuDNN 4-7 us
 * against our 7-17, at batch 128 the head's 80-channel 1x1 0.23 against 0.45 ms), since a 1x1
 * input needs no layout change there. The tiled kernel (conv_tile.c) beats both on the 3x3
 * convolutions it can run (few channels: at batch 128 the 16-channel ones 1.6-2.7x over the
 * implicit GEMM, the 32-channel ones at 80 x 80 1.7x over cuDNN, also at batch 1), and on 1x1
 * ones with large grids (cuda_tile_preferred). The pointwise GEMM (conv_pw.c) runs the 1x1
 * convolutions of many images x pixels (cuda_pw_preferred); everywhere (YOLO_CUDA_CONV=pw,
 * yolov8n FP16, H200, CUDA graph) it made batch 1 0.712 -> 0.776 ms, batch 32 4.71 -> 4.97
 * and batch 128 16.67 -> 18.0 ms: per convolution it lost to cuDNN on every 1x1 at batch 1
 * (5.5-12 against 4.2-5.7 us) and at 20 x 20.
 * YOLO_CUDA_CONV: =notile the rule without the tiled kernel, =tile the tiled kernel wherever
 * it can run (the rule elsewhere), =pw the pointwise kernel wherever it can run, =igemm every
 * convolution the implicit GEMM can run on it, =cudnn none of ours. */
int cuda_conv_pick(const struct cuda_model *m, int32_t i)
{
    const struct cuda_conv *cv = &m->convs[i];
    const struct yolo_tensor *W = &m->g->tensors[m->g->nodes[i].in[1]];
    const char *pick = getenv("YOLO_CUDA_CONV");
    pick = pick ? pick : "";
    if (strcmp(pick, "cudnn") == 0)
        return CUDA_CONV_CUDNN;
    if (cv->igemm_ok && strcmp(pick, "igemm") == 0)
        return CUDA_CONV_IGEMM;
    if (cv->pw_ok && strcmp(pick, "pw") == 0)
        return CUDA_CONV_PW;
    if (cv->tile_ok && strcmp(pick, "tile") == 0)
        return CUDA_CONV_TILE;
    if (cv->pw_ok && cuda_pw_preferred(m, &m->g->nodes[i]))
        return CUDA_CONV_PW;
    if (cv->tile_ok && strcmp(pick, "notile") != 0 && cuda_tile_preferred(m, &m->g->nodes[i]))
        return CUDA_CONV_TILE;
    if (k_of(W) > 160 || (W->shape[2] == 1 && W->shape[3] == 1))
        return CUDA_CONV_CUDNN;
    return cv->igemm_ok ? CUDA_CONV_IGEMM : CUDA_CONV_CUDNN;
}

uint64_t cuda_igemm_extra_bytes(const struct yolo_graph *g, const struct yolo_node *n)
{
    const struct yolo_tensor *W = &g->tensors[n->in[1]];
    return cuda_igemm_weight_bytes(W) +
           round_up(k_of(W), YOLO_CU_CONV_KPAD) * 2 * sizeof(int32_t);
}

void cuda_igemm_table(int32_t *tab, int64_t c, int64_t h, int64_t w, int64_t kh, int64_t kw,
                      int64_t dh, int64_t dw)
{
    uint64_t k = (uint64_t)(c * kh * kw), kpad = round_up(k, YOLO_CU_CONV_KPAD);
    for (uint64_t i = 0; i < kpad; i++) {
        if (i >= k) {            /* a dy no image reaches: the kernel reads zeros */
            tab[2 * i] = 0;
            tab[2 * i + 1] = 0x4000 << 16;
            continue;
        }
        int64_t ci = (int64_t)i / (kh * kw), ky = (int64_t)i / kw % kh, kx = (int64_t)i % kw;
        int64_t dy = ky * dh, dx = kx * dw;
        tab[2 * i] = (int32_t)(ci * h * w + dy * w + dx);
        tab[2 * i + 1] = (int32_t)(dy << 16 | dx);
    }
}

/* The k table after the weights; the weight rows stay zero here (the device fills them). */
void cuda_igemm_fill(const struct yolo_graph *g, const struct yolo_node *n, void *dst)
{
    const struct yolo_tensor *X = &g->tensors[n->in[0]], *W = &g->tensors[n->in[1]];
    cuda_igemm_table((int32_t *)((uint8_t *)dst + cuda_igemm_weight_bytes(W)), W->shape[1],
                     X->shape[2], X->shape[3], W->shape[2], W->shape[3], n->params[YOLO_CONV_DH],
                     n->params[YOLO_CONV_DW]);
}

/* FP32 weights in the const blob -> FP16 rows of kpad, on the device. */
int cuda_igemm_upload_weights(const struct cuda_model *m, int32_t i, struct yolo_diag *d)
{
    const struct yolo_graph *g = m->g;
    const struct yolo_tensor *W = &g->tensors[g->nodes[i].in[1]];
    uint8_t *dst = m->dextra + m->extra_off[i] + m->convs[i].igemm_off;
    int64_t k = (int64_t)k_of(W), kpad = (int64_t)round_up((uint64_t)k, YOLO_CU_CONV_KPAD);
    struct yolo_cu_copy cp = { .ndim = 2, .src_st = YOLO_CU_F32, .dst_st = YOLO_CU_F16,
                               .numel = W->shape[0] * k, .shape = { W->shape[0], k },
                               .ss = { k, 1 }, .ds = { kpad, 1 },
                               .src = m->dconst + W->offset, .dst = dst };
    int e = yolo_cu_copy(&cp, 1, NULL);
    return e ? cuda_fail(d, "converting weights to FP16", (cudaError_t)e) : 0;
}

void cuda_igemm_plan(struct cuda_model *m, int32_t i, int32_t sms)
{
    const struct yolo_graph *g = m->g;
    const struct yolo_node *n = &g->nodes[i];
    const struct yolo_tensor *Y = &g->tensors[n->out[0]], *W = &g->tensors[n->in[1]];
    struct yolo_cu_conv a = { .m = (int32_t)Y->shape[1],
                              .npix = (int32_t)(Y->shape[0] * Y->shape[2] * Y->shape[3]),
                              .kpad = (int32_t)round_up(k_of(W), YOLO_CU_CONV_KPAD) };
    int64_t part = 0, tiles = 0;
    yolo_cu_conv_plan(&a, sms, &part, &tiles);
    m->convs[i].tile = a.tile;
    m->convs[i].splits = a.splits;
    if (part > m->splitk_floats)
        m->splitk_floats = part;
    if (a.splits > 1 && tiles > m->splitk_tiles)
        m->splitk_tiles = tiles;
}

int cuda_igemm_run(struct cuda_ctx *c, int32_t i, struct yolo_diag *d)
{
    const struct cuda_model *m = c->m;
    const struct yolo_graph *g = m->g;
    const struct yolo_node *n = &g->nodes[i];
    const struct cuda_conv *cv = &m->convs[i];
    const struct yolo_tensor *X = &g->tensors[n->in[0]], *Y = &g->tensors[n->out[0]];
    const struct yolo_tensor *W = &g->tensors[n->in[1]];
    const int64_t *p = n->params;
    const uint8_t *extra = m->dextra + m->extra_off[i] + cv->igemm_off;
    uint64_t part_bytes = ((uint64_t)m->splitk_floats * sizeof(float) + 255) & ~(uint64_t)255;
    struct yolo_cu_conv a = {
        .h = (int32_t)X->shape[2], .w = (int32_t)X->shape[3], .m = (int32_t)Y->shape[1],
        .oh = (int32_t)Y->shape[2], .ow = (int32_t)Y->shape[3], .sh = (int32_t)p[YOLO_CONV_SH],
        .sw = (int32_t)p[YOLO_CONV_SW], .ph = (int32_t)p[YOLO_CONV_PT],
        .pw = (int32_t)p[YOLO_CONV_PL], .npix = (int32_t)(Y->shape[0] * Y->shape[2] * Y->shape[3]),
        .kpad = (int32_t)round_up(k_of(W), YOLO_CU_CONV_KPAD), .x_st = m->st[n->in[0]],
        .y_st = m->st[n->out[0]], .act = (int32_t)p[YOLO_CONV_ACT], .tile = cv->tile,
        .splits = cv->splits,
        .chw = cuda_img_stride(m, n->in[0]), .yn = cuda_img_stride(m, n->out[0]),
        .x = cuda_tensor_ptr(c, n->in[0]),
        .wt = extra, .ktab = (const int32_t *)(extra + cuda_igemm_weight_bytes(W)),
        .bias = cv->bias,
        .y = cuda_tensor_ptr(c, n->out[0]), .part = (float *)c->splitk,
        .count = (uint32_t *)(c->splitk ? c->splitk + part_bytes : NULL) };
    int e = yolo_cu_conv_igemm(&a, (yolo_cu_stream)c->run);
    return e ? yolo_node_error(d, YOLO_ERR_UNSUPPORTED, n, "cuda: convolution kernel: %s",
                               cudaGetErrorString((cudaError_t)e))
             : 0;
}
