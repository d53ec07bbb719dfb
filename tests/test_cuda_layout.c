/* test_cuda_layout.c: the CUDA backend's device plan and launches as host code, no GPU needed
 * (cuda/plan_cuda.c, storage.c, launch.c): yolov5n, yolov8n_dq and yolo11n_dq built for
 * batch 4, planned as an FP16 load plans them, with the parts packed (the default) and image
 * by image (YOLO_CUDA_STRIDED=1), every node that is no convolution resolved to its launch
 * against made-up arena addresses. Checked:
 *   - every tensor's images (at its stride) inside its arena, FP32 or FP16;
 *   - a tensor with an image stride is a 4-D float activation, its stride at least its own
 *     image, and its storage that of the tensor it lies in;
 *   - image by image, at least 8 fewer Concat/Split nodes copy anything, a quarter fewer bytes
 *     or more (the heads' copies stay), and every channel Concat or
 *     Split of the C2f/C3 blocks (4-D, axis 1) whose parts all lie in their whole copies
 *     nothing; the count of copying nodes and of bytes they move is printed for both plans;
 *   - each copy segment reads and writes inside its tensors' arenas;
 *   - the DFL of yolov8n_dq's and yolo11n_dq's head runs as one kernel (cuda/fuse_dfl.c), and
 *     so does yolo11n_dq's attention (cuda/fuse_attn.c: its q and k read at the second MatMul,
 *     counted in the lifetimes below);
 *   - no two tensors alive at the same time share bytes (lifetimes found here from the nodes'
 *     reads and writes, the fused DFL's included), with the nodes one after the other and
 *     with four lanes (YOLO_CUDA_LANES=4, cuda/lanes.c: lifetimes in steps), where every
 *     node's step also comes after those of the nodes it reads from and the run order is
 *     step order; the steps and the arena's growth are printed;
 *   - channels-last (YOLO_CUDA_NHWC=1, cuda/layout.c), the residual Adds folded into the
 *     convolutions before them (cuda/fuse_add.c: y written, b read at the convolution's step,
 *     counted in the lifetimes), all of the above again, and: every
 *     channels-last tensor lies in its root's rows at a channel offset (its pixel stride the
 *     root's channel count, its last channel inside the row, its image stride the root's),
 *     every convolution touching one runs on a channels-last kernel and no other node mixes
 *     layouts; at least 20 tensors and 20 convolutions of each model channels-last, and no
 *     more Concat/Split copies than image by image.
 * Runs in CUDA=1 builds (CI runs it); elsewhere it says so and passes. The kernels themselves
 * run in make test-cuda, on the GPU (test_golden's batch-2 runs with YOLO_CUDA_STRIDED=1). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#ifdef YOLO_CUDA
#include "cuda/cuda_model.h"
#include "ops/op_params.h"
#include "plan_models.h"

#define ARENA ((uintptr_t)1 << 40)   /* made-up device addresses: FP32 arena, FP16 arena */
#define HALF  ((uintptr_t)1 << 41)

static size_t st_size(int32_t st)
{
    return st == YOLO_CU_I64 ? 8 : st == YOLO_CU_F32 || st == YOLO_CU_I32 ? 4
         : st == YOLO_CU_F16 ? 2 : 1;
}

/* [lo, hi) of the arena holding pointer p: 0 if it is in neither. */
static int arena_of(const struct cuda_model *m, uintptr_t p, uintptr_t *lo, uintptr_t *hi)
{
    if (p >= HALF && p <= HALF + m->half_arena_bytes) {
        *lo = HALF;
        *hi = HALF + m->half_arena_bytes;
        return 1;
    }
    if (p >= ARENA && p <= ARENA + m->arena_bytes) {
        *lo = ARENA;
        *hi = ARENA + m->arena_bytes;
        return 1;
    }
    return 0;
}

/* The element range a copy segment touches on one side, inside an arena. */
static int seg_inside(const struct cuda_model *m, const void *base, int32_t st, int64_t off,
                      int32_t nd, const int64_t *shape, const int64_t *stride)
{
    uintptr_t lo, hi, p = (uintptr_t)base;
    if (!arena_of(m, p, &lo, &hi))
        return 1;   /* the const blob (never made up here) */
    int64_t first = off, last = off;
    for (int32_t k = 0; k < nd; k++) {
        int64_t span = (shape[k] - 1) * stride[k];
        if (span < 0)
            first += span;
        else
            last += span;
    }
    size_t es = st_size(st);
    return p + (uint64_t)first * es >= lo && p + (uint64_t)(last + 1) * es <= hi;
}

