/* cuda/cuda_model.h: the CUDA backend's prepared model and context, shared by its files:
 *   backend_cuda.c  the struct yolo_backend: prepare, contexts, run (CUDA graphs), copies
 *   plan_cuda.c     the device memory plan (Concat/Split parts image by image at batch > 1)
 *   storage.c       which float tensors are stored as FP16 (per alias group)
 *   conv_cudnn.c    convolutions through cuDNN (descriptors, algorithm, the epilogue)
 *   conv_igemm.c    FP16 convolutions through our own fused kernel (kernels_conv.cu), and
 *                   which kernel runs each convolution (cuda_conv_pick)
 *   conv_tile.c     FP16 convolutions of few channels through our tiled kernel
 *                   (kernels_conv_tile.cu)
 *   conv_pw.c       FP16 1x1 convolutions through our pointwise GEMM (kernels_conv_pw.cu)
 *   conv_nhwc.c     FP16 convolutions on channels-last activations (kernels_conv_nhwc.cu)
 *   layout.c        which activations an FP16 run keeps channels-last (NHWC)
 *   fuse_dfl.c      the DFL of a YOLOv8/11 head as one kernel
 *   launch.c        every other node as a launch of a kernels.h kernel
 * C11 with the CUDA runtime and cuDNN C APIs; the kernels themselves are in kernels_*.cu. */
#ifndef YOLO_CUDA_MODEL_H
#define YOLO_CUDA_MODEL_H

#include <cuda_runtime_api.h>
#include <cudnn.h>

#include "cuda/kernels.h"
#include "yolo_core.h"

/* Streams a context may spread one run over (lanes.c), and how many it does unless
 * YOLO_CUDA_LANES says otherwise. */
#define CUDA_MAX_LANES     4
#define CUDA_DEFAULT_LANES 4
#define CUDA_LANES_BATCH   8     /* the default applies up to this batch, 1 lane above */

/* FP16 engines of this batch or more keep their activations channels-last (layout.c): measured
 * faster at 32 and 128 on the three shared models (H100); batches below are unmeasured */
#define CUDA_NHWC_BATCH    32

/* Why a node runs nothing: a view the planner aliased, or fused into a later node. */
enum cuda_skip { CUDA_SKIP_NONE, CUDA_SKIP_ALIAS, CUDA_SKIP_FUSED };

/* Which kernel runs a convolution. */
enum cuda_conv_kernel { CUDA_CONV_CUDNN, CUDA_CONV_IGEMM, CUDA_CONV_TILE, CUDA_CONV_PW,
                        CUDA_CONV_NHWC, CUDA_CONV_STEM };

struct cuda_conv {                 /* one Conv node, shared by every context */
    int32_t half;                  /* computes in FP16 (FP32 accumulation) */
    int32_t igemm_ok, tile_ok;     /* our FP16 kernels (conv_igemm.c, conv_tile.c) can run it */
    int32_t pw_ok, pw_wide;        /* the pointwise one (conv_pw.c) can; its tile */
    int32_t dfl, dfl_src;          /* runs a fused DFL (fuse_dfl.c) reading tensor dfl_src */
    int64_t dfl_st[4];             /* at these strides (image, bin, row, column) */
    int32_t kernel;                /* enum cuda_conv_kernel: the one that does */
    int32_t tile, splits;          /* the igemm launch shape (yolo_cu_conv_plan) */
    uint64_t igemm_off;            /* its weights and k table: this far into the node's dextra */
    uint64_t tile_off;             /* the tiled kernel's weights: this far into it */
    int32_t nhwc;                  /* runs on the channels-last kernel (conv_nhwc.c) */
    int32_t res, res_b, res_y;     /* runs a residual Add (fuse_add.c): y = its output + b */
    uint64_t nhwc_off;             /* its weights: this far into the node's dextra */
    cudnnTensorDescriptor_t x, y;
    cudnnFilterDescriptor_t w;
    cudnnConvolutionDescriptor_t conv;
    cudnnConvolutionFwdAlgo_t algo;
    size_t workspace;
    const void *weights;           /* device: FP32 in the const blob, or the FP16 copy */
    const float *bias;             /* device, FP32, or NULL */
};

