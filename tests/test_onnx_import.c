/* test_onnx_import.c: the ONNX importer on the real models of $SHARED/data/models, on models
 * written by tests/onnx_writer.c, on hand-encoded protobuf bytes, and on broken input
 * (missing/empty/text/huge files, every truncation and many bit flips of a small model,
 * unsupported ops, dangling inputs, absurd tensor sizes). Expected numbers for the real
 * models were taken with the onnx Python package (see $SHARED/data/README.md). */
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "onnx/onnx_import.h"
#include "onnx/onnx_internal.h"
#include "onnx_writer.h"
#include "build.h"
#include "ops/op_params.h"
#include "clock.h"

/* ------------------------------------------------------------------ helpers */

struct log_capture { int n_warn, n_match; const char *needle; char last[1024]; };

static void capture_log(void *user, enum yolo_log_level level, const char *msg)
{
    struct log_capture *c = user;
    if (level != YOLO_LOG_WARN)
        return;
    c->n_warn++;
    if (c->needle && strstr(msg, c->needle))
        c->n_match++;
    snprintf(c->last, sizeof c->last, "%s", msg);
}

static int starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Packs w and imports it as "t.onnx". Returns the status; g is left for the caller. */
static int import_w(struct onnx_writer *w, struct yolo_graph *g, struct yolo_onnx_info *info,
                    const struct yolo_logger *lg, struct yolo_diag *d)
{
    uint8_t *buf;
    size_t len;
    yolo_graph_init(g);
    if (onnx_writer_pack(w, &buf, &len)) {
        snprintf(d->msg, sizeof d->msg, "writer failed");
        d->status = YOLO_ERR_INTERNAL;
        return YOLO_ERR_INTERNAL;
    }
    int rc = yolo_onnx_import_buffer(buf, len, "t.onnx", g, info, lg, d);
    free(buf);
    return rc;
}

/* Imports w expecting failure with status st and a message containing want (and starting
 * with "t.onnx: "); frees w. */
static void expect_fail(struct harness *h, const char *what, struct onnx_writer *w,
                        enum yolo_status st, const char *want)
{
    struct yolo_graph g;
    struct yolo_onnx_info info;
    struct yolo_diag d = { 0, "" };
    int rc = import_w(w, &g, &info, NULL, &d);
    CHECK(h, rc == (int)st && d.status == st, "%s: rc %d status %d, want %d: %s", what, rc,
          d.status, st, d.msg);
    CHECK(h, starts_with(d.msg, "t.onnx: ") && strstr(d.msg, want), "%s: message '%s' lacks '%s'",
          what, d.msg, want);
    CHECK(h, !strchr(d.msg, '\n'), "%s: message spans lines: %s", what, d.msg);
    yolo_onnx_info_release(&info);
    yolo_graph_release(&g);
    onnx_writer_free(w);
}

/* Every node input is a const, a graph input or the output of an earlier node. */
static int is_topo_sorted(const struct yolo_graph *g)
{
    char *ready = calloc((size_t)g->n_tensors + 1, 1);
    int ok = ready != NULL;
    for (int32_t t = 0; ok && t < g->n_tensors; t++)
        ready[t] = (g->tensors[t].flags & (YOLO_TF_CONST | YOLO_TF_INPUT)) != 0;
    for (int32_t i = 0; ok && i < g->n_nodes; i++) {
        const struct yolo_node *n = &g->nodes[i];
        for (int k = 0; k < n->n_in; k++)
            if (n->in[k] >= 0 && !ready[n->in[k]])
                ok = 0;
        for (int k = 0; k < n->n_out; k++)
            if (n->out[k] >= 0)
                ready[n->out[k]] = 1;
    }
    free(ready);
    return ok;
}

/* ------------------------------------------------------------------ real models */

struct op_count { const char *op; int n; };

struct model_case {
    const char *file;
    int64_t ir, opset;
    int n_nodes, n_init;
    const char *producer;
    int n_props;
    const char *imgsz, *end2end;        /* NULL: key absent */
    int32_t out_dims;
    const char *w_name;                 /* a weight checked value by value */
    int64_t w_shape[4];
    float w_first[3];
    double w_abs_sum;
    struct op_count ops[25];
};

static const struct model_case models[] = {
    { "yolov5n.onnx", 7, 12, 264, 120, "pytorch", 2, NULL, NULL, 3,
      "model.0.conv.weight", { 16, 3, 6, 6 },
      { -0x1.7b6a02p-6f, -0x1.5d4450p-1f, -0x1.5b9cc8p-2f }, 1185.831448632467,
      { { "Add", 10 }, { "Concat", 17 }, { "Constant", 28 }, { "Conv", 60 }, { "MaxPool", 3 },
        { "Mul", 69 }, { "Pow", 3 }, { "Reshape", 6 }, { "Resize", 2 }, { "Sigmoid", 60 },
        { "Split", 3 }, { "Transpose", 3 } } },
    { "yolov8n_dq.onnx", 6, 11, 234, 141, "qdq_to_fp32 (derived)", 14, "[640, 640]", NULL, 3,
      "model.0.conv.weight_DequantizeLinear_Output", { 16, 3, 3, 3 },
      { -0x1.087b56p+1f, -0x1.1a1d28p-3f, 0x1.edb306p+0f }, 1068.1206611394882,
      { { "Add", 8 }, { "Concat", 17 }, { "Conv", 64 }, { "Div", 1 }, { "MaxPool", 3 },
        { "Mul", 58 }, { "Reshape", 8 }, { "Resize", 2 }, { "Sigmoid", 58 }, { "Slice", 2 },
        { "Softmax", 1 }, { "Split", 8 }, { "Sub", 2 }, { "Transpose", 2 } } },
    { "yolo11n_dq.onnx", 9, 19, 320, 196, "dyn_to_fp32 (derived)", 12, "[640, 640]", NULL, 3,
      "model.0.conv.weight_dequantized", { 16, 3, 3, 3 },
      { -0x1.610fc4p+1f, -0x1.a7ac86p-2f, 0x1.cafae6p+1f }, 1208.2705752551556,
      { { "Add", 16 }, { "Concat", 23 }, { "Conv", 88 }, { "Div", 1 }, { "MatMul", 2 },
        { "MaxPool", 3 }, { "Mul", 79 }, { "Reshape", 8 }, { "Resize", 2 }, { "Sigmoid", 78 },
        { "Slice", 2 }, { "Softmax", 2 }, { "Split", 11 }, { "Sub", 2 }, { "Transpose", 3 } } },
    { "yolov10n_dq.onnx", 8, 17, 308, 191, "dyn_to_fp32 (derived)", 16, "[640, 640]", "True", 3,
      "model.0.conv.weight_dequantized", { 16, 3, 3, 3 },
      { -0x1.0589ccp-2f, 0x1.5cb7bcp-3f, -0x1.46ec40p+0f }, 672.4905254989862,
      { { "Add", 11 }, { "Cast", 1 }, { "Concat", 19 }, { "Conv", 83 }, { "Div", 1 },
        { "Flatten", 2 }, { "Gather", 1 }, { "GatherElements", 2 }, { "MatMul", 2 },
        { "MaxPool", 3 }, { "Mod", 1 }, { "Mul", 71 }, { "ReduceMax", 1 }, { "Reshape", 11 },
        { "Resize", 2 }, { "Sigmoid", 70 }, { "Slice", 2 }, { "Softmax", 2 }, { "Split", 11 },
        { "Sub", 1 }, { "Tile", 2 }, { "TopK", 2 }, { "Transpose", 4 }, { "Unsqueeze", 3 } } },
};