/* Lifetimes in steps (node index with one lane), found here from what each node reads and
 * writes, folded into the tensor whose bytes hold it; then every two holders alive at once
 * must not overlap in the plan. With lanes, a node's step also follows its producers'. */
static void check_lifetimes(struct harness *h, const char *model, const char *how,
                            const struct cuda_model *m)
{
    const struct yolo_graph *g = m->g;
    int32_t nn = g->n_nodes, nt = g->n_tensors, end = m->step ? m->n_steps : nn;
    size_t bytes = sizeof(int32_t) * (size_t)nt;
    int32_t *first = malloc(bytes), *last = malloc(bytes), *made = malloc(bytes);
    if (!first || !last || !made) {
        CHECK(h, 0, "out of memory");
        goto out;
    }
    for (int32_t t = 0; t < nt; t++) {
        first[t] = (g->tensors[t].flags & YOLO_TF_INPUT) ? -1 : INT32_MAX;
        last[t] = (g->tensors[t].flags & (YOLO_TF_OUTPUT | YOLO_TF_KEEP)) ? end : -1;
        made[t] = -1;
    }
    int bad_order = 0;
    for (int32_t k = 0; k < nn; k++) {
        int32_t i = cuda_node_at(m, k), at = m->step ? m->step[i] : i;
        const struct yolo_node *n = &g->nodes[i];
        if (m->step && k > 0 && at < m->step[cuda_node_at(m, k - 1)])
            bad_order++;
        if (m->skip[i] == CUDA_SKIP_FUSED)
            continue;   /* runs nothing: its node of the chain reads what it needs */
        for (int q = 0; q < n->n_in; q++) {
            int32_t t = n->in[q];
            if (t < 0)
                continue;
            if (m->step && made[t] >= 0 &&
                (m->skip[i] == CUDA_SKIP_ALIAS ? at < made[t] : at <= made[t]))
                bad_order++;
            last[t] = last[t] > at ? last[t] : at;
        }
        int32_t src = n->op == YOLO_OP_CONV && m->convs[i].dfl ? m->convs[i].dfl_src : -1;
        if (src >= 0 && last[src] < at)   /* the fused DFL reads its source */
            last[src] = at;
        if (n->op == YOLO_OP_CONV && m->convs[i].res) {   /* a folded Add: reads b, writes y */
            int32_t b = m->convs[i].res_b, y = m->convs[i].res_y;
            last[b] = last[b] > at ? last[b] : at;
            first[y] = first[y] < at ? first[y] : at;
            made[y] = at;
        }
        for (int q = 0; m->attn && m->attn[i].q >= 0 && q < 2; q++) {   /* the attention q, k */
            int32_t t = q ? m->attn[i].k : m->attn[i].q;
            last[t] = last[t] > at ? last[t] : at;
        }
        for (int q = 0; q < n->n_out; q++)
            if (n->out[q] >= 0) {
                first[n->out[q]] = first[n->out[q]] < at ? first[n->out[q]] : at;
                made[n->out[q]] = at;
            }
    }
    CHECK(h, bad_order == 0, "%s %s: %d nodes out of step order", model, how, bad_order);
    for (int32_t t = 0; t < nt; t++) {   /* fold into the holder */
        int32_t r = m->root[t];
        if (r == t || (g->tensors[t].flags & YOLO_TF_CONST))
            continue;
        first[r] = first[r] < first[t] ? first[r] : first[t];
        last[r] = last[r] > last[t] ? last[r] : last[t];
    }
    int clashes = 0;
    for (int32_t a = 0; a < nt; a++) {
        if (m->root[a] != a || (g->tensors[a].flags & YOLO_TF_CONST) || first[a] == INT32_MAX)
            continue;
        uint64_t a0 = m->off[a], a1 = a0 + yolo_tensor_bytes(&g->tensors[a]);
        for (int32_t b = a + 1; b < nt; b++) {
            if (m->root[b] != b || (g->tensors[b].flags & YOLO_TF_CONST) || first[b] == INT32_MAX)
                continue;
            int32_t la = last[a] < first[a] ? first[a] : last[a];
            int32_t lb = last[b] < first[b] ? first[b] : last[b];
            if (la < first[b] || lb < first[a])
                continue;   /* never alive together */
            uint64_t b0 = m->off[b], b1 = b0 + yolo_tensor_bytes(&g->tensors[b]);
            if (a0 < b1 && b0 < a1 && clashes++ < 5)
                CHECK(h, 0, "%s %s: %s (steps %d..%d) and %s (steps %d..%d) share bytes", model,
                      how, g->tensors[a].name, first[a], la, g->tensors[b].name, first[b], lb);
        }
    }
    CHECK(h, clashes == 0, "%s %s: %d pairs of live tensors share bytes", model, how, clashes);
out:
    free(first);
    free(last);
    free(made);
}

