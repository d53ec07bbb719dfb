/* cuda/launch.c: every node that is not a Conv, as a launch of one kernels.h kernel with its
 * shapes and strides worked out here on the host, once per context (the pointers are the
 * context's), so running is a loop of launches that a CUDA graph records. */
#include <stdlib.h>
#include <string.h>

#include "cuda/cuda_model.h"
#include "ops/op_params.h"
#include "passes.h"

static int dtype_ok(enum yolo_dtype t)
{
    return t == YOLO_DT_F32 || t == YOLO_DT_I64 || t == YOLO_DT_I32 || t == YOLO_DT_U8 ||
           t == YOLO_DT_I8 || t == YOLO_DT_BOOL;
}

int cuda_node_supported(const struct yolo_graph *g, const struct yolo_node *n)
{
    for (int k = 0; k < n->n_in; k++)
        if (n->in[k] >= 0 && !dtype_ok(g->tensors[n->in[k]].dtype))
            return 0;
    for (int k = 0; k < n->n_out; k++)
        if (n->out[k] < 0 || !dtype_ok(g->tensors[n->out[k]].dtype))
            return 0;
    const struct yolo_tensor *X = n->n_in > 0 && n->in[0] >= 0 ? &g->tensors[n->in[0]] : NULL;
    switch (n->op) {
    case YOLO_OP_CONV:
        return cuda_conv_supported(g, n);
    case YOLO_OP_ADD: case YOLO_OP_SUB: case YOLO_OP_MUL: case YOLO_OP_DIV: case YOLO_OP_MOD:
        return 1;
    case YOLO_OP_POW:
        return X->dtype == YOLO_DT_F32;
    case YOLO_OP_SIGMOID: case YOLO_OP_SILU: case YOLO_OP_RELU: case YOLO_OP_CAST:
    case YOLO_OP_CONCAT: case YOLO_OP_SPLIT: case YOLO_OP_SLICE: case YOLO_OP_TRANSPOSE:
    case YOLO_OP_TILE: case YOLO_OP_EXPAND: case YOLO_OP_GATHER: case YOLO_OP_GATHER_ELEMENTS:
    case YOLO_OP_MAXPOOL: case YOLO_OP_SOFTMAX: case YOLO_OP_MATMUL: case YOLO_OP_REDUCE_MAX:
    case YOLO_OP_TOPK: case YOLO_OP_SPACE_TO_DEPTH:
        return 1;
    case YOLO_OP_RESIZE:
        return n->params[YOLO_RS_MODE] == 0;      /* nearest; linear stays on the CPU */
    default:
        return yolo_op_is_view(n->op);
    }
}

uint64_t cuda_node_extra_bytes(const struct yolo_graph *g, const struct yolo_node *n)
{
    if (n->op == YOLO_OP_RESIZE) {
        const struct yolo_tensor *Y = &g->tensors[n->out[0]];
        uint64_t total = 0;
        for (int32_t k = 0; k < Y->ndim; k++)
            total += (uint64_t)Y->shape[k];
        return total * sizeof(int64_t);
    }
    if (n->op == YOLO_OP_MATMUL)
        return 2 * (uint64_t)n->params[YOLO_MM_BATCH] * sizeof(int64_t);
    return 0;
}

void cuda_node_extra_fill(const struct yolo_graph *g, const struct yolo_node *n, void *dst)
{
    int64_t *v = dst;
    if (n->op == YOLO_OP_RESIZE) {
        const struct yolo_tensor *X = &g->tensors[n->in[0]], *Y = &g->tensors[n->out[0]];
        for (int32_t k = 0; k < Y->ndim; k++)
            for (int64_t o = 0; o < Y->shape[k]; o++)
                *v++ = yolo_resize_nearest_index(n->params, o, n->fparams[k], Y->shape[k],
                                                 X->shape[k]);
    } else if (n->op == YOLO_OP_MATMUL) {
        int64_t nb = n->params[YOLO_MM_BATCH];
        for (int64_t s = 0; s < nb; s++)
            yolo_matmul_batch_offsets(n->params, s, &v[s], &v[nb + s]);
    }
}