static void test_real_model(struct harness *h, const struct model_case *mc)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/data/models/%s", harness_shared_dir(), mc->file);
    struct yolo_graph g;
    struct yolo_onnx_info info;
    struct yolo_diag d = { 0, "" };
    struct log_capture cap = { 0 };
    struct yolo_logger lg = { capture_log, &cap, YOLO_LOG_WARN };
    yolo_graph_init(&g);
    double t0 = (yolo_now_ms() / 1e3);
    int rc = yolo_onnx_import_file(path, &g, &info, &lg, &d);
    double dt = (yolo_now_ms() / 1e3) - t0;
    CHECK(h, rc == YOLO_OK, "%s: import failed: %s", path, d.msg);
    if (rc != YOLO_OK) {
        yolo_onnx_info_release(&info);
        yolo_graph_release(&g);
        return;
    }
    printf("%s: %d nodes, %d tensors, %.1f MB consts, %d warnings, %.0f ms\n", mc->file, g.n_nodes,
           g.n_tensors, g.consts_bytes / 1e6, cap.n_warn, dt * 1e3);
    CHECK(h, g.n_nodes == mc->n_nodes, "%s: %d nodes, want %d", mc->file, g.n_nodes, mc->n_nodes);
    CHECK(h, is_topo_sorted(&g), "%s: nodes not topologically sorted", mc->file);

    /* op histogram: every node accounted for by the expected list */
    int total = 0;
    for (int k = 0; k < 25 && mc->ops[k].op; k++) {
        int n = 0;
        for (int32_t i = 0; i < g.n_nodes; i++) {
            const struct yolo_op_impl *impl = yolo_op_impl_get(g.nodes[i].op);
            if (impl && impl->onnx_name && strcmp(impl->onnx_name, mc->ops[k].op) == 0)
                n++;
        }
        CHECK(h, n == mc->ops[k].n, "%s: %d %s nodes, want %d", mc->file, n, mc->ops[k].op,
              mc->ops[k].n);
        total += mc->ops[k].n;
    }
    CHECK(h, total == mc->n_nodes, "%s: histogram covers %d of %d nodes", mc->file, total,
          mc->n_nodes);

    /* initializers, and Constant values as "<node>:value" consts */
    int n_const = 0, n_attr_const = 0;
    for (int32_t t = 0; t < g.n_tensors; t++) {
        if (!(g.tensors[t].flags & YOLO_TF_CONST))
            continue;
        size_t nl = strlen(g.tensors[t].name);
        if (nl > 6 && strcmp(g.tensors[t].name + nl - 6, ":value") == 0)
            n_attr_const++;
        else
            n_const++;
    }
    int want_attr = 0;
    for (int k = 0; mc->ops[k].op; k++)
        if (strcmp(mc->ops[k].op, "Constant") == 0)
            want_attr = mc->ops[k].n;
    CHECK(h, n_const >= mc->n_init && n_attr_const == want_attr, "%s: %d consts + %d attribute "
          "consts, want %d + %d", mc->file, n_const, n_attr_const, mc->n_init, want_attr);
    int32_t w = yolo_graph_find_tensor(&g, mc->w_name);
    const float *wd = yolo_graph_const_data(&g, w);
    CHECK(h, wd && g.tensors[w].dtype == YOLO_DT_F32 && g.tensors[w].ndim == 4, "%s: weight %s",
          mc->file, mc->w_name);
    if (wd) {
        int same = 1;
        for (int i = 0; i < 4; i++)
            same &= g.tensors[w].shape[i] == mc->w_shape[i];
        for (int i = 0; i < 3; i++)
            same &= wd[i] == mc->w_first[i];
        double s = 0;
        for (int64_t i = 0; i < yolo_tensor_numel(&g.tensors[w]); i++)
            s += fabs((double)wd[i]);
        CHECK(h, same && fabs(s - mc->w_abs_sum) < 1e-9 * mc->w_abs_sum, "%s: %s values differ "
              "(abs sum %.12g, want %.12g)", mc->file, mc->w_name, s, mc->w_abs_sum);
    }

    /* input and output */
    CHECK(h, g.n_inputs == 1 && g.n_outputs == 1, "%s: %d inputs, %d outputs", mc->file,
          g.n_inputs, g.n_outputs);
    if (g.n_inputs == 1) {
        const struct yolo_tensor *in = &g.tensors[g.inputs[0]];
        CHECK(h, strcmp(in->name, "images") == 0 && in->dtype == YOLO_DT_F32 && in->ndim == 4 &&
              in->shape[0] == 1 && in->shape[1] == 3 && in->shape[2] == 640 && in->shape[3] == 640
              && (in->flags & YOLO_TF_INPUT), "%s: input %s ndim %d", mc->file, in->name, in->ndim);
    }
    if (g.n_outputs == 1) {
        const struct yolo_tensor *out = &g.tensors[g.outputs[0]];
        CHECK(h, strcmp(out->name, "output0") == 0 && out->dtype == YOLO_DT_F32 &&
              (out->flags & YOLO_TF_OUTPUT), "%s: output %s", mc->file, out->name);
    }

    /* model facts and metadata */
    CHECK(h, info.ir_version == mc->ir && info.opset == mc->opset && strcmp(info.producer,
          mc->producer) == 0, "%s: ir %lld opset %lld producer '%s'", mc->file,
          (long long)info.ir_version, (long long)info.opset, info.producer);
    CHECK(h, info.n_props == mc->n_props, "%s: %d metadata entries, want %d", mc->file,
          info.n_props, mc->n_props);
    const char *names = yolo_onnx_info_get(&info, "names");
    const char *stride = yolo_onnx_info_get(&info, "stride");
    const char *imgsz = yolo_onnx_info_get(&info, "imgsz");
    const char *e2e = yolo_onnx_info_get(&info, "end2end");
    CHECK(h, names && starts_with(names, "{0: 'person', 1: 'bicycle', 2: 'car'") &&
          strstr(names, "79: 'toothbrush'}"), "%s: names '%.40s'", mc->file, names ? names : "-");
    CHECK(h, stride && strcmp(stride, "32") == 0, "%s: stride", mc->file);
    CHECK(h, mc->imgsz ? imgsz && strcmp(imgsz, mc->imgsz) == 0 : !imgsz, "%s: imgsz '%s'",
          mc->file, imgsz ? imgsz : "-");
    CHECK(h, mc->end2end ? e2e && strcmp(e2e, mc->end2end) == 0 : !e2e, "%s: end2end '%s'",
          mc->file, e2e ? e2e : "-");
    yolo_onnx_info_release(&info);
    yolo_graph_release(&g);
}

static void test_real_models(struct harness *h)
{
    for (size_t i = 0; i < sizeof models / sizeof models[0]; i++)
        test_real_model(h, &models[i]);

    /* the int8 QDQ export imports (issue 11): 123 QuantizeLinear, 250 DequantizeLinear */
    char path[4096];
    snprintf(path, sizeof path, "%s/data/models/yolov8n_int8_qdq.onnx", harness_shared_dir());
    struct yolo_graph g;
    struct yolo_diag d;
    yolo_graph_init(&g);
    int rc = yolo_onnx_import_file(path, &g, NULL, NULL, &d);
    CHECK(h, rc == 0, "qdq model: %d %s", rc, d.msg);
    int32_t nq = 0, ndq = 0;
    for (int32_t i = 0; !rc && i < g.n_nodes; i++) {
        nq += g.nodes[i].op == YOLO_OP_QUANTIZE_LINEAR;
        ndq += g.nodes[i].op == YOLO_OP_DEQUANTIZE_LINEAR;
    }
    CHECK(h, rc || (nq == 123 && ndq == 250), "qdq model: %d QuantizeLinear, %d DequantizeLinear",
          nq, ndq);
    /* the build's passes (core/opt/fuse_qdq.c): every Conv a QConv; a QConv whose bytes only
     * float glue reads dequantizes them itself (the DequantizeLinear gone, the SiLU after it
     * its activation), one whose bytes a convolution reads keeps them */
    rc = rc ? rc : yolo_graph_optimize(&g, NULL, &d);
    CHECK(h, rc == 0, "qdq model: optimize: %d %s", rc, d.msg);
    int32_t nqc = 0, ngrid = 0, nsilu = 0, nconv = 0;
    ndq = 0;
    for (int32_t i = 0; !rc && i < g.n_nodes; i++) {
        const struct yolo_node *n = &g.nodes[i];
        nqc += n->op == YOLO_OP_QCONV;
        ngrid += n->op == YOLO_OP_QCONV && n->fparams[YOLO_QC_FP_DQS] > 0 &&
                 n->params[YOLO_QC_ODT] == YOLO_DT_F32;
        nsilu += n->op == YOLO_OP_SILU || n->op == YOLO_OP_SIGMOID;
        nconv += n->op == YOLO_OP_CONV;
        ndq += n->op == YOLO_OP_DEQUANTIZE_LINEAR;
    }
    CHECK(h, rc || (nqc == 64 && nconv == 0 && ngrid == 30 && nsilu == 1 && ndq == 12),
          "qdq model built: %d QConv (%d on a float grid), %d Conv, %d SiLU/Sigmoid, %d "
          "DequantizeLinear", nqc, ngrid, nconv, nsilu, ndq);
    yolo_graph_release(&g);

    /* a real model cut in half, as an interrupted download leaves it */
    snprintf(path, sizeof path, "%s/data/models/yolov8n_dq.onnx", harness_shared_dir());
    FILE *f = fopen(path, "rb");
    CHECK(h, f != NULL, "cannot open %s", path);
    if (!f)
        return;
    size_t half = 6000000;
    uint8_t *buf = malloc(half);
    size_t got = buf ? fread(buf, 1, half, f) : 0;
    fclose(f);
    CHECK(h, got == half, "short read of %s", path);
    if (got == half) {
        yolo_graph_init(&g);
        rc = yolo_onnx_import_buffer(buf, half, "model.onnx", &g, NULL, NULL, &d);
        CHECK(h, rc == YOLO_ERR_FORMAT && starts_with(d.msg, "model.onnx: truncated"),
              "half model: %d %s", rc, d.msg);
        yolo_graph_release(&g);
    }
    free(buf);
}