struct cuda_attn {                 /* a MatMul that runs a whole attention (fuse_attn.c) */
    int32_t q, k;                  /* the tensors it reads beside its own v; -1: none */
    float scale;
};

struct cuda_model {
    const struct yolo_graph *g;
    int32_t device, half;          /* half: FP16 run (convs and the tensors around them) */
    int32_t sms, smem_optin;       /* the GPU's multiprocessors; shared memory a block may
                                    * opt in to */
    int32_t tile_split;            /* YOLO_CUDA_TILE_SPLIT=1 at load (conv_tile.c) */
    int64_t pw_min_pixels;         /* the pointwise kernel's rule (conv_pw.c), read at load */
    uint8_t *st;                   /* per tensor: enum yolo_cu_st */
    uint64_t *off;                 /* per tensor: bytes into the arena (plan_cuda.c), or into
                                    * the const blob */
    int64_t *imgst;                /* per tensor: elements from one image to the next where
                                    * they are not packed (a part inside its whole), else 0 */
    int32_t *root;                 /* per tensor: the tensor whose bytes hold it */
    uint8_t *nhwc;                 /* per tensor: 1 if stored channels-last (layout.c) */
    int64_t *pixst;                /* per channels-last tensor: elements from one pixel to the
                                    * next (its root's channel count) */
    uint64_t arena_bytes;          /* the FP32 arena a context allocates */
    uint8_t *skip;                 /* per node: nothing runs (enum cuda_skip) */
    struct cuda_conv *convs;       /* per node (Conv nodes only) */
    struct cuda_attn *attn;        /* per node, or NULL: the fused attentions (fuse_attn.c) */
    uint8_t *dconst;               /* the const blob on the device, as stored */
    uint8_t *dextra;               /* FP16 weights, resize tables, matmul offsets */
    uint64_t dconst_bytes, dextra_bytes, half_arena_bytes;
    uint64_t *extra_off;           /* per node: its piece of dextra (UINT64_MAX: none) */
    size_t workspace, cvt_bytes;   /* largest cuDNN workspace; largest conversion buffer */
    int64_t splitk_floats, splitk_tiles;   /* split-K scratch of the largest such conv */
    int32_t lanes;                 /* streams a run may spread over (lanes.c); 1: one chain */
    int32_t lanes_forced;          /* YOLO_CUDA_LANES set it (no timing at the capture) */
    int32_t *step, n_steps;        /* with lanes > 1: each node's step (lanes.c), */
    int32_t *order, *step_first;   /* the nodes in step order, where each step starts there */
    char variant[32];              /* "fp32" | "fp16", with the device name in messages */
};

/* A node's work, resolved to one context's device pointers (launch.c fills it). */
enum cuda_launch_kind { CL_NONE, CL_CONV, CL_DFL, CL_COPY, CL_BINARY, CL_UNARY, CL_POOL, CL_RESIZE,
                        CL_SOFTMAX, CL_REDUCE, CL_MATMUL, CL_TOPK, CL_GATHER, CL_GATHER_EL,
                        CL_POOL_NHWC, CL_UP2_NHWC, CL_ATTN };
struct cuda_launch {
    int32_t kind, n_seg, unop, y_bool;
    union {
        struct yolo_cu_copy copy[YOLO_CU_MAXSEG];
        struct yolo_cu_binary bin;
        struct { const void *x; void *y; int32_t x_st, y_st; int64_t n, outer, len, inner;
                 int32_t rows; } un;   /* rows: Softmax's warp-per-row kernel allowed */
        struct yolo_cu_pool pool;
        struct yolo_cu_resize rs;
        struct yolo_cu_reduce red;
        struct yolo_cu_matmul mm;
        struct yolo_cu_topk tk;
        struct yolo_cu_gather ga;
        struct yolo_cu_gather_el ge;
        struct yolo_cu_dfl dfl;
        struct yolo_cu_nhwc_pool np;   /* CL_POOL_NHWC, CL_UP2_NHWC */
        struct yolo_cu_attn attn;
    } u;
};

