/* introspect.c: the public view inside an engine (yolo.h, "inside an engine"): summary,
 * tensors, nodes, metadata, sections, raw tensors in and out, per-node timing, the system.
 * What `yolo info`, `yolo bench` and `yolo infer` print comes from here. */
#include <cblas.h>
#include <string.h>
#include <unistd.h>

#include "cpu/cpu.h"
#include "detect_internal.h"
#include "ops/op_params.h"
#include "sha256.h"
#include "version.h"

const char *yolo_backends(void)
{
#ifdef YOLO_CUDA
    return "cpu,cuda";
#else
    return "cpu";
#endif
}

const char *yolo_version(void)
{
    return YOLO_VERSION_STRING " (" YOLO_GIT_COMMIT ")";
}

static double node_flops(const struct yolo_graph *g, const struct yolo_node *n)
{
    const struct yolo_op_impl *impl = yolo_op_impl_get(n->op);
    return impl && impl->flops_fn ? 2.0 * impl->flops_fn(g, n) : 0.0;
}

void yolo_model_summary(const struct yolo_model *m, struct yolo_engine_summary *s)
{
    const struct yolo_engine *e = yolo_net_engine(m->net);
    const struct yolo_graph *g = yolo_net_graph(m->net);
    memset(s, 0, sizeof *s);
    s->format_major = e->major;
    s->format_minor = e->minor;
    s->file_bytes = e->file_bytes;
    s->n_inputs = g->n_inputs;
    s->n_outputs = g->n_outputs;
    s->n_nodes = g->n_nodes;
    s->n_sections = e->n_sections;
    s->n_meta = e->n_meta;
    s->n_labels = e->n_labels;
    s->arena_bytes = g->arena_bytes;
    for (int32_t t = 0; t < g->n_tensors; t++) {
        const struct yolo_tensor *T = &g->tensors[t];
        if (T->flags & YOLO_TF_CONST) {
            s->weight_bytes += yolo_tensor_bytes(T);
            s->n_weights++;
        } else {
            s->intermediate_bytes += yolo_tensor_bytes(T);
            s->n_intermediate++;
            s->n_views += (T->flags & YOLO_TF_ALIAS) != 0;
        }
    }
    for (int32_t i = 0; i < g->n_nodes; i++)
        s->gflop += node_flops(g, &g->nodes[i]) / 1e9;
    s->prepared_bytes = yolo_net_prepared_bytes(m->net);
    s->backend = yolo_net_backend(m->net)->name;
    s->variant = yolo_net_variant(m->net);
    s->precision = yolo_model_precision(m);
}

static void tensor_desc(const struct yolo_tensor *T, struct yolo_tensor_desc *t)
{
    memset(t, 0, sizeof *t);
    t->name = T->name;
    t->dtype = yolo_dtype_name(T->dtype);
    t->ndim = T->ndim;
    for (int i = 0; i < T->ndim && i < YOLO_TENSOR_MAX_DIMS; i++)
        t->shape[i] = T->shape[i];
    t->bytes = yolo_tensor_bytes(T);
}

int yolo_model_input(const struct yolo_model *m, int32_t i, struct yolo_tensor_desc *t)
{
    const struct yolo_graph *g = yolo_net_graph(m->net);
    if (i < 0 || i >= g->n_inputs)
        return YOLO_ERR_ARG;
    tensor_desc(&g->tensors[g->inputs[i]], t);
    return 0;
}

int yolo_model_output(const struct yolo_model *m, int32_t i, struct yolo_tensor_desc *t)
{
    const struct yolo_graph *g = yolo_net_graph(m->net);
    if (i < 0 || i >= g->n_outputs)
        return YOLO_ERR_ARG;
    tensor_desc(&g->tensors[g->outputs[i]], t);
    return 0;
}

int yolo_model_node(const struct yolo_model *m, int32_t i, struct yolo_node_desc *nd)
{
    const struct yolo_graph *g = yolo_net_graph(m->net);
    if (i < 0 || i >= g->n_nodes)
        return YOLO_ERR_ARG;
    const struct yolo_node *n = &g->nodes[i];
    memset(nd, 0, sizeof *nd);
    nd->op = yolo_node_stored_name(n);
    nd->name = n->name;
    nd->kernel = yolo_net_kernel_name(m->net, i);
    if (n->op == YOLO_OP_CONV) {
        static const char *const acts[] = { NULL, "Relu", "Sigmoid", "SiLU" };
        int64_t a = n->params[YOLO_CONV_ACT];
        nd->activation = a > 0 && a < 4 ? acts[a] : NULL;
    }
    nd->n_in = n->n_in < YOLO_NODE_MAX_IO ? n->n_in : YOLO_NODE_MAX_IO;
    nd->n_out = n->n_out < YOLO_NODE_MAX_IO ? n->n_out : YOLO_NODE_MAX_IO;
    for (int k = 0; k < nd->n_in; k++)
        nd->in[k] = n->in[k] >= 0 ? g->tensors[n->in[k]].name : NULL;
    for (int k = 0; k < nd->n_out; k++)
        nd->out[k] = n->out[k] >= 0 ? g->tensors[n->out[k]].name : NULL;
    if (n->n_out > 0 && n->out[0] >= 0) {
        struct yolo_tensor_desc t;
        tensor_desc(&g->tensors[n->out[0]], &t);
        nd->out0_dtype = t.dtype;
        nd->out0_ndim = t.ndim;
        memcpy(nd->out0_shape, t.shape, sizeof t.shape);
    }
    nd->flops = node_flops(g, n);
    return 0;
}

