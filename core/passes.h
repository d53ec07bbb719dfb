/* passes.h: build-time graph transformations, one file each under core/opt/, plus shape
 * inference (core/infer.c) and memory planning (core/plan.c).
 *
 * Order used by the builder: infer+fold -> fuse_qdq -> dce -> fold_bn -> stem_s2d -> fuse_act -> noop -> dce ->
 * compact -> plan. Every pass keeps the graph valid and topologically sorted, never changes
 * what the graph computes (tests/test_passes.c runs graphs before and after on the same
 * input), and returns 0 or a status with d filled. Passes return the number of rewrites
 * through *n_changed when it is not NULL. */
#ifndef YOLO_PASSES_H
#define YOLO_PASSES_H

#include "yolo_core.h"

/* Shape inference in topological order; with fold, constant subgraphs are evaluated now. */
int yolo_graph_infer(struct yolo_graph *g, int fold, struct yolo_diag *d);

/* DequantizeLinear -> Conv -> QuantizeLinear (and a SiLU between two quantizations after it)
 * -> one QConv on int8 (ops/qconv.c). Must run after folding and before the first dce. */
int yolo_opt_fuse_qdq(struct yolo_graph *g, int *n_changed, struct yolo_diag *d);
/* QConv (float output, its activation) -> QuantizeLinear (one per-tensor scale and zero
 * point for every reader) -> one QConv writing the quantized tensor (core/opt/fuse_qconv_q.c).
 * Same bytes; no float tensor in between. */
int yolo_opt_fuse_qconv_q(struct yolo_graph *g, int *n_changed, struct yolo_diag *d);
/* QuantizeLinear moved above the Concat and Split nodes it follows (core/opt/push_q.c), so
 * fuse_qconv_q can fold it into the QConvs feeding them. Exact. Run before fuse_qconv_q. */
int yolo_opt_push_q(struct yolo_graph *g, int *n_changed, struct yolo_diag *d);
/* Post-training int8 (core/opt/quantize.c). yolo_quant_plan marks the Convs that take int8
 * (conv_ok, g->n_nodes entries) and the float tensors that need a calibrated range (target,
 * g->n_tensors entries); keep lists node names that stay float (a trailing '*' matches a
 * prefix). Returns the number of Convs. yolo_opt_quantize then rewrites those Convs into
 * QConv with one QuantizeLinear per input, from the ranges lo[t], hi[t] of each target t;
 * mean (may be NULL) holds each target's per-channel mean from mean[mean_at[t]] on, for the
 * bias correction. */
int32_t yolo_quant_plan(const struct yolo_graph *g, const char *const *keep, int32_t n_keep,
                        uint8_t *conv_ok, uint8_t *target);
int yolo_opt_quantize(struct yolo_graph *g, const uint8_t *conv_ok, const float *lo,
                      const float *hi, const double *mean, const int64_t *mean_at, int *n_changed,
                      struct yolo_diag *d);
/* `yolo build --bf16` (core/opt/bf16.c): the Convs flagged in conv_ok (yolo_quant_plan's
 * choice) get YOLO_CONV_PREC_BF16 and their weights rounded to bfloat16. */
int yolo_opt_bf16(struct yolo_graph *g, const uint8_t *conv_ok, int *n_changed,
                  struct yolo_diag *d);
/* Removes nodes whose outputs are all constant (folded) or unused. */
int yolo_opt_dce(struct yolo_graph *g, int *n_changed, struct yolo_diag *d);
/* Conv followed by BatchNormalization -> one Conv with rescaled weights and bias. */
int yolo_opt_fold_bn(struct yolo_graph *g, int *n_changed, struct yolo_diag *d);
/* A stride-2 Conv over <= 4 channels whose kernel halves to exactly 3x3 (YOLOv5's 6x6 pad-2
 * stem) -> SpaceToDepth(2) then a 3x3 stride-1 Conv over 4x the channels, weights rearranged
 * (core/opt/stem_s2d.c): the CPU's Winograd then takes it. */
int yolo_opt_stem_s2d(struct yolo_graph *g, int *n_changed, struct yolo_diag *d);
/* Conv -> x*sigmoid(x) (SiLU) / Sigmoid / Relu -> the Conv's fused epilogue; other
 * x*sigmoid(x) pairs -> one SiLU node. */
int yolo_opt_fuse_act(struct yolo_graph *g, int *n_changed, struct yolo_diag *d);
/* Identity, and Reshape/Flatten/Squeeze/Unsqueeze/Cast that change nothing, are bypassed. */
int yolo_opt_noop(struct yolo_graph *g, int *n_changed, struct yolo_diag *d);
/* Drops tensors no node or graph I/O refers to and rebuilds the const blob with only the
 * constants still used (the engine then carries no dead weights). */
