/* cpu/backend_cpu.c: the x86 CPU backend (backend.h). Host memory; nodes split over the
 * runner's pool threads, which meet at a barrier after each node (ggml's scheme).
 *
 * prepare (once per model, shared by every context and clone): picks each node's kernel for
 * the ISA (select.c) and packs the weights of every eligible Conv into its kernel's layout
 * (conv_pack.h), so the engine keeps one copy of the weights, as the model defines them.
 * View nodes whose output the planner aliased to their input (YOLO_TF_ALIAS) run nothing. */
#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "backend.h"
#include "passes.h"
#include "cpu/conv_pack.h"
#include "cpu/cpu.h"
#include "cpu/qconv_pack.h"
#include "clock.h"

void openblas_set_num_threads(int num_threads);

/* OpenBLAS threading is process-wide. The pool splits each node over its threads and every
 * thread calls sgemm on its own slice, so BLAS itself must stay single-threaded (else each
 * pool thread would start BLAS threads of its own and oversubscribe the cores). Set once,
 * before any model runs. */
static pthread_once_t blas_once = PTHREAD_ONCE_INIT;
static void blas_single_thread(void)
{
    openblas_set_num_threads(1);
}

struct cpu_model {
    const struct yolo_graph *g;
    struct yolo_cpu cpu;              /* detected once at prepare: every pick reads it */
    enum yolo_isa isa;
    struct yolo_cpu_kernel *kernels;  /* per node, picked for one thread (scratch: per ctx) */
    int64_t *pack_kind;               /* per node: enum yolo_conv_pack of its node data */
    uint8_t *skip;                    /* per node: nothing to run: 1 an aliased view, 2 part
                                         of a split chain run at its Sigmoid */
    const void **node_data;           /* per node: struct yolo_conv_packed * or NULL */
    struct yolo_conv_packed *packs;   /* per node */
    struct yolo_split_chain *chains;  /* per node: the chain a Sigmoid runs */
    struct yolo_cpu_dfl *dfls;        /* per node: the DFL chain a Conv runs */
    struct yolo_cpu_concat_q *cqs;    /* the QDQ joins the QuantizeLinears run */
    struct yolo_cpu_concat_q *gqs;    /* the QuantizeLinears of grid bytes, joins of one part */
    float *blob;                      /* every packed weight, 64-byte aligned pieces */
    uint64_t blob_bytes;
};

struct cpu_ctx {
    const struct cpu_model *m;
    struct yolo_pool *pool;
    uint8_t *arena, *scratch;
    uint64_t arena_bytes, scratch_total;
    struct yolo_exec x;
    double *node_ms;
};

static int cpu_supports_node(const struct yolo_graph *g, const struct yolo_node *n)
{
    (void)g;
    const struct yolo_op_impl *impl = yolo_op_impl_get(n->op);
    return impl && impl->ref_fn;   /* every op with a reference kernel runs on the host */
}

static void cpu_prepared_free(void *prepared)
{
    struct cpu_model *m = prepared;
    if (!m)
        return;
    free(m->kernels);
    free(m->pack_kind);
    free(m->skip);
    free(m->node_data);
    free(m->packs);
    free(m->chains);
    free(m->dfls);
    free(m->cqs);
    free(m->gqs);
    free(m->blob);
    free(m);
}

/* Packing is a few tens of ms of a one-image run (yolov8n: 33 MiB of packed weights, the
 * Winograd transforms in double): split the convs over the online cores, each thread taking
 * every nth one. Falls back to the caller alone if a thread cannot start. */
struct pack_job { struct cpu_model *m; int ith, nth; };

static void *pack_part(void *arg)
{
    const struct pack_job *j = arg;
    const struct yolo_graph *g = j->m->g;
    for (int32_t i = j->ith; i < g->n_nodes; i += j->nth) {
        const struct yolo_conv_packed *pk = &j->m->packs[i];
        if (!pk->w)
            continue;
        const struct yolo_tensor *W = &g->tensors[g->nodes[i].in[1]];
        yolo_conv_pack_weights(pk->kind, yolo_graph_const_data(g, g->nodes[i].in[1]), W->shape[0],
                               W->shape[1], W->shape[2], W->shape[3], (float *)pk->w);
    }
    return NULL;
}