static void strides_of(int32_t ndim, const int64_t *shape, int64_t *st)
{
    int64_t s = 1;
    for (int32_t k = ndim - 1; k >= 0; k--) {
        st[k] = s;
        s *= shape[k];
    }
}

/* Drops dims of size 1 and merges a dim into the next inner one where both operands walk
 * them as one range, so the kernel divides as little as possible. */
static void copy_simplify(struct yolo_cu_copy *c)
{
    int32_t nd = 0;
    c->numel = 1;
    for (int32_t k = 0; k < c->ndim; k++)
        c->numel *= c->shape[k];
    for (int32_t k = 0; k < c->ndim; k++) {
        if (c->shape[k] == 1)
            continue;
        c->shape[nd] = c->shape[k];
        c->ss[nd] = c->ss[k];
        c->ds[nd] = c->ds[k];
        nd++;
    }
    int32_t m = 0;
    for (int32_t k = 0; k < nd; k++) {
        if (m > 0 && c->ss[m - 1] == c->ss[k] * c->shape[k] &&
            c->ds[m - 1] == c->ds[k] * c->shape[k]) {
            c->shape[m - 1] *= c->shape[k];
            c->ss[m - 1] = c->ss[k];
            c->ds[m - 1] = c->ds[k];
            continue;
        }
        c->shape[m] = c->shape[k];
        c->ss[m] = c->ss[k];
        c->ds[m] = c->ds[k];
        m++;
    }
    if (m == 0) {
        m = 1;
        c->shape[0] = 1;
        c->ss[0] = c->ds[0] = 1;
    }
    c->ndim = m;
}

static int is_nhwc(const struct cuda_model *m, int32_t t)
{
    return m->nhwc && m->nhwc[t];
}

/* Element strides of tensor t in its layout: a 4-D one as cuda_strides4, else packed with its
 * image stride first (a part inside its whole). */
static void tensor_strides(const struct cuda_model *m, int32_t t, int64_t *st)
{
    const struct yolo_tensor *T = &m->g->tensors[t];
    if (T->ndim == 4) {
        cuda_strides4(m, t, st);
        return;
    }
    strides_of(T->ndim, T->shape, st);
    if (T->ndim > 0)
        st[0] = cuda_img_stride(m, t);
}

static size_t st_bytes(int32_t st)
{
    return st == YOLO_CU_I64 ? 8 : st == YOLO_CU_F32 || st == YOLO_CU_I32 ? 4
         : st == YOLO_CU_F16 ? 2 : 1;
}

/* Concat and Split: one piece per part, the whole on the other side; pieces the planner put
 * in place already (same address) are left out. */
static int make_concat_split(struct cuda_ctx *c, const struct yolo_node *n, struct cuda_launch *L)
{
    const struct cuda_model *m = c->m;
    const struct yolo_graph *g = m->g;
    int split = n->op == YOLO_OP_SPLIT;
    int32_t whole = split ? n->in[0] : n->out[0];
    int64_t axis = split ? n->params[YOLO_SP_AXIS_RES] : n->params[YOLO_CC_AXIS_RES];
    int64_t ws[YOLO_MAX_DIMS];
    tensor_strides(m, whole, ws);   /* a whole may itself be a part, or channels-last */
    int64_t at = 0;
    L->kind = CL_COPY;
    L->n_seg = 0;
    int32_t np = split ? n->n_out : n->n_in;
    for (int32_t k = 0; k < np; k++) {
        int32_t t = split ? n->out[k] : n->in[k];
        if (t < 0)
            continue;
        const struct yolo_tensor *P = &g->tensors[t];
        int64_t off = at * ws[axis];
        at += P->shape[axis];
        const uint8_t *pp = cuda_tensor_ptr(c, t), *wp = cuda_tensor_ptr(c, whole);
        if (m->st[t] == m->st[whole] && pp == wp + (size_t)off * st_bytes(m->st[whole]))
            continue;                                  /* in place */
        if (L->n_seg == YOLO_CU_MAXSEG)
            return YOLO_ERR_UNSUPPORTED;
        struct yolo_cu_copy *cp = &L->u.copy[L->n_seg++];
        memset(cp, 0, sizeof *cp);
        cp->ndim = P->ndim;
        memcpy(cp->shape, P->shape, sizeof(int64_t) * (size_t)P->ndim);
        int64_t ps[YOLO_MAX_DIMS];
        tensor_strides(m, t, ps);
        for (int32_t d = 0; d < P->ndim; d++) {
            cp->ss[d] = split ? ws[d] : ps[d];
            cp->ds[d] = split ? ps[d] : ws[d];
        }
        cp->src_off = split ? off : 0;
        cp->dst_off = split ? 0 : off;
        cp->src = split ? (const void *)wp : (const void *)pp;
        cp->dst = split ? (void *)pp : (void *)wp;
        cp->src_st = split ? m->st[whole] : m->st[t];
        cp->dst_st = split ? m->st[t] : m->st[whole];
        copy_simplify(cp);
    }
    if (L->n_seg == 0)
        L->kind = CL_NONE;
    return 0;
}

