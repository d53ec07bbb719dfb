/* net.c: see net.h. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "net.h"

void openblas_set_num_threads(int num_threads);

/* OpenBLAS threading is process-wide. Our pool splits each node over its threads and every
 * thread calls sgemm on its own slice, so BLAS itself must stay single-threaded (else each
 * pool thread would start BLAS threads of its own and oversubscribe the cores). Set once,
 * before any net runs. */
static pthread_once_t blas_once = PTHREAD_ONCE_INIT;
static void blas_single_thread(void)
{
    openblas_set_num_threads(1);
}

struct yolo_net {
    atomic_int refs;
    struct yolo_engine *engine;       /* owned, or NULL for graph nets */
    const struct yolo_graph *g;
    yolo_kernel_fn *kernels;          /* per node */
    uint8_t *skip;                    /* per node: a view whose output aliases its input */
    enum yolo_isa isa;
};

struct yolo_runner {
    struct yolo_net *net;
    struct yolo_pool *pool;
    uint8_t *arena;
    uint8_t *scratch;
    struct yolo_exec x;
    double *node_ms;
};

static int net_init(struct yolo_net *net, const struct yolo_net_params *p, struct yolo_diag *d)
{
    const struct yolo_graph *g = net->g;
    pthread_once(&blas_once, blas_single_thread);
    struct yolo_cpu cpu;
    yolo_cpu_detect(&cpu);
    const char *forced = p && p->isa ? p->isa : getenv("YOLO_ISA");
    net->isa = yolo_isa_select(&cpu, forced);
    net->kernels = calloc((size_t)(g->n_nodes ? g->n_nodes : 1), sizeof *net->kernels);
    net->skip = calloc((size_t)(g->n_nodes ? g->n_nodes : 1), 1);
    if (!net->kernels || !net->skip)
        return yolo_diag_set(d, YOLO_ERR_NOMEM, "out of memory creating the network");
    for (int32_t i = 0; i < g->n_nodes; i++) {
        const struct yolo_node *n = &g->nodes[i];
        const struct yolo_op_impl *impl = yolo_op_impl_get(n->op);
        if (!impl || !impl->ref_fn)
            return yolo_node_error(d, YOLO_ERR_UNSUPPORTED, n, "op not implemented in this build");
        yolo_kernel_fn k = NULL;
        if (impl->select_fn && net->isa != YOLO_ISA_REF)
            k = impl->select_fn(g, n, net->isa);
        net->kernels[i] = k ? k : impl->ref_fn;
        if (n->n_out == 1 && n->out[0] >= 0 && (g->tensors[n->out[0]].flags & YOLO_TF_ALIAS))
            net->skip[i] = 1;
    }
    return 0;
}

static int net_new(const struct yolo_graph *g, struct yolo_engine *e, const struct yolo_net_params *p,
                   struct yolo_net **out, struct yolo_diag *d)
{
    *out = NULL;
    struct yolo_net *net = calloc(1, sizeof *net);
    if (!net) {
        yolo_engine_free(e);
        return yolo_diag_set(d, YOLO_ERR_NOMEM, "out of memory creating the network");
    }
    atomic_init(&net->refs, 1);
    net->engine = e;
    net->g = g;
    int rc = net_init(net, p, d);
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
    free(net->kernels);
    free(net->skip);
    yolo_engine_free(net->engine);
    free(net);
}

const struct yolo_graph *yolo_net_graph(const struct yolo_net *net) { return net->g; }
const struct yolo_engine *yolo_net_engine(const struct yolo_net *net) { return net->engine; }
enum yolo_isa yolo_net_isa(const struct yolo_net *net) { return net->isa; }

const char *yolo_net_kernel_name(const struct yolo_net *net, int32_t node)
{
    const struct yolo_op_impl *impl = yolo_op_impl_get(net->g->nodes[node].op);
    if (net->skip[node])
        return "alias";
    return impl && net->kernels[node] == impl->ref_fn ? "ref" : yolo_isa_name(net->isa);
}

int yolo_runner_create(struct yolo_net *net, struct yolo_pool *pool, struct yolo_runner **out,
                       struct yolo_diag *d)
{
    *out = NULL;
    const struct yolo_graph *g = net->g;
    int nth = yolo_pool_size(pool);
    uint64_t scratch = 0;
    for (int32_t i = 0; i < g->n_nodes; i++) {
        const struct yolo_op_impl *impl = yolo_op_impl_get(g->nodes[i].op);
        if (impl->scratch_fn && net->kernels[i] != impl->ref_fn) {
            uint64_t s = impl->scratch_fn(g, &g->nodes[i], nth);
            if (s > scratch)
                scratch = s;
        }
    }
    scratch = (scratch + 63) & ~(uint64_t)63;
    struct yolo_runner *r = calloc(1, sizeof *r);
    if (!r)
        return yolo_diag_set(d, YOLO_ERR_NOMEM, "out of memory creating a context");
    r->net = yolo_net_retain(net);
    r->pool = pool;
    uint64_t ab = g->arena_bytes ? g->arena_bytes : 64;
    r->arena = aligned_alloc(64, (ab + 63) & ~(uint64_t)63);
    if (scratch)
        r->scratch = aligned_alloc(64, scratch * (uint64_t)nth);
    if (!r->arena || (scratch && !r->scratch)) {
        yolo_runner_free(r);
        return yolo_diag_set(d, YOLO_ERR_NOMEM, "out of memory allocating a %llu-byte arena",
                             (unsigned long long)ab);
    }
    /* Zeroed once so outputs of nodes that write nothing (empty tensors) are defined. */
    memset(r->arena, 0, ab);
    r->x = (struct yolo_exec){ .g = g, .arena = r->arena, .consts = g->consts,
                               .scratch = r->scratch, .scratch_bytes = scratch };
    *out = r;
    return 0;
}

void yolo_runner_free(struct yolo_runner *r)
{
    if (!r)
        return;
    free(r->arena);
    free(r->scratch);
    yolo_net_free(r->net);
    free(r);
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
}

static void run_task(void *arg, int ith, int nth)
{
    struct yolo_runner *r = arg;
    const struct yolo_net *net = r->net;
    const struct yolo_graph *g = net->g;
    for (int32_t i = 0; i < g->n_nodes; i++) {
        if (net->skip[i])
            continue;
        double t0 = ith == 0 && r->node_ms ? now_ms() : 0;
        net->kernels[i](&r->x, &g->nodes[i], ith, nth);
        yolo_pool_barrier(r->pool);
        if (ith == 0 && r->node_ms)
            r->node_ms[i] += now_ms() - t0;
    }
}

int yolo_runner_run(struct yolo_runner *r, struct yolo_diag *d)
{
    (void)d;
    yolo_pool_run(r->pool, run_task, r);
    return 0;
}

void *yolo_runner_tensor(struct yolo_runner *r, int32_t t)
{
    return yolo_exec_ptr(&r->x, t);
}

uint64_t yolo_runner_arena_bytes(const struct yolo_runner *r) { return r->net->g->arena_bytes; }
uint64_t yolo_runner_scratch_bytes(const struct yolo_runner *r)
{
    return r->x.scratch_bytes * (uint64_t)yolo_pool_size(r->pool);
}

void yolo_runner_profile(struct yolo_runner *r, double *node_ms) { r->node_ms = node_ms; }