/* ------------------------------------------------------------------ float16 */

static void test_f16(struct harness *h)
{
    int bad = 0;
    for (uint32_t x = 0; x < 65536; x++) {
        int e = (int)((x >> 10) & 31), m = (int)(x & 1023);
        double ref = e == 0 ? ldexp(m, -24)
                   : e == 31 ? (m ? NAN : INFINITY) : ldexp(1024 + m, e - 25);
        if (x & 0x8000)
            ref = -ref;
        float got = yolo_onnx_f16_to_f32((uint16_t)x);
        int ok = isnan(ref) ? isnan(got) : (double)got == ref && !signbit(got) == !signbit(ref);
        if (!ok && bad++ < 5)
            CHECK(h, ok, "f16 0x%04x -> %a, want %a", x, (double)got, ref);
    }
    CHECK(h, bad == 0, "%d float16 values converted wrongly", bad);
}

/* ------------------------------------------------------------------ writer round trip */

static const uint16_t f16_bits[9] = { 0x3c00, 0x0001, 0x03ff, 0x0400, 0x7bff, 0x8000, 0x7c00,
                                      0xfc00, 0x7e00 };

/* The const named `name`: dtype, shape and bytes as expected. */
static void check_const(struct harness *h, const struct yolo_graph *g, const char *name,
                        enum yolo_dtype dt, int32_t ndim, const int64_t *shape, const void *want,
                        size_t want_bytes)
{
    int32_t t = yolo_graph_find_tensor(g, name);
    CHECK(h, t >= 0 && (g->tensors[t].flags & YOLO_TF_CONST), "const '%s' missing", name);
    if (t < 0 || !(g->tensors[t].flags & YOLO_TF_CONST))
        return;
    const struct yolo_tensor *T = &g->tensors[t];
    int same = T->dtype == dt && T->ndim == ndim;
    for (int i = 0; same && i < ndim; i++)
        same = T->shape[i] == shape[i];
    CHECK(h, same, "const '%s': dtype %d ndim %d, want %d %d", name, T->dtype, T->ndim, dt, ndim);
    CHECK(h, yolo_tensor_bytes(T) == want_bytes &&
          (want_bytes == 0 || memcmp(yolo_graph_const_data(g, t), want, want_bytes) == 0),
          "const '%s': %llu bytes or values differ", name,
          (unsigned long long)yolo_tensor_bytes(T));
}