/* Ops whose output element is one input element at computed strides. */
static void make_strided(struct cuda_ctx *c, const struct yolo_node *n, struct cuda_launch *L)
{
    const struct cuda_model *m = c->m;
    const struct yolo_graph *g = m->g;
    const struct yolo_tensor *X = &g->tensors[n->in[0]], *Y = &g->tensors[n->out[0]];
    struct yolo_cu_copy *cp = &L->u.copy[0];
    memset(cp, 0, sizeof *cp);
    int64_t xs[YOLO_MAX_DIMS], ys[YOLO_MAX_DIMS];
    strides_of(X->ndim, X->shape, xs);
    strides_of(Y->ndim, Y->shape, ys);
    const int64_t *p = n->params;
    switch (n->op) {
    case YOLO_OP_SLICE:
        cp->ndim = Y->ndim;
        for (int32_t k = 0; k < Y->ndim; k++) {
            cp->shape[k] = Y->shape[k];
            cp->ss[k] = xs[k] * p[YOLO_SL_STEP + k];
            cp->ds[k] = ys[k];
            cp->src_off += p[YOLO_SL_START + k] * xs[k];
        }
        break;
    case YOLO_OP_TRANSPOSE:
        cp->ndim = Y->ndim;
        for (int32_t k = 0; k < Y->ndim; k++) {
            cp->shape[k] = Y->shape[k];
            cp->ss[k] = xs[p[YOLO_TP_RES + k]];
            cp->ds[k] = ys[k];
        }
        break;
    case YOLO_OP_SPACE_TO_DEPTH: {
        /* y as [N, bh, bw, C, H/b, W/b] reads x at [n, c, i*b + bh, j*b + bw] */
        int64_t b = p[YOLO_S2D_BS], C = X->shape[1];
        const int64_t sh[6] = { X->shape[0], b, b, C, Y->shape[2], Y->shape[3] };
        const int64_t ss[6] = { xs[0], xs[2], xs[3], xs[1], b * xs[2], b * xs[3] };
        cp->ndim = 6;
        for (int32_t k = 0; k < 6; k++) {
            cp->shape[k] = sh[k];
            cp->ss[k] = ss[k];
        }
        cp->ds[5] = 1;
        for (int32_t k = 4; k >= 0; k--)
            cp->ds[k] = cp->ds[k + 1] * sh[k + 1];
        break;
    }
    case YOLO_OP_TILE:
        /* out axis k = (repeat r, position i): offset r * (d_k * ys_k) + i * ys_k */
        cp->ndim = 2 * X->ndim;
        for (int32_t k = 0; k < X->ndim; k++) {
            cp->shape[2 * k] = p[YOLO_TL_REPEATS + k];
            cp->ss[2 * k] = 0;
            cp->ds[2 * k] = X->shape[k] * ys[k];
            cp->shape[2 * k + 1] = X->shape[k];
            cp->ss[2 * k + 1] = xs[k];
            cp->ds[2 * k + 1] = ys[k];
        }
        break;
    case YOLO_OP_EXPAND:
        cp->ndim = Y->ndim;
        for (int32_t k = 0; k < Y->ndim; k++) {
            int32_t j = X->ndim - (Y->ndim - k);
            int64_t dim = j >= 0 ? X->shape[j] : 1;
            cp->shape[k] = Y->shape[k];
            cp->ss[k] = dim == 1 ? 0 : xs[j];
            cp->ds[k] = ys[k];
        }
        break;
    default:   /* a view the planner could not alias: the bytes as they are */
        cp->ndim = 1;
        cp->shape[0] = yolo_tensor_numel(Y);
        cp->ss[0] = cp->ds[0] = 1;
        break;
    }
    cp->src = cuda_tensor_ptr(c, n->in[0]);
    cp->dst = cuda_tensor_ptr(c, n->out[0]);
    cp->src_st = m->st[n->in[0]];
    cp->dst_st = m->st[n->out[0]];
    copy_simplify(cp);
    L->kind = CL_COPY;
    L->n_seg = 1;
}

