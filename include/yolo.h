/* yolo.h: the one public header of the yolo library.
 *
 * Compile a YOLO detector exported to ONNX into an engine file once, then load it and detect:
 *
 *     struct yolo_diag diag;
 *     yolo_build("yolov8n.onnx", "yolov8n.engine", NULL, NULL, &diag);        // once, offline
 *
 *     struct yolo_model *model;  struct yolo_ctx *ctx;  struct yolo_result res;
 *     if (yolo_model_load("yolov8n.engine", NULL, &model, &diag) ||
 *         yolo_ctx_create(model, NULL, &ctx, &diag)) { fprintf(stderr, "%s\n", diag.msg); return 1; }
 *     struct yolo_image img = { pixels, width, height, stride_bytes, YOLO_PIXEL_BGR };
 *     if (yolo_detect(ctx, &img, &res, &diag) == YOLO_OK)
 *         for (int32_t i = 0; i < res.n_dets; i++)
 *             printf("%s %.2f %.0f %.0f %.0f %.0f\n", res.dets[i].name, res.dets[i].conf,
 *                    res.dets[i].x1, res.dets[i].y1, res.dets[i].x2, res.dets[i].y2);
 *     yolo_ctx_free(ctx);  yolo_model_free(model);
 *
 * Errors: every function that can fail returns an enum yolo_status (YOLO_OK = 0, errors are
 * negative) and, when the caller passes a struct yolo_diag, writes a one-line message there:
 * the file first, then the object (node, section, image), then the problem. The diagnostic is
 * caller-owned; the library keeps no global error state and never prints or exits.
 *
 * Ownership words used below: "borrowed" = the library reads it during the call only;
 * "retained" = the library keeps a reference (the caller may free its own); "transferred" =
 * the callee now owns it.
 */
#ifndef YOLO_H
#define YOLO_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Marks what libyolo.so exports: the library is compiled with -fvisibility=hidden, so these
 * declarations are its whole ABI (core/base/status.h defines the same macro). */
#ifndef YOLO_API
#if defined(__GNUC__) || defined(__clang__)
#define YOLO_API __attribute__((visibility("default")))
#else
#define YOLO_API
#endif
#endif

/* (core/yolo_core.h defines the same two types under the same guard) */
#ifndef YOLO_STATUS_DEFINED
#define YOLO_STATUS_DEFINED
enum yolo_status {
    YOLO_OK              =  0,
    YOLO_ERR_ARG         = -1, /* bad argument from the caller (usage error in the CLI) */
    YOLO_ERR_NOMEM       = -2, /* an allocation failed */
    YOLO_ERR_IO          = -3, /* open/read/write/rename failed */
    YOLO_ERR_FORMAT      = -4, /* malformed or truncated file, corrupt data */
    YOLO_ERR_VERSION     = -5, /* engine of another major version: rebuild it */
    YOLO_ERR_UNSUPPORTED = -6, /* valid input this build cannot handle (op, attribute, size) */
    YOLO_ERR_INTERNAL    = -7  /* a bug: an invariant did not hold */
};

#define YOLO_DIAG_MSG_BYTES 512

struct yolo_diag {
    enum yolo_status status;
    char             msg[YOLO_DIAG_MSG_BYTES];
};

/* A short fixed name for a status ("out of memory", "format error", ...). Never NULL. */
YOLO_API const char *yolo_status_str(enum yolo_status s);
#endif



/* ======================================================================= building engines */

/* Log callback for long operations (warnings, progress). The library never prints. */
typedef void (*yolo_message_fn)(void *user, int level /* 0 error, 1 warn, 2 info */, const char *msg);

struct yolo_build_params {
    int32_t imgsz_h, imgsz_w;  /* input size; 0 = the model's (fixed dims, else 'imgsz' metadata, else 640) */
    int32_t max_batch;         /* largest batch a context can run; 0 = 1 (or the model's fixed batch) */
    yolo_message_fn message_fn;/* warnings (ignored ONNX attributes, ...); may be NULL */
    void   *message_user;
    /* int8 post-training quantization (yolo build --int8): Convs run on int8 with per-channel
     * symmetric weights and activation ranges measured on calib_paths[0 .. n_calib) through
     * the letterbox; the detection head's decode (DFL, box decode, concat) stays float, and
     * so do the Convs named in keep_float (a trailing '*' matches a name prefix). */
    int32_t int8;                        /* 1: quantize (needs n_calib >= 1) */
    const char *const *calib_paths;      /* borrowed for the call */
    int32_t n_calib;
    const char *const *keep_float;       /* borrowed; may be NULL */
    int32_t n_keep_float;
    int32_t calib_method;                /* 0 = mse (default), 1 = percentile, 2 = min-max */
    double  calib_pct;                   /* percentile: tail dropped at each end (0 = 1e-4) */
    int32_t calib_threads;               /* threads for the calibration runs (0 = 1) */
    void  (*progress_fn)(void *user, int32_t done, int32_t total);  /* may be NULL */
    void   *progress_user;
    /* bf16 (yolo build --bf16): the same Convs --int8 would quantize get bfloat16 weights
     * (rounded at build) and, on CPUs with AVX512_BF16, bfloat16 activations with float32
     * sums; bias and activation stay float32. Not with int8; keep_float applies. */
    int32_t bf16;
};
YOLO_API void yolo_build_params_default(struct yolo_build_params *p);

