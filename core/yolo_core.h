/* yolo_core.h: the generic CNN runtime's own API. Knows nothing about YOLO.
 *
 *   ONNX file --yolo_onnx_import--> struct yolo_graph (tensors + nodes + const blob)
 *             --yolo_graph_infer (shapes, constant folding)--> --yolo_opt_* passes-->
 *             --yolo_plan (arena offsets)--> yolo_engine_write
 *   engine    --yolo_engine_load--> graph --yolo_net_create--> net (shared, refcounted: a
 *             backend (backend.h) checks every node and prepares the weights once)
 *             --yolo_runner_create--> runner (own arena) --yolo_runner_run--> outputs
 *
 * Layers: this header is core's own; it includes nothing of the project outside core/ (the
 * status codes and struct yolo_diag are defined here and, identically, in include/yolo.h).
 *
 * A graph refers to tensors and nodes by index, never by pointer, so it is written to disk as
 * is and shared read-only by every runner. A tensor's bytes live either in the const blob
 * (YOLO_TF_CONST: weights and folded constants) or in a runner's arena (everything else);
 * the address is worked out at run time from the tensor's offset.
 */
#ifndef YOLO_CORE_H
#define YOLO_CORE_H

#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "base/status.h"

/* ------------------------------------------------------------------ limits */
#define YOLO_MAX_DIMS   6    /* YOLOv5's head reshapes to 5-D [B, na, no, ny, nx] */
#define YOLO_MAX_IN     16
#define YOLO_MAX_OUT    8
#define YOLO_MAX_PARAMS 32
#define YOLO_MAX_FPARAMS 8
#define YOLO_MAX_IO     8
#define YOLO_NAME_MAX   128  /* ONNX names longer than this are truncated */

/* Caps that keep hostile files from making us allocate what they do not contain. */
#define YOLO_MAX_TENSORS (1 << 20)
#define YOLO_MAX_NODES   (1 << 20)
#define YOLO_MAX_TENSOR_BYTES ((uint64_t)1 << 34) /* 16 GiB for one tensor */

/* ------------------------------------------------------------------ status helpers */