static void make_binary(struct cuda_ctx *c, const struct yolo_node *n, struct cuda_launch *L)
{
    const struct cuda_model *m = c->m;
    const struct yolo_graph *g = m->g;
    const struct yolo_tensor *A = &g->tensors[n->in[0]], *B = &g->tensors[n->in[1]];
    const struct yolo_tensor *Y = &g->tensors[n->out[0]];
    struct yolo_bc_plan p;
    yolo_bc_plan_make(&p, Y->ndim, Y->shape, A->ndim, A->shape, B->ndim, B->shape);
    struct yolo_cu_binary *b = &L->u.bin;
    memset(b, 0, sizeof *b);
    switch (n->op) {
    case YOLO_OP_ADD: b->op = YOLO_CU_ADD; break;
    case YOLO_OP_SUB: b->op = YOLO_CU_SUB; break;
    case YOLO_OP_MUL: b->op = YOLO_CU_MUL; break;
    case YOLO_OP_DIV: b->op = YOLO_CU_DIV; break;
    case YOLO_OP_POW: b->op = YOLO_CU_POW; break;
    default:
        b->op = A->dtype == YOLO_DT_F32 ? YOLO_CU_FMOD
              : n->params[YOLO_MOD_FMOD] ? YOLO_CU_MOD_TRUNC : YOLO_CU_MOD_FLOOR;
        break;
    }
    b->ndim = p.ndim;
    b->numel = p.numel;
    for (int32_t k = 0; k < p.ndim; k++) {
        b->shape[k] = p.shape[k];
        b->sa[k] = p.stride[0][k];
        b->sb[k] = p.stride[1][k];
    }
    if (is_nhwc(m, n->out[0]) && (m->pixst[n->in[0]] != Y->shape[1] ||
                                  m->pixst[n->in[1]] != Y->shape[1] ||
                                  m->pixst[n->out[0]] != Y->shape[1])) {
        /* channels-last (layout.c: same shapes, all three), one of them a part of a wider
         * whole: rows of C, one per pixel (all three packed: one flat range, as below) */
        b->ndim = 2;
        b->shape[1] = b->inner = Y->shape[1];
        b->shape[0] = p.numel / b->inner;
        b->sa[0] = m->pixst[n->in[0]];
        b->sb[0] = m->pixst[n->in[1]];
        b->sa[1] = b->sb[1] = 1;
        b->yn = m->pixst[n->out[0]];
    } else if (m->imgst[n->in[0]] || m->imgst[n->in[1]] || m->imgst[n->out[0]]) {
        /* parts image by image (plan_cuda.c: same shapes only): [images, inner] */
        b->ndim = 2;
        b->shape[0] = Y->shape[0];
        b->shape[1] = b->inner = p.numel / Y->shape[0];
        b->sa[0] = cuda_img_stride(m, n->in[0]);
        b->sb[0] = cuda_img_stride(m, n->in[1]);
        b->sa[1] = b->sb[1] = 1;
        b->yn = cuda_img_stride(m, n->out[0]);
    }
    b->a = cuda_tensor_ptr(c, n->in[0]);
    b->b = cuda_tensor_ptr(c, n->in[1]);
    b->y = cuda_tensor_ptr(c, n->out[0]);
    b->a_st = m->st[n->in[0]];
    b->b_st = m->st[n->in[1]];
    b->y_st = m->st[n->out[0]];
    L->kind = CL_BINARY;
}