/* Channels-last (layout.c): every such tensor lies in its root's rows at a channel offset,
 * its root channels-last too and as wide as the rows; the nodes that tie their operands to
 * one layout see one; returns how many tensors and convolutions are channels-last. */
static void check_nhwc(struct harness *h, const char *model, const struct cuda_model *m,
                       int *n_tensors, int *n_convs)
{
    const struct yolo_graph *g = m->g;
    *n_tensors = *n_convs = 0;
    for (int32_t t = 0; t < g->n_tensors; t++) {
        if (!m->nhwc[t])
            continue;
        ++*n_tensors;
        const struct yolo_tensor *T = &g->tensors[t];
        int32_t r = m->root[t];
        const struct yolo_tensor *R = &g->tensors[r];
        uint64_t d = m->off[t] - m->off[r];
        CHECK(h, T->ndim == 4 && m->st[t] == YOLO_CU_F16 && m->nhwc[r] && R->ndim == 4 &&
              m->pixst[t] == R->shape[1] && m->pixst[r] == R->shape[1] &&
              R->shape[2] == T->shape[2] && R->shape[3] == T->shape[3] &&
              m->off[t] >= m->off[r] && d % 4 == 0 &&
              (int64_t)(d / 4) + T->shape[1] <= R->shape[1] &&
              (r == t ? m->imgst[t] == 0 : m->imgst[t] == R->shape[1] * R->shape[2] * R->shape[3]),
              "%s: channels-last %s lies outside its root %s's rows", model, T->name, R->name);
    }
    for (int32_t i = 0; i < g->n_nodes; i++) {
        const struct yolo_node *n = &g->nodes[i];
        if (n->op == YOLO_OP_CONV) {
            int any = m->nhwc[n->in[0]] || m->nhwc[n->out[0]];
            CHECK(h, m->convs[i].nhwc == any, "%s: %s runs %s the channels-last kernel", model,
                  n->name, any ? "without" : "on");
            *n_convs += m->convs[i].nhwc;
            continue;
        }
        if (m->skip[i])
            continue;
        int on = 0, off = 0;
        for (int k = 0; k < n->n_in + n->n_out; k++) {
            int32_t t = k < n->n_in ? n->in[k] : n->out[k - n->n_in];
            if (t < 0 || (g->tensors[t].flags & YOLO_TF_CONST) ||
                (n->op == YOLO_OP_RESIZE && k > 0 && k < n->n_in))
                continue;
            on += m->nhwc[t];
            off += !m->nhwc[t];
        }
        CHECK(h, !on || !off, "%s: %s mixes channels-last and NCHW operands", model, n->name);
    }
}

