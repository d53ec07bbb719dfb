/* cuda/backend_cuda.c: the CUDA backend (backend.h) for NVIDIA GPUs.
 *
 * prepare (once per model, shared by every context and clone): uploads the const blob once,
 * makes the FP16 copies of the weights of FP16 convolutions, the resize tables and the
 * matmul offsets (one device allocation), decides each tensor's storage (storage.c) and each
 * convolution's cuDNN descriptors and algorithm (conv_cudnn.c).
 * A context owns a stream (and, with lanes.c's lanes, a few more), a cuDNN handle, its
 * arenas (the planner's offsets: FP32 tensors in one, FP16 tensors at half the offsets in the
 * other), the cuDNN workspace and each node's launch with its pointers resolved (launch.c).
 * Its first run records the whole plan as a CUDA graph (with lanes, the faster of two: see
 * capture); later runs replay it with one launch (batch 1 is launch-bound otherwise).
 * Per-node timing (node_ms) runs node by node between events instead. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "cuda/cuda_model.h"

int cuda_fail(struct yolo_diag *d, const char *what, cudaError_t e)
{
    return yolo_diag_set(d, e == cudaErrorMemoryAllocation ? YOLO_ERR_NOMEM : YOLO_ERR_UNSUPPORTED,
                         "cuda: %s failed: %s", what, cudaGetErrorString(e));
}

static int32_t cuda_device_count(void)
{
    int n = 0;
    if (cudaGetDeviceCount(&n) != cudaSuccess) {
        cudaGetLastError();           /* no driver or no device: not an error to keep */
        return 0;
    }
    return n;
}

static int device_select(int32_t dev, struct yolo_diag *d)
{
    int n = 0;
    cudaError_t e = cudaGetDeviceCount(&n);
    if (e != cudaSuccess || n == 0) {
        cudaGetLastError();
        return yolo_diag_set(d, YOLO_ERR_UNSUPPORTED, "cuda: no CUDA device on this machine (%s)",
                             e != cudaSuccess ? cudaGetErrorString(e) : "none found");
    }
    if (dev < 0 || dev >= n)
        return yolo_diag_set(d, YOLO_ERR_ARG, "cuda:%d: this machine has %d CUDA device%s (0..%d)",
                             dev, n, n == 1 ? "" : "s", n - 1);
    e = cudaSetDevice(dev);
    return e == cudaSuccess ? 0 : cuda_fail(d, "selecting the device", e);
}

void *cuda_tensor_ptr(const struct cuda_ctx *c, int32_t t)
{
    const struct cuda_model *m = c->m;
    const struct yolo_tensor *T = &m->g->tensors[t];
    if (T->flags & YOLO_TF_CONST)
        return m->dconst + T->offset;
    if (m->st[t] == YOLO_CU_F16 && T->dtype == YOLO_DT_F32)
        return c->half_arena + m->off[t] / 2;
    return c->arena + m->off[t];
}

static int cuda_supports_node(const struct yolo_graph *g, const struct yolo_node *n)
{
    return cuda_node_supported(g, n);
}

static void cuda_prepared_free(void *prepared)
{
    struct cuda_model *m = prepared;
    if (!m)
        return;
    if (m->convs)
        for (int32_t i = 0; i < m->g->n_nodes; i++)
            cuda_conv_release(&m->convs[i]);
    cudaSetDevice(m->device);
    cudaFree(m->dconst);
    cudaFree(m->dextra);
    free(m->convs);
    free(m->st);
    free(m->off);
    free(m->imgst);
    free(m->root);
    free(m->nhwc);
    free(m->pixst);
    free(m->skip);
    free(m->attn);
    free(m->extra_off);
    free(m->step);
    free(m->order);
    free(m->step_first);
    free(m);
}

/* Device data made at load: resize tables, matmul offsets (from the host) and the FP16
 * weights of FP16 convolutions (converted on the device from the uploaded blob). */