struct yolo_build_report {
    int32_t  nodes_imported, nodes_final;  /* ONNX nodes, engine nodes after optimization */
    int32_t  n_folded, n_bn_folded, n_act_fused, n_noops;
    uint64_t arena_bytes;                  /* activation memory one context allocates */
    uint64_t sum_tensor_bytes;             /* what it would be if no tensor shared memory */
    uint64_t weight_bytes;
    char     format[8];                    /* "v5", "v8" or "e2e" */
    int32_t  n_classes, input_h, input_w, max_batch;
};

/* Compiles an ONNX model into an engine file (written to a temp name, then renamed).
 * p, report, diag may be NULL. Thread-safe (no shared state). */
YOLO_API int yolo_build(const char *onnx_path, const char *engine_path, const struct yolo_build_params *p,
               struct yolo_build_report *report, struct yolo_diag *diag);

/* ======================================================================= models and contexts */

struct yolo_model;   /* a loaded engine: weights (mmap'd), graph, class names. Read-only,
                        reference counted, shared by every context made from it. */
struct yolo_ctx;     /* one execution context: its own activation arena, input tensor,
                        threads and results. Used by one thread at a time. */

enum yolo_output_format { YOLO_FORMAT_V5 = 5, YOLO_FORMAT_V8 = 8, YOLO_FORMAT_E2E = 10 };

struct yolo_model_params {
    const char *isa;            /* "ref" | "avx2" | "avx512" | NULL: the best this CPU has
                                   (the YOLO_ISA environment variable overrides NULL) */
    int32_t     no_verify;      /* 1: skip the CRC of the weights section (faster load) */
    const char *backend;        /* where it runs: "cpu" | "cuda" (NULL = "cpu"); yolo_backends()
                                   lists what this build has ("cuda": builds made with CUDA=1) */
    int32_t     raw;            /* 1: any engine, for raw tensors only (yolo_ctx_forward):
                                   no detector checks, and yolo_detect refuses it */
    int32_t     device;         /* which GPU for "cuda" (cuda:N); 0 = the first */
    const char *precision;      /* "fp32" (NULL) | "fp16": the GPU's arithmetic; FP16 stores
                                   activations and weights in half precision with FP32
                                   accumulation, the head's box decode in FP32 (CPU: FP32) */
};
YOLO_API void yolo_model_params_default(struct yolo_model_params *p);

/* Loads an engine file. The model lives until yolo_model_free and the last context made from
 * it are gone. Thread-safe. */
YOLO_API int  yolo_model_load(const char *engine_path, const struct yolo_model_params *p,
                     struct yolo_model **out, struct yolo_diag *diag);
YOLO_API void yolo_model_free(struct yolo_model *m);   /* drops the caller's reference; NULL ok */

struct yolo_model_info {
    int32_t input_w, input_h;   /* the letterbox size, e.g. 640 x 640 */
    int32_t max_batch;
    int32_t n_classes;
    int32_t stride;
    enum yolo_output_format format;
    const char *const *class_names;   /* n_classes names, owned by the model */
    const char *isa;                  /* kernels in use */
    const char *backend;              /* "cpu" */
    const char *precision;            /* the build's: "fp32" */
};
YOLO_API void yolo_model_get_info(const struct yolo_model *m, struct yolo_model_info *info);

/* ======================================================================= inside an engine
 * What `yolo info`, `yolo bench` and `yolo infer` show and do, for any program: the engine's
 * tensors, nodes, sections and metadata, raw tensors in and out, per-node timing. Strings
 * and arrays returned are owned by the model and live as long as it. All thread-safe. */

/* The backends compiled into this build, comma separated ("cpu"). Never NULL. */
YOLO_API const char *yolo_backends(void);
/* "0.1.0 (abc1234)": the library's version and git commit. YOLO_VERSION_* are the header's. */
#define YOLO_VERSION_MAJOR 0
#define YOLO_VERSION_MINOR 1
#define YOLO_VERSION_PATCH 0
#define YOLO_VERSION_STRING "0.1.0"
YOLO_API const char *yolo_version(void);

