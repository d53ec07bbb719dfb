/* build_model.c: `yolo build`: ONNX -> optimized, planned graph -> engine file, plus what
 * makes it a YOLO detector: input size, output layout (v5 / v8 / end-to-end) and class
 * names, recorded in the engine's META and LBLS sections. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build.h"
#include "calib.h"
#include "engine.h"
#include "names.h"
#include "onnx/onnx_import.h"
#include "sha256.h"
#include "version.h"
#include "yolo.h"

#define MAX_META 64

struct meta_list { struct yolo_kv kv[MAX_META]; char store[MAX_META][2][256]; int32_t n; };

static void meta_add(struct meta_list *m, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void meta_add(struct meta_list *m, const char *key, const char *fmt, ...)
{
    if (m->n >= MAX_META)
        return;
    va_list ap;
    va_start(ap, fmt);
    snprintf(m->store[m->n][0], sizeof m->store[0][0], "%s", key);
    vsnprintf(m->store[m->n][1], sizeof m->store[0][1], fmt, ap);
    va_end(ap);
    m->kv[m->n].key = m->store[m->n][0];
    m->kv[m->n].value = m->store[m->n][1];
    m->n++;
}

static const char *prop(const struct yolo_onnx_info *info, const char *key)
{
    for (int32_t i = 0; i < info->n_props; i++)
        if (strcmp(info->props[i].key, key) == 0)
            return info->props[i].value;
    return NULL;
}

void yolo_build_params_default(struct yolo_build_params *p)
{
    memset(p, 0, sizeof *p);
}

struct log_bridge { yolo_message_fn fn; void *user; };
static void bridge(void *user, enum yolo_log_level level, const char *msg)
{
    struct log_bridge *b = user;
    b->fn(b->user, (int)level, msg);
}

/* Reads "[640, 640]" or "640" into h, w. */
static int parse_imgsz(const char *s, int32_t *h, int32_t *w)
{
    int a, b;
    if (!s)
        return -1;
    if (sscanf(s, " [ %d , %d ]", &a, &b) == 2 || sscanf(s, " ( %d , %d )", &a, &b) == 2) {
        *h = a;
        *w = b;
        return 0;
    }
    if (sscanf(s, " %d", &a) == 1) {
        *h = *w = a;
        return 0;
    }
    return -1;
}

/* Works out the output layout from the output shape and metadata. */
static int detect_format(const struct yolo_tensor *out, const struct yolo_onnx_info *info,
                         const char **fmt, int32_t *nc, struct yolo_diag *d)
{
    const char *e2e = prop(info, "end2end");
    if (out->ndim != 3 || out->dtype != YOLO_DT_F32)
        return yolo_diag_set(d, YOLO_ERR_UNSUPPORTED, "output '%s' is not a 3-D float tensor: "
                             "not a YOLO detection model this build knows", out->name);
    int64_t a = out->shape[1], b = out->shape[2];
    if ((e2e && strcmp(e2e, "True") == 0) || (b == 6 && a >= 6 && e2e == NULL && a <= 1000 &&
                                              !prop(info, "names"))) {
        if (b != 6)
            return yolo_diag_set(d, YOLO_ERR_UNSUPPORTED, "end-to-end output '%s' must be "
                                 "[B, N, 6], got last dim %lld", out->name, (long long)b);
        *fmt = "e2e";
        *nc = -1;
        return 0;
    }
    if (b == 6 && e2e && strcmp(e2e, "True") != 0 && a < b)
        return yolo_diag_set(d, YOLO_ERR_UNSUPPORTED, "output '%s' shape not recognised", out->name);
    if (a < b) {              /* [B, 4+nc, anchors] */
        if (a < 5)
            return yolo_diag_set(d, YOLO_ERR_UNSUPPORTED, "output '%s' [B, %lld, %lld] has no class "
                                 "scores", out->name, (long long)a, (long long)b);
        *fmt = "v8";
        *nc = (int32_t)(a - 4);
    } else {                  /* [B, anchors, 5+nc] */
        if (b < 6)
            return yolo_diag_set(d, YOLO_ERR_UNSUPPORTED, "output '%s' [B, %lld, %lld] has no class "
                                 "scores", out->name, (long long)a, (long long)b);
        *fmt = "v5";
        *nc = (int32_t)(b - 5);
    }
    return 0;
}