int yolo_graph_compact(struct yolo_graph *g, struct yolo_diag *d);

struct yolo_plan_stats {
    uint64_t arena_bytes;          /* what a context allocates for activations */
    uint64_t sum_tensor_bytes;     /* sum of every non-const tensor, as if none shared bytes */
    int32_t  n_aliases;            /* views that share their source's bytes */
    int32_t  n_in_place;           /* Concat inputs / Split outputs placed in the whole,
                                      split-chain Sigmoid outputs in their Concat output */
};
/* Assigns arena offsets to every non-const tensor from liveness: tensors whose lifetimes do
 * not overlap share bytes; views (Reshape, Flatten, ...) alias their input. Sets
 * g->arena_bytes. */
int yolo_plan(struct yolo_graph *g, struct yolo_plan_stats *st, struct yolo_diag *d);

/* A backend's own plan of g at load (plan.c's header): the engine's rules without the CPU
 * backend's split chains and Conv -> Transpose, and with strided_ok, Concat and Split parts at
 * a batch above 1 placed image by image in their whole where strided_ok(user, t) says every
 * node reading or writing t takes it at a stride. */
struct yolo_plan_opts {
    int (*strided_ok)(const void *user, int32_t t);
    const void *user;
    /* NULL: the nodes run one after the other in graph order. Else the step of each node
     * (n_steps in all): a backend that runs the nodes of one step at once, all of a step
     * done before the next begins; lifetimes are then counted in steps, so two nodes of one
     * step never share bytes they write or read. */
    const int32_t *step;
    int32_t n_steps;
};
struct yolo_plan_out {          /* arrays of g->n_tensors, the caller's */
    uint64_t *offset;           /* bytes into the arena (constants: the const blob's) */
    uint64_t *img_stride;       /* bytes from one image of the tensor to the next where they
                                 * are not packed (a part placed image by image), else 0 */
    int32_t *root;              /* the tensor whose bytes hold it (itself if none) */
    uint8_t *alias;             /* 1: a view sharing its source's bytes (runs nothing) */
    uint64_t arena_bytes;
};
int yolo_plan_for(const struct yolo_graph *g, const struct yolo_plan_opts *o,
                  struct yolo_plan_out *out, struct yolo_diag *d);

/* Helpers for passes: how many node inputs read tensor t (graph outputs not counted), and
 * the index of the node producing t (-1 if none). O(nodes). */
int32_t yolo_graph_n_consumers(const struct yolo_graph *g, int32_t t);
/* Whether op only renames its input's bytes: Reshape, Flatten, Squeeze, Unsqueeze, Identity
 * (what the planner aliases). */
int     yolo_op_is_view(enum yolo_op op);
int32_t yolo_graph_producer(const struct yolo_graph *g, int32_t t);
int     yolo_graph_is_output(const struct yolo_graph *g, int32_t t);
/* Replaces every node input reading `from` by `to`. */
void    yolo_graph_replace_input(struct yolo_graph *g, int32_t from, int32_t to);
/* Who writes and reads each tensor, for passes that rewire as they go (fuse_act, fuse_qdq):
 * one O(nodes) walk instead of a scan per question. room: entries (>= n_tensors, more if
 * the pass adds tensors while it runs). */
struct yolo_uses {
    int32_t *producer;   /* the first node writing t, -1 if none */
    int32_t *n_reads;    /* node input slots reading t */
    int32_t *reader;     /* a node reading t (the only one when n_reads == 1), -1 if none */
};
int  yolo_uses_make(const struct yolo_graph *g, size_t room, struct yolo_uses *u,
                    struct yolo_diag *d);
void yolo_uses_free(struct yolo_uses *u);
/* t is an activation only node `by` reads (once; no graph input or output, nothing kept). */
int  yolo_uses_private(const struct yolo_graph *g, const struct yolo_uses *u, int32_t t,
                       int32_t by);
/* Sigmoid -> Split along the last axis -> for each piece a chain of Add / Mul by a float32
 * constant (one element, or the piece's shape) and Pow by the constant 2 -> Concat of the
 * chains' ends, in piece order, along the last axis, to the Sigmoid input's shape (YOLOv5's
 * box decode: xy = (s * 2 + grid) * stride, wh = (s * 2)^2 * anchors, conf = s). Every
 * tensor from the Sigmoid's output to the Concat's inputs is read by its next node only and
 * is no graph output. The planner keeps the Sigmoid's input alive up to the Concat (plan.c),
 * so the CPU backend can run the whole as one pass at the Concat (cpu/split_chain_mark.c);
 * the graph itself is not changed. */