static void pack_all(struct cpu_model *m)
{
    enum { MAX_PACK_THREADS = 8 };
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int nth = cores < 1 ? 1 : cores > MAX_PACK_THREADS ? MAX_PACK_THREADS : (int)cores;
    if (m->blob_bytes < ((uint64_t)1 << 20))
        nth = 1;
    struct pack_job jobs[MAX_PACK_THREADS];
    pthread_t tid[MAX_PACK_THREADS];
    int started = 0;
    for (int t = 1; t < nth; t++) {
        jobs[t] = (struct pack_job){ m, t, nth };
        if (pthread_create(&tid[t], NULL, pack_part, &jobs[t]))
            break;
        started = t;
    }
    /* the caller packs share 0 and the shares of any thread that did not start */
    for (int t = started + 1; t < nth; t++) {
        jobs[t] = (struct pack_job){ m, t, nth };
        pack_part(&jobs[t]);
    }
    jobs[0] = (struct pack_job){ m, 0, nth };
    pack_part(&jobs[0]);
    for (int t = 1; t < nth; t++)
        pthread_join(tid[t], NULL);
}

static int cpu_prepare(const struct yolo_graph *g, const struct yolo_backend_options *opt,
                       void **prepared, struct yolo_diag *d)
{
    *prepared = NULL;
    pthread_once(&blas_once, blas_single_thread);
    struct cpu_model *m = calloc(1, sizeof *m);
    if (!m)
        return yolo_diag_set(d, YOLO_ERR_NOMEM, "out of memory preparing the model");
    m->g = g;
    yolo_cpu_detect(&m->cpu);
    const char *forced = opt && opt->isa ? opt->isa : getenv("YOLO_ISA");
    m->isa = yolo_isa_select(&m->cpu, forced);
    size_t nn = (size_t)(g->n_nodes ? g->n_nodes : 1);
    m->kernels = calloc(nn, sizeof *m->kernels);
    m->pack_kind = calloc(nn, sizeof *m->pack_kind);
    m->skip = calloc(nn, 1);
    m->node_data = calloc(nn, sizeof *m->node_data);
    m->packs = calloc(nn, sizeof *m->packs);
    m->chains = calloc(nn, sizeof *m->chains);
    m->dfls = calloc(nn, sizeof *m->dfls);
    if (!m->kernels || !m->pack_kind || !m->skip || !m->node_data || !m->packs || !m->chains ||
        !m->dfls)
        goto nomem;
    /* sizes first, so all packed weights live in one allocation */
    uint64_t total = 0;
    for (int32_t i = 0; i < g->n_nodes; i++) {
        const struct yolo_node *n = &g->nodes[i];
        if (!cpu_supports_node(g, n)) {
            cpu_prepared_free(m);
            return yolo_node_error(d, YOLO_ERR_UNSUPPORTED, n, "op not implemented on the cpu "
                                   "backend");
        }
        if (n->n_out == 1 && n->out[0] >= 0 && (g->tensors[n->out[0]].flags & YOLO_TF_ALIAS))
            m->skip[i] = 1;
        int64_t kind = m->isa == YOLO_ISA_REF ? YOLO_CONV_PACK_NONE : yolo_cpu_conv_pack_kind_on(&m->cpu, g, n, m->isa);
        if (kind != YOLO_CONV_PACK_NONE) {
            const struct yolo_tensor *W = &g->tensors[n->in[1]];
            int64_t numel = yolo_conv_packed_numel(kind, W->shape[0], W->shape[1], W->shape[2],
                                                   W->shape[3]);
            total += ((uint64_t)numel * sizeof(float) + 63) & ~(uint64_t)63;
        }
        m->pack_kind[i] = kind;
    }
    if (total) {
        /* Tens of MiB written once at load: on 2 MiB pages that is a few page faults instead
         * of thousands (measured: yolov8n's 33 MiB cost ~100 ms of faults on 4 KiB pages in a
         * VM, 3x the time of packing itself), and the kernels' reads miss the TLB less. */
        const size_t huge = (size_t)2 << 20;
        void *p = NULL;
        if (total >= huge) {
            total = (total + huge - 1) / huge * huge;
            if (posix_memalign(&p, huge, total))
                p = NULL;
            if (p)
                madvise(p, total, MADV_HUGEPAGE);
        } else {
            p = aligned_alloc(64, total);
        }
        if (!p)
            goto nomem;
        m->blob = p;
        m->blob_bytes = total;
    }
    uint8_t *at = (uint8_t *)m->blob;
    for (int32_t i = 0; i < g->n_nodes; i++) {
        const struct yolo_node *n = &g->nodes[i];
        int64_t kind = m->pack_kind[i];
        if (kind != YOLO_CONV_PACK_NONE) {
            const struct yolo_tensor *W = &g->tensors[n->in[1]];
            int64_t numel = yolo_conv_packed_numel(kind, W->shape[0], W->shape[1], W->shape[2],
                                                   W->shape[3]);
            m->packs[i] = (struct yolo_conv_packed){ .kind = kind, .w = (const float *)at };
            m->node_data[i] = &m->packs[i];
            at += ((uint64_t)numel * sizeof(float) + 63) & ~(uint64_t)63;
        }
        yolo_cpu_kernel_pick_on(&m->cpu, g, n, m->isa, kind, 1, &m->kernels[i]);
    }
    yolo_qconv_mark_c4(g, m->kernels, m->packs, m->node_data);
    yolo_split_chain_mark(g, m->isa, m->kernels, m->chains, m->node_data, m->skip);
    yolo_conv_tp_mark(g, m->isa, m->kernels, m->packs, m->chains, m->node_data, m->skip);
    yolo_dfl_mark(g, m->isa, m->kernels, m->dfls, m->node_data, m->skip);
    yolo_conv_cat_mark(g, m->isa, m->kernels, m->packs, m->node_data, m->skip);
    yolo_conv_add_mark(g, m->isa, m->kernels, m->packs, m->node_data, m->skip);
    yolo_concat_q_mark(g, m->isa, m->cpu.avx512vbmi, m->kernels, m->packs, m->node_data,
                       m->skip, &m->cqs);
    yolo_qconv_grid_mark(g, m->isa == YOLO_ISA_AVX512 && m->cpu.avx512vbmi, m->kernels, m->packs,
                         m->node_data, m->skip, m->cqs, &m->gqs);
    pack_all(m);
    *prepared = m;
    return 0;
nomem:
    cpu_prepared_free(m);
    return yolo_diag_set(d, YOLO_ERR_NOMEM, "out of memory preparing the model's weights");
}

