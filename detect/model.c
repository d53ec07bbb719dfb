/* model.c: yolo_model: a loaded engine plus what makes it a detector (input size, output
 * layout, class names), read from the engine's META and LBLS sections. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "detect_internal.h"

void yolo_model_params_default(struct yolo_model_params *p)
{
    memset(p, 0, sizeof *p);
}

static int meta_int(const struct yolo_engine *e, const char *key, int32_t lo, int32_t hi, int32_t *out)
{
    const char *v = yolo_engine_meta_get(e, key);
    char *end;
    if (!v)
        return -1;
    long x = strtol(v, &end, 10);
    if (end == v || *end || x < lo || x > hi)
        return -1;
    *out = (int32_t)x;
    return 0;
}

static int model_setup(struct yolo_model *m, const char *path, struct yolo_diag *d)
{
    const struct yolo_engine *e = yolo_net_engine(m->net);
    const struct yolo_graph *g = yolo_net_graph(m->net);
    const char *fmt = yolo_engine_meta_get(e, "model.format");
    if (!fmt)
        return yolo_diag_set(d, YOLO_ERR_FORMAT, "%s: engine has no 'model.format' metadata: not a "
                             "detection engine (rebuild with 'yolo build')", path);
    if (strcmp(fmt, "v8") == 0)
        m->format = YOLO_FORMAT_V8;
    else if (strcmp(fmt, "v5") == 0)
        m->format = YOLO_FORMAT_V5;
    else if (strcmp(fmt, "e2e") == 0)
        m->format = YOLO_FORMAT_E2E;
    else
        return yolo_diag_set(d, YOLO_ERR_UNSUPPORTED, "%s: unknown output format '%s'", path, fmt);
    if (meta_int(e, "model.classes", 1, 1 << 20, &m->n_classes) || e->n_labels != m->n_classes)
        return yolo_diag_set(d, YOLO_ERR_FORMAT, "%s: class count metadata and %d labels disagree",
                             path, e->n_labels);
    if (meta_int(e, "model.stride", 1, 1024, &m->stride))
        m->stride = 32;
    if (g->n_inputs != 1 || g->n_outputs < 1)
        return yolo_diag_set(d, YOLO_ERR_FORMAT, "%s: %d inputs, %d outputs: not a detection engine",
                             path, g->n_inputs, g->n_outputs);
    const struct yolo_tensor *in = &g->tensors[g->inputs[0]];
    const struct yolo_tensor *out = &g->tensors[g->outputs[0]];
    if (in->ndim != 4 || in->shape[1] != 3 || in->dtype != YOLO_DT_F32 || out->ndim != 3 ||
        out->dtype != YOLO_DT_F32 || out->shape[0] != in->shape[0])
        return yolo_diag_set(d, YOLO_ERR_FORMAT, "%s: input/output shapes are not a detector's", path);
    /* yolo build makes at most 8192 x 8192 inputs and batches of 256: an engine claiming
     * more is corrupt or crafted, and every context would allocate for it */
    if (in->shape[0] < 1 || in->shape[0] > 256 || in->shape[2] < 1 || in->shape[2] > 8192 ||
        in->shape[3] < 1 || in->shape[3] > 8192)
        return yolo_diag_set(d, YOLO_ERR_FORMAT, "%s: input [%lld, 3, %lld, %lld] is outside what "
                             "yolo build makes (batch <= 256, sides <= 8192)", path,
                             (long long)in->shape[0], (long long)in->shape[2],
                             (long long)in->shape[3]);
    m->in_tensor = g->inputs[0];
    m->out_tensor = g->outputs[0];
    m->max_batch = (int32_t)in->shape[0];
    m->in_h = (int32_t)in->shape[2];
    m->in_w = (int32_t)in->shape[3];
    m->out_dim1 = out->shape[1];
    m->out_dim2 = out->shape[2];
    int64_t need_d1 = m->format == YOLO_FORMAT_V8 ? 4 + m->n_classes : 0;
    int64_t need_d2 = m->format == YOLO_FORMAT_V5 ? 5 + m->n_classes : m->format == YOLO_FORMAT_E2E ? 6 : 0;
    if ((need_d1 && m->out_dim1 < need_d1) || (need_d2 && m->out_dim2 < need_d2))
        return yolo_diag_set(d, YOLO_ERR_FORMAT, "%s: output [%lld, %lld] too small for %d classes",
                             path, (long long)m->out_dim1, (long long)m->out_dim2, m->n_classes);
    m->names = (const char *const *)e->labels;
    return 0;
}

int yolo_model_load(const char *engine_path, const struct yolo_model_params *p,
                    struct yolo_model **out, struct yolo_diag *diag)
{
    return yolo_model_load_flags(engine_path, p, 0, out, diag);
}

int yolo_model_load_flags(const char *engine_path, const struct yolo_model_params *p,
                          unsigned flags, struct yolo_model **out, struct yolo_diag *diag)
{
    struct yolo_model_params defaults;
    if (!out || !engine_path)
        return yolo_diag_set(diag, YOLO_ERR_ARG, "yolo_model_load: NULL argument");
    *out = NULL;
    if (!p) {
        yolo_model_params_default(&defaults);
        p = &defaults;
    }
    struct yolo_engine *e = NULL;
    if (p->no_verify)
        flags |= YOLO_ENGINE_NO_VERIFY_WEIGHTS;
    int rc = yolo_engine_load(engine_path, flags, &e, diag);
    if (rc)
        return rc;
    struct yolo_model *m = calloc(1, sizeof *m);
    if (!m) {
        yolo_engine_free(e);
        return yolo_diag_set(diag, YOLO_ERR_NOMEM, "%s: out of memory", engine_path);
    }
    atomic_init(&m->refs, 1);
    struct yolo_net_params np = { .isa = p->isa, .backend = p->backend, .device = p->device,
                                  .precision = p->precision };
    rc = yolo_net_create(e, &np, &m->net, diag);   /* owns e from here, also on failure */
    m->raw = p->raw != 0;
    m->max_batch = 1;
    if (!rc && !m->raw)
        rc = model_setup(m, engine_path, diag);
    if (rc) {
        yolo_model_release(m);
        return rc;
    }
    *out = m;
    return 0;
}

struct yolo_model *yolo_model_retain(struct yolo_model *m)
{
    atomic_fetch_add(&m->refs, 1);
    return m;
}

void yolo_model_release(struct yolo_model *m)
{
    if (!m || atomic_fetch_sub(&m->refs, 1) != 1)
        return;
    yolo_net_free(m->net);
    free(m);
}

void yolo_model_free(struct yolo_model *m)
{
    yolo_model_release(m);
}

const char *yolo_model_precision(const struct yolo_model *m)
{
    const char *prec = yolo_engine_meta_get(yolo_net_engine(m->net), "precision");
    return prec ? prec : "fp32";   /* engines record it; fp32 is the only one before that */
}

void yolo_model_get_info(const struct yolo_model *m, struct yolo_model_info *info)
{
    memset(info, 0, sizeof *info);
    info->input_w = m->in_w;
    info->input_h = m->in_h;
    info->max_batch = m->max_batch;
    info->n_classes = m->n_classes;
    info->stride = m->stride;
    info->format = m->format;
    info->class_names = m->names;
    info->isa = yolo_net_variant(m->net);
    info->backend = yolo_net_backend(m->net)->name;
    /* a device backend's arithmetic is chosen at load (fp16 on the GPU); the CPU's is the build's */
    info->precision = yolo_net_backend(m->net)->is_host ? yolo_model_precision(m) : info->isa;
}