struct yolo_engine_summary {
    uint32_t format_major, format_minor;   /* engine file format */
    uint64_t file_bytes;
    int32_t  n_inputs, n_outputs, n_nodes, n_sections, n_meta, n_labels;
    uint64_t arena_bytes;                  /* one context's activations (planned) */
    uint64_t intermediate_bytes;           /* all intermediate tensors, were none shared */
    int32_t  n_intermediate, n_views;      /* intermediate tensors; of them, free views */
    uint64_t weight_bytes;                 /* as stored, shared by every context */
    int32_t  n_weights;
    uint64_t prepared_bytes;               /* the backend's own copy made at load (packed) */
    double   gflop;                        /* multiply-adds x 2 of one run */
    const char *backend, *variant, *precision;   /* "cpu", "avx512", "fp32" */
};
YOLO_API void yolo_model_summary(const struct yolo_model *m, struct yolo_engine_summary *s);

#define YOLO_TENSOR_MAX_DIMS 8
struct yolo_tensor_desc {
    const char *name;
    const char *dtype;                     /* "float32", "int64", ... */
    int32_t     ndim;
    int64_t     shape[YOLO_TENSOR_MAX_DIMS];
    uint64_t    bytes;
};
/* Graph input / output i (0 <= i < n_inputs / n_outputs). Returns YOLO_ERR_ARG if out of range. */
YOLO_API int yolo_model_input(const struct yolo_model *m, int32_t i, struct yolo_tensor_desc *t);
YOLO_API int yolo_model_output(const struct yolo_model *m, int32_t i, struct yolo_tensor_desc *t);

#define YOLO_NODE_MAX_IO 16
struct yolo_node_desc {
    const char *op;                        /* the op's stable name: "Conv", "SiLU", ... */
    const char *name;                      /* the ONNX node's */
    const char *kernel;                    /* what the backend runs: "winograd-f4x4", "avx512",
                                              "ref", "alias" (a view: nothing runs) */
    const char *activation;                /* fused into a Conv: "SiLU", "Sigmoid", "Relu" or NULL */
    int32_t     n_in, n_out;
    const char *in[YOLO_NODE_MAX_IO];      /* tensor names; NULL for an absent optional input */
    const char *out[YOLO_NODE_MAX_IO];
    const char *out0_dtype;                /* the first output's dtype and shape */
    int32_t     out0_ndim;
    int64_t     out0_shape[YOLO_TENSOR_MAX_DIMS];
    double      flops;                     /* multiply-adds x 2; 0 if not counted */
};
YOLO_API int yolo_model_node(const struct yolo_model *m, int32_t i, struct yolo_node_desc *n);
/* Metadata entry i (builder, source ONNX, precision, ...), in file order. */
YOLO_API int yolo_model_meta(const struct yolo_model *m, int32_t i, const char **key, const char **value);
/* Section i of the file: tag ("META", "WGHT", ...), placement and checksum. */
struct yolo_section_desc { char tag[5]; uint64_t offset, bytes; uint32_t crc32; };
YOLO_API int yolo_model_section(const struct yolo_model *m, int32_t i, struct yolo_section_desc *s);
/* Class name i (0 <= i < n_labels). */
YOLO_API const char *yolo_model_label(const struct yolo_model *m, int32_t i);

/* Raw tensors: copy input i in (bytes must equal its size), run the graph, copy output i out.
 * No letterbox, no decoding. For any model, raw or detector. */
YOLO_API int yolo_ctx_set_input(struct yolo_ctx *c, int32_t i, const void *data, uint64_t bytes,
                       struct yolo_diag *diag);
YOLO_API int yolo_ctx_forward(struct yolo_ctx *c, struct yolo_diag *diag);
YOLO_API int yolo_ctx_get_output(struct yolo_ctx *c, int32_t i, void *data, uint64_t bytes,
                        struct yolo_diag *diag);
/* Per-node timing: while node_ms is not NULL (n_nodes doubles, caller-owned), every run of
 * the graph adds each node's wall time in ms to its entry. */
YOLO_API void yolo_ctx_profile(struct yolo_ctx *c, double *node_ms);

/* The machine as the library sees it: CPU model, the best kernel family it has, the BLAS. */
struct yolo_system_info { char cpu[64]; const char *isa_best; char blas[128]; int32_t cores; };
YOLO_API void yolo_system_info(struct yolo_system_info *s);
/* SHA-256 of a file as 64 hex digits (e.g. an engine's, for reports). */
YOLO_API int yolo_file_sha256(const char *path, char hex[65], struct yolo_diag *diag);

