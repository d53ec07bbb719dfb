/* cuda/lanes.c: the nodes of one run on several streams ("lanes") at once.
 *
 * Why: at batch 1 most kernels fill a fraction of the GPU, yet the recorded graph was one
 * chain, each kernel waiting for the one before. Nodes that do not depend on each other (a
 * head's six branches, the branch of a head scale beside the neck's next convolutions) can
 * share the GPU instead.
 *
 * How: each node gets a step, one more than the latest step among the producers of its
 * inputs (a view the planner aliased takes its source's step: it runs nothing). No node
 * depends on another of its own step. The capture (cuda_run_lanes) forks each step's nodes
 * over the lanes from the context's stream and joins them back before the next step, so all
 * of a step is done before the next begins; the memory plan counts lifetimes in steps
 * (plan.c, yolo_plan_opts.step), so no two nodes of a step share bytes. Lane 0 is the
 * context's stream. Nodes that use the context's single buffers (the conversion buffers
 * around a cuDNN convolution, split-K sums) stay on lane 0; cuDNN convolutions elsewhere get
 * their lane's own workspace.
 *
 * The first run captures the graph both ways and keeps the faster (backend_cuda.c, capture).
 * YOLO_CUDA_LANES=K (1..CUDA_MAX_LANES; 1: one chain in graph order, as before) is read at
 * load and skips that choice. */
#include <stdlib.h>
#include <string.h>

#include "cuda/cuda_model.h"

/* Lanes of a load: YOLO_CUDA_LANES (forced), else the default up to CUDA_LANES_BATCH images
 * and one lane above: on an H100 at batch 32 and 128 the lanes gained 0.5-2% (the kernels fill
 * the GPU already) and the plan's arena grows by the tensors of parallel branches (yolov8n_dq
 * at batch 4: 63.7 -> 75.5 MiB). */
static int32_t lanes_wanted(const struct yolo_graph *g, int32_t *forced)
{
    const char *env = getenv("YOLO_CUDA_LANES");
    *forced = 0;
    if (env && *env) {
        char *end;
        long v = strtol(env, &end, 10);
        if (*end == '\0' && v >= 1) {
            *forced = 1;
            return v > CUDA_MAX_LANES ? CUDA_MAX_LANES : (int32_t)v;
        }
    }
    int64_t batch = g->n_inputs > 0 && g->tensors[g->inputs[0]].ndim > 0
                  ? g->tensors[g->inputs[0]].shape[0] : 1;
    return batch <= CUDA_LANES_BATCH ? CUDA_DEFAULT_LANES : 1;
}

int cuda_lanes_plan(struct cuda_model *m, struct yolo_diag *d)
{
    const struct yolo_graph *g = m->g;
    m->lanes = lanes_wanted(g, &m->lanes_forced);
    m->n_steps = 0;
    if (m->lanes <= 1)
        return 0;
    m->step = malloc(sizeof(int32_t) * (size_t)(g->n_nodes ? g->n_nodes : 1));
    int32_t *ready = malloc(sizeof(int32_t) * (size_t)(g->n_tensors ? g->n_tensors : 1));
    if (!m->step || !ready) {
        free(ready);
        return yolo_diag_set(d, YOLO_ERR_NOMEM, "out of memory planning the CUDA lanes");
    }
    for (int32_t t = 0; t < g->n_tensors; t++)
        ready[t] = -1;   /* graph inputs and constants: before the first step */
    for (int32_t i = 0; i < g->n_nodes; i++) {
        const struct yolo_node *n = &g->nodes[i];
        int32_t latest = -1;
        for (int k = 0; k < n->n_in; k++)
            if (n->in[k] >= 0 && ready[n->in[k]] > latest)
                latest = ready[n->in[k]];
        int32_t s = m->skip[i] == CUDA_SKIP_ALIAS ? (latest < 0 ? 0 : latest) : latest + 1;
        m->step[i] = s;
        for (int k = 0; k < n->n_out; k++)
            if (n->out[k] >= 0)
                ready[n->out[k]] = s;
        if (s + 1 > m->n_steps)
            m->n_steps = s + 1;
    }
    free(ready);
    /* the nodes in step order (a counting sort: graph order within a step). Every way of
     * running the plan follows it, one stream or several: two tensors share bytes only when
     * one's last step comes before the other's first, which graph order need not respect
     * across branches. */
    m->order = malloc(sizeof(int32_t) * (size_t)(g->n_nodes ? g->n_nodes : 1));
    m->step_first = calloc((size_t)m->n_steps + 1, sizeof(int32_t));
    int32_t *fill = calloc((size_t)m->n_steps + 1, sizeof(int32_t));
    if (!m->order || !m->step_first || !fill) {
        free(fill);
        return yolo_diag_set(d, YOLO_ERR_NOMEM, "out of memory planning the CUDA lanes");
    }
    for (int32_t i = 0; i < g->n_nodes; i++)
        m->step_first[m->step[i] + 1]++;
    for (int32_t s = 0; s < m->n_steps; s++)
        m->step_first[s + 1] += m->step_first[s];
    for (int32_t i = 0; i < g->n_nodes; i++)
        m->order[m->step_first[m->step[i]] + fill[m->step[i]]++] = i;
    free(fill);
    return 0;
}