/* A model exported with a fixed batch of 1 can still run N images at once when its only
 * batch-1 assumption is the constant target of the Reshapes in its head ([1, 144, -1]): each
 * Reshape whose data depends on the image input and whose constant target starts with 1 gets
 * the batch instead (PyTorch runs such exports batched the same way, gpu_anchor.py). A model
 * with other batch-1 assumptions fails shape inference, and its output batch is checked. */
static int rebatch_reshapes(struct yolo_graph *g, int32_t batch, struct yolo_diag *d)
{
    size_t nt0 = (size_t)(g->n_tensors ? g->n_tensors : 1);
    uint8_t *dyn = calloc(nt0, 1);
    int32_t *from_constant = malloc(sizeof(int32_t) * nt0);   /* Constant node's value tensor */
    if (!dyn || !from_constant) {
        free(dyn);
        free(from_constant);
        return yolo_diag_set(d, YOLO_ERR_NOMEM, "out of memory");
    }
    for (size_t t = 0; t < nt0; t++)
        from_constant[t] = -1;
    dyn[g->inputs[0]] = 1;
    int rc = 0;
    for (int32_t i = 0; i < g->n_nodes && !rc; i++) {   /* topological order (import sorts) */
        int any = 0;
        for (int k = 0; k < g->nodes[i].n_in; k++)
            any |= g->nodes[i].in[k] >= 0 && dyn[g->nodes[i].in[k]];
        for (int k = 0; k < g->nodes[i].n_out && any; k++)
            if (g->nodes[i].out[k] >= 0)
                dyn[g->nodes[i].out[k]] = 1;
        if (g->nodes[i].op == YOLO_OP_CONSTANT && g->nodes[i].n_in == 1 && g->nodes[i].n_out == 1 &&
            g->nodes[i].out[0] >= 0 && (size_t)g->nodes[i].out[0] < nt0)
            from_constant[g->nodes[i].out[0]] = g->nodes[i].in[0];
        if (g->nodes[i].op != YOLO_OP_RESHAPE || g->nodes[i].n_in < 2 || !dyn[g->nodes[i].in[0]])
            continue;
        int32_t st = g->nodes[i].in[1];
        if (st >= 0 && (size_t)st < nt0 && from_constant[st] >= 0)
            st = from_constant[st];   /* a Constant node's value: the const tensor behind it */
        const struct yolo_tensor *S = st >= 0 ? &g->tensors[st] : NULL;
        const int64_t *v = S ? yolo_graph_const_data(g, st) : NULL;
        if (!v || S->dtype != YOLO_DT_I64 || S->ndim != 1 || S->shape[0] < 1 ||
            S->shape[0] > YOLO_MAX_DIMS || v[0] != 1)
            continue;
        int64_t shape[YOLO_MAX_DIMS], len = S->shape[0];
        memcpy(shape, v, sizeof(int64_t) * (size_t)len);
        shape[0] = batch;
        char name[YOLO_NAME_MAX];
        snprintf(name, sizeof name, "%.100s_batch%d", S->name, batch);
        int32_t nt = yolo_graph_add_const(g, name, YOLO_DT_I64, 1, &len, shape, d);
        if (nt < 0) {
            rc = d && d->status ? d->status : YOLO_ERR_NOMEM;
            break;
        }
        g->nodes[i].in[1] = nt;       /* the old target may be shared: left as it is */
    }
    free(dyn);
    free(from_constant);
    return rc;
}

static const char *method_name(int32_t m)
{
    return m == 1 ? "percentile" : m == 2 ? "minmax" : "mse";
}