static uint64_t cpu_prepared_bytes(const void *prepared)
{
    return ((const struct cpu_model *)prepared)->blob_bytes;
}

static const char *cpu_kernel_name(const void *prepared, int32_t node)
{
    const struct cpu_model *m = prepared;
    return m->skip[node] == 1 ? "alias" : m->skip[node] ? "fused" : m->kernels[node].name;
}

static const char *cpu_variant(const void *prepared)
{
    return yolo_isa_name(((const struct cpu_model *)prepared)->isa);
}

static void cpu_ctx_free(void *ctx)
{
    struct cpu_ctx *c = ctx;
    if (!c)
        return;
    free(c->arena);
    free(c->scratch);
    free(c);
}

static int cpu_ctx_create(const void *prepared, struct yolo_pool *pool, void **out,
                          struct yolo_diag *d)
{
    const struct cpu_model *m = prepared;
    const struct yolo_graph *g = m->g;
    *out = NULL;
    int nth = yolo_pool_size(pool);
    uint64_t scratch = 0;
    for (int32_t i = 0; i < g->n_nodes; i++) {
        if (m->skip[i])
            continue;
        struct yolo_cpu_kernel k;
        yolo_cpu_kernel_pick_on(&m->cpu, g, &g->nodes[i], m->isa, m->pack_kind[i], nth, &k);
        if (m->node_data[i] == &m->packs[i] && m->packs[i].tp_group)
            k.scratch += yolo_conv_tp_scratch(g->tensors[g->nodes[i].out[0]].shape[1]);
        if (k.scratch > scratch)
            scratch = k.scratch;
    }
    struct cpu_ctx *c = calloc(1, sizeof *c);
    if (!c)
        return yolo_diag_set(d, YOLO_ERR_NOMEM, "out of memory creating a context");
    c->m = m;
    c->pool = pool;
    c->arena_bytes = ((g->arena_bytes ? g->arena_bytes : 64) + 63) & ~(uint64_t)63;
    c->arena = aligned_alloc(64, c->arena_bytes);
    if (scratch)
        c->scratch = aligned_alloc(64, scratch * (uint64_t)nth);
    if (!c->arena || (scratch && !c->scratch)) {
        uint64_t ab = c->arena_bytes;
        cpu_ctx_free(c);
        return yolo_diag_set(d, YOLO_ERR_NOMEM, "out of memory allocating a %llu-byte arena",
                             (unsigned long long)ab);
    }
    c->scratch_total = scratch * (uint64_t)nth;
    /* Zeroed once so outputs of nodes that write nothing (empty tensors) are defined. */
    memset(c->arena, 0, c->arena_bytes);
    c->x = (struct yolo_exec){ .g = g, .arena = c->arena, .consts = g->consts,
                               .scratch = c->scratch, .scratch_bytes = scratch,
                               .node_data = m->node_data };
    *out = c;
    return 0;
}