struct cuda_ctx {
    const struct cuda_model *m;
    cudaStream_t stream;           /* the context's stream (lane 0) */
    cudaStream_t run;              /* the stream node launches go on: stream, or a lane's */
    uint8_t *run_workspace;        /* the cuDNN workspace for that stream */
    cudaStream_t lane[CUDA_MAX_LANES];     /* lane[0] = stream */
    uint8_t *lane_ws[CUDA_MAX_LANES];      /* lane_ws[0] = workspace */
    cudaEvent_t fork, join[CUDA_MAX_LANES];
    cudnnHandle_t dnn;
    uint8_t *arena, *half_arena, *workspace, *cvt_in, *cvt_out;
    uint8_t *splitk;               /* split-K partial sums, then the tile counters (zeroed) */
    uint64_t bytes;
    struct cuda_launch *launch;    /* per node */
    cudaGraphExec_t graph;         /* the whole plan, captured on the first run */
    int32_t graph_failed;          /* capture not possible: launch node by node */
    int32_t lanes_used;            /* the graph's lanes (the faster of 1 and m->lanes) */
    cudaEvent_t *ev;               /* per node + 1, for node timing (made on demand) */
};

/* The device address of tensor t in context c (const blob, FP32 arena or FP16 arena). */
void *cuda_tensor_ptr(const struct cuda_ctx *c, int32_t t);

/* layout.c: which tensors are channels-last (m->nhwc, m->pixst; their m->off and m->imgst
 * moved to that layout), after cuda_plan, cuda_storage_plan and cuda_fuse_dfl; whether an
 * engine of graph g gets them (YOLO_CUDA_NHWC, the batch); the element strides of 4-D tensor
 * t as (image, channel, row, column) in either layout. */
int  cuda_layout_plan(struct cuda_model *m, struct yolo_diag *d);
int  cuda_nhwc_wanted(const struct yolo_graph *g, int half);
void cuda_strides4(const struct cuda_model *m, int32_t t, int64_t st[4]);

/* conv_nhwc.c: whether Conv node n can run on the channels-last kernels (the implicit GEMM,
 * or, depthwise, the window kernel); its weights' bytes; preparing them on the device; the
 * launch. */
int  cuda_nhwc_eligible(const struct cuda_model *m, const struct yolo_node *n);
int  cuda_nhwc_depthwise(const struct cuda_model *m, const struct yolo_node *n);
int  cuda_nhwc_cudnn(const struct cuda_model *m, const struct yolo_node *n);
int  cuda_nhwc_patch(const struct cuda_model *m, const struct yolo_node *n);
/* where cuDNN's KRSC weights of channels-last convolution i lie in its dextra */
uint64_t cuda_nhwc_krsc_offset(const struct cuda_model *m, int32_t i);
uint64_t cuda_nhwc_extra_bytes(const struct yolo_graph *g, const struct yolo_node *n);
int  cuda_nhwc_upload_weights(const struct cuda_model *m, int32_t i, struct yolo_diag *d);
int  cuda_nhwc_run(struct cuda_ctx *c, int32_t i, struct yolo_diag *d);

/* conv_stem.c: whether Conv node n is a stem the stem kernel runs (3x3 stride 2 on the
 * 3-channel NCHW image into channels-last FP16); its launch. */
int  cuda_stem_ok(const struct cuda_model *m, const struct yolo_node *n);
int  cuda_stem_run(struct cuda_ctx *c, int32_t i, struct yolo_diag *d);

/* plan_cuda.c: fills m->off, m->imgst, m->root and m->arena_bytes for m->g. */
int  cuda_plan(struct cuda_model *m, struct yolo_diag *d);
/* Elements from one image of tensor t to the next: its image stride, or its numel / batch. */
int64_t cuda_img_stride(const struct cuda_model *m, int32_t t);

/* storage.c: union-find over tensors (parent[t] == t at first; path halving), which storage.c
 * and layout.c group tensors with */
int32_t cuda_uf_find(int32_t *parent, int32_t t);
void cuda_uf_unite(int32_t *parent, int32_t a, int32_t b);