static int upload_extra(struct cuda_model *m, struct yolo_diag *d)
{
    const struct yolo_graph *g = m->g;
    uint64_t total = 0;
    for (int32_t i = 0; i < g->n_nodes; i++) {
        const struct yolo_node *n = &g->nodes[i];
        uint64_t b = m->skip[i] ? 0 : cuda_node_extra_bytes(g, n);
        if (cuda_conv_is_half(m, n)) {   /* cuDNN's FP16 weights, then ours if it can run it */
            b = (yolo_tensor_bytes(&g->tensors[n->in[1]]) / 2 + 255) & ~(uint64_t)255;
            m->convs[i].igemm_off = b;
            if (!m->skip[i] && cuda_igemm_eligible(m, n)) {
                m->convs[i].igemm_ok = 1;
                m->convs[i].pw_ok = cuda_pw_eligible(m, n);   /* on the same weights */
                b += cuda_igemm_extra_bytes(g, n);
            }
            m->convs[i].tile_off = b = (b + 255) & ~(uint64_t)255;
            if (!m->skip[i] && cuda_tile_eligible(m, n)) {
                m->convs[i].tile_ok = 1;
                b += cuda_tile_extra_bytes(m, n);
            }
            m->convs[i].nhwc_off = b = (b + 255) & ~(uint64_t)255;
            if (m->convs[i].nhwc)
                b += cuda_nhwc_extra_bytes(g, n);
        }
        m->extra_off[i] = b ? total : UINT64_MAX;
        total += (b + 255) & ~(uint64_t)255;
    }
    m->dextra_bytes = total;
    if (!total)
        return 0;
    uint8_t *host = calloc(1, total);
    if (!host)
        return yolo_diag_set(d, YOLO_ERR_NOMEM, "out of memory preparing device tables");
    for (int32_t i = 0; i < g->n_nodes; i++)
        if (m->extra_off[i] == UINT64_MAX)
            continue;
        else if (g->nodes[i].op != YOLO_OP_CONV)
            cuda_node_extra_fill(g, &g->nodes[i], host + m->extra_off[i]);
        else if (m->convs[i].igemm_ok)
            cuda_igemm_fill(g, &g->nodes[i], host + m->extra_off[i] + m->convs[i].igemm_off);
    cudaError_t e = cudaMalloc((void **)&m->dextra, total);
    if (e == cudaSuccess)
        e = cudaMemcpy(m->dextra, host, total, cudaMemcpyHostToDevice);
    free(host);
    if (e != cudaSuccess)
        return cuda_fail(d, "uploading device tables", e);
    for (int32_t i = 0; i < g->n_nodes; i++) {
        const struct yolo_node *n = &g->nodes[i];
        if (n->op != YOLO_OP_CONV || m->extra_off[i] == UINT64_MAX)
            continue;
        if (m->convs[i].igemm_ok) {
            int rc = cuda_igemm_upload_weights(m, i, d);
            if (rc)
                return rc;
        }
        if (m->convs[i].tile_ok) {
            int rc = cuda_tile_upload_weights(m, i, d);
            if (rc)
                return rc;
        }
        if (m->convs[i].nhwc) {
            int rc = cuda_nhwc_upload_weights(m, i, d);
            if (rc)
                return rc;
        }
        int64_t numel = yolo_tensor_numel(&g->tensors[n->in[1]]);
        struct yolo_cu_copy cp = { .ndim = 1, .src_st = YOLO_CU_F32, .dst_st = YOLO_CU_F16,
                                   .numel = numel, .shape = { numel }, .ss = { 1 }, .ds = { 1 },
                                   .src = m->dconst + g->tensors[n->in[1]].offset,
                                   .dst = m->dextra + m->extra_off[i] };
        int ke = yolo_cu_copy(&cp, 1, NULL);
        if (ke)
            return cuda_fail(d, "converting weights to FP16", (cudaError_t)ke);
    }
    e = cudaDeviceSynchronize();
    return e == cudaSuccess ? 0 : cuda_fail(d, "preparing the weights", e);
}

static int cuda_ctx_create(const void *prepared, struct yolo_pool *pool, void **out,
                           struct yolo_diag *d);
static void cuda_ctx_free(void *ctx);

/* YOLO_CUDA_CONV=tune: one of our FP16 convolutions or cuDNN's, per convolution, by timing them in
 * a scratch context (conv_tune.c) instead of by the fixed rule. */
static int tune_convs(struct cuda_model *m, struct yolo_diag *d)
{
    const char *pick = getenv("YOLO_CUDA_CONV");
    int any = 0;
    for (int32_t i = 0; i < m->g->n_nodes; i++)
        any |= m->convs[i].igemm_ok | m->convs[i].tile_ok;
    if (!any || !pick || strcmp(pick, "tune") != 0)
        return 0;
    void *scratch = NULL;
    int rc = cuda_ctx_create(m, NULL, &scratch, d);
    if (!rc)
        rc = cuda_conv_tune(m, scratch, d);
    cuda_ctx_free(scratch);
    return rc;
}

/* YOLO_CUDA_LOG=1: what layout.c decided, and which kernels took the channels-last
 * convolutions */