struct yolo_ctx_params {
    int32_t n_threads;          /* threads for one inference; 0 = 1 */
    float   conf;               /* confidence threshold (strict >); 0 = 0.25 */
    double  iou;                /* NMS IoU threshold (compared in double, as torchvision); 0 = 0.7 */
    int32_t max_det;            /* 0 = 300 */
    int32_t agnostic;           /* 1: NMS across classes */
    const int32_t *classes;     /* keep only these class ids (copied); NULL = all */
    int32_t n_classes_keep;
};
YOLO_API void yolo_ctx_params_default(struct yolo_ctx_params *p);

/* Creates a context on m (retained). p NULL = defaults. */
YOLO_API int  yolo_ctx_create(struct yolo_model *m, const struct yolo_ctx_params *p, struct yolo_ctx **out,
                     struct yolo_diag *diag);
/* A new context on the same model with the same parameters: shares the weights, allocates
 * only its own arena, scratch and buffers. src is borrowed; clones are independent after. */
YOLO_API int  yolo_ctx_clone(const struct yolo_ctx *src, struct yolo_ctx **out, struct yolo_diag *diag);
YOLO_API void yolo_ctx_free(struct yolo_ctx *c);       /* NULL ok */
/* Bytes this context allocated (arena + scratch + I/O buffers, and on a GPU its staging). */
YOLO_API uint64_t yolo_ctx_memory_bytes(const struct yolo_ctx *c);
/* Bytes in use now on the GPU model m runs on, by every process (cudaMemGetInfo): what
 * creating or cloning a context adds is the difference before and after. Returns 0, or
 * YOLO_ERR_UNSUPPORTED for a model on the CPU. */
YOLO_API int yolo_model_device_memory_used(const struct yolo_model *m, uint64_t *bytes);

/* ======================================================================= detection */

enum yolo_pixel_format { YOLO_PIXEL_BGR = 0, YOLO_PIXEL_RGB = 1 };

struct yolo_image {             /* 8-bit, 3 channels interleaved; borrowed by every call */
    const uint8_t *data;
    int32_t width, height;
    int32_t stride_bytes;       /* bytes from one row to the next (>= 3 * width) */
    enum yolo_pixel_format format;
};

struct yolo_det {
    int32_t cls;
    float   conf;
    float   x1, y1, x2, y2;     /* original-image pixels, clipped to the image */
    const char *name;           /* class name, owned by the model */
};

struct yolo_result {
    const struct yolo_det *dets;/* owned by the context: valid until its next detect call */
    int32_t n_dets;
    int32_t width, height;      /* of the image */
    double  ms_preprocess, ms_inference, ms_postprocess;
    int32_t n_invalid;          /* end-to-end models: output rows detect dropped as broken (a
                                   class id outside the model's classes, a NaN or infinite box
                                   or score). Callers should warn. */
};

/* Detects objects in one image: letterbox, inference, decode, NMS, scale back. */
YOLO_API int yolo_detect(struct yolo_ctx *c, const struct yolo_image *img, struct yolo_result *res,
                struct yolo_diag *diag);
/* n images (1 <= n <= max_batch) in one inference; res[] gets n results. */
YOLO_API int yolo_detect_batch(struct yolo_ctx *c, const struct yolo_image *imgs, int32_t n,
                      struct yolo_result *res, struct yolo_diag *diag);

/* Pipelined detection, yolo_detect_batch in two halves. yolo_detect_submit queues a batch of
 * n images (1 <= n <= max_batch) and returns once their pixels are copied: the caller may
 * reuse the images then. yolo_detect_collect waits for the oldest batch queued and gives its
 * results, res[0..*n_out), valid until the context's next collect or detect call. Up to 2
 * batches are in flight per context: on a GPU (--device cuda) the upload of one overlaps the
 * inference of the other, with no host wait inside a batch; on the CPU, submit does all the
 * work and collect hands it out. A submit that fails queues nothing; a batch whose work fails
 * is reported by its collect, which frees its place. yolo_detect_batch refuses to run while
 * batches are in flight. */
YOLO_API int yolo_detect_submit(struct yolo_ctx *c, const struct yolo_image *imgs, int32_t n,
                                struct yolo_diag *diag);
YOLO_API int yolo_detect_collect(struct yolo_ctx *c, struct yolo_result *res, int32_t *n_out,
                                 struct yolo_diag *diag);