static void check_model(struct harness *h, const char *model, const struct yolo_graph *g,
                        int strided, int nhwc, int *copy_nodes, double *copy_mb)
{
    struct yolo_diag d = { 0 };
    size_t nn = (size_t)g->n_nodes;
    struct cuda_model m = { 0 };
    m.g = g;
    m.half = 1;
    m.sms = 132;                  /* an H100's or H200's: the kernel choices as there */
    m.smem_optin = 227 * 1024;
    m.skip = calloc(nn, 1);
    m.convs = calloc(nn, sizeof *m.convs);
    struct cuda_ctx c = { 0 };
    c.m = &m;
    c.arena = (uint8_t *)ARENA;
    c.half_arena = (uint8_t *)HALF;
    c.launch = calloc(nn, sizeof *c.launch);
    if (!m.skip || !m.convs || !c.launch) {
        CHECK(h, 0, "out of memory");
        goto out;
    }
    for (int32_t i = 0; i < g->n_nodes; i++) {
        const struct yolo_node *n = &g->nodes[i];
        if (n->n_out == 1 && n->out[0] >= 0 && (g->tensors[n->out[0]].flags & YOLO_TF_ALIAS))
            m.skip[i] = CUDA_SKIP_ALIAS;
    }
    setenv("YOLO_CUDA_STRIDED", strided ? "1" : "0", 1);
    setenv("YOLO_CUDA_NHWC", nhwc ? "1" : "0", 1);
    int rc = cuda_plan(&m, &d);
    rc = rc ? rc : cuda_storage_plan(&m, &d);
    CHECK(h, rc == 0, "%s: device plan: %s", model, d.msg);
    if (rc)
        goto out;
    const char *how = nhwc ? "channels-last" : strided ? "image by image" : "packed";
    /* the DFL of a v8/11 head runs fused: the plan keeps its source apart from the Conv's
     * output (plan.c), so nothing stops it */
    cuda_fuse_dfl(&m);
    rc = cuda_fuse_attn(&m, &d);
    rc = rc ? rc : cuda_layout_plan(&m, &d);
    CHECK(h, rc == 0, "%s: layout plan: %s", model, d.msg);
    if (rc)
        goto out;
    cuda_fuse_add(&m);
    int n_add = 0;
    for (int32_t i = 0; i < g->n_nodes; i++)
        n_add += g->nodes[i].op == YOLO_OP_CONV && m.convs[i].res;
    if (nhwc)
        printf("%-12s batch 4, FP16, channels-last: %d residual Adds in their convolutions\n",
               model, n_add);
    /* channels-last: the bottlenecks' Adds after our kernels' convolutions (yolov8n_dq: the
     * 16- and 32-channel ones of model.2 and model.4, 3; yolov5n 2, yolo11n_dq 5; the rest
     * follow cuDNN's) */
    CHECK(h, nhwc ? n_add >= (strcmp(model, "yolov8n_dq") ? 2 : 3) : n_add == 0,
          "%s %s: %d residual Adds folded", model, how, n_add);
    if (nhwc) {
        int nt = 0, nc = 0;
        check_nhwc(h, model, &m, &nt, &nc);
        printf("%-12s batch 4, FP16, channels-last: %d tensors, %d convolutions\n", model, nt,
               nc);
        CHECK(h, nt >= 20 && nc >= 20, "%s: only %d tensors and %d convolutions channels-last",
              model, nt, nc);
    }
    int n_dfl = 0;
    for (int32_t i = 0; i < g->n_nodes; i++)
        n_dfl += m.convs[i].dfl;
    CHECK(h, n_dfl == (strcmp(model, "yolov5n") ? 1 : 0), "%s %s: %d fused DFL chains", model,
          how, n_dfl);
    int n_attn = 0;
    for (int32_t i = 0; m.attn && i < g->n_nodes; i++)
        n_attn += m.attn[i].q >= 0;
    CHECK(h, n_attn == (strcmp(model, "yolo11n_dq") ? 0 : 1), "%s %s: %d fused attentions",
          model, how, n_attn);
    check_lifetimes(h, model, how, &m);
    for (int32_t t = 0; t < g->n_tensors; t++) {
        const struct yolo_tensor *T = &g->tensors[t];
        if (T->flags & YOLO_TF_CONST)
            continue;
        int half = m.st[t] == YOLO_CU_F16 && T->dtype == YOLO_DT_F32;
        uint64_t es = half ? 2 : yolo_dtype_size(T->dtype);
        uint64_t images = T->ndim ? (uint64_t)T->shape[0] : 1;
        uint64_t img = T->ndim && T->shape[0] ? yolo_tensor_numel(T) / (uint64_t)T->shape[0] : 0;
        uint64_t start = half ? m.off[t] / 2 : m.off[t];
        uint64_t end = m.imgst[t] && images
                     ? start + ((images - 1) * (uint64_t)m.imgst[t] + img) * es
                     : start + yolo_tensor_numel(T) * es;
        if (m.nhwc[t])   /* its last pixel's channels */
            end = start + ((images - 1) * (uint64_t)cuda_img_stride(&m, t) +
                           (uint64_t)(T->shape[2] * T->shape[3] - 1) * (uint64_t)m.pixst[t] +
                           (uint64_t)T->shape[1]) * es;
        uint64_t limit = half ? m.half_arena_bytes : m.arena_bytes;
        CHECK(h, end <= limit, "%s %s: %s ends at %llu, past its arena (%llu)", model, how, T->name,
              (unsigned long long)end, (unsigned long long)limit);
        if (m.imgst[t]) {
            CHECK(h, (strided || nhwc) && T->ndim == 4 && T->dtype == YOLO_DT_F32 &&
                  (uint64_t)m.imgst[t] > img && m.st[t] == m.st[m.root[t]],
                  "%s %s: %s has image stride %lld (image %llu)", model, how, T->name,
                  (long long)m.imgst[t], (unsigned long long)img);
        }
    }
    *copy_nodes = 0;
    *copy_mb = 0;
    for (int32_t i = 0; i < g->n_nodes; i++) {
        const struct yolo_node *n = &g->nodes[i];
        if (m.skip[i] || n->op == YOLO_OP_CONV)
            continue;
        rc = cuda_launch_make(&c, i, &d);
        CHECK(h, rc == 0, "%s %s: node %s: %s", model, how, n->name, d.msg);
        if (rc)
            continue;
        const struct cuda_launch *L = &c.launch[i];
        for (int32_t s = 0; L->kind == CL_COPY && s < L->n_seg; s++) {
            const struct yolo_cu_copy *cp = &L->u.copy[s];
            CHECK(h, seg_inside(&m, cp->src, cp->src_st, cp->src_off, cp->ndim, cp->shape,
                                cp->ss) &&
                     seg_inside(&m, cp->dst, cp->dst_st, cp->dst_off, cp->ndim, cp->shape, cp->ds),
                  "%s %s: node %s: copy segment %d leaves its arena", model, how, n->name, s);
        }
        if (n->op != YOLO_OP_CONCAT && n->op != YOLO_OP_SPLIT)
            continue;
        int split = n->op == YOLO_OP_SPLIT;
        int32_t whole = split ? n->in[0] : n->out[0];
        const struct yolo_tensor *W = &g->tensors[whole];
        int64_t axis = split ? n->params[YOLO_SP_AXIS_RES] : n->params[YOLO_CC_AXIS_RES];
        if (L->kind == CL_COPY) {
            ++*copy_nodes;
            for (int32_t s = 0; s < L->n_seg; s++)
                *copy_mb += (double)L->u.copy[s].numel * (double)st_size(L->u.copy[s].dst_st) /
                            1048576.0;
        }
        /* a channel Concat/Split whose parts all share the whole's bytes copies nothing */
        int all_in = (strided || nhwc) && W->ndim == 4 && axis == 1;
        for (int k = 0; all_in && k < (split ? n->n_out : n->n_in); k++) {
            int32_t t = split ? n->out[k] : n->in[k];
            all_in = t >= 0 && m.root[t] == m.root[whole];
        }
        if (all_in)
            CHECK(h, L->kind == CL_NONE, "%s %s: %s lies in its whole yet copies", model, how,
                  n->name);
    }
out:
    free(m.step);
    free(m.order);
    free(m.step_first);
    free(m.skip);
    free(m.attn);
    free(m.convs);
    free(m.st);
    free(m.off);
    free(m.imgst);
    free(m.root);
    free(m.nhwc);
    free(m.pixst);
    free(c.launch);
}