/* plan_cuda.c: whether n is Add/Sub/Mul/Div of two tensors of its output's shape */
int  cuda_same_shape_arith(const struct yolo_graph *g, const struct yolo_node *n);

/* storage.c: fills m->st (and m->half_arena_bytes) for m->g; m->half chooses FP16. */
int  cuda_storage_plan(struct cuda_model *m, struct yolo_diag *d);
/* Whether node n is a Conv that computes in FP16 in this model's run. */
int  cuda_conv_is_half(const struct cuda_model *m, const struct yolo_node *n);

/* conv_cudnn.c */
int  cuda_conv_supported(const struct yolo_graph *g, const struct yolo_node *n);
/* Descriptors and algorithm for Conv node i (dnn: a handle for the algorithm search). */
int  cuda_conv_prepare(struct cuda_model *m, int32_t i, cudnnHandle_t dnn, struct yolo_diag *d);
void cuda_conv_release(struct cuda_conv *cv);
int  cuda_conv_run(struct cuda_ctx *c, int32_t i, struct yolo_diag *d);

/* conv_igemm.c: our FP16 convolution kernel's host side. Whether Conv node n can run on it;
 * the bytes of device data it needs (FP16 weight rows and the k table); filling the table on
 * the host; converting the weights on the device (into the node's dextra at igemm_off); the
 * launch shape and split-K scratch (m->splitk_*); the launch. */
int  cuda_igemm_eligible(const struct cuda_model *m, const struct yolo_node *n);
uint64_t cuda_igemm_extra_bytes(const struct yolo_graph *g, const struct yolo_node *n);
/* the FP16 weight rows alone ([m rounded up to YOLO_CU_CONV_MPAD][kpad]), which the
 * channels-last kernel's weights share the layout of (in its k order) */
uint64_t cuda_igemm_weight_bytes(const struct yolo_tensor *W);
void cuda_igemm_fill(const struct yolo_graph *g, const struct yolo_node *n, void *dst);
int  cuda_igemm_upload_weights(const struct cuda_model *m, int32_t i, struct yolo_diag *d);
void cuda_igemm_plan(struct cuda_model *m, int32_t i, int32_t sms);
int  cuda_igemm_run(struct cuda_ctx *c, int32_t i, struct yolo_diag *d);
/* The k table of a c-channel h x w input and a kh x kw kernel with dilation dh, dw:
 * kpad = c * kh * kw rounded up to YOLO_CU_CONV_KPAD pairs (kernels.h, yolo_cu_conv). */
void cuda_igemm_table(int32_t *tab, int64_t c, int64_t h, int64_t w, int64_t kh, int64_t kw,
                      int64_t dh, int64_t dw);

/* conv_igemm.c: the kernel that runs FP16 convolution i by the fixed rule (or YOLO_CUDA_CONV);
 * conv_tile.c: the tiled kernel's side, as the igemm one's above. */
int  cuda_conv_pick(const struct cuda_model *m, int32_t i);
int  cuda_tile_split_wanted(void);
int  cuda_tile_eligible(const struct cuda_model *m, const struct yolo_node *n);
int  cuda_tile_preferred(const struct cuda_model *m, const struct yolo_node *n);
uint64_t cuda_tile_extra_bytes(const struct cuda_model *m, const struct yolo_node *n);
int  cuda_tile_upload_weights(const struct cuda_model *m, int32_t i, struct yolo_diag *d);
int  cuda_tile_run(struct cuda_ctx *c, int32_t i, struct yolo_diag *d);
/* conv_pw.c: the pointwise kernel's side (it uses the implicit GEMM's weights). */
int  cuda_pw_eligible(const struct cuda_model *m, const struct yolo_node *n);
int64_t cuda_pw_min_pixels(void);
int  cuda_pw_preferred(const struct cuda_model *m, const struct yolo_node *n);
void cuda_pw_plan(struct cuda_model *m, int32_t i, int32_t sms);
int  cuda_pw_run(struct cuda_ctx *c, int32_t i, struct yolo_diag *d);