/* Batches submitted and not yet collected (0, 1 or 2). */
YOLO_API int yolo_ctx_in_flight(const struct yolo_ctx *c);

/* Where a batch's time goes on a GPU context whose whole pipeline runs on the device (the
 * u8 upload, letterbox, network, decode and NMS): the stages timed on the GPU with CUDA
 * events, from the batch's first upload to its kept boxes in host memory, in ms. upload_ms
 * includes waiting for the host's copies into page-locked memory (frames in ordinary
 * memory); the others are the device's time for that stage, gaps included. */
struct yolo_stage_times { double upload_ms, letterbox_ms, network_ms, select_ms, download_ms; };
/* Turns the timing on (batches submitted from now on are timed; a few microseconds each) or
 * off. YOLO_ERR_UNSUPPORTED on a context that does not run the pipeline on a GPU. */
YOLO_API int yolo_ctx_time_stages(struct yolo_ctx *c, int on, struct yolo_diag *diag);
/* The stages of the last timed batch collected: 0, or -1 when there is none. */
YOLO_API int yolo_ctx_stage_times(const struct yolo_ctx *c, struct yolo_stage_times *t);

/* Host memory for frames that go to a GPU: page-locked when this build has CUDA and a GPU is
 * there (the copy engine reads it directly: a context on --device cuda uploads such images
 * with no copy into its own page-locked buffer: 0.23-0.38 ms less per 1280x720 frame end to
 * end on an H100 machine, tests/perf/results-cuda.md), ordinary
 * memory otherwise. 64-byte aligned; NULL when out of memory (bytes 0 too). Free with
 * yolo_host_free (NULL ok). Page-locking is slow to set up (milliseconds) and takes memory from
 * the system: allocate frame buffers once and reuse them. Any images work either way. */
YOLO_API void *yolo_host_alloc(uint64_t bytes);
YOLO_API void  yolo_host_free(void *p);

/* ======================================================================= image files */

/* An image decoded from a file (JPEG, PNG, BMP, ... as OpenCV reads them, EXIF orientation
 * applied), BGR. Owned by the caller: free with yolo_image_free. */
YOLO_API int  yolo_image_read(const char *path, struct yolo_image *img, struct yolo_diag *diag);
/* Same, for files from strangers (what `yolo detect` uses): refuses (YOLO_ERR_UNSUPPORTED)
 * an image of more than max_pixels pixels (width x height; 0 = no limit) from the file's
 * header before decoding for PNG, JPEG, BMP, WebP, TIFF, PNM/PAM/PFM, Sun raster and
 * JPEG 2000 (so a small corrupt file that claims huge dimensions costs no memory), from the
 * decoded size for anything else; and refuses Radiance HDR, OpenEXR, PFM, Sun raster and
 * DICOM files (OpenCV decodes those through temporary files, and with corrupt ones leaves
 * them behind, leaks file descriptors or aborts the process). yolo_image_read applies the
 * same format policy. */
YOLO_API int  yolo_image_read_limited(const char *path, int64_t max_pixels, struct yolo_image *img,
                             struct yolo_diag *diag);
/* The pixels (width x height) the header of the image file at path declares, read from its
 * first MiB without decoding (the formats yolo_image_read_limited probes); -1 when the file
 * cannot be read or its header is not understood (then only decoding tells). For callers
 * that share one pixel budget among the images they decode at once. Thread-safe. */
YOLO_API int64_t yolo_image_header_pixels(const char *path);
YOLO_API void yolo_image_free(struct yolo_image *img);
/* Writes img to path, format from the extension (.jpg .png .bmp ...), temp name + rename. */
YOLO_API int  yolo_image_write(const char *path, const struct yolo_image *img, struct yolo_diag *diag);

struct yolo_draw_params {
    int32_t line_width;         /* 0 = from the image size, as Ultralytics */
    int32_t hide_labels, hide_conf;
};
/* Draws boxes and label tags into img (pixels modified in place; data must be writable). */
YOLO_API void yolo_draw(struct yolo_image *img, const struct yolo_result *res, const struct yolo_draw_params *p);


/* ======================================================================= text outputs */

/* One detection as a JSON object, the format of `yolo detect --json` and of the golden files:
 * {"cls": 0, "name": "person", "conf": 0.92325133, "box": [672.2517, 374.39337, 807.2673, 876.00354]}
 * (floats in shortest round-trip float32 form). snprintf semantics: returns the full length. */