/* Log callback: the library never prints; it reports warnings and progress through this. */
enum yolo_log_level { YOLO_LOG_ERROR = 0, YOLO_LOG_WARN = 1, YOLO_LOG_INFO = 2, YOLO_LOG_DEBUG = 3 };
typedef void (*yolo_log_fn)(void *user, enum yolo_log_level level, const char *msg);
struct yolo_logger { yolo_log_fn fn; void *user; int level; /* messages above level dropped */ };
void yolo_logf(const struct yolo_logger *lg, enum yolo_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A string key/value pair (ONNX metadata_props, engine META). Both NUL-terminated, owned by
 * whoever owns the array. */
struct yolo_kv { char *key; char *value; };

/* ------------------------------------------------------------------ dtypes */
/* Values are ONNX TensorProto.DataType numbers. The runtime computes in F32, I64 and BOOL;
 * F16 constants are widened to F32 on import. */
enum yolo_dtype {
    YOLO_DT_UNDEF = 0,
    YOLO_DT_F32   = 1,
    YOLO_DT_U8    = 2,
    YOLO_DT_I8    = 3,
    YOLO_DT_I32   = 6,
    YOLO_DT_I64   = 7,
    YOLO_DT_BOOL  = 9,
    YOLO_DT_F16   = 10,
    YOLO_DT_F64   = 11
};
size_t      yolo_dtype_size(enum yolo_dtype t);   /* 0 for unknown */
const char *yolo_dtype_name(enum yolo_dtype t);   /* "float32", ... ; "?" for unknown */

/* ------------------------------------------------------------------ tensors */
enum yolo_tensor_flags {
    YOLO_TF_CONST  = 1u << 0, /* bytes in the graph's const blob at `offset` */
    YOLO_TF_INPUT  = 1u << 1, /* a graph input: the caller writes it */
    YOLO_TF_OUTPUT = 1u << 2, /* a graph output: the caller reads it */
    YOLO_TF_ALIAS  = 1u << 3, /* planner: shares its arena bytes with the tensor it was viewed from */
    YOLO_TF_KEEP   = 1u << 4  /* planner: live to the end of a run, so a caller can read it
                                 afterwards (int8 calibration); build-time only, never in an
                                 engine */
};

struct yolo_tensor {                  /* metadata only: no data pointer, so it can be shared */
    enum yolo_dtype dtype;
    int32_t  ndim;                    /* -1 while the shape is not known yet (during build) */
    int64_t  shape[YOLO_MAX_DIMS];    /* contiguous row-major (NCHW), shape[0] = N */
    uint32_t flags;                   /* enum yolo_tensor_flags */
    uint64_t offset;                  /* CONST: into the const blob; else into the arena */
    char     name[YOLO_NAME_MAX];     /* from ONNX; used in every error message */
};
int64_t  yolo_tensor_numel(const struct yolo_tensor *t);  /* 1 for a scalar, -1 if unknown */
uint64_t yolo_tensor_bytes(const struct yolo_tensor *t);  /* numel * dtype size, 0 if unknown */

/* ------------------------------------------------------------------ ops */
enum yolo_op {
#define YOLO_OP(id, onnx, stem) YOLO_OP_##id,
#include "ops.def"
#undef YOLO_OP
    YOLO_OP_COUNT
};

/* Activation fused into an op's epilogue (Conv params[YOLO_CONV_ACT]). */
enum yolo_act { YOLO_ACT_NONE = 0, YOLO_ACT_RELU = 1, YOLO_ACT_SIGMOID = 2, YOLO_ACT_SILU = 3 };

/* The activation fused into a Conv epilogue (enum yolo_act). Part of the op definitions:
 * every backend's epilogue computes this function. Unknown values are rejected by the
 * Conv shape_fn; here they pass the value through. */
static inline float yolo_act_apply(float v, int64_t act)
{
    switch (act) {
    case YOLO_ACT_RELU:    return v > 0.0f ? v : 0.0f;
    case YOLO_ACT_SIGMOID: return 1.0f / (1.0f + expf(-v));
    case YOLO_ACT_SILU:    return v / (1.0f + expf(-v));
    default:               return v;
    }
}

/* Conv params layout (ops/conv.c). Inputs: X, W [M, C/group, kH, kW], optional B [M] (in[2]
 * is -1 when absent). Pads are resolved from auto_pad at import. */
enum yolo_conv_param {
    YOLO_CONV_KH, YOLO_CONV_KW, YOLO_CONV_SH, YOLO_CONV_SW,
    YOLO_CONV_PT, YOLO_CONV_PL, YOLO_CONV_PB, YOLO_CONV_PR,
    YOLO_CONV_DH, YOLO_CONV_DW, YOLO_CONV_GROUP, YOLO_CONV_ACT,
    YOLO_CONV_AUTO_PAD, /* 0 NOTSET, 1 SAME_UPPER, 2 SAME_LOWER, 3 VALID: pads fixed in shape_fn */
    YOLO_CONV_PREC      /* enum yolo_conv_prec: the arithmetic the build chose (yolo build --bf16) */
};
/* A Conv's arithmetic. BF16: W holds values exactly representable in bfloat16 (rounded at
 * build), and a backend with bf16 instructions rounds X to bfloat16 too, multiplying in
 * bf16 and summing in float32; one without them computes in float32 on the same W (the
 * reference kernel always does). Either result is within the bound of core/bf16.h. */
enum yolo_conv_prec { YOLO_CONV_PREC_FP32 = 0, YOLO_CONV_PREC_BF16 = 1 };

struct yolo_node {
    enum yolo_op op;
    int32_t n_in, n_out;
    int32_t in[YOLO_MAX_IN];          /* tensor indices; -1 for an absent optional input */
    int32_t out[YOLO_MAX_OUT];
    int64_t params[YOLO_MAX_PARAMS];  /* layout documented at the top of ops/<op>.c */
    float   fparams[YOLO_MAX_FPARAMS];
    char    name[YOLO_NAME_MAX];      /* ONNX node name */
};

/* ------------------------------------------------------------------ graph */
struct yolo_graph {
    struct yolo_tensor *tensors;  int32_t n_tensors, cap_tensors;
    struct yolo_node   *nodes;    int32_t n_nodes,   cap_nodes;   /* topological order */
    int32_t inputs[YOLO_MAX_IO], outputs[YOLO_MAX_IO];
    int32_t n_inputs, n_outputs;
    /* Const blob: weights and folded constants, each 64-byte aligned. Owned (malloc'd) while
     * building; after yolo_engine_load it points into the mapped engine file. */
    uint8_t *consts; uint64_t consts_bytes, consts_cap; int owns_consts;
    uint64_t arena_bytes;         /* set by yolo_plan */
};

void    yolo_graph_init(struct yolo_graph *g);
void    yolo_graph_release(struct yolo_graph *g);             /* frees arrays (+ consts if owned) */
/* Adds a tensor (ndim -1 = unknown shape). Returns its index, or -1 with d set (NOMEM/limits). */
int32_t yolo_graph_add_tensor(struct yolo_graph *g, const char *name, enum yolo_dtype dt,
                              int32_t ndim, const int64_t *shape, struct yolo_diag *d);
/* Adds a CONST tensor whose bytes (yolo_tensor_bytes) are copied from data (NULL = zeros). */
int32_t yolo_graph_add_const(struct yolo_graph *g, const char *name, enum yolo_dtype dt,
                             int32_t ndim, const int64_t *shape, const void *data,
                             struct yolo_diag *d);
/* Moves an existing non-const tensor into the const blob (zero-filled); its shape must be
 * known. Used by constant folding. Returns 0 or a status. */
int     yolo_graph_make_const(struct yolo_graph *g, int32_t t, struct yolo_diag *d);
/* Appends a node (params zeroed). Returns its index or -1 with d set. */
int32_t yolo_graph_add_node(struct yolo_graph *g, enum yolo_op op, const char *name,
                            int32_t n_in, const int32_t *in, int32_t n_out, const int32_t *out,
                            struct yolo_diag *d);
/* Pointer to a CONST tensor's bytes, NULL if t < 0 or the tensor is not const. */
void   *yolo_graph_const_data(const struct yolo_graph *g, int32_t t);
/* Index of the tensor named `name`, or -1. Linear: for tools and tests, not hot paths. */
int32_t yolo_graph_find_tensor(const struct yolo_graph *g, const char *name);
/* Sorts nodes topologically (stable w.r.t. file order where possible). Fails on a cycle or a
 * tensor with no producer that is neither input nor const. Messages name the node. */
int     yolo_graph_toposort(struct yolo_graph *g, struct yolo_diag *d);
/* "node '/model.0/conv/Conv' (Conv): " + fmt, into d. Returns s. */
enum yolo_status yolo_node_error(struct yolo_diag *d, enum yolo_status s, const struct yolo_node *n,
                                 const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* The op's stable name: its ONNX name, or the project's own for internal ops ("SiLU"). Engine
 * files store ops by this name; never rename one (tests/test_op_ids.c freezes them). */
const char *yolo_op_name(enum yolo_op op);
enum yolo_op yolo_op_from_name(const char *name);          /* YOLO_OP_COUNT if unknown */

/* ------------------------------------------------------------------ ONNX attributes
 * The importer turns each NodeProto's attributes into this neutral form, so ops/<op>.c never
 * sees protobuf-c. Getters mark an attribute used; the importer warns about unused ones. */
enum yolo_attr_type { YOLO_ATTR_INT = 1, YOLO_ATTR_FLOAT, YOLO_ATTR_STRING, YOLO_ATTR_INTS,
                      YOLO_ATTR_FLOATS, YOLO_ATTR_TENSOR, YOLO_ATTR_OTHER };
struct yolo_attr {
    const char *name;
    enum yolo_attr_type type;
    int64_t i; float f; const char *s;          /* s: NUL-terminated */
    const int64_t *ints;  int32_t n_ints;
    const float   *floats; int32_t n_floats;
    int32_t tensor;                             /* TENSOR: index of a CONST tensor in the graph */
    int used;
};
struct yolo_attrs {
    struct yolo_attr *v; int32_t n;
    int64_t opset;                              /* default-domain opset of the model */
};
/* Each getter returns the default when absent. A present attribute of the wrong type is
 * reported through *bad (set to 1) so import_fn can fail with a clear message. */
int64_t        yolo_attr_int(struct yolo_attrs *a, const char *name, int64_t def, int *bad);
float          yolo_attr_float(struct yolo_attrs *a, const char *name, float def, int *bad);
const char    *yolo_attr_str(struct yolo_attrs *a, const char *name, const char *def, int *bad);
const int64_t *yolo_attr_ints(struct yolo_attrs *a, const char *name, int32_t *n, int *bad);
const float   *yolo_attr_floats(struct yolo_attrs *a, const char *name, int32_t *n, int *bad);
int32_t        yolo_attr_tensor(struct yolo_attrs *a, const char *name, int *bad);

/* ------------------------------------------------------------------ reference kernels
 * An op's reference kernel is part of its definition: naive loops over host memory, the
 * oracle every backend is tested against (tests/test_backend_ops.c). Host backends (the CPU
 * backend, core/cpu/) also run them for nodes they have no faster kernel for.
 * Everything a host kernel needs to find its data. Kernels must not write to it. */
struct yolo_exec {
    const struct yolo_graph *g;
    uint8_t       *arena;         /* the runner's activations (host memory) */
    const uint8_t *consts;        /* the shared const blob */
    uint8_t       *scratch;       /* per-thread scratch: thread ith owns */
    uint64_t       scratch_bytes; /*   scratch + ith * scratch_bytes, scratch_bytes long */
    const void *const *node_data; /* per node: what the backend prepared for it at load (packed
                                     weights), indexed by node; NULL entries or array allowed */
};
static inline void *yolo_exec_ptr(const struct yolo_exec *x, int32_t t)
{
    const struct yolo_tensor *T = &x->g->tensors[t];
    return (T->flags & YOLO_TF_CONST) ? (void *)(x->consts + T->offset)
                                      : (void *)(x->arena + T->offset);
}
/* What the backend prepared for node n (n points into x->g->nodes), or NULL. */
static inline const void *yolo_exec_node_data(const struct yolo_exec *x, const struct yolo_node *n)
{
    return x->node_data ? x->node_data[n - x->g->nodes] : NULL;
}

/* A host kernel computes node n; threads 0..nth-1 each call it with their ith and must
 * together cover all the work (a kernel that does not split work does it all when ith == 0
 * and returns at once otherwise). */
typedef void (*yolo_kernel_fn)(const struct yolo_exec *x, const struct yolo_node *n,
                               int ith, int nth);

/* One op's definition. Backends add kernels for it elsewhere (core/<backend>/). */
struct yolo_op_impl {
    const char *onnx_name;      /* NULL for project-internal ops */
    const char *display_name;   /* the stable name (engine files, messages, `yolo info`) */
    /* Reads ONNX attributes into n->params; checks input/output counts. May be NULL. */
    int (*import_fn)(struct yolo_graph *g, struct yolo_node *n, struct yolo_attrs *a,
                     struct yolo_diag *d);
    /* Sets dtype and shape of every output from the inputs' (const inputs may be read with
     * yolo_graph_const_data). Validates everything a kernel relies on: a graph that passes
     * shape_fn never makes a kernel read or write out of bounds. Called again on engine
     * load to re-check a hostile file. */
    int (*shape_fn)(struct yolo_graph *g, struct yolo_node *n, struct yolo_diag *d);
    yolo_kernel_fn ref_fn;      /* naive reference kernel: the oracle for tests */
    /* Multiply-accumulates of this node (for GFLOP/s reports). May be NULL. */
    double (*flops_fn)(const struct yolo_graph *g, const struct yolo_node *n);
};

#define YOLO_OP(id, onnx, stem) extern const struct yolo_op_impl yolo_op_##stem;
#include "ops.def"
#undef YOLO_OP
const struct yolo_op_impl *yolo_op_impl_get(enum yolo_op op);   /* NULL if out of range */
/* The op whose ONNX name is `onnx_name`, or YOLO_OP_COUNT if none. */
enum yolo_op yolo_op_from_onnx(const char *onnx_name);

#endif