static void log_layout(const struct cuda_model *m)
{
    const struct yolo_graph *g = m->g;
    if (!cuda_log_on() || !m->nhwc)
        return;
    int tensors = 0, convs = 0, on_cudnn = 0, on_tile = 0;
    for (int32_t t = 0; t < g->n_tensors; t++)
        tensors += m->nhwc[t];
    for (int32_t i = 0; i < g->n_nodes; i++) {
        convs += m->convs[i].nhwc;
        on_cudnn += m->convs[i].nhwc && m->convs[i].kernel == CUDA_CONV_CUDNN;
        on_tile += m->convs[i].nhwc && m->convs[i].kernel == CUDA_CONV_TILE;
    }
    fprintf(stderr, "cuda: channels-last: %d tensors, %d convolutions (%d on cuDNN, %d on the "
            "tiled kernel, the rest on ours)\n", tensors, convs, on_cudnn, on_tile);
}

static int cuda_prepare(const struct yolo_graph *g, const struct yolo_backend_options *opt,
                        void **prepared, struct yolo_diag *d)
{
    *prepared = NULL;
    const char *prec = opt && opt->precision ? opt->precision : "fp32";
    if (strcmp(prec, "fp32") && strcmp(prec, "fp16"))
        return yolo_diag_set(d, YOLO_ERR_ARG, "cuda: precision '%s' (fp32 or fp16)", prec);
    int32_t dev = opt ? opt->device : 0;
    int rc = device_select(dev, d);
    if (rc)
        return rc;
    struct cuda_model *m = calloc(1, sizeof *m);
    if (!m)
        return yolo_diag_set(d, YOLO_ERR_NOMEM, "out of memory preparing the model");
    m->g = g;
    m->device = dev;
    m->half = strcmp(prec, "fp16") == 0;
    m->tile_split = cuda_tile_split_wanted();
    m->pw_min_pixels = cuda_pw_min_pixels();
    cudaError_t ae;
    if ((ae = cudaDeviceGetAttribute(&m->sms, cudaDevAttrMultiProcessorCount, dev)) !=
            cudaSuccess ||
        (ae = cudaDeviceGetAttribute(&m->smem_optin, cudaDevAttrMaxSharedMemoryPerBlockOptin,
                                     dev)) != cudaSuccess) {
        cuda_prepared_free(m);
        return cuda_fail(d, "asking the GPU's multiprocessors and shared memory", ae);
    }
    size_t nn = (size_t)(g->n_nodes ? g->n_nodes : 1);
    m->skip = calloc(nn, 1);
    m->convs = calloc(nn, sizeof *m->convs);
    m->extra_off = calloc(nn, sizeof *m->extra_off);
    if (!m->skip || !m->convs || !m->extra_off) {
        cuda_prepared_free(m);
        return yolo_diag_set(d, YOLO_ERR_NOMEM, "out of memory preparing the model");
    }
    for (int32_t i = 0; i < g->n_nodes; i++) {
        const struct yolo_node *n = &g->nodes[i];
        if (n->n_out == 1 && n->out[0] >= 0 && (g->tensors[n->out[0]].flags & YOLO_TF_ALIAS)) {
            m->skip[i] = CUDA_SKIP_ALIAS;
            continue;
        }
        if (!cuda_node_supported(g, n)) {
            cuda_prepared_free(m);
            return yolo_node_error(d, YOLO_ERR_UNSUPPORTED, n, "op not implemented on the cuda "
                                   "backend (or not with these dtypes/parameters)");
        }
    }
    cudnnHandle_t dnn = NULL;
    cudnnStatus_t ds;
    cudaError_t e;
    if ((rc = cuda_plan(m, d)) || (rc = cuda_storage_plan(m, d)))
        goto fail;
    cuda_fuse_dfl(m);
    if ((rc = cuda_fuse_attn(m, d)) || (rc = cuda_layout_plan(m, d)))
        goto fail;
    cuda_fuse_add(m);
    m->dconst_bytes = g->consts_bytes;
    if (m->dconst_bytes) {
        if ((e = cudaMalloc((void **)&m->dconst, m->dconst_bytes)) != cudaSuccess ||
            (e = cudaMemcpy(m->dconst, g->consts, m->dconst_bytes, cudaMemcpyHostToDevice)) !=
                cudaSuccess) {
            rc = cuda_fail(d, "uploading the weights", e);
            goto fail;
        }
    }
    if ((rc = upload_extra(m, d)))
        goto fail;
    if ((ds = cudnnCreate(&dnn)) != CUDNN_STATUS_SUCCESS) {
        rc = cudnn_fail(d, "creating a cuDNN handle", ds);
        goto fail;
    }
    for (int32_t i = 0; i < g->n_nodes; i++) {
        const struct yolo_node *n = &g->nodes[i];
        if (n->op != YOLO_OP_CONV || m->skip[i])
            continue;
        if ((rc = cuda_conv_prepare(m, i, dnn, d)))
            goto fail;
        m->convs[i].weights = m->extra_off[i] != UINT64_MAX ? (const void *)(m->dextra + m->extra_off[i])
                                                           : (const void *)(m->dconst + g->tensors[n->in[1]].offset);
        if (m->convs[i].nhwc && m->convs[i].kernel == CUDA_CONV_CUDNN)   /* KRSC */
            m->convs[i].weights = m->dextra + m->extra_off[i] + cuda_nhwc_krsc_offset(m, i);
    }
    cudnnDestroy(dnn);
    dnn = NULL;
    if ((rc = tune_convs(m, d)))
        goto fail;
    log_layout(m);
    snprintf(m->variant, sizeof m->variant, "%s", m->half ? "fp16" : "fp32");
    *prepared = m;
    return 0;
fail:
    if (dnn)
        cudnnDestroy(dnn);
    cuda_prepared_free(m);
    return rc;
}