YOLO_API int yolo_format_det_json(char *buf, size_t cap, const struct yolo_det *det);
/* s as a JSON string, quotes included: '"', '\\' and control characters escaped, valid UTF-8
 * kept as it is, and each byte that is not part of valid UTF-8 (a Latin-1 file name, say)
 * written as \udcXX, XX its value, the way Python's "surrogateescape" decodes such bytes: the
 * output is always JSON, and the bytes come back exactly (Python: os.fsencode(json.loads(..))
 * or .encode("utf-8", "surrogateescape"); yolo's own JSON reader: the bytes themselves).
 * The writer of every JSON output of the CLI. snprintf semantics: returns the full length
 * (buf may be NULL with cap 0 to measure); -1 if s is NULL. */
YOLO_API int yolo_json_escape(char *buf, size_t cap, const char *s);
/* One YOLO txt label line "cls xc yc w h[ conf]\n", normalized by the image size. */
YOLO_API int yolo_format_det_txt(char *buf, size_t cap, const struct yolo_det *det, int32_t img_w,
                        int32_t img_h, int32_t with_conf);

/* ======================================================================= dynamic batching */

/* A batcher runs frames from many producers (streams) on a pool of cloned contexts, each on
 * its own worker thread. Frames wait in one queue in submission order; an idle worker takes
 * up to max_batch of them at once, waiting at most timeout_ms for a group to fill, and runs
 * the group in engine calls of up to the engine's max batch (an engine built for batch 1,
 * like a model exported with a fixed batch of 1, runs the group one frame per call: same
 * results, the grouping then only shares the dispatch). Each stream gets its results back
 * in the order it submitted, whatever worker ran them and in what group.
 *
 *     struct yolo_batcher_params bp;  yolo_batcher_params_default(&bp);
 *     bp.n_instances = 4;  bp.max_batch = 8;  bp.timeout_ms = 10;
 *     yolo_batcher_create(ctx, &bp, &b, &diag);          // ctx may be freed after this
 *     yolo_batcher_stream_open(b, 16, &s, &diag);        // one per producer (camera, file)
 *     yolo_batcher_submit(s, &frame_k, user_k, &diag);   // from the producer's thread
 *     yolo_batcher_next(s, dets, max_det, &res, &user, &diag);  // oldest result of s
 *     yolo_batcher_stream_close(s);  yolo_batcher_free(b);
 *
 * Thread safety: submit may be called from any number of threads at once, on the same or
 * different streams (frames of one stream are ordered by the order the calls take effect).
 * next on one stream is for one thread at a time (any thread: often not the producer).
 * stream_close and free must not run concurrently with other calls on what they close.
 * Inference itself takes no lock: one short mutex guards the queue and the result slots. */
struct yolo_batcher;
struct yolo_batcher_stream;

struct yolo_batcher_params {
    int32_t n_instances;        /* contexts (clones) and worker threads; 0 = 1 */
    int32_t max_batch;          /* most frames dispatched together; 0 = 1 (no grouping) */
    double  timeout_ms;         /* longest the oldest queued frame waits for its group to
                                   fill; 0 = dispatch what is queued at once */
};
YOLO_API void yolo_batcher_params_default(struct yolo_batcher_params *p);

/* Creates a batcher with p->n_instances clones of ctx (same model and parameters; see
 * yolo_ctx_clone) and starts their worker threads. ctx is borrowed for the call only: the
 * caller may free or keep using it. p NULL = defaults. */
YOLO_API int  yolo_batcher_create(const struct yolo_ctx *ctx, const struct yolo_batcher_params *p,
                         struct yolo_batcher **out, struct yolo_diag *diag);
/* Finishes every frame already queued, stops and joins the workers, closes any stream still
 * open and frees the contexts. NULL ok. No other call on b or its streams may be running. */
YOLO_API void yolo_batcher_free(struct yolo_batcher *b);

/* Opens a stream with room for `depth` frames in flight (1..4096): submitted and not yet
 * returned by next. A submit beyond that blocks until next frees a slot, so a thread that
 * both submits and takes results must not submit more than depth frames ahead. The stream
 * is owned by b (closed by yolo_batcher_free if not before). */
YOLO_API int  yolo_batcher_stream_open(struct yolo_batcher *b, int32_t depth, struct yolo_batcher_stream **out,
                              struct yolo_diag *diag);
/* Drops frames of s still queued, waits for those being run, and frees s. NULL ok. Results
 * not taken are lost; images s still borrowed are released. */
YOLO_API void yolo_batcher_stream_close(struct yolo_batcher_stream *s);

/* Queues one image. img->data is borrowed until yolo_batcher_next has returned this frame's
 * result (the pixels must not change until then); the struct itself is copied. user is an
 * opaque tag handed back with the result. Blocks while s has depth frames in flight.
 * Errors: YOLO_ERR_ARG (bad image; nothing queued), also when s is being closed. */
