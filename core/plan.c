/* plan.c: the activation memory planner.
 *
 * Liveness: a tensor lives from the node that writes it to the last node that reads it
 * (graph inputs from the start, graph outputs to the end). Both ends are inclusive, so a
 * node's output never shares bytes with its own inputs: kernels may read inputs while
 * writing outputs.
 * Views: the output of Reshape / Flatten / Squeeze / Unsqueeze / Identity is the input's
 * bytes under another shape, so it aliases its source (the runner skips the node) and the
 * source's lifetime is stretched to cover the view's.
 * Split chains (passes.h, YOLOv5's box decode): the Sigmoid's output lies in the bytes of the
 * chain's Concat output (chain_in_place).
 * A Conv -> Reshape -> Transpose of YOLOv5's head (passes.h, struct yolo_conv_tp): the
 * Transpose's output lives from the Conv on, so the CPU backend's Conv may write it in its
 * place (cpu/conv_tp_mark.c). The peak can grow by that tensor over one node.
 * The DFL of a YOLOv8/11 head (passes.h, struct yolo_dfl_chain): the first Transpose's input
 * lives up to the Conv, which both backends run as one pass reading it (cpu/dfl_mark.c,
 * cuda/fuse_dfl.c); the Conv's output then never shares its bytes. The peak can grow by that
 * tensor over the chain's two or three nodes. The same for a QDQ model's DFL up to its
 * QuantizeLinear (the CPU backend's one pass ends there).
 * A QDQ model's Concat -> QuantizeLinear (passes.h, struct yolo_concat_q): each part's source
 * (the int8 tensor before its DequantizeLinear, or the part itself) lives up to the
 * QuantizeLinear, which the CPU backend runs as the whole join (cpu/concat_q_mark.c). The
 * sources are bytes where the parts were floats: the peak grows by a quarter of a join.
 * Convolution outputs joined along the last axis (passes.h, struct yolo_conv_cat): the joined
 * tensor (or the output of a Sigmoid reading it alone) lives from the first of the
 * convolutions on, so the CPU backend's convolutions may write their rows into it
 * (cpu/conv_cat_mark.c). The peak can grow by that tensor over the head's last nodes.
 * A residual Add of a convolution's output (passes.h, struct yolo_conv_add): the sum lives from
 * the convolution on, so the CPU backend's convolution may write it (cpu/conv_add_mark.c).
 * In place (no copies): when a Concat or Split works on the outermost non-unit dim, every
 * part is a contiguous byte range of the whole. A Split's outputs are then placed inside its
 * input, and a Concat's inputs inside its output (its producers write straight into the
 * concatenation), where that is safe: the part is an activation (not a graph input, output
 * or constant) not yet placed elsewhere, or a part of a tensor (e.g. a Split's input) that
 * can move as a whole because every Concat input it overlaps is one of its own parts at the
 * same offset. The Concat/Split kernels see source == destination and copy nothing.
 * Image by image (yolo_plan_for with a strided_ok callback, the CUDA backend at load): at a
 * batch of N > 1 a Concat or Split along a dim after the batch (all dims between of size 1) is
 * no single byte range per part, but it is one range per image. Such a part may then lie in
 * the whole image by image: its offset is that of its first image, its images lie the whole's
 * image bytes apart (img_stride), where the backend says every node reading or writing the
 * part takes a tensor at such a stride. A tree is either of byte links or of image links
 * (views, whole-tensor links, go with both); the two never meet in one tree.
 * Steps (yolo_plan_opts.step, the CUDA backend's lanes): where the backend runs the nodes of
 * a step at once, the lifetimes above are counted in steps instead of nodes.
 * Tensors form a tree (parent, byte offset in the parent); a root is placed like any tensor
 * over the union of its members' lifetimes, members get root offset + their offset.
 * Placement: greedy by size (largest first), each tensor at the lowest offset, among 0 and
 * the 64-byte aligned ends of the placed tensors, that does not overlap any already placed
 * tensor whose lifetime intersects its own. The placed tensors a tensor must avoid are found
 * through time buckets (TIME_BUCKET nodes each; lifetimes longer than LONG_BUCKETS buckets
 * are kept in one list every query scans), then swept once in offset order: O(T log T) for
 * graphs whose tensors live for a bounded number of nodes (YOLO models, chains of a million
 * nodes), and never worse than comparing each tensor with every tensor alive at the same time. */