static void make_reduce(struct cuda_ctx *c, const struct yolo_node *n, struct cuda_launch *L)
{
    const struct cuda_model *m = c->m;
    const struct yolo_tensor *X = &m->g->tensors[n->in[0]];
    struct yolo_cu_reduce *r = &L->u.red;
    memset(r, 0, sizeof *r);
    int64_t xs[YOLO_MAX_DIMS];
    strides_of(X->ndim, X->shape, xs);
    uint32_t mask = (uint32_t)n->params[YOLO_RM_MASK];
    r->n_out = r->n_red = 1;
    for (int32_t i = 0; i < X->ndim; i++) {
        if (mask & (1u << i)) {
            r->rs[r->nr] = X->shape[i];
            r->rst[r->nr++] = xs[i];
            r->n_red *= X->shape[i];
        } else {
            r->ks[r->nk] = X->shape[i];
            r->kst[r->nk++] = xs[i];
            r->n_out *= X->shape[i];
        }
    }
    r->x = cuda_tensor_ptr(c, n->in[0]);
    r->y = cuda_tensor_ptr(c, n->out[0]);
    r->x_st = m->st[n->in[0]];
    r->y_st = m->st[n->out[0]];
    L->kind = CL_REDUCE;
}

/* Whether the vector kernel can run Resize n: an exact 2x (yolo_resize_is_2x), an even input
 * width, one float storage on both sides, aligned, int32 extents. */
static int resize_is_up2(const struct yolo_graph *g, const struct yolo_node *n,
                         const struct yolo_cu_resize *r)
{
    const struct yolo_tensor *X = &g->tensors[n->in[0]], *Y = &g->tensors[n->out[0]];
    return yolo_resize_is_2x(g, n) && X->shape[3] % 2 == 0 && r->x_st == r->y_st &&
           (r->x_st == YOLO_CU_F16 || r->x_st == YOLO_CU_F32) &&
           !(((uintptr_t)r->x | (uintptr_t)r->y) & 15) && yolo_tensor_numel(Y) < INT32_MAX / 2;
}