#define YOLO_SC_MAX_PIECES 8
#define YOLO_SC_MAX_OPS    8
struct yolo_split_chain {
    int32_t sigmoid, split, concat;                  /* node indices */
    int32_t n_pieces;
    int64_t width[YOLO_SC_MAX_PIECES];               /* each piece along the last axis */
    int32_t n_ops[YOLO_SC_MAX_PIECES];
    int32_t op[YOLO_SC_MAX_PIECES][YOLO_SC_MAX_OPS];  /* the chain's nodes, in order */
    int32_t cin[YOLO_SC_MAX_PIECES][YOLO_SC_MAX_OPS]; /* each one's constant input slot */
    int32_t sigmoid_done;   /* set by a backend whose Conv before the chain already wrote
                               the Sigmoid into the Concat's output: the pieces' steps run
                               there, in place (cpu/conv_tp_mark.c) */
};
/* 1 and *sc filled if Sigmoid node s starts the pattern (u: yolo_uses_make of g), else 0. */
int yolo_split_chain_find(const struct yolo_graph *g, const struct yolo_uses *u, int32_t s,
                          struct yolo_split_chain *sc);
/* Conv (any) -> Reshape of its output [N, M, OH, OW] to [N, A, G, rest...] (A * G = M, the
 * rest OH * OW elements) -> Transpose moving axis 2 to the end: [N, A, rest..., G]. YOLOv5's
 * head ([N, 255, H, W] -> [N, 3, 85, H, W] -> [N, 3, H, W, 85]). The Conv's output and the
 * Reshape's are read by the next node only. The planner starts the Transpose output's life at
 * the Conv (plan.c), so the CPU backend's Conv can write that layout itself
 * (cpu/conv_tp_mark.c); the graph is not changed. */
struct yolo_conv_tp {
    int32_t conv, reshape, transpose;   /* node indices */
    int64_t group;                      /* G: channels per group, the new last axis */
};
/* 1 and *ct filled if Transpose node tp ends the pattern (u: yolo_uses_make of g), else 0. */
int yolo_conv_tp_find(const struct yolo_graph *g, const struct yolo_uses *u, int32_t tp,
                      struct yolo_conv_tp *ct);
/* Transpose -> Softmax -> (maybe another Transpose) -> Conv, consecutive nodes: the DFL of a
 * YOLOv8/11 head ([N, 4, 16, A] -> [N, A, 4, 16], softmax over the 16 bins, back to [N, 16,
 * 4, A], a 1x1 convolution to one channel with the bins' values as weights). The Conv (1x1,
 * stride 1, no pad, one group, no activation, one output channel, at most YOLO_DFL_MAX_BINS
 * constant float32 weights over the softmax's axis, constant bias if any) then computes, for
 * each of its outputs, bias + sum_b w[b] softmax_b(src at base + b * st[1]) with the
 * Transposes' strides composed into one strided view of the first Transpose's input: base =
 * n * st[0] + h * st[2] + w * st[3]. The tensors between the nodes have their next node as
 * only reader and are no graph outputs. The graph is not changed. */
#define YOLO_DFL_MAX_BINS 32
struct yolo_dfl_chain {
    int32_t first, conv;   /* node indices: the first Transpose, the Conv */
    int32_t src;           /* the first Transpose's input */
    int64_t st[4];         /* strides in src of the Conv's input dims [N, bins, H, W] */
};
/* 1 and *dc filled if node i (a Transpose) starts the pattern (u: yolo_uses_make of g). */
int yolo_dfl_chain_find(const struct yolo_graph *g, const struct yolo_uses *u, int32_t i,
                        struct yolo_dfl_chain *dc);
/* The same start in a QDQ model: Transpose -> Softmax -> (maybe another Transpose) ->
 * QuantizeLinear with one scale (YOLOv8's DFL before its int8 convolution). Then dc->conv is
 * the QuantizeLinear, and st the strides in src of its input dims [N, bins, H, W] (at most
 * YOLO_DFL_MAX_BINS bins). The CPU backend runs the chain up to the QuantizeLinear as one
 * pass (cpu/dfl_mark.c). */
int yolo_dfl_q_find(const struct yolo_graph *g, const struct yolo_uses *u, int32_t i,
                    struct yolo_dfl_chain *dc);
