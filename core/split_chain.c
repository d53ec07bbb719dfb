/* split_chain.c: finds the Sigmoid -> Split -> element-wise chains -> Concat pattern of
 * passes.h (struct yolo_split_chain): YOLOv5's box decode, which the planner keeps the
 * Sigmoid's input alive across (plan.c) and the CPU backend runs as one pass
 * (cpu/split_chain_mark.c). The graph is not changed. */
#include <string.h>

#include "passes.h"
#include "ops/op_params.h"

static int same_shape(const struct yolo_tensor *a, const struct yolo_tensor *b)
{
    return a->ndim == b->ndim && !memcmp(a->shape, b->shape, sizeof(int64_t) * (size_t)a->ndim);
}

/* Node r continues a chain at tensor t of shape P: Add or Mul by a float32 constant of one
 * element or of P's shape, or Pow by the constant 2 (cpu/isa.c's fast kernels' cases); its
 * output of P's shape. Sets *cin to the constant's input slot. */
static int chain_op(const struct yolo_graph *g, const struct yolo_node *r, int32_t t,
                    const struct yolo_tensor *P, int32_t *cin)
{
    if (r->n_in != 2 || r->n_out != 1 || r->out[0] < 0 || r->in[0] < 0 || r->in[1] < 0 ||
        !same_shape(&g->tensors[r->out[0]], P) || g->tensors[r->out[0]].dtype != YOLO_DT_F32)
        return 0;
    int32_t k = r->in[0] == t ? 1 : 0;
    if (r->in[1 - k] != t || r->in[k] == t)
        return 0;
    const struct yolo_tensor *C = &g->tensors[r->in[k]];
    const void *cv = yolo_graph_const_data(g, r->in[k]);
    *cin = k;
    if (r->op == YOLO_OP_POW)
        return k == 1 && cv && yolo_tensor_numel(C) == 1 &&
               ((C->dtype == YOLO_DT_F32 && *(const float *)cv == 2.0f) ||
                (C->dtype == YOLO_DT_I64 && *(const int64_t *)cv == 2));
    return (r->op == YOLO_OP_ADD || r->op == YOLO_OP_MUL) && cv && C->dtype == YOLO_DT_F32 &&
           (yolo_tensor_numel(C) == 1 || same_shape(C, P));
}

int yolo_split_chain_find(const struct yolo_graph *g, const struct yolo_uses *u, int32_t s,
                          struct yolo_split_chain *sc)
{
    memset(sc, 0, sizeof *sc);
    const struct yolo_node *sn = &g->nodes[s];
    if (sn->op != YOLO_OP_SIGMOID || sn->n_in != 1 || sn->n_out != 1 || sn->in[0] < 0 ||
        sn->out[0] < 0)
        return 0;
    const struct yolo_tensor *T = &g->tensors[sn->in[0]], *S = &g->tensors[sn->out[0]];
    int r = T->ndim;
    if (r < 1 || T->dtype != YOLO_DT_F32 || !same_shape(T, S) || T->shape[r - 1] < 1 ||
        (T->flags & YOLO_TF_CONST))
        return 0;
    int32_t sp = u->reader[sn->out[0]];
    if (sp < 0 || !yolo_uses_private(g, u, sn->out[0], sp))
        return 0;
    const struct yolo_node *spn = &g->nodes[sp];
    if (spn->op != YOLO_OP_SPLIT || spn->in[0] != sn->out[0] ||
        spn->params[YOLO_SP_AXIS_RES] != r - 1 || spn->n_out < 1 ||
        spn->n_out > YOLO_SC_MAX_PIECES)
        return 0;
    int32_t cc = -1;
    int64_t total = 0;
    for (int j = 0; j < spn->n_out; j++) {
        int32_t t = spn->out[j];
        if (t < 0)
            return 0;
        const struct yolo_tensor *P = &g->tensors[t];
        if (P->dtype != YOLO_DT_F32 || P->ndim != r ||
            memcmp(P->shape, T->shape, sizeof(int64_t) * (size_t)(r - 1)))
            return 0;
        sc->width[j] = P->shape[r - 1];
        total += sc->width[j];
        for (;;) {   /* along the chain to the Concat */
            int32_t nx = u->reader[t];
            if (nx < 0 || !yolo_uses_private(g, u, t, nx))
                return 0;
            if (g->nodes[nx].op == YOLO_OP_CONCAT) {
                if ((cc >= 0 && nx != cc) || g->nodes[nx].n_in != spn->n_out ||
                    g->nodes[nx].in[j] != t)
                    return 0;
                cc = nx;
                break;
            }
            int32_t cin;
            if (sc->n_ops[j] == YOLO_SC_MAX_OPS || !chain_op(g, &g->nodes[nx], t, P, &cin))
                return 0;
            sc->op[j][sc->n_ops[j]] = nx;
            sc->cin[j][sc->n_ops[j]++] = cin;
            t = g->nodes[nx].out[0];
        }
    }
    const struct yolo_node *cn = &g->nodes[cc];
    if (total != T->shape[r - 1] || cn->n_out != 1 || cn->out[0] < 0 ||
        cn->params[YOLO_CC_AXIS_RES] != r - 1 || !same_shape(&g->tensors[cn->out[0]], T) ||
        g->tensors[cn->out[0]].dtype != YOLO_DT_F32)
        return 0;
    sc->sigmoid = s;
    sc->split = sp;
    sc->concat = cc;
    sc->n_pieces = spn->n_out;
    return 1;
}
