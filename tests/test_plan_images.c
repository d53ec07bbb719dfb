/* test_plan_images.c: the backend plan that lays Concat and Split parts inside their whole
 * image by image (yolo_plan_for, core/plan.c; the CUDA backend's at load). The shared models
 * yolov5n, yolov8n_dq and yolo11n_dq (yolov10n_dq is a fixed batch-1 export) built for batch
 * 1 and 4 are planned with every 4-D float activation allowed a stride (the widest the
 * planner can be asked) and with none, and each plan must hold:
 *   - no two tensors alive at the same node share a byte, where a tensor's bytes are its
 *     images (one range, or one per image at its stride), except a tensor inside another of
 *     its own tree (a part inside its whole);
 *   - a part in its whole's tree lies exactly at its slice in every image (offset and stride),
 *     so the Concat/Split kernels, seeing source == destination, may skip it;
 *   - everything inside the arena;
 * and the strided plan must place parts image by image (C2f's Concat and Split at batch 4)
 * where the plan without strides places none, which is the engine's plan itself (every offset)
 * for the models without yolov5n's split-chain head (the CPU backend's alone), as the strided
 * one is at batch 1. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "passes.h"
#include "plan_models.h"

struct span { uint64_t lo, hi; };

/* Image b's bytes of tensor t (b < images; a packed tensor: all of it for b == 0). */
static struct span bytes_of(const struct yolo_graph *g, const struct yolo_plan_out *p, int32_t t,
                            int64_t b)
{
    const struct yolo_tensor *T = &g->tensors[t];
    uint64_t tb = yolo_tensor_bytes(T);
    if (!p->img_stride[t])
        return (struct span){ p->offset[t], p->offset[t] + tb };
    uint64_t ib = tb / (uint64_t)T->shape[0], at = p->offset[t] + (uint64_t)b * p->img_stride[t];
    return (struct span){ at, at + ib };
}

static int64_t spans_of(const struct yolo_graph *g, const struct yolo_plan_out *p, int32_t t)
{
    return p->img_stride[t] ? g->tensors[t].shape[0] : 1;
}

static int meets(struct span a, struct span b)
{
    return a.lo < b.hi && b.lo < a.hi && a.hi > a.lo && b.hi > b.lo;
}

/* Every span of a inside some span of b. */
static int inside(const struct yolo_graph *g, const struct yolo_plan_out *p, int32_t a, int32_t b)
{
    for (int64_t i = 0; i < spans_of(g, p, a); i++) {
        struct span x = bytes_of(g, p, a, i);
        int in = 0;
        for (int64_t j = 0; j < spans_of(g, p, b) && !in; j++) {
            struct span y = bytes_of(g, p, b, j);
            in = x.lo >= y.lo && x.hi <= y.hi;
        }
        if (!in)
            return 0;
    }
    return 1;
}

static int overlaps(const struct yolo_graph *g, const struct yolo_plan_out *p, int32_t a, int32_t b)
{
    for (int64_t i = 0; i < spans_of(g, p, a); i++)
        for (int64_t j = 0; j < spans_of(g, p, b); j++)
            if (meets(bytes_of(g, p, a, i), bytes_of(g, p, b, j)))
                return 1;
    return 0;
}

static void check_plan(struct harness *h, const char *what, const struct yolo_graph *g,
                       const struct yolo_plan_out *p, int *n_image_parts)
{
    int32_t nt = g->n_tensors;
    int32_t *first = malloc(sizeof(int32_t) * (size_t)nt);
    int32_t *last = malloc(sizeof(int32_t) * (size_t)nt);
    pm_lifetimes(g, first, last);
    int bad = 0;
    for (int32_t a = 0; a < nt && bad < 5; a++) {
        const struct yolo_tensor *A = &g->tensors[a];
        if (A->flags & YOLO_TF_CONST)
            continue;
        struct span end = bytes_of(g, p, a, spans_of(g, p, a) - 1);
        if (end.hi > p->arena_bytes) {
            CHECK(h, 0, "%s: %s ends at %llu, past the arena (%llu)", what, A->name,
                  (unsigned long long)end.hi, (unsigned long long)p->arena_bytes);
            bad++;
        }
        for (int32_t b = a + 1; b < nt && bad < 5; b++) {
            const struct yolo_tensor *B = &g->tensors[b];
            if ((B->flags & YOLO_TF_CONST) || last[a] < first[b] || last[b] < first[a])
                continue;
            if (p->root[a] == p->root[b] && (inside(g, p, a, b) || inside(g, p, b, a)))
                continue;   /* a part inside its whole, or a view of it */
            if (overlaps(g, p, a, b)) {
                CHECK(h, 0, "%s: %s [%d,%d] and %s [%d,%d] share bytes", what, A->name, first[a],
                      last[a], B->name, first[b], last[b]);
                bad++;
            }
        }
    }
    /* parts in their whole's tree lie exactly at their slice, image by image */
    *n_image_parts = 0;
    for (int32_t i = 0; i < g->n_nodes; i++) {
        const struct yolo_node *n = &g->nodes[i];
        int split = n->op == YOLO_OP_SPLIT;
        if (!split && n->op != YOLO_OP_CONCAT)
            continue;
        int32_t whole = split ? n->in[0] : n->out[0];
        const struct yolo_tensor *W = &g->tensors[whole];
        int64_t axis = split ? n->params[2] : n->params[1];
        uint64_t inner = yolo_dtype_size(W->dtype);
        for (int32_t k = (int32_t)axis + 1; k < W->ndim; k++)
            inner *= (uint64_t)W->shape[k];
        uint64_t at = 0, wimg = W->shape[0] > 0 ? yolo_tensor_bytes(W) / (uint64_t)W->shape[0] : 0;
        int32_t np = split ? n->n_out : n->n_in;
        for (int32_t k = 0; k < np; k++) {
            int32_t t = split ? n->out[k] : n->in[k];
            if (t < 0)
                continue;
            uint64_t slice = at;
            at += (uint64_t)g->tensors[t].shape[axis] * inner;
            if (p->root[t] != p->root[whole] || !p->img_stride[t])
                continue;
            uint64_t wstride = p->img_stride[whole] ? p->img_stride[whole] : wimg;
            CHECK(h, p->offset[t] == p->offset[whole] + slice && p->img_stride[t] == wstride,
                  "%s: %s: part %s at %llu stride %llu, its slice at %llu stride %llu", what,
                  n->name, g->tensors[t].name, (unsigned long long)p->offset[t],
                  (unsigned long long)p->img_stride[t],
                  (unsigned long long)(p->offset[whole] + slice), (unsigned long long)wstride);
            ++*n_image_parts;
        }
    }
    free(first);
    free(last);
}