#include <stdlib.h>
#include <string.h>

#include "passes.h"

struct live { int32_t t; int32_t first, last; uint64_t bytes, offset; int placed; };

#define TIME_BUCKET  16      /* nodes per time bucket */
#define LONG_BUCKETS 4       /* lifetimes spanning more buckets go to the long list */

struct span { uint64_t begin, end; };   /* bytes [begin, end) of a placed tensor */

static int by_begin(const void *a, const void *b)
{
    const struct span *x = a, *y = b;
    return x->begin < y->begin ? -1 : x->begin > y->begin;
}

static int by_size_desc(const void *a, const void *b)
{
    const struct live *x = a, *y = b;
    if (x->bytes != y->bytes)
        return x->bytes < y->bytes ? 1 : -1;
    return x->first - y->first;
}

/* The root of t and t's byte offset in it. Path compression: every tensor on the way is
 * re-pointed at the root with its offset in it, so a chain of a million views (Reshape after
 * Reshape, each aliasing the one before) costs O(1) amortized per lookup instead of a walk of
 * the whole chain per node (quadratic). Roots stay roots and every offset stays "t's bytes
 * start at poff[t] in parent[t]", which is all the callers read. */
static int32_t find_root(int32_t *parent, uint64_t *poff, int32_t t, uint64_t *off)
{
    uint64_t o = 0;
    int32_t r = t;
    while (parent[r] != r) {
        o += poff[r];
        r = parent[r];
    }
    *off = o;
    /* second walk: x's offset in r is what remains of o after the steps before x */
    while (parent[t] != t) {
        int32_t next = parent[t];
        uint64_t step = poff[t];
        parent[t] = r;
        poff[t] = o;
        o -= step;
        t = next;
    }
    return r;
}

/* A Concat/Split along axis: bytes of everything before the axis must be one slice. */
static int outer_is_one(const struct yolo_tensor *T, int64_t axis)
{
    if (axis < 0 || axis >= T->ndim)
        return 0;
    for (int64_t k = 0; k < axis; k++)
        if (T->shape[k] != 1)
            return 0;
    return 1;
}

/* The same with the batch dim before the axis: all dims between it and the axis of size 1. */
static int outer_is_images(const struct yolo_tensor *T, int64_t axis)
{
    if (axis < 1 || axis >= T->ndim || T->shape[0] < 2)
        return 0;
    for (int64_t k = 1; k < axis; k++)
        if (T->shape[k] != 1)
            return 0;
    return 1;
}

/* What one planning run shares with the in-place steps. kind (per root): which links its tree
 * has (enum link_kind); NULL without a strided_ok callback (no image links ever). */
enum link_kind { LINK_NONE, LINK_BYTES, LINK_IMAGES };
struct in_place {
    const struct yolo_graph *g;
    int32_t *parent;
    uint64_t *poff;
    const struct yolo_plan_opts *o;
    uint8_t *kind;
};

static int placeable(const struct yolo_graph *g, int32_t t)
{
    return t >= 0 && !(g->tensors[t].flags & (YOLO_TF_CONST | YOLO_TF_INPUT | YOLO_TF_OUTPUT));
}

/* Whether every member of r's tree (r included) may lie image by image in a larger whole of
 * n images: the backend takes each at a stride. */
static int tree_strided_ok(struct in_place *ip, int32_t r, int64_t n)
{
    const struct yolo_graph *g = ip->g;
    for (int32_t t = 0; t < g->n_tensors; t++) {
        uint64_t o;
        if (t != r && find_root(ip->parent, ip->poff, t, &o) != r)
            continue;
        const struct yolo_tensor *T = &g->tensors[t];
        if (T->ndim < 1 || T->shape[0] != n || !ip->o->strided_ok(ip->o->user, t))
            return 0;
    }
    return 1;
}

/* A link of kind k between trees of kinds a and b: byte and image links never share a tree. */
static int kinds_meet(enum link_kind k, uint8_t a, uint8_t b)
{
    enum link_kind other = k == LINK_BYTES ? LINK_IMAGES : LINK_BYTES;
    return a != other && b != other;
}