int cuda_launch_make(struct cuda_ctx *c, int32_t i, struct yolo_diag *d)
{
    const struct cuda_model *m = c->m;
    const struct yolo_graph *g = m->g;
    const struct yolo_node *n = &g->nodes[i];
    struct cuda_launch *L = &c->launch[i];
    memset(L, 0, sizeof *L);
    if (m->skip[i])
        return 0;
    const struct yolo_tensor *X = n->n_in > 0 && n->in[0] >= 0 ? &g->tensors[n->in[0]] : NULL;
    const struct yolo_tensor *Y = &g->tensors[n->out[0]];
    const uint8_t *extra = m->extra_off && m->extra_off[i] != UINT64_MAX
                         ? m->dextra + m->extra_off[i] : NULL;
    const int64_t *p = n->params;
    switch (n->op) {
    case YOLO_OP_CONV:
        L->kind = m->convs[i].dfl ? CL_DFL : CL_CONV;
        if (m->convs[i].dfl)
            cuda_dfl_launch(c, i, &L->u.dfl);
        return 0;
    case YOLO_OP_CONCAT:
    case YOLO_OP_SPLIT:
        if (make_concat_split(c, n, L))
            return yolo_node_error(d, YOLO_ERR_UNSUPPORTED, n, "cuda: more than %d parts",
                                   YOLO_CU_MAXSEG);
        return 0;
    case YOLO_OP_ADD: case YOLO_OP_SUB: case YOLO_OP_MUL: case YOLO_OP_DIV: case YOLO_OP_POW:
    case YOLO_OP_MOD:
        make_binary(c, n, L);
        return 0;
    case YOLO_OP_SIGMOID: case YOLO_OP_SILU: case YOLO_OP_RELU: case YOLO_OP_CAST:
        L->kind = CL_UNARY;
        L->unop = n->op == YOLO_OP_SIGMOID ? YOLO_CU_SIGMOID : n->op == YOLO_OP_SILU ? YOLO_CU_SILU
                : n->op == YOLO_OP_RELU ? YOLO_CU_RELU : YOLO_CU_CAST;
        L->y_bool = Y->dtype == YOLO_DT_BOOL;
        L->u.un.x = cuda_tensor_ptr(c, n->in[0]);
        L->u.un.y = cuda_tensor_ptr(c, n->out[0]);
        L->u.un.x_st = m->st[n->in[0]];
        L->u.un.y_st = m->st[n->out[0]];
        L->u.un.n = yolo_tensor_numel(Y);
        return 0;
    case YOLO_OP_SOFTMAX:
        L->kind = CL_SOFTMAX;
        L->u.un.x = cuda_tensor_ptr(c, n->in[0]);
        L->u.un.y = cuda_tensor_ptr(c, n->out[0]);
        L->u.un.x_st = m->st[n->in[0]];
        L->u.un.y_st = m->st[n->out[0]];
        L->u.un.outer = p[YOLO_SM_OUTER];
        L->u.un.len = p[YOLO_SM_N];
        L->u.un.inner = p[YOLO_SM_INNER];
        /* the warp-per-row kernel for long contiguous rows (YOLO11's attention: 0.91 ->
         * 0.74 ms of yolo11n_dq FP16 at batch 1 on an H100); YOLO_CUDA_SOFTMAX_ROWS=0 keeps
         * the thread-per-row kernel, for comparison. Read once, at load. */
        const char *rows = getenv("YOLO_CUDA_SOFTMAX_ROWS");
        L->u.un.rows = !(rows && strcmp(rows, "0") == 0);
        return 0;
    case YOLO_OP_MAXPOOL:
        if (is_nhwc(m, n->in[0])) {
            L->kind = CL_POOL_NHWC;
            L->u.np = (struct yolo_cu_nhwc_pool){
                .n = (int32_t)X->shape[0], .h = (int32_t)X->shape[2], .w = (int32_t)X->shape[3],
                .c = (int32_t)X->shape[1], .oh = (int32_t)Y->shape[2], .ow = (int32_t)Y->shape[3],
                .kh = (int32_t)p[YOLO_MP_KH], .kw = (int32_t)p[YOLO_MP_KW],
                .sh = (int32_t)p[YOLO_MP_SH], .sw = (int32_t)p[YOLO_MP_SW],
                .pt = (int32_t)p[YOLO_MP_PT], .pl = (int32_t)p[YOLO_MP_PL],
                .dh = (int32_t)p[YOLO_MP_DH], .dw = (int32_t)p[YOLO_MP_DW], .st = m->st[n->in[0]],
                .xp = m->pixst[n->in[0]], .yp = m->pixst[n->out[0]],
                .x = cuda_tensor_ptr(c, n->in[0]), .y = cuda_tensor_ptr(c, n->out[0]) };
            return 0;
        }
        L->kind = CL_POOL;
        L->u.pool = (struct yolo_cu_pool){
            .planes = X->shape[0] * X->shape[1], .h = X->shape[2], .w = X->shape[3],
            .oh = Y->shape[2], .ow = Y->shape[3], .kh = (int32_t)p[YOLO_MP_KH],
            .kw = (int32_t)p[YOLO_MP_KW], .sh = (int32_t)p[YOLO_MP_SH], .sw = (int32_t)p[YOLO_MP_SW],
            .pt = (int32_t)p[YOLO_MP_PT], .pl = (int32_t)p[YOLO_MP_PL], .dh = (int32_t)p[YOLO_MP_DH],
            .dw = (int32_t)p[YOLO_MP_DW], .c = X->shape[1], .xn = cuda_img_stride(m, n->in[0]),
            .yn = cuda_img_stride(m, n->out[0]), .x = cuda_tensor_ptr(c, n->in[0]),
            .y = cuda_tensor_ptr(c, n->out[0]), .x_st = m->st[n->in[0]], .y_st = m->st[n->out[0]] };
        return 0;
    case YOLO_OP_RESIZE: {
        if (is_nhwc(m, n->in[0])) {   /* an exact 2x (layout.c) */
            L->kind = CL_UP2_NHWC;
            L->u.np = (struct yolo_cu_nhwc_pool){
                .n = (int32_t)X->shape[0], .h = (int32_t)X->shape[2], .w = (int32_t)X->shape[3],
                .c = (int32_t)X->shape[1], .oh = (int32_t)Y->shape[2], .ow = (int32_t)Y->shape[3],
                .st = m->st[n->in[0]], .xp = m->pixst[n->in[0]], .yp = m->pixst[n->out[0]],
                .x = cuda_tensor_ptr(c, n->in[0]), .y = cuda_tensor_ptr(c, n->out[0]) };
            return 0;
        }
        struct yolo_cu_resize *r = &L->u.rs;
        memset(r, 0, sizeof *r);
        int64_t xs[YOLO_MAX_DIMS], at = 0;
        strides_of(X->ndim, X->shape, xs);
        if (X->ndim > 0)
            xs[0] = cuda_img_stride(m, n->in[0]);
        r->ndim = Y->ndim;
        r->numel = yolo_tensor_numel(Y);
        r->yn = m->imgst[n->out[0]];
        for (int32_t k = 0; k < Y->ndim; k++) {
            r->shape[k] = Y->shape[k];
            r->xs[k] = xs[k];
            r->toff[k] = at;
            at += Y->shape[k];
        }
        r->tables = (const int64_t *)extra;
        r->x = cuda_tensor_ptr(c, n->in[0]);
        r->y = cuda_tensor_ptr(c, n->out[0]);
        r->x_st = m->st[n->in[0]];
        r->y_st = m->st[n->out[0]];
        r->up2 = resize_is_up2(g, n, r);
        L->kind = CL_RESIZE;
        return 0;
    }
    case YOLO_OP_REDUCE_MAX:
        make_reduce(c, n, L);
        return 0;
    case YOLO_OP_MATMUL: {
        if (m->attn && m->attn[i].q >= 0) {
            L->kind = CL_ATTN;
            cuda_attn_launch(c, i, &L->u.attn);
            return 0;
        }
        int64_t nb = p[YOLO_MM_BATCH];
        L->kind = CL_MATMUL;
        L->u.mm = (struct yolo_cu_matmul){
            .m = p[YOLO_MM_M], .k = p[YOLO_MM_K], .n = p[YOLO_MM_N], .batch = nb,
            .aoff = (const int64_t *)extra, .boff = (const int64_t *)extra + nb,
            .a = cuda_tensor_ptr(c, n->in[0]), .b = cuda_tensor_ptr(c, n->in[1]),
            .y = cuda_tensor_ptr(c, n->out[0]), .a_st = m->st[n->in[0]],
            .b_st = m->st[n->in[1]], .y_st = m->st[n->out[0]] };
        return 0;
    }
    case YOLO_OP_TOPK:
        L->kind = CL_TOPK;
        L->u.tk = (struct yolo_cu_topk){
            .outer = p[YOLO_TK_OUTER], .dim = p[YOLO_TK_DIM], .inner = p[YOLO_TK_INNER],
            .k = p[YOLO_TK_K], .largest = p[YOLO_TK_LARGEST] != 0, .x_st = m->st[n->in[0]],
            .y_st = m->st[n->out[0]], .x = cuda_tensor_ptr(c, n->in[0]),
            .vals = cuda_tensor_ptr(c, n->out[0]), .idx = cuda_tensor_ptr(c, n->out[1]) };
        if (L->u.tk.outer * L->u.tk.inner > 65535)
            return yolo_node_error(d, YOLO_ERR_UNSUPPORTED, n, "cuda: more than 65535 slices");
        return 0;
    case YOLO_OP_GATHER:
        L->kind = CL_GATHER;
        L->u.ga = (struct yolo_cu_gather){
            .outer = p[YOLO_GA_OUTER], .nidx = p[YOLO_GA_NIDX], .dim = p[YOLO_GA_DIM],
            .row = p[YOLO_GA_INNER], .x = cuda_tensor_ptr(c, n->in[0]),
            .index = cuda_tensor_ptr(c, n->in[1]), .y = cuda_tensor_ptr(c, n->out[0]),
            .x_st = m->st[n->in[0]], .y_st = m->st[n->out[0]],
            .idx_i32 = g->tensors[n->in[1]].dtype == YOLO_DT_I32 };
        return 0;
    case YOLO_OP_GATHER_ELEMENTS: {
        const struct yolo_tensor *I = &g->tensors[n->in[1]];
        struct yolo_cu_gather_el *ge = &L->u.ge;
        memset(ge, 0, sizeof *ge);
        int32_t axis = (int32_t)p[YOLO_GE_AXIS_N];
        ge->ndim = I->ndim;
        ge->axis = axis;
        ge->numel = yolo_tensor_numel(I);
        ge->dim = X->shape[axis];
        strides_of(X->ndim, X->shape, ge->xs);
        memcpy(ge->shape, I->shape, sizeof(int64_t) * (size_t)I->ndim);
        ge->x = cuda_tensor_ptr(c, n->in[0]);
        ge->index = cuda_tensor_ptr(c, n->in[1]);
        ge->y = cuda_tensor_ptr(c, n->out[0]);
        ge->x_st = m->st[n->in[0]];
        ge->y_st = m->st[n->out[0]];
        ge->idx_i32 = I->dtype == YOLO_DT_I32;
        L->kind = CL_GATHER_EL;
        return 0;
    }
    default:   /* Slice, Transpose, SpaceToDepth, Tile, Expand and views that copy */
        make_strided(c, n, L);
        return 0;
    }
}