/* The plan again with four lanes, image by image (the default plan): the checks of
 * check_model, and the steps against the nodes, the arena against one lane's. */
static void check_lanes(struct harness *h, const char *model, const struct yolo_graph *g)
{
    struct yolo_diag d = { 0 };
    uint64_t arena[2] = { 0, 0 };
    int32_t steps = 0;
    for (int v = 0; v < 2; v++) {
        setenv("YOLO_CUDA_LANES", v ? "4" : "1", 1);
        setenv("YOLO_CUDA_STRIDED", "1", 1);
        struct cuda_model m = { .g = g, .half = 1 };
        m.skip = calloc((size_t)g->n_nodes, 1);
        m.convs = calloc((size_t)g->n_nodes, sizeof *m.convs);
        if (!m.skip || !m.convs) {
            CHECK(h, 0, "out of memory");
            free(m.skip), free(m.convs);
            return;
        }
        for (int32_t i = 0; i < g->n_nodes; i++) {
            const struct yolo_node *n = &g->nodes[i];
            if (n->n_out == 1 && n->out[0] >= 0 && (g->tensors[n->out[0]].flags & YOLO_TF_ALIAS))
                m.skip[i] = CUDA_SKIP_ALIAS;
        }
        int rc = cuda_plan(&m, &d);
        rc = rc ? rc : cuda_storage_plan(&m, &d);
        CHECK(h, rc == 0, "%s, %s lanes: device plan: %s", model, v ? "4" : "1", d.msg);
        if (!rc) {
            cuda_fuse_dfl(&m);
            CHECK(h, cuda_fuse_attn(&m, &d) == 0, "%s: fusing the attention: %s", model, d.msg);
            check_lifetimes(h, model, v ? "4 lanes" : "1 lane", &m);
            arena[v] = m.arena_bytes + m.half_arena_bytes;
            if (v) {
                steps = m.n_steps;
                CHECK(h, m.lanes == 4 && m.step && m.n_steps > 0 && m.n_steps < g->n_nodes,
                      "%s: 4 lanes planned %d steps for %d nodes", model, m.n_steps, g->n_nodes);
            }
        }
        free(m.step), free(m.order), free(m.step_first), free(m.skip), free(m.convs), free(m.attn);
        free(m.st), free(m.off), free(m.imgst), free(m.root);
    }
    printf("%-12s batch 4, FP16, 4 lanes: %d steps for %d nodes, arenas %.1f MiB (one lane "
           "%.1f MiB)\n", model, steps, g->n_nodes, arena[1] / 1048576.0, arena[0] / 1048576.0);
}