static uint64_t cpu_ctx_bytes(const void *ctx)
{
    const struct cpu_ctx *c = ctx;
    return c->arena_bytes + c->scratch_total;
}

static void run_task(void *arg, int ith, int nth)
{
    struct cpu_ctx *c = arg;
    const struct cpu_model *m = c->m;
    const struct yolo_graph *g = m->g;
    for (int32_t i = 0; i < g->n_nodes; i++) {
        if (m->skip[i])
            continue;
        double t0 = ith == 0 && c->node_ms ? yolo_now_ms() : 0;
        m->kernels[i].fn(&c->x, &g->nodes[i], ith, nth);
        yolo_pool_barrier(c->pool);
        if (ith == 0 && c->node_ms)
            c->node_ms[i] += yolo_now_ms() - t0;
    }
}

static int cpu_run(void *ctx, double *node_ms, struct yolo_diag *d)
{
    (void)d;
    struct cpu_ctx *c = ctx;
    c->node_ms = node_ms;
    yolo_pool_run(c->pool, run_task, c);
    c->node_ms = NULL;
    return 0;
}

static void *cpu_tensor_host(void *ctx, int32_t t)
{
    struct cpu_ctx *c = ctx;
    return yolo_exec_ptr(&c->x, t);
}

static int span_ok(const struct cpu_ctx *c, int32_t t, uint64_t offset, uint64_t bytes)
{
    if (t < 0 || t >= c->m->g->n_tensors)
        return 0;
    uint64_t tb = yolo_tensor_bytes(&c->m->g->tensors[t]);
    return offset <= tb && bytes <= tb - offset;
}

static int cpu_tensor_set(void *ctx, int32_t t, const void *src, uint64_t offset, uint64_t bytes)
{
    struct cpu_ctx *c = ctx;
    if (!span_ok(c, t, offset, bytes) || (c->m->g->tensors[t].flags & YOLO_TF_CONST))
        return YOLO_ERR_ARG;
    memcpy((uint8_t *)cpu_tensor_host(c, t) + offset, src, bytes);
    return 0;
}

static int cpu_tensor_get(void *ctx, int32_t t, void *dst, uint64_t offset, uint64_t bytes)
{
    struct cpu_ctx *c = ctx;
    if (!span_ok(c, t, offset, bytes))
        return YOLO_ERR_ARG;
    memcpy(dst, (const uint8_t *)cpu_tensor_host(c, t) + offset, bytes);
    return 0;
}

static int32_t cpu_device_count(void)
{
    return 1;
}

const struct yolo_backend yolo_backend_cpu = {
    .name = "cpu",
    .is_host = 1,
    .device_count = cpu_device_count,
    .supports_node = cpu_supports_node,
    .prepare = cpu_prepare,
    .prepared_free = cpu_prepared_free,
    .prepared_bytes = cpu_prepared_bytes,
    .kernel_name = cpu_kernel_name,
    .variant = cpu_variant,
    .ctx_create = cpu_ctx_create,
    .ctx_free = cpu_ctx_free,
    .ctx_bytes = cpu_ctx_bytes,
    .run = cpu_run,
    .tensor_set = cpu_tensor_set,
    .tensor_get = cpu_tensor_get,
    .tensor_host = cpu_tensor_host,
};