/* How the parts of a Concat/Split of whole T along axis may lie in it: 1 (one byte range
 * each), the images of T (one range per image; with a strided_ok callback only), or 0 (no
 * way). *lk: the kind of link that makes. */
static int64_t link_images(const struct in_place *ip, const struct yolo_tensor *T, int64_t axis,
                           enum link_kind *lk)
{
    int64_t images = 1;
    if (!outer_is_one(T, axis)) {
        if (!ip->kind || !outer_is_images(T, axis))
            return 0;
        images = T->shape[0];
    }
    *lk = images > 1 ? LINK_IMAGES : T->ndim > 0 && T->shape[0] > 1 ? LINK_BYTES : LINK_NONE;
    return images;
}

/* Concat node n (axis = params[1], ops/concat.c) in place, where safe (see the header). */
static int concat_in_place(struct in_place *ip, const struct yolo_node *n)
{
    const struct yolo_graph *g = ip->g;
    int32_t *parent = ip->parent;
    uint64_t *poff = ip->poff;
    int32_t out = n->out[0];
    const struct yolo_tensor *Y = &g->tensors[out];
    if (!placeable(g, out) && !(g->tensors[out].flags & YOLO_TF_OUTPUT))
        return 0;
    if (parent[out] != out)
        return 0;
    enum link_kind lk;
    int64_t images = link_images(ip, Y, n->params[1], &lk);
    if (!images)
        return 0;
    uint64_t ybytes = yolo_tensor_bytes(Y) / (uint64_t)images, starts[YOLO_MAX_IN];
    uint64_t at = 0;
    for (int i = 0; i < n->n_in; i++) {
        starts[i] = at;
        at += yolo_tensor_bytes(&g->tensors[n->in[i]]) / (uint64_t)images;
    }
    int placed = 0;
    for (int i = 0; i < n->n_in; i++) {
        int32_t t = n->in[i];
        if (!placeable(g, t))
            continue;
        uint64_t o;
        int32_t r = find_root(parent, poff, t, &o);
        if (r == out || !placeable(g, r) || o > starts[i])
            continue;
        if (ip->kind && (!kinds_meet(lk, ip->kind[r], ip->kind[out]) ||
                         (images > 1 && !tree_strided_ok(ip, r, images))))
            continue;
        uint64_t base = starts[i] - o, rb = yolo_tensor_bytes(&g->tensors[r]) / (uint64_t)images;
        if (base + rb > ybytes)
            continue;
        /* every input overlapping [base, base + rb) must be a part of r at that offset */
        int ok = 1;
        for (int j = 0; j < n->n_in && ok; j++) {
            uint64_t jb = yolo_tensor_bytes(&g->tensors[n->in[j]]) / (uint64_t)images, oj;
            if (jb == 0 || starts[j] + jb <= base || starts[j] >= base + rb)
                continue;
            ok = placeable(g, n->in[j]) && find_root(parent, poff, n->in[j], &oj) == r &&
                 base + oj == starts[j];
        }
        if (!ok)
            continue;
        parent[r] = out;
        poff[r] = base;
        if (ip->kind && lk != LINK_NONE)
            ip->kind[out] = (uint8_t)lk;
        if (ip->kind && ip->kind[r] != LINK_NONE)
            ip->kind[out] = ip->kind[r];
        placed++;
    }
    return placed;
}

/* Split node n (axis = params[2], sizes from params[4], ops/split.c): outputs inside the input. */
static int split_in_place(struct in_place *ip, const struct yolo_node *n)
{
    const struct yolo_graph *g = ip->g;
    int32_t in = n->in[0];
    const struct yolo_tensor *X = &g->tensors[in];
    if (!placeable(g, in))
        return 0;
    enum link_kind lk;
    int64_t images = link_images(ip, X, n->params[2], &lk);
    if (!images)
        return 0;
    uint64_t o;
    int32_t r = find_root(ip->parent, ip->poff, in, &o);
    if (ip->kind && !kinds_meet(lk, ip->kind[r], LINK_NONE))
        return 0;
    uint64_t at = 0;
    int placed = 0;
    for (int k = 0; k < n->n_out; k++) {
        int32_t t = n->out[k];
        uint64_t b = t >= 0 ? yolo_tensor_bytes(&g->tensors[t]) / (uint64_t)images : 0;
        if (placeable(g, t) && ip->parent[t] == t &&
            (images == 1 || (g->tensors[t].shape[0] == images &&
                             ip->o->strided_ok(ip->o->user, t)))) {
            ip->parent[t] = in;
            ip->poff[t] = at;
            placed++;
        }
        at += b;
    }
    if (placed && ip->kind && lk != LINK_NONE)
        ip->kind[r] = (uint8_t)lk;
    return placed;
}