static uint64_t cuda_prepared_bytes(const void *prepared)
{
    const struct cuda_model *m = prepared;
    return m->dconst_bytes + m->dextra_bytes;
}

static const char *cuda_kernel_name(const void *prepared, int32_t node)
{
    const struct cuda_model *m = prepared;
    if (m->skip[node])
        return m->skip[node] == CUDA_SKIP_FUSED ? "fused" : "alias";
    if (m->g->nodes[node].op == YOLO_OP_CONV && m->convs[node].dfl)
        return "dfl-fused";
    if (m->attn && m->attn[node].q >= 0)
        return "attn-fused";
    if (m->g->nodes[node].op == YOLO_OP_CONV)
        return m->convs[node].kernel == CUDA_CONV_NHWC
                 ? (cuda_nhwc_patch(m, &m->g->nodes[node])
                        ? (m->convs[node].res ? "nhwc-patch-fp16+add" : "nhwc-patch-fp16")
                        : (m->convs[node].res ? "nhwc-fp16+add" : "nhwc-fp16"))
             : m->convs[node].kernel == CUDA_CONV_IGEMM ? "igemm-fp16"
             : m->convs[node].kernel == CUDA_CONV_PW    ? "pw-fp16"
             : m->convs[node].kernel == CUDA_CONV_TILE  ? "tile-fp16"
             : m->convs[node].kernel == CUDA_CONV_STEM  ? "stem-fp32"
             : m->convs[node].half                      ? "cudnn-fp16"
                                                        : "cudnn-fp32";
    return "cuda";
}

static const char *cuda_variant(const void *prepared)
{
    return ((const struct cuda_model *)prepared)->variant;
}

static void cuda_ctx_free(void *ctx)
{
    struct cuda_ctx *c = ctx;
    if (!c)
        return;
    cudaSetDevice(c->m->device);
    if (c->graph)
        cudaGraphExecDestroy(c->graph);
    if (c->ev)
        for (int32_t i = 0; i <= c->m->g->n_nodes; i++)
            if (c->ev[i])
                cudaEventDestroy(c->ev[i]);
    free(c->ev);
    if (c->dnn)
        cudnnDestroy(c->dnn);
    for (int32_t k = 1; k < CUDA_MAX_LANES; k++) {
        if (c->lane[k])
            cudaStreamDestroy(c->lane[k]);
        if (c->join[k])
            cudaEventDestroy(c->join[k]);
        cudaFree(c->lane_ws[k]);
    }
    if (c->fork)
        cudaEventDestroy(c->fork);
    if (c->stream)
        cudaStreamDestroy(c->stream);
    cudaFree(c->arena);
    cudaFree(c->half_arena);
    cudaFree(c->workspace);
    cudaFree(c->cvt_in);
    cudaFree(c->cvt_out);
    cudaFree(c->splitk);
    free(c->launch);
    free(c);
}

static int dev_alloc(uint8_t **p, uint64_t bytes, uint64_t *total, const char *what,
                     struct yolo_diag *d)
{
    if (!bytes)
        return 0;
    cudaError_t e = cudaMalloc((void **)p, bytes);
    if (e == cudaSuccess)
        e = cudaMemset(*p, 0, bytes);
    if (e != cudaSuccess)
        return yolo_diag_set(d, e == cudaErrorMemoryAllocation ? YOLO_ERR_NOMEM : YOLO_ERR_UNSUPPORTED,
                             "cuda: allocating %llu bytes for the %s: %s", (unsigned long long)bytes,
                             what, cudaGetErrorString(e));
    *total += bytes;
    return 0;
}