YOLO_API int  yolo_batcher_submit(struct yolo_batcher_stream *s, const struct yolo_image *img, void *user,
                         struct yolo_diag *diag);
/* Waits for the oldest frame of s whose result was not returned yet and returns it: its
 * detections are copied into the caller's dets[0..cap) (cap = the context's max_det keeps
 * them all; more are dropped), *res describes them (res->dets = dets) and *user gets the
 * frame's tag (user may be NULL). From here the frame's image is no longer borrowed. The
 * return value is that frame's detection status: a frame that failed gives its error and
 * message (res->n_dets = 0); the stream goes on. YOLO_ERR_ARG when every frame submitted so
 * far was already returned (nothing to wait for: the caller counts its submissions). */
YOLO_API int  yolo_batcher_next(struct yolo_batcher_stream *s, struct yolo_det *dets, int32_t cap,
                       struct yolo_result *res, void **user, struct yolo_diag *diag);

/* yolo_batcher_next without the copy, for a consumer that only reads the detections: waits
 * for the oldest frame of s not yet released and describes it in *res, whose dets point into
 * the stream's own storage (res->n_dets of them, at most the context's max_det), valid until
 * yolo_batcher_release(s); calling wait again before that returns the same frame. The frame's
 * image is no longer read once wait returns (the caller may draw on it). Return value, *user and diag as yolo_batcher_next. One
 * thread at a time per stream, as next. */
YOLO_API int  yolo_batcher_wait(struct yolo_batcher_stream *s, struct yolo_result *res, void **user,
                       struct yolo_diag *diag);
/* Ends the frame yolo_batcher_wait returned: its slot is free for a submit, its image no longer
 * borrowed, res->dets no longer valid. Nothing happens when no finished frame is waiting. */
YOLO_API void yolo_batcher_release(struct yolo_batcher_stream *s);

struct yolo_batcher_stats {
    int64_t n_frames;           /* frames run */
    int64_t n_groups;           /* dispatches (groups taken from the queue) */
    int64_t n_engine_calls;     /* inference calls: groups split by the engine's max batch */
    int32_t max_group;          /* largest group dispatched */
    int32_t engine_max_batch;   /* the engine's max batch */
    int32_t n_instances;        /* contexts (workers) */
    double  busy_ms;            /* summed over the workers: time with an engine call under way
                                   (submitting, or waiting for one in flight); against
                                   n_instances x the run's wall time it says whether the
                                   engine or the frames' supply was the bottleneck */
};
YOLO_API void yolo_batcher_get_stats(struct yolo_batcher *b, struct yolo_batcher_stats *st);
/* Memory of the batcher's contexts (yolo_ctx_memory_bytes, summed, as of each worker's last
 * finished group) and its result slots. Safe to call while frames are in flight. */
YOLO_API uint64_t yolo_batcher_memory_bytes(struct yolo_batcher *b);

/* ======================================================================= tracking (ByteTrack)
 * (issue 15: this block is the tracker's public API, kept in one piece at the end.)
 *
 * Multi-object tracking by detection with Ultralytics' ByteTrack semantics: a Kalman filter on
 * (centre x, centre y, aspect w/h, height) per track; each frame, high-score detections
 * (>= track_high_thresh) are matched first to the tracked and lost tracks by IoU (fused with
 * the score), then low-score ones (track_low_thresh < score < track_high_thresh) to the tracks
 * still unmatched (IoU > 0.5); a new track is started from an unmatched high-score detection
 * of score >= new_track_thresh and confirmed when it is matched again in the next frame (at
 * once on the first frame); a lost track is kept for int(frame_rate / 30 * track_buffer)
 * frames and keeps its ID when found again. IDs count from 1 per tracker.
 *
 *     struct yolo_tracker_params tp;  yolo_tracker_params_default(&tp);  tp.frame_rate = 25;
 *     struct yolo_tracker *t;  yolo_tracker_create(&tp, &t, &diag);
 *     for each frame in order:                       // one tracker per stream
 *         yolo_tracker_update(t, res.dets, res.n_dets, tracks, cap, &n, &diag);
 *         for (i < n) tracks[i].id, tracks[i].det (index into res.dets), box ...
 *     yolo_tracker_free(t);
 *
 * Thread safety: a tracker is for one thread at a time; different trackers are independent.
 * No allocation happens per frame once the largest frame so far has been seen. */
struct yolo_tracker;