/* A split chain (passes.h) starting at Sigmoid node s: the Sigmoid's output is placed at the
 * bytes of the chain's Concat output, which the whole chain leaves alone (nothing reads the
 * Sigmoid's output after the Split, and the pieces live until the Concat, so they lie
 * elsewhere). The CPU backend's one-pass chain then reads the Sigmoid's input while it writes
 * the Concat's output: never the same bytes (cpu/split_chain_mark.c). The peak is that of
 * the nodes run one by one. */
static int chain_in_place(const struct yolo_graph *g, const struct yolo_uses *u, int32_t s,
                          int32_t *parent, uint64_t *poff)
{
    struct yolo_split_chain sc;
    if (!yolo_split_chain_find(g, u, s, &sc))
        return 0;
    int32_t src = g->nodes[s].out[0], dst = g->nodes[sc.concat].out[0];
    if (!placeable(g, src) || !placeable(g, dst) || parent[src] != src || parent[dst] != dst ||
        yolo_tensor_bytes(&g->tensors[src]) != yolo_tensor_bytes(&g->tensors[dst]))
        return 0;
    parent[src] = dst;
    poff[src] = 0;
    return 1;
}

/* Offsets for lv[0..nl) in that order (see the header); times are -1..nn. *arena gets the end
 * of the highest tensor. Same result as trying every placed tensor in turn, restarting after
 * each bump: the lowest candidate offset with no conflict. -1 when out of memory. */
static int place(struct live *lv, int32_t nl, int32_t nn, uint64_t *arena)
{
    int64_t nb = ((int64_t)nn + 2 + TIME_BUCKET - 1) / TIME_BUCKET;
    int64_t *start = calloc((size_t)nb + 1, sizeof *start);
    int32_t *seen = malloc(sizeof(int32_t) * (size_t)(nl ? nl : 1));
    int32_t *longs = malloc(sizeof(int32_t) * (size_t)(nl ? nl : 1));
    struct span *sp = malloc(sizeof *sp * (size_t)(nl ? nl : 1));
    int32_t *ent = NULL;
    int rc = -1;
    if (!start || !seen || !longs || !sp)
        goto done;
    /* bucket lists (CSR), each in placement order; long lifetimes in longs[] */
    int32_t n_long = 0;
    for (int32_t i = 0; i < nl; i++) {
        int64_t b0 = ((int64_t)lv[i].first + 1) / TIME_BUCKET, b1 = ((int64_t)lv[i].last + 1) / TIME_BUCKET;
        seen[i] = -1;
        if (b1 - b0 >= LONG_BUCKETS)
            longs[n_long++] = i;
        else
            for (int64_t b = b0; b <= b1; b++)
                start[b + 1]++;
    }
    for (int64_t b = 0; b < nb; b++)
        start[b + 1] += start[b];
    ent = malloc(sizeof(int32_t) * (size_t)(start[nb] ? start[nb] : 1));
    int64_t *fill = calloc((size_t)nb, sizeof *fill);
    if (!ent || !fill) {
        free(fill);
        goto done;
    }
    for (int32_t i = 0; i < nl; i++) {
        int64_t b0 = ((int64_t)lv[i].first + 1) / TIME_BUCKET, b1 = ((int64_t)lv[i].last + 1) / TIME_BUCKET;
        if (b1 - b0 < LONG_BUCKETS)
            for (int64_t b = b0; b <= b1; b++)
                ent[start[b] + fill[b]++] = i;
    }
    free(fill);
    uint64_t top = 0;
    for (int32_t i = 0; i < nl; i++) {
        struct live *x = &lv[i];
        int32_t k = 0;
        int64_t b0 = ((int64_t)x->first + 1) / TIME_BUCKET, b1 = ((int64_t)x->last + 1) / TIME_BUCKET;
        for (int64_t b = b0; b <= b1; b++)
            for (int64_t e = start[b]; e < start[b + 1] && ent[e] < i; e++) {
                const struct live *p = &lv[ent[e]];
                if (seen[ent[e]] == i || p->last < x->first || p->first > x->last)
                    continue;
                seen[ent[e]] = i;
                sp[k++] = (struct span){ p->offset, p->offset + p->bytes };
            }
        for (int32_t j = 0; j < n_long && longs[j] < i; j++) {
            const struct live *p = &lv[longs[j]];
            if (seen[longs[j]] == i || p->last < x->first || p->first > x->last)
                continue;
            seen[longs[j]] = i;
            sp[k++] = (struct span){ p->offset, p->offset + p->bytes };
        }
        /* In begin order one sweep suffices: a span passed without conflict either ends
         * below off (off only grows) or begins at or past off + bytes, and so do all later
         * ones, which then cannot conflict either. */
        qsort(sp, (size_t)k, sizeof *sp, by_begin);
        uint64_t off = 0;
        for (int32_t j = 0; j < k; j++)
            if (off < sp[j].end && sp[j].begin < off + x->bytes)
                off = (sp[j].end + 63) & ~(uint64_t)63;
        x->offset = off;
        x->placed = 1;
        if (off + x->bytes > top)
            top = off + x->bytes;
    }
    *arena = top;
    rc = 0;
done:
    free(start);
    free(seen);
    free(longs);
    free(sp);
    free(ent);
    return rc;
}