int cuda_lane_free(const struct cuda_model *m, int32_t i)
{
    const struct yolo_node *n = &m->g->nodes[i];
    if (n->op != YOLO_OP_CONV || m->convs[i].dfl)
        return 1;   /* our kernels: nothing but their own operands */
    const struct cuda_conv *cv = &m->convs[i];
    switch (cv->kernel) {
    case CUDA_CONV_TILE:
    case CUDA_CONV_NHWC:
    case CUDA_CONV_STEM:
        return 1;
    case CUDA_CONV_IGEMM:
    case CUDA_CONV_PW:   /* (which falls back to the implicit GEMM on odd addresses) */
        return cv->splits <= 1;
    default: {         /* cuDNN: its lane's workspace, but one pair of conversion buffers */
        int32_t ct = cv->half ? YOLO_CU_F16 : YOLO_CU_F32;
        return m->st[n->in[0]] == ct && m->st[n->out[0]] == ct && !m->imgst[n->out[0]];
    }
    }
}

/* Points the context's node launches at lane k. */
static void use_lane(struct cuda_ctx *c, int32_t k)
{
    c->run = c->lane[k];
    c->run_workspace = c->lane_ws[k];
}

int32_t cuda_node_at(const struct cuda_model *m, int32_t k)
{
    return m->order ? m->order[k] : k;
}

int32_t cuda_node_step(const struct cuda_model *m, int32_t i)
{
    return m->step ? m->step[i] : i;
}

int cuda_run_lanes(struct cuda_ctx *c, struct yolo_diag *d)
{
    const struct cuda_model *m = c->m;
    const int32_t *first = m->step_first;
    int rc = 0;
    cudaError_t e = cudaSuccess;
    for (int32_t s = 0; s < m->n_steps && !rc && e == cudaSuccess; s++) {
        int32_t runs = 0;
        for (int32_t k = first[s]; k < first[s + 1]; k++)
            runs += c->launch[m->order[k]].kind != CL_NONE;
        int32_t used[CUDA_MAX_LANES] = { 0 }, next = 0;
        if (runs > 1 && (e = cudaEventRecord(c->fork, c->stream)) != cudaSuccess)
            break;
        for (int32_t k = first[s]; k < first[s + 1] && !rc; k++) {
            int32_t i = m->order[k];
            if (c->launch[i].kind == CL_NONE)
                continue;
            int32_t lane = runs > 1 && cuda_lane_free(m, i) ? next++ % m->lanes : 0;
            if (lane && !used[lane] &&
                (e = cudaStreamWaitEvent(c->lane[lane], c->fork, 0)) != cudaSuccess)
                break;
            used[lane] = 1;
            use_lane(c, lane);
            rc = cuda_launch_run(c, i, d);
        }
        for (int32_t k = 1; k < m->lanes && e == cudaSuccess; k++)
            if (used[k] && ((e = cudaEventRecord(c->join[k], c->lane[k])) != cudaSuccess ||
                            (e = cudaStreamWaitEvent(c->stream, c->join[k], 0)) != cudaSuccess))
                break;
    }
    use_lane(c, 0);
    if (!rc && e != cudaSuccess)
        rc = cuda_fail(d, "forking the run over the CUDA lanes", e);
    return rc;
}