/* --int8: calibrate the optimized float graph, turn its Convs into QConv, re-plan. */
static int quantize(struct yolo_graph *g, const struct yolo_build_params *p,
                    struct yolo_build_stats *st, struct yolo_diag *d)
{
    if (p->calib_method < 0 || p->calib_method > 2)
        return yolo_diag_set(d, YOLO_ERR_ARG, "unknown calibration method %d", p->calib_method);
    if (p->n_calib < 1 || !p->calib_paths)
        return yolo_diag_set(d, YOLO_ERR_ARG, "--int8 needs calibration images (--calib DIR)");
    size_t nt = (size_t)g->n_tensors, nn = (size_t)(g->n_nodes ? g->n_nodes : 1);
    uint8_t *conv_ok = malloc(nn), *target = malloc(nt ? nt : 1);
    float *lo = malloc(sizeof(float) * (nt ? nt : 1)), *hi = malloc(sizeof(float) * (nt ? nt : 1));
    int64_t *mean_at = malloc(sizeof(int64_t) * (nt ? nt : 1)), n_mean = 0;
    double *mean = NULL;
    int rc = 0, n_q = 0, n, n_fq = 0, n_pq = 0;
    if (!conv_ok || !target || !lo || !hi || !mean_at) {
        rc = yolo_diag_set(d, YOLO_ERR_NOMEM, "out of memory quantizing");
        goto done;
    }
    yolo_quant_plan(g, p->keep_float, p->n_keep_float, conv_ok, target);
    for (size_t t = 0; t < nt; t++) {
        mean_at[t] = target[t] && g->tensors[t].ndim >= 2 ? n_mean : -1;
        n_mean += mean_at[t] >= 0 ? g->tensors[t].shape[1] : 0;
    }
    if (!(mean = calloc((size_t)(n_mean ? n_mean : 1), sizeof *mean))) {
        rc = yolo_diag_set(d, YOLO_ERR_NOMEM, "out of memory quantizing");
        goto done;
    }
    rc = yolo_calibrate(g, target, p->calib_paths, p->n_calib,
                        p->calib_method == 1 ? YOLO_CALIB_PERCENTILE
                        : p->calib_method == 2 ? YOLO_CALIB_MINMAX : YOLO_CALIB_MSE,
                        p->calib_pct > 0 ? p->calib_pct : 1e-4, p->calib_threads, p->progress_fn,
                        p->progress_user, lo, hi, mean, mean_at, d);
    if (!rc)
        rc = yolo_opt_quantize(g, conv_ok, lo, hi, mean, mean_at, &n_q, d);
    if (!rc)
        rc = yolo_opt_dce(g, &n, d);
    if (!rc)
        rc = yolo_graph_infer(g, 0, d);
    /* after inference: both read the QuantizeLinear nodes' checked scales */
    if (!rc)
        rc = yolo_opt_push_q(g, &n_pq, d);
    if (!rc && n_pq)
        rc = yolo_graph_infer(g, 0, d);
    if (!rc)
        rc = yolo_opt_fuse_qconv_q(g, &n_fq, d);
    if (!rc)
        rc = yolo_graph_infer(g, 0, d);
    if (!rc)
        rc = yolo_graph_compact(g, d);
    if (!rc)
        rc = yolo_plan(g, &st->plan, d);
    if (!rc) {
        st->n_qconv = n_q;
        st->n_conv_float = 0;
        for (int32_t i = 0; i < g->n_nodes; i++)
            st->n_conv_float += g->nodes[i].op == YOLO_OP_CONV;
        st->nodes_final = g->n_nodes;
        size_t len = strlen(st->passes);
        snprintf(st->passes + len, sizeof st->passes - len, ",calibrate(%s),quantize,%s%splan",
                 method_name(p->calib_method), n_pq ? "push_q," : "", n_fq ? "fuse_qconv_q," : "");
    }
done:
    free(conv_ok);
    free(target);
    free(lo);
    free(hi);
    free(mean);
    free(mean_at);
    return rc;
}