/* One planning run over g (see the header): offsets of every non-const tensor into offset[],
 * its root into root[] and whether a view aliases its source into alias[]; o NULL: the
 * engine's plan (split chains and Conv -> Transpose for the CPU backend, byte links only). */
static int plan_run(const struct yolo_graph *g, const struct yolo_plan_opts *o, uint64_t *offset,
                    int32_t *root_out, uint8_t *alias, uint8_t *kind, uint64_t *arena_out,
                    struct yolo_plan_stats *st, struct yolo_diag *d)
{
    int32_t nt = g->n_tensors, nn = g->n_nodes;
    const int32_t *step = o ? o->step : NULL;
    int32_t end = step ? o->n_steps : nn;   /* the time after the last node */
    size_t cnt = (size_t)(nt ? nt : 1);
    int32_t *parent = malloc(sizeof(int32_t) * cnt), *root = root_out;
    int32_t *first = malloc(sizeof(int32_t) * cnt), *last = malloc(sizeof(int32_t) * cnt);
    uint64_t *poff = malloc(sizeof(uint64_t) * cnt), *roff = malloc(sizeof(uint64_t) * cnt);
    struct live *lv = malloc(sizeof *lv * cnt);
    if (!parent || !first || !last || !poff || !roff || !lv) {
        free(parent); free(first); free(last); free(poff); free(roff); free(lv);
        return yolo_diag_set(d, YOLO_ERR_NOMEM, "out of memory planning %d tensors", nt);
    }
    struct in_place ip = { g, parent, poff, o, o && o->strided_ok ? kind : NULL };
    struct yolo_plan_stats s = { 0 };
    for (int32_t t = 0; t < nt; t++) {
        parent[t] = t;
        poff[t] = 0;
        first[t] = INT32_MAX;
        last[t] = -1;
        alias[t] = 0;
        kind[t] = LINK_NONE;
        if (!(g->tensors[t].flags & YOLO_TF_CONST))
            s.sum_tensor_bytes += yolo_tensor_bytes(&g->tensors[t]);
    }
    for (int i = 0; i < g->n_inputs; i++)
        first[g->inputs[i]] = -1;
    /* the readers of every tensor, for split chains, Conv -> Transpose, DFL chains, QDQ joins,
     * convolutions joined along the last axis and residual Adds; without memory for them the
     * plan is made without them (as valid: the backends then run those nodes one by one). A
     * backend's own plan has no split chain and no Conv -> Transpose (the CPU backend's
     * alone), but the others' longer lives (the DFL chain's, which both backends use, and the
     * CPU backend's joins and sums, so that its plan stays the engine's where those two are
     * absent). */
    struct yolo_uses uses;
    int uses_ok = 0;
    for (int32_t i = 0; i < nn && !uses_ok; i++)
        uses_ok = (g->nodes[i].op == YOLO_OP_SIGMOID && !o) || g->nodes[i].op == YOLO_OP_TRANSPOSE ||
                  g->nodes[i].op == YOLO_OP_QUANTIZE_LINEAR || g->nodes[i].op == YOLO_OP_CONCAT ||
                  g->nodes[i].op == YOLO_OP_ADD;
    if (uses_ok && yolo_uses_make(g, (size_t)nt, &uses, NULL))
        uses_ok = 0;
    for (int32_t i = 0; i < nn; i++) {
        const struct yolo_node *n = &g->nodes[i];
        int32_t at = step ? step[i] : i;
        for (int k = 0; k < n->n_out; k++)
            if (n->out[k] >= 0 && first[n->out[k]] > at)
                first[n->out[k]] = at;
        for (int k = 0; k < n->n_in; k++)
            if (n->in[k] >= 0 && last[n->in[k]] < at)
                last[n->in[k]] = at;
        /* a view of a non-const, non-input tensor with the same byte size aliases it */
        if (yolo_op_is_view(n->op) && n->n_out == 1 && n->in[0] >= 0 && n->out[0] >= 0) {
            int32_t src = n->in[0], dst = n->out[0];
            uint64_t off;
            int32_t r = find_root(parent, poff, src, &off);
            const struct yolo_tensor *S = &g->tensors[r], *D = &g->tensors[dst];
            if (!(S->flags & (YOLO_TF_CONST | YOLO_TF_INPUT)) && !(D->flags & YOLO_TF_OUTPUT) &&
                !(g->tensors[src].flags & (YOLO_TF_CONST | YOLO_TF_INPUT)) &&
                yolo_tensor_bytes(&g->tensors[src]) == yolo_tensor_bytes(D) && parent[dst] == dst) {
                parent[dst] = src;
                poff[dst] = 0;
                alias[dst] = 1;
                s.n_aliases++;
            }
        }
        if (n->op == YOLO_OP_SIGMOID && uses_ok && !o)
            s.n_in_place += chain_in_place(g, &uses, i, parent, poff);
        struct yolo_conv_tp ct;
        if (n->op == YOLO_OP_TRANSPOSE && uses_ok && !o && yolo_conv_tp_find(g, &uses, i, &ct))
            first[n->out[0]] = ct.conv;
        struct yolo_dfl_chain dc;
        if (n->op == YOLO_OP_TRANSPOSE && uses_ok &&
            (yolo_dfl_chain_find(g, &uses, i, &dc) || yolo_dfl_q_find(g, &uses, i, &dc)) &&
            last[dc.src] < (step ? step[dc.conv] : dc.conv))
            last[dc.src] = step ? step[dc.conv] : dc.conv;
        struct yolo_conv_cat cv;
        if (n->op == YOLO_OP_CONCAT && uses_ok && yolo_conv_cat_find(g, &uses, i, &cv))
            for (int k = 0; k < cv.n; k++) {
                int32_t ck = step ? step[cv.conv[k]] : cv.conv[k];
                int32_t t = cv.sigmoid >= 0 ? g->nodes[cv.sigmoid].out[0] : n->out[0];
                if (first[t] > ck)
                    first[t] = ck;
            }
        struct yolo_conv_add ca;
        if (n->op == YOLO_OP_ADD && uses_ok && yolo_conv_add_find(g, &uses, i, &ca) &&
            first[n->out[0]] > (step ? step[ca.conv] : ca.conv))
            first[n->out[0]] = step ? step[ca.conv] : ca.conv;
        struct yolo_concat_q cq;
        if (n->op == YOLO_OP_QUANTIZE_LINEAR && uses_ok && yolo_concat_q_find(g, &uses, i, &cq))
            for (int k = 0; k < cq.n_parts; k++)
                if (last[cq.part[k].src] < at)
                    last[cq.part[k].src] = at;
        if (n->op == YOLO_OP_SPLIT && n->n_in >= 1 && n->in[0] >= 0)
            s.n_in_place += split_in_place(&ip, n);
        if (n->op == YOLO_OP_CONCAT && n->n_out == 1 && n->out[0] >= 0)
            s.n_in_place += concat_in_place(&ip, n);
    }
    if (uses_ok)
        yolo_uses_free(&uses);
    for (int i = 0; i < g->n_outputs; i++)
        last[g->outputs[i]] = end;
    for (int32_t t = 0; t < nt; t++)
        if (g->tensors[t].flags & YOLO_TF_KEEP)
            last[t] = end;
    for (int32_t t = 0; t < nt; t++)
        root[t] = find_root(parent, poff, t, &roff[t]);
    /* fold each member's lifetime into its root */
    for (int32_t t = 0; t < nt; t++) {
        if (root[t] == t)
            continue;
        int32_t r = root[t];
        if (first[t] < first[r])
            first[r] = first[t];
        if (last[t] > last[r])
            last[r] = last[t];
    }
    int32_t nl = 0;
    for (int32_t t = 0; t < nt; t++) {
        if ((g->tensors[t].flags & YOLO_TF_CONST) || root[t] != t)
            continue;
        if (first[t] == INT32_MAX)   /* never written: unused (compact removes these) */
            first[t] = last[t] < 0 ? 0 : last[t];
        if (last[t] < first[t])      /* written, never read: lives during its node */
            last[t] = first[t];
        lv[nl++] = (struct live){ t, first[t], last[t], yolo_tensor_bytes(&g->tensors[t]), 0, 0 };
    }
    qsort(lv, (size_t)nl, sizeof *lv, by_size_desc);
    uint64_t arena = 0;
    int rc = place(lv, nl, end, &arena);
    if (!rc) {
        for (int32_t t = 0; t < nt; t++)
            offset[t] = g->tensors[t].offset;   /* constants keep theirs */
        for (int32_t i = 0; i < nl; i++)
            offset[lv[i].t] = lv[i].offset;
        for (int32_t t = 0; t < nt; t++)
            if (root[t] != t)
                offset[t] = offset[root[t]] + roff[t];
        *arena_out = (arena + 63) & ~(uint64_t)63;
        s.arena_bytes = *arena_out;
        if (st)
            *st = s;
    }
    free(parent); free(first); free(last); free(poff); free(roff); free(lv);
    return rc ? yolo_diag_set(d, YOLO_ERR_NOMEM, "out of memory planning %d tensors", nt) : 0;
}