static void test_round_trip(struct harness *h)
{
    struct onnx_writer *w = onnx_writer_create(13);
    int64_t xd[4] = { 1, 3, -1, -1 }, d6[2] = { 2, 3 }, d9[1] = { 9 }, d3[1] = { 3 }, d0[1] = { 0 };
    float w6[6] = { 1.5f, -2.0f, 0.0f, 3.25f, -0.0f, 1e-30f };
    int32_t i3[3] = { -7, 0, 2147483647 };
    int64_t l3[3] = { -1, (int64_t)1 << 40, INT64_MIN };
    double f64[3] = { 1.5, -1e300, 1e-50 };
    uint8_t b3[3] = { 0, 1, 2 }, b3t[3] = { 0, 1, 1 }, u3[3] = { 0, 255, 7 };
    int8_t s3[3] = { -128, 127, -5 };
    float sc = 3.25f, cval[3] = { 4.0f, 5.0f, 6.0f };
    onnx_writer_input(w, "x", YOLO_DT_F32, 4, xd);
    onnx_writer_input(w, "n", YOLO_DT_I64, -1, NULL);
    onnx_writer_initializer_f32(w, "w_raw", 2, d6, w6);
    onnx_writer_initializer(w, "w_typed", YOLO_DT_F32, 2, d6, w6, 0, ONNX_WRITER_TYPED);
    onnx_writer_initializer(w, "h_raw", YOLO_DT_F16, 1, d9, f16_bits, sizeof f16_bits,
                            ONNX_WRITER_RAW);
    onnx_writer_initializer(w, "h_typed", YOLO_DT_F16, 1, d9, f16_bits, 0, ONNX_WRITER_TYPED);
    onnx_writer_initializer(w, "i32_raw", YOLO_DT_I32, 1, d3, i3, sizeof i3, ONNX_WRITER_RAW);
    onnx_writer_initializer(w, "i32_typed", YOLO_DT_I32, 1, d3, i3, 0, ONNX_WRITER_TYPED);
    onnx_writer_initializer_i64(w, "i64_raw", 1, d3, l3);
    onnx_writer_initializer(w, "i64_typed", YOLO_DT_I64, 1, d3, l3, 0, ONNX_WRITER_TYPED);
    onnx_writer_initializer(w, "f64_raw", YOLO_DT_F64, 1, d3, f64, sizeof f64, ONNX_WRITER_RAW);
    onnx_writer_initializer(w, "f64_typed", YOLO_DT_F64, 1, d3, f64, 0, ONNX_WRITER_TYPED);
    onnx_writer_initializer(w, "b_raw", YOLO_DT_BOOL, 1, d3, b3, 3, ONNX_WRITER_RAW);
    onnx_writer_initializer(w, "b_typed", YOLO_DT_BOOL, 1, d3, b3t, 0, ONNX_WRITER_TYPED);
    onnx_writer_initializer(w, "u8_typed", YOLO_DT_U8, 1, d3, u3, 0, ONNX_WRITER_TYPED);
    onnx_writer_initializer(w, "i8_raw", YOLO_DT_I8, 1, d3, s3, 3, ONNX_WRITER_RAW);
    onnx_writer_initializer(w, "i8_typed", YOLO_DT_I8, 1, d3, s3, 0, ONNX_WRITER_TYPED);
    onnx_writer_initializer(w, "scalar", YOLO_DT_F32, 0, NULL, &sc, 4, ONNX_WRITER_RAW);
    onnx_writer_initializer(w, "scalar_typed", YOLO_DT_F32, 0, NULL, &sc, 0, ONNX_WRITER_TYPED);
    onnx_writer_initializer(w, "empty", YOLO_DT_F32, 1, d0, NULL, 0, ONNX_WRITER_RAW);
    /* a 200-byte name and one that differs from it only after the graph's 127 kept bytes */
    char long_a[201], long_b[201];
    memset(long_a, 'a', 200);
    long_a[200] = 0;
    memcpy(long_b, long_a, sizeof long_a);
    long_b[199] = 'b';
    onnx_writer_input(w, long_a, YOLO_DT_F32, 1, d3);
    onnx_writer_input(w, long_b, YOLO_DT_F32, 1, d3);
    const char *add_in[2] = { "x", "scalar" }, *add_out[1] = { "y" };
    onnx_writer_node(w, "Add", "add1", 2, add_in, 1, add_out);
    onnx_writer_attr_int(w, "yolo_test_unused", 7);
    const char *c_out[1] = { "c" };
    onnx_writer_node(w, "Constant", "c1", 0, NULL, 1, c_out);
    onnx_writer_attr_tensor(w, "value", YOLO_DT_F32, 1, d3, cval);
    /* absent optional input in the middle, and trailing "" inputs and outputs */
    const char *rs_in[4] = { "y", "", "scalar", "" }, *rs_out[2] = { "r", "" };
    onnx_writer_node(w, "Resize", "rs", 4, rs_in, 2, rs_out);
    onnx_writer_attr_string(w, "mode", "nearest");
    onnx_writer_attr_floats(w, "yolo_test_floats", 2, (const float[]){ 1.0f, 2.0f });
    onnx_writer_attr_ints(w, "yolo_test_ints", 3, (const int64_t[]){ 1, 2, 3 });
    onnx_writer_attr_float(w, "yolo_test_float", 0.5f);
    const char *lg_in[2] = { long_b, long_a }, *lg_out[1] = { "z" };
    onnx_writer_node(w, "Add", "", 2, lg_in, 1, lg_out);      /* unnamed node */
    onnx_writer_output(w, "y", YOLO_DT_F32);
    onnx_writer_output(w, "c", YOLO_DT_F32);
    onnx_writer_output(w, "z", YOLO_DT_UNDEF);
    onnx_writer_metadata(w, "stride", "32");
    onnx_writer_metadata(w, "names", "{0: 'a'}");

    struct yolo_graph g;
    struct yolo_onnx_info info;
    struct yolo_diag d = { 0, "" };
    struct log_capture cap = { 0, 0, "yolo_test_unused", "" };
    struct yolo_logger lg = { capture_log, &cap, YOLO_LOG_DEBUG };
    int rc = import_w(w, &g, &info, &lg, &d);
    CHECK(h, rc == YOLO_OK, "round trip import: %s", d.msg);
    onnx_writer_free(w);
    if (rc != YOLO_OK) {
        yolo_onnx_info_release(&info);
        yolo_graph_release(&g);
        return;
    }
    CHECK(h, info.ir_version == 8 && info.opset == 13 && strcmp(info.producer, "yolo-tests") == 0,
          "info: ir %lld opset %lld '%s'", (long long)info.ir_version, (long long)info.opset,
          info.producer);
    CHECK(h, info.n_props == 2 && strcmp(info.props[0].key, "stride") == 0 &&
          strcmp(info.props[1].value, "{0: 'a'}") == 0, "metadata: %d entries", info.n_props);

    /* inputs: order, dtype, symbolic sizes, no shape */
    CHECK(h, g.n_inputs == 4, "%d inputs", g.n_inputs);
    const struct yolo_tensor *x = &g.tensors[g.inputs[0]];
    CHECK(h, strcmp(x->name, "x") == 0 && x->dtype == YOLO_DT_F32 && x->ndim == 4 &&
          x->shape[0] == 1 && x->shape[1] == 3 && x->shape[2] == -1 && x->shape[3] == -1 &&
          x->flags == YOLO_TF_INPUT, "input x: ndim %d", x->ndim);
    const struct yolo_tensor *nn = &g.tensors[g.inputs[1]];
    CHECK(h, strcmp(nn->name, "n") == 0 && nn->dtype == YOLO_DT_I64 && nn->ndim == -1,
          "input n: ndim %d", nn->ndim);

    /* initializers */
    check_const(h, &g, "w_raw", YOLO_DT_F32, 2, d6, w6, sizeof w6);
    check_const(h, &g, "w_typed", YOLO_DT_F32, 2, d6, w6, sizeof w6);
    float hf[9];
    for (int i = 0; i < 9; i++)
        hf[i] = yolo_onnx_f16_to_f32(f16_bits[i]);
    CHECK(h, hf[0] == 1.0f && hf[1] == 0x1p-24f && hf[2] == 1023 * 0x1p-24f && hf[3] == 0x1p-14f &&
          hf[4] == 65504.0f && hf[5] == 0.0f && signbit(hf[5]) && isinf(hf[6]) && hf[6] > 0 &&
          isinf(hf[7]) && hf[7] < 0 && isnan(hf[8]), "float16 special values");
    check_const(h, &g, "h_raw", YOLO_DT_F32, 1, d9, hf, sizeof hf);
    check_const(h, &g, "h_typed", YOLO_DT_F32, 1, d9, hf, sizeof hf);
    check_const(h, &g, "i32_raw", YOLO_DT_I32, 1, d3, i3, sizeof i3);
    check_const(h, &g, "i32_typed", YOLO_DT_I32, 1, d3, i3, sizeof i3);
    check_const(h, &g, "i64_raw", YOLO_DT_I64, 1, d3, l3, sizeof l3);
    check_const(h, &g, "i64_typed", YOLO_DT_I64, 1, d3, l3, sizeof l3);
    float f64f[3] = { 1.5f, -INFINITY, 0.0f };
    check_const(h, &g, "f64_raw", YOLO_DT_F32, 1, d3, f64f, sizeof f64f);
    check_const(h, &g, "f64_typed", YOLO_DT_F32, 1, d3, f64f, sizeof f64f);
    check_const(h, &g, "b_raw", YOLO_DT_BOOL, 1, d3, b3t, 3);
    check_const(h, &g, "b_typed", YOLO_DT_BOOL, 1, d3, b3t, 3);
    check_const(h, &g, "u8_typed", YOLO_DT_U8, 1, d3, u3, 3);
    check_const(h, &g, "i8_raw", YOLO_DT_I8, 1, d3, s3, 3);
    check_const(h, &g, "i8_typed", YOLO_DT_I8, 1, d3, s3, 3);
    check_const(h, &g, "scalar", YOLO_DT_F32, 0, NULL, &sc, 4);
    check_const(h, &g, "scalar_typed", YOLO_DT_F32, 0, NULL, &sc, 4);
    check_const(h, &g, "empty", YOLO_DT_F32, 1, d0, NULL, 0);
    check_const(h, &g, "c1:value", YOLO_DT_F32, 1, d3, cval, sizeof cval);

    /* nodes */
    CHECK(h, g.n_nodes == 4 && is_topo_sorted(&g), "%d nodes", g.n_nodes);
    int32_t ty = yolo_graph_find_tensor(&g, "y"), tsc = yolo_graph_find_tensor(&g, "scalar");
    int seen_rs = 0, seen_add3 = 0;
    for (int32_t i = 0; i < g.n_nodes; i++) {
        const struct yolo_node *n = &g.nodes[i];
        seen_rs += strcmp(n->name, "rs") == 0;
        seen_add3 += strcmp(n->name, "Add_3") == 0;
        if (strcmp(n->name, "rs") == 0)
            CHECK(h, n->op == YOLO_OP_RESIZE && n->n_in == 3 && n->in[0] == ty && n->in[1] == -1 &&
                  n->in[2] == tsc && n->n_out == 1 && n->out[0] >= 0 &&
                  strcmp(g.tensors[n->out[0]].name, "r") == 0, "Resize node: n_in %d n_out %d",
                  n->n_in, n->n_out);
        if (strcmp(n->name, "Add_3") == 0)
            CHECK(h, n->op == YOLO_OP_ADD && n->in[0] == g.inputs[3] && n->in[1] == g.inputs[2],
                  "unnamed Add: inputs %d %d, want %d %d (long names)", n->in[0], n->in[1],
                  g.inputs[3], g.inputs[2]);
    }
    CHECK(h, seen_rs == 1 && seen_add3 == 1, "node names: rs %d, Add_3 (unnamed) %d", seen_rs,
          seen_add3);
    const struct yolo_tensor *la = &g.tensors[g.inputs[2]];
    CHECK(h, strlen(la->name) == YOLO_NAME_MAX - 1 &&
          strncmp(la->name, long_a, YOLO_NAME_MAX - 1) == 0,
          "long name kept as %zu bytes", strlen(la->name));

    /* outputs: order, flags, dtype from the file, shape left to inference */
    CHECK(h, g.n_outputs == 3, "%d outputs", g.n_outputs);
    if (g.n_outputs == 3) {
        const struct yolo_tensor *y = &g.tensors[g.outputs[0]], *c = &g.tensors[g.outputs[1]];
        CHECK(h, strcmp(y->name, "y") == 0 && y->dtype == YOLO_DT_F32 && y->ndim == -1 &&
              (y->flags & YOLO_TF_OUTPUT), "output y");
        CHECK(h, strcmp(c->name, "c") == 0 && (c->flags & YOLO_TF_OUTPUT), "output c");
        CHECK(h, g.tensors[g.outputs[2]].dtype == YOLO_DT_UNDEF, "output z without elem type");
    }
    /* attributes nobody reads are reported, naming node and attribute */
    CHECK(h, cap.n_match == 1 && strstr(cap.last, "t.onnx: node '") != NULL,
          "unused-attribute warnings: %d matching of %d (last: %s)", cap.n_match, cap.n_warn,
          cap.last);
    yolo_onnx_info_release(&info);
    yolo_graph_release(&g);

    /* NULL info, logger and diagnostic are allowed */
    w = onnx_writer_create(11);
    onnx_writer_input(w, "x", YOLO_DT_F32, 1, d3);
    onnx_writer_node(w, "Relu", "r", 1, (const char *[]){ "x" }, 1, (const char *[]){ "y" });
    onnx_writer_output(w, "y", YOLO_DT_F32);
    uint8_t *buf;
    size_t len;
    CHECK(h, onnx_writer_pack(w, &buf, &len) == 0, "pack");
    yolo_graph_init(&g);
    rc = yolo_onnx_import_buffer(buf, len, NULL, &g, NULL, NULL, NULL);
    CHECK(h, rc == YOLO_OK && g.n_nodes == 1, "import with NULLs: %d", rc);
    yolo_graph_release(&g);
    yolo_graph_init(&g);
    rc = yolo_onnx_import_buffer(buf, len - 1, NULL, &g, NULL, NULL, NULL);
    CHECK(h, rc != YOLO_OK, "truncated import with NULLs: %d", rc);
    yolo_graph_release(&g);
    free(buf);
    onnx_writer_free(w);
}