/* Convs with fewer products per output than this keep float32 weights under --bf16: the
 * 3-channel 3x3 stems (27). Each of their outputs sums too few products for the weights'
 * rounding errors to average out: rounding yolov8n_dq's stem alone was a third of the box
 * error of its whole bf16 engine against FP32 (16 coco128 images, mean |box - FP32| 0.205 ->
 * 0.149 px without it), and it buys no speed: the CPU backend runs them on float32 kernels
 * anyway (packing bf16 columns costs more than their products; cpu/select.c). */
#define BF16_MIN_PRODUCTS 32

/* --bf16: mark the Convs --int8 would take and round their weights (core/opt/bf16.c). No
 * calibration: bfloat16 keeps float32's exponent range, so no activation range is needed. */
static int to_bf16(struct yolo_graph *g, const struct yolo_build_params *p,
                   struct yolo_build_stats *st, struct yolo_diag *d)
{
    size_t nt = (size_t)g->n_tensors, nn = (size_t)(g->n_nodes ? g->n_nodes : 1);
    uint8_t *conv_ok = malloc(nn), *target = malloc(nt ? nt : 1);
    int rc = 0, n = 0;
    if (!conv_ok || !target)
        rc = yolo_diag_set(d, YOLO_ERR_NOMEM, "out of memory converting to bf16");
    if (!rc) {
        yolo_quant_plan(g, p->keep_float, p->n_keep_float, conv_ok, target);
        for (int32_t i = 0; i < g->n_nodes; i++) {
            const struct yolo_node *c = &g->nodes[i];
            const struct yolo_tensor *W =
                c->n_in > 1 && c->in[1] >= 0 ? &g->tensors[c->in[1]] : NULL;
            if (conv_ok[i] && W && W->ndim == 4 &&
                W->shape[1] * W->shape[2] * W->shape[3] < BF16_MIN_PRODUCTS)
                conv_ok[i] = 0;
        }
        rc = yolo_opt_bf16(g, conv_ok, &n, d);
    }
    if (!rc) {
        st->n_bf16 = n;
        st->n_conv_float -= n;
        size_t len = strlen(st->passes);
        snprintf(st->passes + len, sizeof st->passes - len, ",bf16");
    }
    free(conv_ok);
    free(target);
    return rc;
}

static int build(const char *onnx_path, const char *engine_path, const struct yolo_build_params *p,
                 struct yolo_build_report *rep, struct yolo_diag *d)
{
    struct yolo_graph g;
    struct yolo_onnx_info info;
    struct yolo_build_stats st;
    struct meta_list *meta = calloc(1, sizeof *meta);
    char **names = NULL;
    int32_t n_names = 0;
    int rc;
    struct log_bridge lb = { p->message_fn, p->message_user };
    struct yolo_logger lg = { p->message_fn ? bridge : NULL, &lb, YOLO_LOG_WARN };
    yolo_graph_init(&g);
    memset(&info, 0, sizeof info);
    if (!meta)
        return yolo_diag_set(d, YOLO_ERR_NOMEM, "out of memory");
    if ((rc = yolo_onnx_import_file(onnx_path, &g, &info, &lg, d)))
        goto done;