static int cuda_ctx_create(const void *prepared, struct yolo_pool *pool, void **out,
                           struct yolo_diag *d)
{
    (void)pool;   /* the GPU runs the nodes; host threads have nothing to split */
    const struct cuda_model *m = prepared;
    const struct yolo_graph *g = m->g;
    *out = NULL;
    int rc = device_select(m->device, d);
    if (rc)
        return rc;
    struct cuda_ctx *c = calloc(1, sizeof *c);
    if (!c)
        return yolo_diag_set(d, YOLO_ERR_NOMEM, "out of memory creating a context");
    c->m = m;
    c->launch = calloc((size_t)(g->n_nodes ? g->n_nodes : 1), sizeof *c->launch);
    cudaError_t e;
    cudnnStatus_t ds;
    if (!c->launch) {
        rc = yolo_diag_set(d, YOLO_ERR_NOMEM, "out of memory creating a context");
        goto fail;
    }
    if ((e = cudaStreamCreateWithFlags(&c->stream, cudaStreamNonBlocking)) != cudaSuccess) {
        rc = cuda_fail(d, "creating a stream", e);
        goto fail;
    }
    if ((ds = cudnnCreate(&c->dnn)) != CUDNN_STATUS_SUCCESS ||
        (ds = cudnnSetStream(c->dnn, c->stream)) != CUDNN_STATUS_SUCCESS) {
        rc = cudnn_fail(d, "creating a cuDNN handle", ds);
        goto fail;
    }
    if ((rc = dev_alloc(&c->arena, (m->arena_bytes + 255) & ~(uint64_t)255, &c->bytes, "arena", d)) ||
        (rc = dev_alloc(&c->half_arena, (m->half_arena_bytes + 255) & ~(uint64_t)255, &c->bytes,
                        "FP16 arena", d)) ||
        (rc = dev_alloc(&c->workspace, m->workspace, &c->bytes, "cuDNN workspace", d)) ||
        (rc = dev_alloc(&c->cvt_in, m->cvt_bytes, &c->bytes, "conversions", d)) ||
        (rc = dev_alloc(&c->cvt_out, m->cvt_bytes, &c->bytes, "conversions", d)) ||
        (rc = dev_alloc(&c->splitk, m->splitk_floats || m->splitk_tiles
                                        ? ((uint64_t)m->splitk_floats * sizeof(float) + 255) /
                                                  256 * 256 + (uint64_t)m->splitk_tiles * 4
                                        : 0,
                        &c->bytes, "split-K sums", d)))
        goto fail;
    c->lane[0] = c->run = c->stream;
    c->lane_ws[0] = c->run_workspace = c->workspace;
    /* the other lanes (lanes.c): a stream, a join event and a cuDNN workspace each */
    if (m->lanes > 1 &&
        (e = cudaEventCreateWithFlags(&c->fork, cudaEventDisableTiming)) != cudaSuccess) {
        rc = cuda_fail(d, "creating the lanes' events", e);
        goto fail;
    }
    for (int32_t k = 1; k < m->lanes; k++) {
        if ((e = cudaStreamCreateWithFlags(&c->lane[k], cudaStreamNonBlocking)) != cudaSuccess ||
            (e = cudaEventCreateWithFlags(&c->join[k], cudaEventDisableTiming)) != cudaSuccess) {
            rc = cuda_fail(d, "creating the lanes' streams", e);
            goto fail;
        }
        if ((rc = dev_alloc(&c->lane_ws[k], m->workspace, &c->bytes, "cuDNN workspace", d)))
            goto fail;
    }
    for (int32_t i = 0; i < g->n_nodes; i++)
        if ((rc = cuda_launch_make(c, i, d)))
            goto fail;
    *out = c;
    return 0;
fail:
    cuda_ctx_free(c);
    return rc;
}

static uint64_t cuda_ctx_bytes(const void *ctx)
{
    return ((const struct cuda_ctx *)ctx)->bytes;
}

static int run_nodes(struct cuda_ctx *c, struct yolo_diag *d)
{
    for (int32_t k = 0; k < c->m->g->n_nodes; k++) {
        int rc = cuda_launch_run(c, cuda_node_at(c->m, k), d);
        if (rc)
            return rc;
    }
    return 0;
}

int cuda_log_on(void)
{
    const char *env = getenv("YOLO_CUDA_LOG");
    return env && strcmp(env, "0") != 0;
}

/* YOLO_CUDA_LOG=1: what a run launches, for finding where batch-1 time goes (every launch
 * costs microseconds there whatever it computes). */