int yolo_plan(struct yolo_graph *g, struct yolo_plan_stats *st, struct yolo_diag *d)
{
    size_t cnt = (size_t)(g->n_tensors ? g->n_tensors : 1);
    uint64_t *offset = malloc(sizeof(uint64_t) * cnt);
    int32_t *root = malloc(sizeof(int32_t) * cnt);
    uint8_t *alias = malloc(cnt), *kind = malloc(cnt);
    int rc = offset && root && alias && kind ? 0
           : yolo_diag_set(d, YOLO_ERR_NOMEM, "out of memory planning %d tensors", g->n_tensors);
    uint64_t arena = 0;
    if (!rc)
        rc = plan_run(g, NULL, offset, root, alias, kind, &arena, st, d);
    for (int32_t t = 0; !rc && t < g->n_tensors; t++) {
        g->tensors[t].offset = offset[t];
        g->tensors[t].flags &= ~(uint32_t)YOLO_TF_ALIAS;
        if (alias[t])
            g->tensors[t].flags |= YOLO_TF_ALIAS;
    }
    if (!rc)
        g->arena_bytes = arena;
    free(offset); free(root); free(alias); free(kind);
    return rc;
}

int yolo_plan_for(const struct yolo_graph *g, const struct yolo_plan_opts *o,
                  struct yolo_plan_out *out, struct yolo_diag *d)
{
    size_t cnt = (size_t)(g->n_tensors ? g->n_tensors : 1);
    uint8_t *kind = malloc(cnt);
    int rc = kind ? 0
           : yolo_diag_set(d, YOLO_ERR_NOMEM, "out of memory planning %d tensors", g->n_tensors);
    if (!rc)
        rc = plan_run(g, o, out->offset, out->root, out->alias, kind, &out->arena_bytes, NULL, d);
    for (int32_t t = 0; !rc && t < g->n_tensors; t++) {
        const struct yolo_tensor *T = &g->tensors[t], *R = &g->tensors[out->root[t]];
        uint64_t tb = yolo_tensor_bytes(T), rb = yolo_tensor_bytes(R);
        out->img_stride[t] = kind[out->root[t]] == LINK_IMAGES && tb != rb && R->shape[0] > 0
                           ? rb / (uint64_t)R->shape[0] : 0;
    }
    free(kind);
    return rc;
}