    /* ---- the input: one float image tensor [N, 3, H, W] */
    if (g.n_inputs != 1 || g.n_outputs < 1) {
        rc = yolo_diag_set(d, YOLO_ERR_UNSUPPORTED, "%s: %d inputs / %d outputs; a YOLO detector has "
                           "one image input", onnx_path, g.n_inputs, g.n_outputs);
        goto done;
    }
    struct yolo_tensor *in = &g.tensors[g.inputs[0]];
    if (in->ndim != 4 || in->dtype != YOLO_DT_F32 || (in->shape[1] != 3 && in->shape[1] != -1)) {
        rc = yolo_diag_set(d, YOLO_ERR_UNSUPPORTED, "%s: input '%s' is not a float [N, 3, H, W] "
                           "image tensor", onnx_path, in->name);
        goto done;
    }
    int32_t mh = 0, mw = 0, h, w;
    int fixed = in->shape[2] > 0 && in->shape[3] > 0;
    /* checked before narrowing to int32_t: 2^62 would wrap to 0 and be reported as "0x64" */
    if (fixed && (in->shape[2] > 8192 || in->shape[3] > 8192)) {
        rc = yolo_diag_set(d, YOLO_ERR_UNSUPPORTED, "%s: input '%s' is fixed at %lldx%lld, more "
                           "than the 8192x8192 this build supports", onnx_path, in->name,
                           (long long)in->shape[2], (long long)in->shape[3]);
        goto done;
    }
    if (in->shape[0] > 256) {
        rc = yolo_diag_set(d, YOLO_ERR_UNSUPPORTED, "%s: input '%s' has a fixed batch of %lld, "
                           "more than the 256 this build supports", onnx_path, in->name,
                           (long long)in->shape[0]);
        goto done;
    }
    if (fixed) {
        mh = (int32_t)in->shape[2];
        mw = (int32_t)in->shape[3];
    } else if (parse_imgsz(prop(&info, "imgsz"), &mh, &mw) != 0) {
        mh = mw = 640;
    }
    h = p->imgsz_h > 0 ? p->imgsz_h : mh;
    w = p->imgsz_w > 0 ? p->imgsz_w : mw;
    int32_t stride = 32;
    const char *ps = prop(&info, "stride");
    if (ps && atoi(ps) > 0)
        stride = atoi(ps);
    if (fixed && (h != mh || w != mw)) {
        rc = yolo_diag_set(d, YOLO_ERR_ARG, "%s: input '%s' is fixed at %dx%d; cannot build for "
                           "%dx%d (export the model with that imgsz, or with dynamic axes)",
                           onnx_path, in->name, mh, mw, h, w);
        goto done;
    }
    if (h <= 0 || w <= 0 || h > 8192 || w > 8192 || h % stride || w % stride) {
        rc = yolo_diag_set(d, YOLO_ERR_ARG, "%s: input size %dx%d must be a positive multiple of the "
                           "model stride %d, at most 8192", onnx_path, h, w, stride);
        goto done;
    }
    int32_t batch = p->max_batch > 0 ? p->max_batch : 1;
    if (batch > 256) {
        rc = yolo_diag_set(d, YOLO_ERR_ARG, "%s: batch %d is more than 256", onnx_path, batch);
        goto done;
    }
    int rebatched = 0;
    if (in->shape[0] == 1 && batch > 1 && p->max_batch > 0) {
        if ((rc = rebatch_reshapes(&g, batch, d)))
            goto done;
        in = &g.tensors[g.inputs[0]];   /* adding constants may have moved the tensors */
        in->shape[0] = batch;
        rebatched = 1;
    }
    if (in->shape[0] > 0 && in->shape[0] != batch) {
        if (p->max_batch > 0) {
            rc = yolo_diag_set(d, YOLO_ERR_ARG, "%s: input '%s' has a fixed batch of %lld; cannot "
                               "build for batch %d (export with dynamic axes)", onnx_path, in->name,
                               (long long)in->shape[0], batch);
            goto done;
        }
        batch = (int32_t)in->shape[0];
    }
    in->shape[0] = batch;
    in->shape[1] = 3;
    in->shape[2] = h;
    in->shape[3] = w;