int yolo_model_meta(const struct yolo_model *m, int32_t i, const char **key, const char **value)
{
    const struct yolo_engine *e = yolo_net_engine(m->net);
    if (i < 0 || i >= e->n_meta)
        return YOLO_ERR_ARG;
    *key = e->meta[i].key;
    *value = e->meta[i].value;
    return 0;
}

int yolo_model_section(const struct yolo_model *m, int32_t i, struct yolo_section_desc *s)
{
    const struct yolo_engine *e = yolo_net_engine(m->net);
    if (i < 0 || i >= e->n_sections)
        return YOLO_ERR_ARG;
    const struct yolo_engine_section *es = &e->sections[i];
    for (int k = 0; k < 4; k++) {
        char c = (char)(es->tag >> (8 * k));
        s->tag[k] = c >= 32 && c < 127 ? c : '?';
    }
    s->tag[4] = 0;
    s->offset = es->offset;
    s->bytes = es->bytes;
    s->crc32 = es->crc32;
    return 0;
}

const char *yolo_model_label(const struct yolo_model *m, int32_t i)
{
    const struct yolo_engine *e = yolo_net_engine(m->net);
    return i >= 0 && i < e->n_labels ? e->labels[i] : NULL;
}

static int io_tensor(const struct yolo_ctx *c, int input, int32_t i, uint64_t bytes, int32_t *t,
                     struct yolo_diag *d)
{
    const struct yolo_graph *g = yolo_net_graph(c->model->net);
    int32_t n = input ? g->n_inputs : g->n_outputs;
    if (i < 0 || i >= n)
        return yolo_diag_set(d, YOLO_ERR_ARG, "%s %d does not exist (the engine has %d)",
                             input ? "input" : "output", i, n);
    *t = input ? g->inputs[i] : g->outputs[i];
    uint64_t need = yolo_tensor_bytes(&g->tensors[*t]);
    if (bytes != need)
        return yolo_diag_set(d, YOLO_ERR_ARG, "%s '%s' takes %llu bytes, not %llu",
                             input ? "input" : "output", g->tensors[*t].name,
                             (unsigned long long)need, (unsigned long long)bytes);
    return 0;
}

int yolo_ctx_set_input(struct yolo_ctx *c, int32_t i, const void *data, uint64_t bytes,
                       struct yolo_diag *diag)
{
    int32_t t;
    int rc = io_tensor(c, 1, i, bytes, &t, diag);
    return rc ? rc : yolo_runner_tensor_set(c->runner, t, data, bytes);
}

int yolo_ctx_forward(struct yolo_ctx *c, struct yolo_diag *diag)
{
    return yolo_runner_run(c->runner, diag);
}

int yolo_ctx_get_output(struct yolo_ctx *c, int32_t i, void *data, uint64_t bytes,
                        struct yolo_diag *diag)
{
    int32_t t;
    int rc = io_tensor(c, 0, i, bytes, &t, diag);
    return rc ? rc : yolo_runner_tensor_get(c->runner, t, data, bytes);
}

void yolo_ctx_profile(struct yolo_ctx *c, double *node_ms)
{
    yolo_runner_profile(c->runner, node_ms);
}

void yolo_system_info(struct yolo_system_info *s)
{
    struct yolo_cpu cpu;
    yolo_cpu_detect(&cpu);
    memset(s, 0, sizeof *s);
    snprintf(s->cpu, sizeof s->cpu, "%s", cpu.model);
    s->isa_best = yolo_isa_name(yolo_isa_select(&cpu, NULL));
    snprintf(s->blas, sizeof s->blas, "%s", openblas_get_config());
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    s->cores = n > 0 ? (int32_t)n : 1;
}

int yolo_file_sha256(const char *path, char hex[65], struct yolo_diag *diag)
{
    return yolo_sha256_file(path, hex, diag);
}

int yolo_model_device_memory_used(const struct yolo_model *m, uint64_t *bytes)
{
    *bytes = 0;
    return yolo_net_device_used(m->net, bytes);
}