/* ------------------------------------------------------------------ hand-encoded bytes */

struct pb { uint8_t b[512]; size_t n; };

static void pb_varint(struct pb *p, uint64_t v)
{
    do {
        p->b[p->n++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
        v >>= 7;
    } while (v);
}
static void pb_int(struct pb *p, uint32_t field, int64_t v)
{
    pb_varint(p, field << 3);
    pb_varint(p, (uint64_t)v);
}
static void pb_f32(struct pb *p, uint32_t field, float v)
{
    pb_varint(p, field << 3 | 5);
    memcpy(p->b + p->n, &v, 4);
    p->n += 4;
}
static void pb_bytes(struct pb *p, uint32_t field, const void *data, size_t n)
{
    pb_varint(p, field << 3 | 2);
    pb_varint(p, n);
    memcpy(p->b + p->n, data, n);
    p->n += n;
}

/* Repeated scalars written one by one (the proto2 default encoding) and packed: both must
 * read the same. */
static void test_unpacked_encoding(struct harness *h)
{
    struct pb t1 = { { 0 }, 0 }, t2 = { { 0 }, 0 }, t3 = { { 0 }, 0 }, out = { { 0 }, 0 },
              gr = { { 0 }, 0 }, os = { { 0 }, 0 }, m = { { 0 }, 0 }, dims = { { 0 }, 0 },
              fl = { { 0 }, 0 };
    pb_int(&t1, 1, 2);                  /* dims, unpacked */
    pb_int(&t1, 2, 7);                  /* INT64 */
    pb_int(&t1, 7, 5);                  /* int64_data, unpacked */
    pb_int(&t1, 7, -3);
    pb_bytes(&t1, 8, "k", 1);
    pb_int(&t2, 1, 2);
    pb_int(&t2, 2, 1);                  /* FLOAT */
    pb_f32(&t2, 4, 1.25f);              /* float_data, unpacked */
    pb_f32(&t2, 4, -8.0f);
    pb_bytes(&t2, 8, "f", 1);
    pb_varint(&dims, 3);
    pb_bytes(&t3, 1, dims.b, dims.n);   /* dims, packed */
    pb_int(&t3, 2, 1);
    float fv[3] = { 1.0f, 2.0f, 3.0f };
    memcpy(fl.b, fv, sizeof fv);
    fl.n = sizeof fv;
    pb_bytes(&t3, 4, fl.b, fl.n);       /* float_data, packed */
    pb_bytes(&t3, 8, "p", 1);
    pb_bytes(&out, 1, "k", 1);
    pb_bytes(&gr, 5, t1.b, t1.n);
    pb_bytes(&gr, 5, t2.b, t2.n);
    pb_bytes(&gr, 5, t3.b, t3.n);
    pb_bytes(&gr, 12, out.b, out.n);
    pb_int(&os, 2, 13);
    pb_int(&m, 1, 7);
    pb_bytes(&m, 8, os.b, os.n);
    pb_bytes(&m, 7, gr.b, gr.n);

    struct yolo_graph g;
    struct yolo_onnx_info info;
    struct yolo_diag d;
    yolo_graph_init(&g);
    int rc = yolo_onnx_import_buffer(m.b, m.n, "hand.onnx", &g, &info, NULL, &d);
    CHECK(h, rc == YOLO_OK, "hand-encoded model: %s", d.msg);
    if (rc == YOLO_OK) {
        int64_t k[2] = { 5, -3 }, d2[1] = { 2 }, d3[1] = { 3 };
        float f[2] = { 1.25f, -8.0f };
        check_const(h, &g, "k", YOLO_DT_I64, 1, d2, k, sizeof k);
        check_const(h, &g, "f", YOLO_DT_F32, 1, d2, f, sizeof f);
        check_const(h, &g, "p", YOLO_DT_F32, 1, d3, fv, sizeof fv);
        CHECK(h, g.n_outputs == 1 && g.outputs[0] == yolo_graph_find_tensor(&g, "k") &&
              info.ir_version == 7 && info.opset == 13, "hand-encoded model: outputs/info");
    }
    yolo_onnx_info_release(&info);
    yolo_graph_release(&g);
}

/* ------------------------------------------------------------------ node order, size */

/* A chain x -> Relu -> t1 -> ... -> y of n nodes, written in the order perm gives. */
static struct onnx_writer *chain(int n, const int *perm)
{
    struct onnx_writer *w = onnx_writer_create(13);
    onnx_writer_input(w, "x", YOLO_DT_F32, 2, (const int64_t[]){ 1, 8 });
    for (int k = 0; k < n; k++) {
        int i = perm ? perm[k] : n - 1 - k;
        char in[32], out[32], name[32];
        snprintf(in, sizeof in, i ? "t%d" : "x", i);
        snprintf(out, sizeof out, i == n - 1 ? "y" : "t%d", i + 1);
        snprintf(name, sizeof name, "relu%d", i);
        onnx_writer_node(w, "Relu", name, 1, (const char *[]){ in }, 1, (const char *[]){ out });
    }
    onnx_writer_output(w, "y", YOLO_DT_F32);
    return w;
}

static void test_node_order(struct harness *h)
{
    uint64_t seed = 0x5eed0001;
    printf("node order: seed 0x%llx\n", (unsigned long long)seed);
    enum { N = 64 };
    int perm[N];
    for (int i = 0; i < N; i++)
        perm[i] = i;
    for (int i = N - 1; i > 0; i--) {
        int j = (int)(harness_rand(&seed) % (uint64_t)(i + 1)), t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    struct onnx_writer *w = chain(N, perm);
    struct yolo_graph g;
    struct yolo_diag d;
    int rc = import_w(w, &g, NULL, NULL, &d);
    CHECK(h, rc == YOLO_OK && g.n_nodes == N && is_topo_sorted(&g), "shuffled chain: %s", d.msg);
    if (rc == YOLO_OK) {
        int in_order = 1;
        for (int i = 0; i < N; i++) {
            char name[32];
            snprintf(name, sizeof name, "relu%d", i);
            in_order &= strcmp(g.nodes[i].name, name) == 0;
        }
        CHECK(h, in_order, "shuffled chain not sorted back into chain order");
    }
    yolo_graph_release(&g);
    onnx_writer_free(w);

    /* 100k nodes in reverse order: the name lookup must not be quadratic */
    enum { BIG = 100000 };
    w = chain(BIG, NULL);
    double t0 = (yolo_now_ms() / 1e3);
    rc = import_w(w, &g, NULL, NULL, &d);
    double dt = (yolo_now_ms() / 1e3) - t0;
    printf("100k-node chain: %.0f ms\n", dt * 1e3);
    CHECK(h, rc == YOLO_OK && g.n_nodes == BIG && is_topo_sorted(&g), "100k chain: %s", d.msg);
    CHECK(h, dt < 10.0, "100k-node import took %.1f s", dt);
    yolo_graph_release(&g);
    onnx_writer_free(w);
}

/* ------------------------------------------------------------------ files */

static void test_files(struct harness *h)
{
    char dir[] = "/tmp/yolo_onnx_test_XXXXXX";
    CHECK(h, mkdtemp(dir) != NULL, "mkdtemp");
    char path[256];
    struct yolo_graph g;
    struct yolo_diag d;
    int rc;

    snprintf(path, sizeof path, "%s/missing.onnx", dir);
    yolo_graph_init(&g);
    rc = yolo_onnx_import_file(path, &g, NULL, NULL, &d);
    char want[400];
    snprintf(want, sizeof want, "%s: cannot open: No such file or directory", path);
    CHECK(h, rc == YOLO_ERR_IO && strcmp(d.msg, want) == 0, "missing file: %d %s", rc, d.msg);
    yolo_graph_release(&g);

    rc = yolo_onnx_import_file(dir, &g, NULL, NULL, &d);
    CHECK(h, rc == YOLO_ERR_IO && starts_with(d.msg, dir) && strstr(d.msg, "directory"),
          "directory: %d %s", rc, d.msg);
    yolo_graph_release(&g);

    snprintf(path, sizeof path, "%s/empty.onnx", dir);
    CHECK(h, harness_write_file(path, "", 0) == 0, "write %s", path);
    rc = yolo_onnx_import_file(path, &g, NULL, NULL, &d);
    CHECK(h, rc == YOLO_ERR_FORMAT && starts_with(d.msg, path) && strstr(d.msg, "empty"),
          "empty file: %d %s", rc, d.msg);
    yolo_graph_release(&g);

    snprintf(path, sizeof path, "%s/hostname", dir);
    CHECK(h, harness_write_file(path, "buildhost-42\n", 13) == 0, "write %s", path);
    rc = yolo_onnx_import_file(path, &g, NULL, NULL, &d);
    CHECK(h, rc == YOLO_ERR_FORMAT && starts_with(d.msg, path) &&
          strstr(d.msg, "not an ONNX model"),
          "text file: %d %s", rc, d.msg);
    yolo_graph_release(&g);

    /* a sparse file just over 2 GiB is refused before it is read */
    snprintf(path, sizeof path, "%s/huge.onnx", dir);
    int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0600);
    int sparse_ok = fd >= 0 && ftruncate(fd, ((off_t)1 << 31) + 1) == 0;
    if (fd >= 0)
        close(fd);
    CHECK(h, sparse_ok, "cannot make a sparse file %s", path);
    if (sparse_ok) {
        double t0 = (yolo_now_ms() / 1e3);
        rc = yolo_onnx_import_file(path, &g, NULL, NULL, &d);
        CHECK(h, rc == YOLO_ERR_UNSUPPORTED && strstr(d.msg, "2 GiB") && (yolo_now_ms() / 1e3) - t0 < 1.0,
              "2 GiB file: %d %s", rc, d.msg);
        yolo_graph_release(&g);
    }
    unlink(path);

    /* a model written to disk reads back */
    struct onnx_writer *w = chain(3, NULL);
    snprintf(path, sizeof path, "%s/chain.onnx", dir);
    CHECK(h, onnx_writer_save(w, path) == 0, "save %s", path);
    rc = yolo_onnx_import_file(path, &g, NULL, NULL, &d);
    CHECK(h, rc == YOLO_OK && g.n_nodes == 3, "saved model: %d %s", rc, d.msg);
    yolo_graph_release(&g);
    onnx_writer_free(w);
    unlink(path);
    snprintf(path, sizeof path, "%s/empty.onnx", dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/hostname", dir);
    unlink(path);
    rmdir(dir);

    /* text and other files that are not ONNX, straight from memory */
    static const char *const texts[] = {
        "localhost\n", "{\"ir_version\": 7}\n", "ir_version: 7\ngraph { }\n",
        "\x89PNG\r\n\x1a\n\0\0\0\rIHDR", "\x7f" "ELF\2\1\1", "\n", "\x08\x07",
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        size_t n = i == 3 ? 16 : strlen(texts[i]);
        yolo_graph_init(&g);
        rc = yolo_onnx_import_buffer((const uint8_t *)texts[i], n, "x.onnx", &g, NULL, NULL, &d);
        CHECK(h, rc == YOLO_ERR_FORMAT && strstr(d.msg, "x.onnx: not an ONNX model"),
              "text #%zu: %d %s", i, rc, d.msg);
        yolo_graph_release(&g);
    }
    rc = yolo_onnx_import_buffer(NULL, 4, "x.onnx", &g, NULL, NULL, &d);
    CHECK(h, rc == YOLO_ERR_ARG, "NULL buffer: %d", rc);
    rc = yolo_onnx_import_file(NULL, &g, NULL, NULL, &d);
    CHECK(h, rc == YOLO_ERR_ARG, "NULL path: %d", rc);
}

/* ------------------------------------------------------------------ truncation, bit flips */

static struct onnx_writer *small_model(void)
{
    struct onnx_writer *w = onnx_writer_create(13);
    int64_t wd[4] = { 4, 3, 3, 3 }, bd[1] = { 4 }, xd[4] = { 1, 3, 8, 8 };
    float wv[108], bv[4] = { 0.1f, 0.2f, 0.3f, 0.4f };
    for (int i = 0; i < 108; i++)
        wv[i] = (float)i / 100.0f;
    onnx_writer_input(w, "images", YOLO_DT_F32, 4, xd);
    onnx_writer_initializer_f32(w, "W", 4, wd, wv);
    onnx_writer_initializer(w, "B", YOLO_DT_F32, 1, bd, bv, 0, ONNX_WRITER_TYPED);
    const char *cin[3] = { "images", "W", "B" }, *cout[1] = { "c" };
    onnx_writer_node(w, "Conv", "/model.0/conv/Conv", 3, cin, 1, cout);
    onnx_writer_attr_ints(w, "kernel_shape", 2, (const int64_t[]){ 3, 3 });
    onnx_writer_attr_ints(w, "pads", 4, (const int64_t[]){ 1, 1, 1, 1 });
    onnx_writer_node(w, "Sigmoid", "/model.0/act/Sigmoid", 1, (const char *[]){ "c" }, 1,
                     (const char *[]){ "s" });
    onnx_writer_node(w, "Mul", "/model.0/act/Mul", 2, (const char *[]){ "c", "s" }, 1,
                     (const char *[]){ "output0" });
    onnx_writer_output(w, "output0", YOLO_DT_F32);
    onnx_writer_metadata(w, "stride", "32");
    return w;
}

static void test_truncation_and_flips(struct harness *h)
{
    struct onnx_writer *w = small_model();
    uint8_t *buf;
    size_t len;
    CHECK(h, onnx_writer_pack(w, &buf, &len) == 0, "pack small model");
    onnx_writer_free(w);
    if (!buf)
        return;
    struct yolo_graph g;
    struct yolo_onnx_info info;
    struct yolo_diag d;
    int n_ok = 0, n_trunc = 0, bad = 0;
    yolo_graph_init(&g);
    int rc = yolo_onnx_import_buffer(buf, len, "t.onnx", &g, &info, NULL, &d);
    CHECK(h, rc == YOLO_OK && g.n_nodes == 3, "small model: %s", d.msg);
    yolo_onnx_info_release(&info);
    yolo_graph_release(&g);
    for (size_t n = 0; n < len; n++) {
        uint8_t *cut = malloc(n ? n : 1);   /* exact size: ASan sees any overread */
        memcpy(cut, buf, n);
        yolo_graph_init(&g);
        rc = yolo_onnx_import_buffer(cut, n, "t.onnx", &g, &info, NULL, &d);
        if (rc == YOLO_OK)
            n_ok++;
        else if (strstr(d.msg, "truncated"))
            n_trunc++;
        if (rc != YOLO_OK && (rc == YOLO_ERR_INTERNAL || !starts_with(d.msg, "t.onnx: ")))
            if (bad++ < 5)
                CHECK(h, 0, "truncated to %zu bytes: %d %s", n, rc, d.msg);
        yolo_onnx_info_release(&info);
        yolo_graph_release(&g);
        free(cut);
    }
    printf("truncations of a %zu-byte model: %d import, %d say 'truncated'\n", len, n_ok, n_trunc);
    CHECK(h, bad == 0 && n_trunc > (int)len / 2, "truncations: %d bad, %d 'truncated'", bad,
          n_trunc);

    /* bit flips: any outcome but a crash, an internal error or a message without the path */
    uint8_t *flip = malloc(len);
    static const uint8_t masks[4] = { 0x01, 0x04, 0x80, 0xff };
    n_ok = 0;
    for (size_t i = 0; flip && i < len; i++) {
        for (int k = 0; k < 4; k++) {
            memcpy(flip, buf, len);
            flip[i] ^= masks[k];
            yolo_graph_init(&g);
            rc = yolo_onnx_import_buffer(flip, len, "t.onnx", &g, &info, NULL, &d);
            n_ok += rc == YOLO_OK;
            if (rc != YOLO_OK && (rc == YOLO_ERR_INTERNAL || !starts_with(d.msg, "t.onnx: ")))
                if (bad++ < 5)
                    CHECK(h, 0, "byte %zu ^ 0x%02x: %d %s", i, masks[k], rc, d.msg);
            yolo_onnx_info_release(&info);
            yolo_graph_release(&g);
        }
    }
    printf("bit flips: %zu tried, %d import\n", 4 * len, n_ok);
    CHECK(h, bad == 0, "bit flips: %d bad", bad);
    free(flip);
    free(buf);
}

/* A model whose graph is n empty NodeProtos: 2 bytes each in the file, a 100-byte struct each
 * once parsed. The parse must stop at its memory budget rather than take gigabytes. */
static void test_parse_budget(struct harness *h)
{
    const size_t n = 3000000, glen = 2 * n;
    uint8_t *buf = malloc(glen + 16);
    CHECK(h, buf != NULL, "malloc");
    if (!buf)
        return;
    size_t pos = 0;
    buf[pos++] = 0x08;                  /* ir_version = 7 */
    buf[pos++] = 7;
    buf[pos++] = 0x3a;                  /* graph, length glen as a varint */
    for (size_t v = glen; ; v >>= 7) {
        buf[pos++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
        if (v <= 0x7f)
            break;
    }
    for (size_t i = 0; i < n; i++) {
        buf[pos++] = 0x0a;              /* node, empty */
        buf[pos++] = 0;
    }
    struct yolo_graph g;
    struct yolo_diag d;
    yolo_graph_init(&g);
    double t0 = (yolo_now_ms() / 1e3);
    int rc = yolo_onnx_import_buffer(buf, pos, "bomb.onnx", &g, NULL, NULL, &d);
    printf("3M empty nodes: %.0f ms: %s\n", ((yolo_now_ms() / 1e3) - t0) * 1e3, d.msg);
    CHECK(h, rc == YOLO_ERR_UNSUPPORTED && strstr(d.msg, "bomb.onnx: parsing would take more than"),
          "empty-node bomb: %d %s", rc, d.msg);
    yolo_graph_release(&g);
    free(buf);
}

/* ------------------------------------------------------------------ bad models */

static struct onnx_writer *with_input(void)
{
    struct onnx_writer *w = onnx_writer_create(13);
    onnx_writer_input(w, "x", YOLO_DT_F32, 2, (const int64_t[]){ 1, 4 });
    return w;
}

static struct onnx_writer *with_initializer(enum yolo_dtype dt, int32_t ndim, const int64_t *dims,
                                            const void *data, size_t n_bytes,
                                            enum onnx_writer_enc e)
{
    struct onnx_writer *w = with_input();
    onnx_writer_initializer(w, "W", dt, ndim, dims, data, n_bytes, e);
    return w;
}

static void test_bad_models(struct harness *h)
{
    struct onnx_writer *w;
    const char *x[1] = { "x" }, *y[1] = { "y" };

    w = with_input();
    onnx_writer_node(w, "Foo", "/model.0/Foo", 1, x, 1, y);
    expect_fail(h, "unsupported op", w, YOLO_ERR_UNSUPPORTED,
                "t.onnx: node '/model.0/Foo' (Foo): unsupported op");
    {   /* exact message */
        struct yolo_graph g;
        struct yolo_diag d;
        w = with_input();
        onnx_writer_node(w, "Foo", "/model.0/Foo", 1, x, 1, y);
        import_w(w, &g, NULL, NULL, &d);
        CHECK(h, strcmp(d.msg, "t.onnx: node '/model.0/Foo' (Foo): unsupported op") == 0, "%s",
              d.msg);
        yolo_graph_release(&g);
        onnx_writer_free(w);
    }
    w = with_input();
    onnx_writer_node(w, "Fo\no", "line\nbreak", 1, x, 1, y);
    expect_fail(h, "control characters", w, YOLO_ERR_UNSUPPORTED, "node 'line?break' (Fo?o): "
                "unsupported op");

    {
        const char *many[YOLO_MAX_IN + 1];
        for (int i = 0; i <= YOLO_MAX_IN; i++)
            many[i] = "x";
        w = with_input();
        onnx_writer_node(w, "Concat", "cat", YOLO_MAX_IN + 1, many, 1, y);
        expect_fail(h, "too many node inputs", w, YOLO_ERR_UNSUPPORTED, "node 'cat' (Concat): 17 "
                    "inputs / 1 outputs exceed the supported 16 / 8");
    }
    w = with_input();
    onnx_writer_model(w)->opset_import[0]->version = 0;
    expect_fail(h, "opset 0", w, YOLO_ERR_FORMAT, "invalid operator set version 0");

    w = with_input();
    onnx_writer_input(w, "", YOLO_DT_F32, 1, (const int64_t[]){ 4 });
    expect_fail(h, "unnamed input", w, YOLO_ERR_FORMAT, "graph input #1 has no name");

    w = with_input();
    onnx_writer_node(w, "Conv", "qconv", 1, x, 1, y);
    onnx_writer_node_domain(w, "com.microsoft");
    expect_fail(h, "other domain", w, YOLO_ERR_UNSUPPORTED, "node 'qconv' (Conv): unsupported op "
                "(domain 'com.microsoft')");

    w = with_input();
    onnx_writer_node(w, "Relu", "n1", 1, (const char *[]){ "ghost" }, 1, y);
    expect_fail(h, "dangling input", w, YOLO_ERR_FORMAT, "t.onnx: node 'n1' (Relu): input 'ghost' "
                "is not produced by any node, initializer or graph input");

    w = with_input();
    onnx_writer_node(w, "Relu", "a", 1, x, 1, y);
    onnx_writer_node(w, "Relu", "b", 1, x, 1, y);
    expect_fail(h, "produced twice", w, YOLO_ERR_FORMAT, "node 'b' (Relu): output 'y' is also "
                "produced by another node");

    w = with_input();
    onnx_writer_node(w, "Relu", "a", 1, x, 1, x);
    expect_fail(h, "output named like an input", w, YOLO_ERR_FORMAT, "output 'x' has the name of "
                "a graph input");

    w = with_input();
    onnx_writer_node(w, "Relu", "a", 1, (const char *[]){ "q" }, 1, (const char *[]){ "p" });
    onnx_writer_node(w, "Relu", "b", 1, (const char *[]){ "p" }, 1, (const char *[]){ "q" });
    expect_fail(h, "cycle", w, YOLO_ERR_FORMAT, "cycle");

    w = with_input();
    onnx_writer_output(w, "nowhere", YOLO_DT_F32);
    expect_fail(h, "dangling output", w, YOLO_ERR_FORMAT, "graph output 'nowhere' is not produced");

    w = with_input();
    onnx_writer_output(w, "x", YOLO_DT_F32);
    onnx_writer_output(w, "x", YOLO_DT_F32);
    expect_fail(h, "output twice", w, YOLO_ERR_FORMAT, "graph output 'x' is listed twice");

    w = with_input();
    onnx_writer_input(w, "x", YOLO_DT_F32, 1, (const int64_t[]){ 4 });
    expect_fail(h, "input twice", w, YOLO_ERR_FORMAT, "graph input 'x' is listed twice");

    w = onnx_writer_create(13);
    for (int i = 0; i < YOLO_MAX_IO + 1; i++) {
        char name[16];
        snprintf(name, sizeof name, "in%d", i);
        onnx_writer_input(w, name, YOLO_DT_F32, 1, (const int64_t[]){ 4 });
    }
    expect_fail(h, "too many inputs", w, YOLO_ERR_UNSUPPORTED, "more than 8 graph inputs");

    w = onnx_writer_create(13);
    onnx_writer_input(w, "s", (enum yolo_dtype)8, 1, (const int64_t[]){ 4 });
    expect_fail(h, "string input", w, YOLO_ERR_UNSUPPORTED,
                "graph input 's': data type 8 (STRING)");

    w = onnx_writer_create(13);
    onnx_writer_input(w, "big", YOLO_DT_F32, 7, (const int64_t[]){ 1, 1, 1, 1, 1, 1, 1 });
    expect_fail(h, "rank-7 input", w, YOLO_ERR_UNSUPPORTED, "rank 7");

    w = with_input();
    onnx_writer_node(w, "Relu", "r", 1, x, 1, y);
    onnx_writer_attr_int(w, "k", 1);
    onnx_writer_attr_int(w, "k", 2);
    expect_fail(h, "duplicate attribute", w, YOLO_ERR_FORMAT, "node 'r' (Relu): attribute 'k' "
                "appears twice");

    w = with_input();
    onnx_writer_node(w, "Constant", "c", 0, NULL, 1, y);
    onnx_writer_attr_tensor(w, "value", YOLO_DT_F32, 1, (const int64_t[]){ 1 },
                            (const float[]){ 1 });
    {
        Onnx__AttributeProto *ap = onnx_writer_last_node(w)->attribute[0];
        onnx__tensor_proto__free_unpacked(ap->t, NULL);
        ap->t = NULL;
    }
    expect_fail(h, "TENSOR attribute without tensor", w, YOLO_ERR_FORMAT, "attribute 'value' of "
                "type TENSOR has no tensor");

    w = with_input();
    onnx_writer_node(w, "Constant", "c", 0, NULL, 1, y);
    onnx_writer_attr_tensor(w, "value", YOLO_DT_F32, 2, (const int64_t[]){ 1, 1 },
                            (const float[]){ 1 });
    onnx_writer_last_node(w)->attribute[0]->t->dims[0] = 1000000;
    onnx_writer_last_node(w)->attribute[0]->t->dims[1] = 1000000;
    expect_fail(h, "TENSOR attribute too small", w, YOLO_ERR_FORMAT, "node 'c' (Constant): "
                "attribute 'value': raw_data has");

    /* initializers claiming more than they hold, or holding what we cannot use */
    const float two[2] = { 1, 2 };
    double t0 = (yolo_now_ms() / 1e3);
    w = with_initializer(YOLO_DT_F32, 2, (const int64_t[]){ 1000000, 1000000 }, two, 8,
                         ONNX_WRITER_RAW);
    expect_fail(h, "10^12 elements in 8 bytes", w, YOLO_ERR_FORMAT, "initializer 'W': raw_data has "
                "8 bytes, but 1000000000000 FLOAT elements need 4000000000000");
    w = with_initializer(YOLO_DT_F32, 3, (const int64_t[]){ 1LL << 40, 1LL << 40, 1LL << 40 }, two,
                         8, ONNX_WRITER_RAW);
    expect_fail(h, "dims overflow", w, YOLO_ERR_FORMAT, "initializer 'W': dims overflow");
    w = with_initializer(YOLO_DT_F32, 2, (const int64_t[]){ 0, 1LL << 62 }, two, 0,
                         ONNX_WRITER_RAW);
    {   /* a zero dim makes the rest harmless: an empty tensor */
        struct yolo_graph g;
        struct yolo_diag d;
        int rc = import_w(w, &g, NULL, NULL, &d);
        CHECK(h, rc == YOLO_OK, "empty tensor with a huge dim: %s", d.msg);
        yolo_graph_release(&g);
        onnx_writer_free(w);
    }
    CHECK(h, (yolo_now_ms() / 1e3) - t0 < 1.0, "huge claims took %.2f s", (yolo_now_ms() / 1e3) - t0);
    w = with_initializer(YOLO_DT_F32, 1, (const int64_t[]){ -2 }, two, 8, ONNX_WRITER_RAW);
    expect_fail(h, "negative dim", w, YOLO_ERR_FORMAT, "initializer 'W': dims[0] = -2 is negative");
    w = with_initializer(YOLO_DT_F32, 7, (const int64_t[]){ 1, 1, 1, 1, 1, 1, 2 }, two, 8,
                         ONNX_WRITER_RAW);
    expect_fail(h, "rank 7", w, YOLO_ERR_UNSUPPORTED, "initializer 'W': rank 7 exceeds");
    w = with_initializer(YOLO_DT_F32, 1, (const int64_t[]){ 1 }, two, 8, ONNX_WRITER_RAW);
    expect_fail(h, "raw data too long", w, YOLO_ERR_FORMAT, "raw_data has 8 bytes, but 1 FLOAT "
                "elements need 4");
    {   /* typed field with fewer values than dims claim */
        w = with_initializer(YOLO_DT_F32, 1, (const int64_t[]){ 2 }, two, 0, ONNX_WRITER_TYPED);
        onnx_writer_last_initializer(w)->dims[0] = 3;
        expect_fail(h, "typed count", w, YOLO_ERR_FORMAT,
                    "float_data has 2 values, but dims claim 3");
    }
    w = with_initializer(YOLO_DT_F32, 1, (const int64_t[]){ 2 }, NULL, 0, ONNX_WRITER_RAW);
    onnx_writer_last_initializer(w)->has_raw_data = 0;
    expect_fail(h, "no data", w, YOLO_ERR_FORMAT, "initializer 'W': no data");
    w = with_initializer(YOLO_DT_F32, 1, (const int64_t[]){ 2 }, two, 8, ONNX_WRITER_RAW);
    onnx_writer_last_initializer(w)->has_data_location = 1;
    onnx_writer_last_initializer(w)->data_location = ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
    expect_fail(h, "external data", w, YOLO_ERR_UNSUPPORTED, "initializer 'W': data stored in an "
                "external file is not supported");
    w = with_initializer((enum yolo_dtype)8, 1, (const int64_t[]){ 2 }, "ab", 2, ONNX_WRITER_RAW);
    expect_fail(h, "string initializer", w, YOLO_ERR_UNSUPPORTED, "data type 8 (STRING) is not "
                "supported");
    w = with_initializer((enum yolo_dtype)16, 1, (const int64_t[]){ 1 }, "ab", 2, ONNX_WRITER_RAW);
    expect_fail(h, "bfloat16 initializer", w, YOLO_ERR_UNSUPPORTED, "(BFLOAT16)");
    w = with_initializer(YOLO_DT_F32, 1, (const int64_t[]){ 2 }, two, 8, ONNX_WRITER_RAW);
    onnx_writer_last_initializer(w)->has_data_type = 0;
    expect_fail(h, "no data type", w, YOLO_ERR_FORMAT, "initializer 'W': no data type");
    w = with_initializer(YOLO_DT_I32, 1, (const int64_t[]){ 1 }, (const int32_t[]){ 300 }, 0,
                         ONNX_WRITER_TYPED);
    onnx_writer_last_initializer(w)->data_type = YOLO_DT_U8;
    expect_fail(h, "uint8 out of range", w, YOLO_ERR_FORMAT, "int32_data[0] = 300 is out of range "
                "for UINT8");
    w = with_input();
    onnx_writer_initializer_f32(w, "W", 1, (const int64_t[]){ 2 }, two);
    onnx_writer_initializer_f32(w, "W", 1, (const int64_t[]){ 2 }, two);
    expect_fail(h, "initializer twice", w, YOLO_ERR_FORMAT, "initializer 'W' appears twice");
    w = with_input();
    onnx_writer_initializer_f32(w, "", 1, (const int64_t[]){ 2 }, two);
    expect_fail(h, "unnamed initializer", w, YOLO_ERR_FORMAT, "initializer #0 has no name");

    /* not a model: no graph; neither IR version nor operator set */
    w = with_input();
    onnx__graph_proto__free_unpacked(onnx_writer_model(w)->graph, NULL);
    onnx_writer_model(w)->graph = NULL;
    expect_fail(h, "no graph", w, YOLO_ERR_FORMAT, "not an ONNX model");
    w = with_input();
    {
        Onnx__ModelProto *m = onnx_writer_model(w);
        for (size_t i = 0; i < m->n_opset_import; i++)
            onnx__operator_set_id_proto__free_unpacked(m->opset_import[i], NULL);
        free(m->opset_import);
        m->opset_import = NULL;
        m->n_opset_import = 0;
        m->has_ir_version = 0;
    }
    expect_fail(h, "no IR version, no opset", w, YOLO_ERR_FORMAT, "not an ONNX model");

    /* an attribute type this build does not know is kept as "other" and ignored */
    w = with_input();
    onnx_writer_node(w, "Relu", "r", 1, x, 1, y);
    onnx_writer_attr_int(w, "odd", 1);
    onnx_writer_last_node(w)->attribute[0]->type = (Onnx__AttributeProto__AttributeType)99;
    onnx_writer_output(w, "y", YOLO_DT_F32);
    {
        struct yolo_graph g;
        struct yolo_diag d;
        struct log_capture cap = { 0, 0, "'odd' ignored", "" };
        struct yolo_logger lg = { capture_log, &cap, YOLO_LOG_WARN };
        int rc = import_w(w, &g, NULL, &lg, &d);
        CHECK(h, rc == YOLO_OK && cap.n_match == 1, "unknown attribute type: %d %s (%s)", rc, d.msg,
              cap.last);
        yolo_graph_release(&g);
        onnx_writer_free(w);
    }
}

int main(void)
{
    HARNESS_INIT(h, "test_onnx_import");
    test_f16(&h);
    test_round_trip(&h);
    test_unpacked_encoding(&h);
    test_node_order(&h);
    test_files(&h);
    test_truncation_and_flips(&h);
    test_bad_models(&h);
    test_parse_budget(&h);
    test_real_models(&h);
    return harness_finish(&h);
}