    if ((rc = yolo_graph_optimize(&g, &st, d))) {
        if (rebatched) {
            char what[1200];
            snprintf(what, sizeof what, "%s (exported with a fixed batch of 1, it cannot be built "
                     "for batch %d: export with dynamic axes)", onnx_path, batch);
            yolo_diag_prefix(d, what);
        } else {
            yolo_diag_prefix(d, onnx_path);
        }
        goto done;
    }
    if (p->int8 && p->bf16) {
        rc = yolo_diag_set(d, YOLO_ERR_ARG, "--int8 and --bf16 exclude each other");
        goto done;
    }
    if (p->bf16 && (rc = to_bf16(&g, p, &st, d))) {
        yolo_diag_prefix(d, onnx_path);
        goto done;
    }
    if (p->int8 && (rc = quantize(&g, p, &st, d))) {
        yolo_diag_prefix(d, onnx_path);
        goto done;
    }

    /* ---- what the output means */
    const char *fmt = NULL;
    int32_t nc = 0;
    const struct yolo_tensor *out = &g.tensors[g.outputs[0]];
    if ((rc = detect_format(out, &info, &fmt, &nc, d))) {
        yolo_diag_prefix(d, onnx_path);
        goto done;
    }
    const char *pn = prop(&info, "names");
    int names_rc = pn ? yolo_names_parse(pn, &names, &n_names) : 0;
    if (names_rc == -2) {
        rc = yolo_diag_set(d, YOLO_ERR_NOMEM, "%s: out of memory reading the class names", onnx_path);
        goto done;
    }
    if (names_rc != 0 && lg.fn)
        yolo_logf(&lg, YOLO_LOG_WARN, "%s: metadata 'names' is not a list or dict literal; ignored",
                  onnx_path);
    if (rebatched && strcmp(fmt, "e2e") == 0) {
        /* the end-to-end head's TopK/Gather index arithmetic assumes one image */
        rc = yolo_diag_set(d, YOLO_ERR_ARG, "%s: an end-to-end model exported with a fixed batch of "
                           "1 cannot be built for batch %d (export with dynamic axes)", onnx_path,
                           batch);
        goto done;
    }
    if (nc < 0)   /* end-to-end output carries class ids, not a score per class */
        nc = names ? n_names : 80;
    /* what yolo_model_load requires of a detector, refused here rather than in a loader */
    if (out->shape[0] != batch || nc < 1 || nc > (1 << 20)) {
        rc = yolo_diag_set(d, YOLO_ERR_UNSUPPORTED, "%s: output '%s' has batch %lld for an input "
                           "batch of %d and %d classes: not a YOLO detection model this build "
                           "knows", onnx_path, out->name, (long long)out->shape[0], batch, nc);
        goto done;
    }
    if (names && n_names != nc) {
        yolo_logf(&lg, YOLO_LOG_WARN, "%s: metadata has %d names but the output has %d classes; "
                  "using generic names", onnx_path, n_names, nc);
        yolo_names_free(names, n_names);
        names = NULL;
        n_names = 0;
    }
    int32_t n_coco;
    const char *const *coco = yolo_names_coco80(&n_coco);
    const char *const *labels = names ? (const char *const *)names : NULL;
    char **generic = NULL;
    if (!labels && nc == n_coco) {
        labels = coco;
    } else if (!labels) {
        generic = calloc((size_t)nc, sizeof *generic);
        int ok = generic != NULL;
        for (int32_t i = 0; ok && i < nc; i++) {
            generic[i] = malloc(16);
            ok = generic[i] != NULL;
            if (ok)
                snprintf(generic[i], 16, "class%d", i);
        }
        if (!ok) {
            yolo_names_free(generic, nc);
            generic = NULL;
            rc = yolo_diag_set(d, YOLO_ERR_NOMEM, "out of memory");
            goto done;
        }
        labels = (const char *const *)generic;
    }