static void log_graph(const struct cuda_ctx *c, cudaGraph_t graph, int lanes)
{
    size_t n = 0, kernels = 0;
    if (cudaGraphGetNodes(graph, NULL, &n) != cudaSuccess || n == 0)
        return;
    cudaGraphNode_t *nodes = malloc(n * sizeof *nodes);
    if (nodes && cudaGraphGetNodes(graph, nodes, &n) == cudaSuccess)
        for (size_t i = 0; i < n; i++) {
            enum cudaGraphNodeType t;
            if (cudaGraphNodeGetType(nodes[i], &t) == cudaSuccess && t == cudaGraphNodeTypeKernel)
                kernels++;
        }
    free(nodes);
    fprintf(stderr, "yolo: CUDA graph of %d model nodes: %zu graph nodes, %zu of them kernels; "
            "%d lane%s, %d steps\n", c->m->g->n_nodes, n, kernels, lanes, lanes > 1 ? "s" : "",
            c->m->lanes > 1 ? c->m->n_steps : c->m->g->n_nodes);
}

/* One CUDA graph of the plan: over the lanes (lanes.c) or on the context's stream alone;
 * NULL if it cannot be captured (a cuDNN algorithm that synchronises, say). */
static cudaGraphExec_t capture_one(struct cuda_ctx *c, int lanes)
{
    cudaGraph_t graph = NULL;
    cudaGraphExec_t exec = NULL;
    struct yolo_diag scratch = { 0 };
    if (cudaStreamBeginCapture(c->stream, cudaStreamCaptureModeThreadLocal) != cudaSuccess) {
        cudaGetLastError();
        return NULL;
    }
    int rc = lanes ? cuda_run_lanes(c, &scratch) : run_nodes(c, &scratch);
    cudaError_t e = cudaStreamEndCapture(c->stream, &graph);
    if (rc || e != cudaSuccess || !graph || cudaGraphInstantiate(&exec, graph, 0) != cudaSuccess) {
        cudaGetLastError();
        exec = NULL;
    }
    if (graph && exec && cuda_log_on())
        log_graph(c, graph, lanes ? c->m->lanes : 1);
    if (graph)
        cudaGraphDestroy(graph);
    return exec;
}

/* Copies every graph input to or from `keep` (their bytes one after the other), on the
 * context's stream. A run may reuse an input's bytes once its last reader is done, so a
 * replay is only the caller's run again with the inputs put back first. */
static int inputs_copy(struct cuda_ctx *c, uint8_t *keep, int back)
{
    const struct yolo_graph *g = c->m->g;
    uint64_t at = 0;
    for (int k = 0; k < g->n_inputs; k++) {
        uint8_t *p = cuda_tensor_ptr(c, g->inputs[k]);
        uint64_t n = yolo_tensor_bytes(&g->tensors[g->inputs[k]]);
        if (cudaMemcpyAsync(back ? p : keep + at, back ? keep + at : p, n,
                            cudaMemcpyDeviceToDevice, c->stream) != cudaSuccess)
            return -1;
        at += n;
    }
    return 0;
}

cudaError_t cuda_replay_ms(struct cuda_ctx *c, cudaGraphExec_t g, cudaEvent_t ev[2], float *ms)
{
    cudaError_t e;
    if ((e = cudaEventRecord(ev[0], c->stream)) != cudaSuccess ||
        (e = cudaGraphLaunch(g, c->stream)) != cudaSuccess ||
        (e = cudaEventRecord(ev[1], c->stream)) != cudaSuccess ||
        (e = cudaEventSynchronize(ev[1])) != cudaSuccess)
        return e;
    return cudaEventElapsedTime(ms, ev[0], ev[1]);
}

/* Median device time of `reps` replays of each of two graphs, alternating, the inputs put
 * back before each and after the last (so the caller's run is still to come); -1 on an
 * error. */
static int time_pair(struct cuda_ctx *c, cudaGraphExec_t g[2], int reps, float med[2])
{
    enum { MAX_REPS = 9 };
    float ms[2][MAX_REPS];
    cudaEvent_t ev[2] = { NULL, NULL };
    uint8_t *keep = NULL;
    uint64_t in_bytes = 0;
    for (int k = 0; k < c->m->g->n_inputs; k++)
        in_bytes += yolo_tensor_bytes(&c->m->g->tensors[c->m->g->inputs[k]]);
    int rc = -1;
    if (reps > MAX_REPS || cudaEventCreate(&ev[0]) != cudaSuccess ||
        cudaEventCreate(&ev[1]) != cudaSuccess ||
        (in_bytes && cudaMalloc((void **)&keep, in_bytes) != cudaSuccess) ||
        inputs_copy(c, keep, 0))
        goto out;
    for (int r = -1; r < reps; r++)   /* r = -1: a warm-up replay of each */
        for (int v = 0; v < 2; v++) {
            float t;
            if (inputs_copy(c, keep, 1) || cuda_replay_ms(c, g[v], ev, &t) != cudaSuccess)
                goto out;
            if (r >= 0)
                ms[v][r] = t;
        }
    for (int v = 0; v < 2; v++) {   /* insertion sort: a handful of values */
        for (int i = 1; i < reps; i++)
            for (int j = i; j > 0 && ms[v][j - 1] > ms[v][j]; j--) {
                float t = ms[v][j];
                ms[v][j] = ms[v][j - 1];
                ms[v][j - 1] = t;
            }
        med[v] = ms[v][reps / 2];
    }
    rc = inputs_copy(c, keep, 1);
    if (!rc && cudaStreamSynchronize(c->stream) != cudaSuccess)
        rc = -1;
out:
    if (rc && keep) {   /* best effort: the caller's inputs as they were */
        inputs_copy(c, keep, 1);
        cudaStreamSynchronize(c->stream);
    }
    cudaFree(keep);
    cudaGetLastError();
    for (int v = 0; v < 2; v++)
        if (ev[v])
            cudaEventDestroy(ev[v]);
    return rc;
}