struct yolo_tracker_params {
    float   track_high_thresh;  /* first association (default 0.25) */
    float   track_low_thresh;   /* second association above this (default 0.1) */
    float   new_track_thresh;   /* start a track from an unmatched detection (default 0.25) */
    int32_t track_buffer;       /* frames (at 30 fps) a lost track is kept (default 30) */
    float   match_thresh;       /* first association: cost 1 - IoU (x score) at most this (0.8) */
    int32_t no_fuse_score;      /* 1: plain IoU cost in the first association (default: fused) */
    double  frame_rate;         /* of the frames given (default 30): scales track_buffer */
};
/* The defaults above. A zeroed field also means its default (thresholds > 0). */
YOLO_API void yolo_tracker_params_default(struct yolo_tracker_params *p);

/* A track reported for the current frame (confirmed and matched in it). */
struct yolo_track {
    int64_t id;                 /* 1, 2, ... per tracker, never reused */
    int32_t det;                /* index of the matched detection in this update's input */
    int32_t cls;                /* that detection's class and score */
    float   conf;
    float   x1, y1, x2, y2;     /* the Kalman filter's box after this frame's measurement */
};

/* p NULL = defaults. Errors: YOLO_ERR_ARG (a threshold outside [0, 1], negative buffer or
 * frame rate), YOLO_ERR_NOMEM. */
YOLO_API int  yolo_tracker_create(const struct yolo_tracker_params *p, struct yolo_tracker **out,
                         struct yolo_diag *diag);
YOLO_API void yolo_tracker_free(struct yolo_tracker *t);                 /* NULL ok */
/* Forgets every track and restarts IDs at 1 (a new sequence). */
YOLO_API void yolo_tracker_reset(struct yolo_tracker *t);
/* Advances the tracker by one frame with its detections dets[0..n) (borrowed; boxes with no
 * area are ignored) and writes the frame's tracks to out[0..cap), *n_out of them (tracks
 * beyond cap are dropped from out only). Errors: YOLO_ERR_ARG, YOLO_ERR_NOMEM (the tracker
 * is then unchanged). */
YOLO_API int  yolo_tracker_update(struct yolo_tracker *t, const struct yolo_det *dets, int32_t n,
                         struct yolo_track *out, int32_t cap, int32_t *n_out, struct yolo_diag *diag);
/* Frames seen since create or reset. */
YOLO_API int64_t yolo_tracker_frames(const struct yolo_tracker *t);

/* ----------------------------------------------------------------------- counting
 * Line crossings and zone occupancy from tracks, in the pixel coordinates of the frames.
 * An object's position is its box centre. A line x1,y1 -> x2,y2 is crossed when the
 * segment between a track's previous and current centre intersects it; "in" is a crossing
 * from the line's right to its left side looking from (x1,y1) to (x2,y2) (counter-clockwise
 * in image coordinates, y down: a line drawn left to right is crossed "in" going up), "out"
 * the other way. Each track counts at most once per line (its first crossing). A zone is a
 * polygon (3..64 points): each frame counts the objects whose centre is inside; a track
 * entering (outside in its previous frame, inside now) or leaving counts an entry or exit. */
#define YOLO_COUNT_MAX_CLASSES 1024
#define YOLO_COUNT_MAX_POINTS 64
struct yolo_counter;
struct yolo_count_shape {
    int32_t is_zone;                     /* 0: a line (2 points), 1: a zone (3..64 points) */
    int32_t n_points;
    float   pts[2 * YOLO_COUNT_MAX_POINTS];  /* x0, y0, x1, y1, ... */
};
YOLO_API int  yolo_counter_create(const struct yolo_count_shape *shapes, int32_t n_shapes,
                         struct yolo_counter **out, struct yolo_diag *diag);
YOLO_API void yolo_counter_free(struct yolo_counter *c);                 /* NULL ok */
/* Feeds one frame's tracks (in frame order). */
YOLO_API int  yolo_counter_update(struct yolo_counter *c, const struct yolo_track *tracks, int32_t n,
                         struct yolo_diag *diag);
/* Counts of shape s: totals since create, per class (cls < YOLO_COUNT_MAX_CLASSES) or all
 * classes (cls = -1); `inside` is the zone's count in the last frame. */
struct yolo_count {
    int64_t in, out;                     /* line: crossings; zone: entries, exits */
    int64_t inside;                      /* zone: objects inside in the last frame */
};
YOLO_API int  yolo_counter_get(const struct yolo_counter *c, int32_t s, int32_t cls, struct yolo_count *out);
/* Crossings / entries in the last frame only (for per-frame output). */
YOLO_API int  yolo_counter_get_frame(const struct yolo_counter *c, int32_t s, int32_t cls, struct yolo_count *out);

#ifdef __cplusplus
}
#endif
#endif