    char sha[2 * YOLO_SHA256_BYTES + 1];
    if ((rc = yolo_sha256_file(onnx_path, sha, d)))
        goto done_generic;
    const char *base = strrchr(onnx_path, '/');
    meta_add(meta, "builder.version", "%s", YOLO_VERSION_STRING);
    meta_add(meta, "builder.commit", "%s", YOLO_GIT_COMMIT);
    meta_add(meta, "onnx.name", "%s", base ? base + 1 : onnx_path);
    meta_add(meta, "onnx.sha256", "%s", sha);
    meta_add(meta, "onnx.opset", "%lld", (long long)info.opset);
    meta_add(meta, "onnx.producer", "%s", info.producer);
    meta_add(meta, "model.format", "%s", fmt);
    meta_add(meta, "model.classes", "%d", nc);
    meta_add(meta, "model.stride", "%d", stride);
    meta_add(meta, "model.task", "%s", prop(&info, "task") ? prop(&info, "task") : "detect");
    meta_add(meta, "input.name", "%s", g.tensors[g.inputs[0]].name);
    meta_add(meta, "input.shape", "%d,3,%d,%d", batch, h, w);
    meta_add(meta, "output.name", "%s", out->name);
    /* int8: every convolution runs on int8; mixed: some do */
    /* bf16: the body's Convs run on bfloat16 (the head's DFL conv stays float32 by design) */
    if (st.n_bf16)
        meta_add(meta, "precision", "bf16");
    else
        meta_add(meta, "precision", "%s", !st.n_qconv ? "fp32" : st.n_conv_float ? "mixed" : "int8");
    if (st.n_bf16)
        meta_add(meta, "bf16.convs", "%d of %d", st.n_bf16, st.n_bf16 + st.n_conv_float);
    if (p->int8)
        meta_add(meta, "quant.calibration", "%s, %d images", method_name(p->calib_method),
                 p->n_calib);
    /* weights are stored once, as built (NCHW); each backend prepares its layout at load */
    meta_add(meta, "weights.layout", "nchw");
    meta_add(meta, "build.passes", "%s", st.passes);
    meta_add(meta, "plan.arena_bytes", "%llu", (unsigned long long)st.plan.arena_bytes);
    meta_add(meta, "plan.sum_tensor_bytes", "%llu", (unsigned long long)st.plan.sum_tensor_bytes);
    static const char *const keep[] = { "description", "author", "version", "license", "date",
                                        "derived_note" };
    for (size_t i = 0; i < sizeof keep / sizeof *keep; i++)
        if (prop(&info, keep[i]))
            meta_add(meta, keep[i][0] == 'd' && keep[i][1] == 'e' && keep[i][2] == 'r'
                               ? "source.derived_note" : keep[i],
                     "%s", prop(&info, keep[i]));
    rc = yolo_engine_write(engine_path, &g, meta->kv, meta->n, labels, nc, d);
    if (!rc && rep) {
        memset(rep, 0, sizeof *rep);
        rep->nodes_imported = st.nodes_imported;
        rep->nodes_final = st.nodes_final;
        rep->n_folded = st.n_folded;
        rep->n_bn_folded = st.n_bn_folded;
        rep->n_act_fused = st.n_act_fused;
        rep->n_noops = st.n_noops;
        rep->arena_bytes = st.plan.arena_bytes;
        rep->sum_tensor_bytes = st.plan.sum_tensor_bytes;
        rep->weight_bytes = g.consts_bytes;
        snprintf(rep->format, sizeof rep->format, "%s", fmt);
        rep->n_classes = nc;
        rep->input_h = h;
        rep->input_w = w;
        rep->max_batch = batch;
    }
done_generic:
    if (generic)
        yolo_names_free(generic, nc);
done:
    yolo_names_free(names, n_names);
    yolo_onnx_info_release(&info);
    yolo_graph_release(&g);
    free(meta);
    return rc;
}

int yolo_build(const char *onnx_path, const char *engine_path, const struct yolo_build_params *p,
               struct yolo_build_report *report, struct yolo_diag *diag)
{
    struct yolo_build_params defaults;
    if (!onnx_path || !engine_path)
        return yolo_diag_set(diag, YOLO_ERR_ARG, "yolo_build: NULL path");
    if (!p) {
        yolo_build_params_default(&defaults);
        p = &defaults;
    }
    return build(onnx_path, engine_path, p, report, diag);
}