/* Records the plan into a CUDA graph; if that fails, graph_failed is set and the caller
 * launches node by node. With lanes, the graph over the lanes and the one on the context's
 * stream alone (both in step order, valid for the same memory plan) are each replayed a few
 * times and the faster kept, unless YOLO_CUDA_LANES chose: on an H100 at batch 1 the lanes
 * took yolov8n_dq FP32 1.61 -> 1.41 ms and yolo11n_dq 1.56 -> 1.36 ms, but yolov5n FP32
 * 0.99 -> 1.12 ms (its forks and joins cost more than its branches gain). */
static void capture(struct cuda_ctx *c)
{
    const struct cuda_model *m = c->m;
    c->lanes_used = 1;
    cudaGraphExec_t g[2] = { NULL, NULL };
    if (m->lanes > 1)
        g[1] = capture_one(c, 1);
    if (m->lanes > 1 && m->lanes_forced && g[1]) {
        c->graph = g[1];
        c->lanes_used = m->lanes;
        return;
    }
    g[0] = capture_one(c, 0);
    float med[2] = { 0, 0 };
    int pick = !g[0] ? 1 : !g[1] ? 0 : time_pair(c, g, 5, med) ? 0 : med[1] < med[0];
    if (g[0] && g[1] && cuda_log_on())
        fprintf(stderr, "yolo: CUDA graph replay %.4f ms on one stream, %.4f ms over %d lanes: "
                "%s kept\n", med[0], med[1], m->lanes, pick ? "the lanes" : "one stream");
    if (g[!pick])
        cudaGraphExecDestroy(g[!pick]);
    c->graph = g[pick];
    c->lanes_used = pick ? m->lanes : 1;
    if (!c->graph)
        c->graph_failed = 1;
}

static int timed_run(struct cuda_ctx *c, double *node_ms, struct yolo_diag *d)
{
    int32_t nn = c->m->g->n_nodes;
    if (!c->ev) {
        c->ev = calloc((size_t)nn + 1, sizeof *c->ev);
        if (!c->ev)
            return yolo_diag_set(d, YOLO_ERR_NOMEM, "out of memory for node timing");
        for (int32_t i = 0; i <= nn; i++)
            if (cudaEventCreate(&c->ev[i]) != cudaSuccess)
                return cuda_fail(d, "creating timing events", cudaGetLastError());
    }
    cudaEventRecord(c->ev[0], c->stream);
    for (int32_t k = 0; k < nn; k++) {
        int rc = cuda_launch_run(c, cuda_node_at(c->m, k), d);
        if (rc)
            return rc;
        cudaEventRecord(c->ev[k + 1], c->stream);
    }
    cudaError_t e = cudaStreamSynchronize(c->stream);
    if (e != cudaSuccess)
        return cuda_fail(d, "running the model", e);
    for (int32_t k = 0; k < nn; k++) {
        float ms = 0;
        if (cudaEventElapsedTime(&ms, c->ev[k], c->ev[k + 1]) == cudaSuccess)
            node_ms[cuda_node_at(c->m, k)] += ms;
    }
    return 0;
}

static int cuda_enqueue(void *ctx, struct yolo_diag *d)
{
    struct cuda_ctx *c = ctx;
    cudaError_t e = cudaSetDevice(c->m->device);
    if (e != cudaSuccess)
        return cuda_fail(d, "selecting the device", e);
    if (!c->graph && !c->graph_failed) {
        const char *env = getenv("YOLO_CUDA_GRAPH");
        if (env && strcmp(env, "0") == 0)
            c->graph_failed = 1;
        else
            capture(c);
    }
    if (c->graph) {
        e = cudaGraphLaunch(c->graph, c->stream);
        return e == cudaSuccess ? 0 : cuda_fail(d, "launching the CUDA graph", e);
    }
    return run_nodes(c, d);
}