/* conv_tune.c (YOLO_CUDA_CONV=tune): for each convolution both cuDNN and our kernel can run,
 * times both on the GPU in context c (each as a CUDA graph, as a run replays them) and keeps
 * the faster. */
int  cuda_conv_tune(struct cuda_model *m, struct cuda_ctx *c, struct yolo_diag *d);

/* fuse_dfl.c: marks the DFL chains this model's graph has (YOLO_CUDA_FUSE=0: none); the
 * fused kernel's arguments for the chain's convolution i in context c. */
void cuda_fuse_dfl(struct cuda_model *m);
void cuda_dfl_launch(const struct cuda_ctx *c, int32_t i, struct yolo_cu_dfl *a);

/* fuse_attn.c: marks the YOLO11 attention chains this model's graph has (YOLO_CUDA_FUSE=0:
 * none), after cuda_fuse_dfl (-1 only out of memory); the fused kernel's arguments for the
 * chain's second MatMul i in context c. */
int  cuda_fuse_attn(struct cuda_model *m, struct yolo_diag *d);
void cuda_attn_launch(const struct cuda_ctx *c, int32_t i, struct yolo_cu_attn *a);
/* fuse_add.c: folds the residual Adds after convolutions on our channels-last kernels into
 * them (struct cuda_conv's res), after cuda_layout_plan (YOLO_CUDA_FUSE=0: none). */
void cuda_fuse_add(struct cuda_model *m);
/* lanes.c: node i's position in run order: its step with lanes, else i */
int32_t cuda_node_step(const struct cuda_model *m, int32_t i);
/* plan_cuda.c: whether tensors a and b may share bytes: their roots' ranges overlap in one
 * arena (FP32 or FP16), before cuda_layout_plan or after it (it keeps a tensor in its root);
 * after it, two channels-last slices of one root by their channel ranges. */
int  cuda_bytes_overlap(const struct cuda_model *m, int32_t a, int32_t b);

/* lanes.c: each node's step for m->lanes (YOLO_CUDA_LANES) lanes, from the graph and the
 * aliased views (m->skip); whether node i may run on a lane other than 0 (after the
 * convolutions are prepared); every node launched step by step over the context's lanes (the
 * capture's run when m->lanes > 1). */
int  cuda_lanes_plan(struct cuda_model *m, struct yolo_diag *d);
int  cuda_lane_free(const struct cuda_model *m, int32_t i);
int  cuda_run_lanes(struct cuda_ctx *c, struct yolo_diag *d);
/* The node run k-th on one stream: graph order, or step order with lanes. */
int32_t cuda_node_at(const struct cuda_model *m, int32_t k);

/* launch.c */
int  cuda_node_supported(const struct yolo_graph *g, const struct yolo_node *n);
/* Bytes of device data node n needs at load (resize tables, matmul offsets), 0 if none. */
uint64_t cuda_node_extra_bytes(const struct yolo_graph *g, const struct yolo_node *n);
/* Writes that data into host memory `dst` (copied to the device by the caller). */
void cuda_node_extra_fill(const struct yolo_graph *g, const struct yolo_node *n, void *dst);
/* Resolves node i for context c into c->launch[i]. */
int  cuda_launch_make(struct cuda_ctx *c, int32_t i, struct yolo_diag *d);
int  cuda_launch_run(struct cuda_ctx *c, int32_t i, struct yolo_diag *d);

/* The device time of one replay of graph g on the context's stream, between events ev[0] and
 * ev[1] (made by the caller), waited for (backend_cuda.c; conv_tune.c and the lanes' choice
 * time graphs with it). */
cudaError_t cuda_replay_ms(struct cuda_ctx *c, cudaGraphExec_t g, cudaEvent_t ev[2], float *ms);

/* "cuda: <what> failed: <CUDA's words>" into d. */
int  cuda_fail(struct yolo_diag *d, const char *what, cudaError_t e);
int  cudnn_fail(struct yolo_diag *d, const char *what, cudnnStatus_t s);

/* YOLO_CUDA_LOG=1: the backend reports on stderr what it decided at load (the tuned kernel of
 * each convolution, the launches of the recorded graph). For development, not for parsing. */
int  cuda_log_on(void);

#endif
