/* net.c: see net.h. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "net.h"

struct yolo_net {
    atomic_int refs;
    struct yolo_engine *engine;       /* owned, or NULL for graph nets */
    const struct yolo_graph *g;
    const struct yolo_backend *b;
    void *prepared;                   /* the backend's model: kernels, prepared weights */
};

struct yolo_runner {
    struct yolo_net *net;
    void *ctx;                        /* the backend's per-runner state */
    double *node_ms;
};

static int net_new(const struct yolo_graph *g, struct yolo_engine *e, const struct yolo_net_params *p,
                   struct yolo_net **out, struct yolo_diag *d)
{
    *out = NULL;
    const char *name = p && p->backend ? p->backend : "cpu";
    const struct yolo_backend *b = yolo_backend_find(name);
    if (!b) {
        yolo_engine_free(e);
        return yolo_diag_set(d, YOLO_ERR_UNSUPPORTED, "backend '%s' is not in this build", name);
    }
    struct yolo_net *net = calloc(1, sizeof *net);
    if (!net) {
        yolo_engine_free(e);
        return yolo_diag_set(d, YOLO_ERR_NOMEM, "out of memory creating the network");
    }
    atomic_init(&net->refs, 1);
    net->engine = e;
    net->g = g;
    net->b = b;
    struct yolo_backend_options opt = { p ? p->isa : NULL, p ? p->device : 0,
                                        p ? p->precision : NULL };
    int rc = b->prepare(g, &opt, &net->prepared, d);
    if (rc) {
        yolo_net_free(net);
        return rc;
    }
    *out = net;
    return 0;
}

int yolo_net_create(struct yolo_engine *engine, const struct yolo_net_params *p,
                    struct yolo_net **out, struct yolo_diag *d)
{
    return net_new(&engine->graph, engine, p, out, d);
}

int yolo_net_create_graph(const struct yolo_graph *g, const struct yolo_net_params *p,
                          struct yolo_net **out, struct yolo_diag *d)
{
    return net_new(g, NULL, p, out, d);
}

struct yolo_net *yolo_net_retain(struct yolo_net *net)
{
    atomic_fetch_add(&net->refs, 1);
    return net;
}

void yolo_net_free(struct yolo_net *net)
{
    if (!net || atomic_fetch_sub(&net->refs, 1) != 1)
        return;
    if (net->prepared)
        net->b->prepared_free(net->prepared);
    yolo_engine_free(net->engine);
    free(net);
}

const struct yolo_graph *yolo_net_graph(const struct yolo_net *net) { return net->g; }
const struct yolo_engine *yolo_net_engine(const struct yolo_net *net) { return net->engine; }
const struct yolo_backend *yolo_net_backend(const struct yolo_net *net) { return net->b; }
const char *yolo_net_variant(const struct yolo_net *net) { return net->b->variant(net->prepared); }
uint64_t yolo_net_prepared_bytes(const struct yolo_net *net)
{
    return net->b->prepared_bytes(net->prepared);
}

int yolo_net_device_used(const struct yolo_net *net, uint64_t *bytes)
{
    if (!net->b->device_used)
        return YOLO_ERR_UNSUPPORTED;
    return net->b->device_used(net->prepared, bytes);
}

const char *yolo_net_kernel_name(const struct yolo_net *net, int32_t node)
{
    return net->b->kernel_name(net->prepared, node);
}

int yolo_runner_create(struct yolo_net *net, struct yolo_pool *pool, struct yolo_runner **out,
                       struct yolo_diag *d)
{
    *out = NULL;
    struct yolo_runner *r = calloc(1, sizeof *r);
    if (!r)
        return yolo_diag_set(d, YOLO_ERR_NOMEM, "out of memory creating a context");
    int rc = net->b->ctx_create(net->prepared, pool, &r->ctx, d);
    if (rc) {
        free(r);
        return rc;
    }
    r->net = yolo_net_retain(net);
    *out = r;
    return 0;
}

void yolo_runner_free(struct yolo_runner *r)
{
    if (!r)
        return;
    r->net->b->ctx_free(r->ctx);
    yolo_net_free(r->net);
    free(r);
}

int yolo_runner_run(struct yolo_runner *r, struct yolo_diag *d)
{
    return r->net->b->run(r->ctx, r->node_ms, d);
}

int yolo_runner_enqueue(struct yolo_runner *r, struct yolo_diag *d)
{
    const struct yolo_backend *b = r->net->b;
    return b->enqueue && !r->node_ms ? b->enqueue(r->ctx, d) : b->run(r->ctx, r->node_ms, d);
}

void *yolo_runner_tensor(struct yolo_runner *r, int32_t t)
{
    return r->net->b->is_host ? r->net->b->tensor_host(r->ctx, t) : NULL;
}

void *yolo_runner_device_tensor(struct yolo_runner *r, int32_t t)
{
    const struct yolo_backend *b = r->net->b;
    return b->tensor_device && t >= 0 && t < r->net->g->n_tensors ? b->tensor_device(r->ctx, t) : NULL;
}

void *yolo_runner_queue(struct yolo_runner *r)
{
    return r->net->b->queue ? r->net->b->queue(r->ctx) : NULL;
}

int yolo_runner_tensor_set(struct yolo_runner *r, int32_t t, const void *src, uint64_t bytes)
{
    if (t < 0 || t >= r->net->g->n_tensors || bytes != yolo_tensor_bytes(&r->net->g->tensors[t]))
        return YOLO_ERR_ARG;
    return r->net->b->tensor_set(r->ctx, t, src, 0, bytes);
}

int yolo_runner_tensor_get(struct yolo_runner *r, int32_t t, void *dst, uint64_t bytes)
{
    if (t < 0 || t >= r->net->g->n_tensors || bytes != yolo_tensor_bytes(&r->net->g->tensors[t]))
        return YOLO_ERR_ARG;
    return r->net->b->tensor_get(r->ctx, t, dst, 0, bytes);
}

uint64_t yolo_runner_io_bytes(const struct yolo_runner *r, int32_t t)
{
    return t >= 0 && t < r->net->g->n_tensors ? yolo_tensor_bytes(&r->net->g->tensors[t]) : 0;
}

uint64_t yolo_runner_arena_bytes(const struct yolo_runner *r) { return r->net->g->arena_bytes; }
uint64_t yolo_runner_bytes(const struct yolo_runner *r) { return r->net->b->ctx_bytes(r->ctx); }

void yolo_runner_profile(struct yolo_runner *r, double *node_ms) { r->node_ms = node_ms; }