static int cuda_run(void *ctx, double *node_ms, struct yolo_diag *d)
{
    struct cuda_ctx *c = ctx;
    if (node_ms) {
        cudaError_t e = cudaSetDevice(c->m->device);
        return e == cudaSuccess ? timed_run(c, node_ms, d) : cuda_fail(d, "selecting the device", e);
    }
    int rc = cuda_enqueue(c, d);
    if (rc)
        return rc;
    cudaError_t e = cudaStreamSynchronize(c->stream);
    return e == cudaSuccess ? 0 : cuda_fail(d, "running the model", e);
}

static int span_ok(const struct cuda_ctx *c, int32_t t, uint64_t offset, uint64_t bytes)
{
    if (t < 0 || t >= c->m->g->n_tensors || c->m->st[t] == YOLO_CU_F16 || c->m->imgst[t])
        return 0;   /* graph inputs and outputs are FP32 (storage.c) and packed (plan_cuda.c);
                     * FP16 and parts image by image stay inside */
    uint64_t tb = yolo_tensor_bytes(&c->m->g->tensors[t]);
    return offset <= tb && bytes <= tb - offset;
}

static int cuda_tensor_set(void *ctx, int32_t t, const void *src, uint64_t offset, uint64_t bytes)
{
    struct cuda_ctx *c = ctx;
    if (!span_ok(c, t, offset, bytes) || (c->m->g->tensors[t].flags & YOLO_TF_CONST))
        return YOLO_ERR_ARG;
    cudaSetDevice(c->m->device);
    cudaError_t e = cudaMemcpyAsync((uint8_t *)cuda_tensor_ptr(c, t) + offset, src, bytes,
                                    cudaMemcpyHostToDevice, c->stream);
    if (e == cudaSuccess)
        e = cudaStreamSynchronize(c->stream);
    return e == cudaSuccess ? 0 : YOLO_ERR_IO;
}

static int cuda_tensor_get(void *ctx, int32_t t, void *dst, uint64_t offset, uint64_t bytes)
{
    struct cuda_ctx *c = ctx;
    if (!span_ok(c, t, offset, bytes))
        return YOLO_ERR_ARG;
    cudaSetDevice(c->m->device);
    cudaError_t e = cudaMemcpyAsync(dst, (const uint8_t *)cuda_tensor_ptr(c, t) + offset, bytes,
                                    cudaMemcpyDeviceToHost, c->stream);
    if (e == cudaSuccess)
        e = cudaStreamSynchronize(c->stream);
    return e == cudaSuccess ? 0 : YOLO_ERR_IO;
}

static void *cuda_tensor_host(void *ctx, int32_t t)
{
    (void)ctx;
    (void)t;
    return NULL;
}

static void *cuda_tensor_device(void *ctx, int32_t t)
{
    struct cuda_ctx *c = ctx;
    return c->m->st[t] == YOLO_CU_F16 || c->m->imgst[t] ? NULL
                                                          : cuda_tensor_ptr(c, t);   /* FP32, packed */
}

static void *cuda_queue(void *ctx)
{
    return ((struct cuda_ctx *)ctx)->stream;
}

static int cuda_device_used(const void *prepared, uint64_t *bytes)
{
    const struct cuda_model *m = prepared;
    size_t free_b = 0, total_b = 0;
    cudaError_t e = cudaSetDevice(m->device);
    if (e == cudaSuccess)
        e = cudaMemGetInfo(&free_b, &total_b);
    if (e != cudaSuccess)
        return YOLO_ERR_UNSUPPORTED;
    *bytes = (uint64_t)(total_b - free_b);
    return 0;
}

const struct yolo_backend yolo_backend_cuda = {
    .name = "cuda",
    .is_host = 0,
    .device_count = cuda_device_count,
    .supports_node = cuda_supports_node,
    .prepare = cuda_prepare,
    .prepared_free = cuda_prepared_free,
    .prepared_bytes = cuda_prepared_bytes,
    .kernel_name = cuda_kernel_name,
    .variant = cuda_variant,
    .ctx_create = cuda_ctx_create,
    .ctx_free = cuda_ctx_free,
    .ctx_bytes = cuda_ctx_bytes,
    .run = cuda_run,
    .enqueue = cuda_enqueue,
    .tensor_set = cuda_tensor_set,
    .tensor_get = cuda_tensor_get,
    .tensor_host = cuda_tensor_host,
    .tensor_device = cuda_tensor_device,
    .queue = cuda_queue,
    .device_used = cuda_device_used,
};