int main(void)
{
    HARNESS_INIT(h, "test_cuda_layout");
    const char *shared = harness_shared_dir();
    static const char *models[] = { "yolov5n", "yolov8n_dq", "yolo11n_dq" };
    for (size_t mi = 0; mi < sizeof models / sizeof *models; mi++) {
        struct yolo_diag d = { 0 };
        struct yolo_engine *e = NULL;
        int rc = pm_build_batch(shared, models[mi], 4, &e, &d);
        CHECK(&h, rc == 0, "%s: build for batch 4: %s", models[mi], d.msg);
        if (rc)
            continue;
        int nodes[3];
        double mb[3];
        setenv("YOLO_CUDA_LANES", "1", 1);
        check_model(&h, models[mi], &e->graph, 0, 0, &nodes[0], &mb[0]);
        check_model(&h, models[mi], &e->graph, 1, 0, &nodes[1], &mb[1]);
        check_model(&h, models[mi], &e->graph, 1, 1, &nodes[2], &mb[2]);
        printf("%-12s batch 4, FP16: Concat/Split nodes that copy channels-last: %d (%.1f MiB)\n",
               models[mi], nodes[2], mb[2]);
        CHECK(&h, nodes[2] <= nodes[1] && mb[2] <= mb[1], "%s: channels-last copies %d nodes "
              "(%.1f MiB), image by image %d (%.1f MiB)", models[mi], nodes[2], mb[2], nodes[1],
              mb[1]);
        check_lanes(&h, models[mi], &e->graph);
        printf("%-12s batch 4, FP16: Concat/Split nodes that copy: %d (%.1f MiB) packed, %d "
               "(%.1f MiB) image by image\n", models[mi], nodes[0], mb[0], nodes[1], mb[1]);
        /* the heads' copies stay (yolov5n's 5-D decode, the three scales' Concat) */
        CHECK(&h, nodes[1] + 8 <= nodes[0] && mb[1] < 0.75 * mb[0], "%s: image by image copies %d "
              "nodes (%.1f MiB), packed %d (%.1f MiB)", models[mi], nodes[1], mb[1], nodes[0],
              mb[0]);
        yolo_engine_free(e);
    }
    unsetenv("YOLO_CUDA_STRIDED");
    unsetenv("YOLO_CUDA_LANES");
    unsetenv("YOLO_CUDA_NHWC");
    return harness_finish(&h);
}
#else
int main(void)
{
    HARNESS_INIT(h, "test_cuda_layout");
    printf("test_cuda_layout: built without CUDA: skipped (CI runs it from the CUDA=1 build)\n");
    return harness_finish(&h);
}
#endif