/* Concat along dim 1 of 4-D float32 parts -> QuantizeLinear with one scale, the Concat's
 * output read by that node only (a QDQ model's C2f and neck joins). Each part is one of:
 *   YOLO_CQ_DQ         a DequantizeLinear (one scale) of a uint8/int8 activation src
 *   YOLO_CQ_RESIZE_DQ  a 2x nearest Resize (yolo_resize_is_2x), read by the Concat only, of
 *                      such a DequantizeLinear's output
 *   YOLO_CQ_RESIZE     such a Resize of any other float32 activation src
 *   YOLO_CQ_FLOAT      anything else: src is the part itself
 * Quantizing a dequantized byte again is a table of 256 bytes, and nearest upsampling moves
 * elements only, so the QuantizeLinear's output can be made from the parts' sources directly,
 * in one pass: the CPU backend does that (cpu/concat_q_mark.c). The planner keeps each src
 * alive up to the QuantizeLinear (plan.c). The graph is not changed. */
#define YOLO_CQ_MAX_PARTS 8
enum yolo_cq_kind { YOLO_CQ_FLOAT, YOLO_CQ_DQ, YOLO_CQ_RESIZE_DQ, YOLO_CQ_RESIZE };
struct yolo_cq_part {
    int32_t kind;     /* enum yolo_cq_kind */
    int32_t src;      /* the tensor read: the DequantizeLinear's or Resize's input, or the part */
    int32_t dq, resize;   /* node indices, -1 where the kind has none */
};
struct yolo_concat_q {
    int32_t q, concat, n_parts;   /* node indices; the Concat's inputs, in order */
    struct yolo_cq_part part[YOLO_CQ_MAX_PARTS];
};
/* 1 and *cq filled if QuantizeLinear node q ends the pattern (u: yolo_uses_make of g). */
int yolo_concat_q_find(const struct yolo_graph *g, const struct yolo_uses *u, int32_t q,
                       struct yolo_concat_q *cq);
/* Convolution outputs joined along the last axis: a Concat (axis 2 of a 3-D float32 output
 * [N, R, L]) each of whose inputs is a Reshape [N, R, H, W] -> [N, R, H * W] of either a
 * Conv / QConv output or an axis-1 Concat of Conv / QConv outputs (YOLOv8's head joins its
 * three levels' box maps and, apart, their class maps; YOLO11's joins each level's box and
 * class maps first). Every tensor from a convolution's output to the Concat's input is read
 * by its next node only. Output channel m of conv[i] is then row chan[i] + m of the joined
 * tensor from column col[i] on, its pixels in order. Where the joined tensor's only reader
 * is a Sigmoid (YOLOv8's class scores) and no convolution has an activation, that is
 * `sigmoid` (else -1). The planner starts the life of the Sigmoid's output, or else of the
 * joined tensor, at the first of the convolutions (plan.c), so the CPU backend's
 * convolutions can write there themselves (cpu/conv_cat_mark.c), the Sigmoid in their
 * epilogue; the graph is not changed. */
#define YOLO_CV_MAX_CONVS 16
struct yolo_conv_cat {
    int32_t concat, n, n_inner;                 /* node index; convolutions; inner Concats */
    int32_t sigmoid;                            /* node index, or -1 */
    int32_t conv[YOLO_CV_MAX_CONVS];            /* node indices */
    int64_t chan[YOLO_CV_MAX_CONVS], col[YOLO_CV_MAX_CONVS];
    int32_t inner[YOLO_CV_MAX_CONVS];           /* the axis-1 Concats between */
};
/* 1 and *cc filled if Concat node c ends the pattern (u: yolo_uses_make of g), else 0. */
int yolo_conv_cat_find(const struct yolo_graph *g, const struct yolo_uses *u, int32_t c,
                       struct yolo_conv_cat *cc);
/* A residual Add of a convolution's output: Add(r, y) or Add(y, r) -> z, y the float32 4-D
 * output of a Conv or QConv read by the Add only, r a float32 activation of z's shape written
 * before the convolution runs (YOLOv8's C2f shortcut). The planner starts z's life at the
 * convolution (plan.c), so the CPU backend's convolution can write r + y itself
 * (cpu/conv_add_mark.c); the graph is not changed. */
struct yolo_conv_add {
    int32_t add, conv;   /* node indices */
    int32_t res;         /* r */
};
/* 1 and *ca filled if Add node a is such a sum (u: yolo_uses_make of g), else 0. */
int yolo_conv_add_find(const struct yolo_graph *g, const struct yolo_uses *u, int32_t a,
                       struct yolo_conv_add *ca);
/* Deletes the nodes flagged in dead[] (n_nodes entries), keeping order. */
void    yolo_graph_remove_nodes(struct yolo_graph *g, const uint8_t *dead);

#endif