int cuda_launch_run(struct cuda_ctx *c, int32_t i, struct yolo_diag *d)
{
    const struct cuda_launch *L = &c->launch[i];
    yolo_cu_stream s = (yolo_cu_stream)c->run;
    int e = 0;
    switch (L->kind) {
    case CL_NONE:       return 0;
    case CL_CONV:       return cuda_conv_run(c, i, d);
    case CL_DFL:        e = yolo_cu_dfl(&L->u.dfl, s); break;
    case CL_COPY:       e = yolo_cu_copy(L->u.copy, L->n_seg, s); break;
    case CL_BINARY:     e = yolo_cu_binary(&L->u.bin, s); break;
    case CL_UNARY:      e = yolo_cu_unary(L->unop, L->u.un.x, L->u.un.x_st, L->u.un.y, L->u.un.y_st,
                                          L->u.un.n, L->y_bool, s); break;
    case CL_SOFTMAX:    e = yolo_cu_softmax(L->u.un.x, L->u.un.x_st, L->u.un.y, L->u.un.y_st,
                                            L->u.un.outer, L->u.un.len, L->u.un.inner, L->u.un.rows,
                                            s); break;
    case CL_POOL:       e = yolo_cu_maxpool(&L->u.pool, s); break;
    case CL_POOL_NHWC:  e = yolo_cu_maxpool_nhwc(&L->u.np, s); break;
    case CL_UP2_NHWC:   e = yolo_cu_upsample2_nhwc(&L->u.np, s); break;
    case CL_RESIZE:     e = yolo_cu_resize_nearest(&L->u.rs, s); break;
    case CL_REDUCE:     e = yolo_cu_reduce_max(&L->u.red, s); break;
    case CL_MATMUL:     e = yolo_cu_matmul(&L->u.mm, s); break;
    case CL_ATTN:       e = yolo_cu_attn(&L->u.attn, s); break;
    case CL_TOPK:       e = yolo_cu_topk(&L->u.tk, s); break;
    case CL_GATHER:     e = yolo_cu_gather(&L->u.ga, s); break;
    case CL_GATHER_EL:  e = yolo_cu_gather_elements(&L->u.ge, s); break;
    default:            return yolo_diag_set(d, YOLO_ERR_INTERNAL, "cuda: bad launch kind");
    }
    if (e)
        return yolo_node_error(d, YOLO_ERR_UNSUPPORTED, &c->m->g->nodes[i], "cuda: kernel launch: "
                               "%s", cudaGetErrorString((cudaError_t)e));
    return 0;
}