static int every_4d_float(const void *user, int32_t t)
{
    const struct yolo_graph *g = user;
    const struct yolo_tensor *T = &g->tensors[t];
    return T->dtype == YOLO_DT_F32 && T->ndim == 4;
}

static int none(const void *user, int32_t t)
{
    (void)user;
    (void)t;
    return 0;
}

int main(void)
{
    HARNESS_INIT(h, "test_plan_images");
    const char *shared = harness_shared_dir();
    static const char *models[] = { "yolov5n", "yolov8n_dq", "yolo11n_dq" };
    for (size_t run = 0; run < 2 * sizeof models / sizeof *models; run++) {
        size_t mi = run / 2;
        int batch = run % 2 ? 4 : 1;
        struct yolo_diag d = { 0 };
        struct yolo_engine *e = NULL;
        int rc = pm_build_batch(shared, models[mi], batch, &e, &d);
        CHECK(&h, rc == 0, "%s: build for batch %d: %s", models[mi], batch, d.msg);
        if (rc)
            continue;
        const struct yolo_graph *g = &e->graph;
        size_t nt = (size_t)g->n_tensors;
        struct yolo_plan_out p = { malloc(nt * 8), malloc(nt * 8), malloc(nt * 4), malloc(nt), 0 };
        int parts[2] = { 0, 0 };
        uint64_t arena[2] = { 0, 0 };
        for (int v = 0; v < 2 && p.offset && p.img_stride && p.root && p.alias; v++) {
            struct yolo_plan_opts o = { .strided_ok = v ? none : every_4d_float, .user = g };
            rc = yolo_plan_for(g, &o, &p, &d);
            CHECK(&h, rc == 0, "%s: plan: %s", models[mi], d.msg);
            if (rc)
                continue;
            char what[96];
            snprintf(what, sizeof what, "%s b%d %s", models[mi], batch,
                     v ? "packed" : "image by image");
            check_plan(&h, what, g, &p, &parts[v]);
            arena[v] = p.arena_bytes;
            /* with no strides, the engine's own plan, but for the CPU backend's split chains
             * and Conv -> Transpose (yolov5n's head): the CUDA backend's default layout */
            int32_t differ = 0;
            for (int32_t t = 0; t < g->n_tensors; t++)
                differ += p.offset[t] != g->tensors[t].offset;
            if ((v || batch == 1) && strcmp(models[mi], "yolov5n"))
                CHECK(&h, differ == 0 && p.arena_bytes == g->arena_bytes, "%s: %d offsets and "
                      "the arena (%llu vs %llu) differ from the engine's plan", models[mi], differ,
                      (unsigned long long)p.arena_bytes, (unsigned long long)g->arena_bytes);
        }
        printf("%-12s batch %d: %d parts image by image (arena %.1f MiB), %d without strides "
               "(arena %.1f MiB)\n", models[mi], batch, parts[0], arena[0] / 1048576.0, parts[1],
               arena[1] / 1048576.0);
        CHECK(&h, parts[1] == 0, "%s: parts image by image with no strides allowed", models[mi]);
        /* every model has C2f / C3 blocks: a Split or Concat along the channels; at batch 1
         * their parts are single ranges, as in the engine's plan */
        CHECK(&h, batch == 1 ? parts[0] == 0 : parts[0] >= 8, "%s batch %d: %d parts image by "
              "image", models[mi], batch, parts[0]);
        free(p.offset);
        free(p.img_stride);
        free(p.root);
        free(p.alias);
        yolo_engine_free(e);
    }
    return harness_finish(&h);
}
