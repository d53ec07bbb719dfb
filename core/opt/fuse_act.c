/* fuse_act.c: activations folded into the op before them.
 *   Conv -> Sigmoid -> Mul(conv, sigmoid)   => Conv with act SiLU   (YOLO's Conv block)
 *   Conv -> Sigmoid (sole consumer)         => Conv with act Sigmoid
 *   Conv -> Relu    (sole consumer)         => Conv with act Relu
 *   other x -> Sigmoid -> Mul(x, sigmoid)   => SiLU(x)
 * A QConv with a float output (ops/qconv.c; a QDQ model's convolution followed by float glue)
 * takes the activation as a Conv does.
 * Saves one full pass over each activation tensor and two intermediate tensors per block. */
#include <stdlib.h>

#include "ops/op_params.h"
#include "passes.h"

/* Who reads and writes each tensor, built once so each lookup is O(1) (scanning the nodes
 * per lookup made the pass quadratic in the node count). Nodes marked dead stay counted,
 * as they stay in g->nodes until the end of the pass. */
/* The single node reading tensor t, or -1 when there are zero or several (a node reading t
 * twice, e.g. Mul(x, x), counts as several). */
static int32_t sole_consumer(const struct yolo_uses *u, int32_t t)
{
    return u->n_reads[t] == 1 ? u->reader[t] : -1;
}

/* For x -> Sigmoid(si) -> s, finds Mul(x, s) / Mul(s, x) reading s and return its index when
 * x is read only by the Sigmoid and that Mul, and s only by the Mul. */
static int32_t silu_mul(const struct yolo_graph *g, const struct yolo_uses *u, int32_t x,
                        int32_t si)
{
    int32_t s = g->nodes[si].out[0];
    int32_t mi = s >= 0 ? sole_consumer(u, s) : -1;
    if (mi < 0 || yolo_graph_is_output(g, s))
        return -1;
    const struct yolo_node *m = &g->nodes[mi];
    if (m->op != YOLO_OP_MUL || m->n_in != 2 ||
        !((m->in[0] == x && m->in[1] == s) || (m->in[0] == s && m->in[1] == x)))
        return -1;
    if (u->n_reads[x] != 2 || yolo_graph_is_output(g, x))
        return -1;
    return mi;
}

/* Whether node c applies an activation of its own to its sole, float output. */
static int takes_act(const struct yolo_node *c)
{
    if (c->n_out != 1 || c->params[YOLO_CONV_ACT] != YOLO_ACT_NONE)
        return 0;
    return c->op == YOLO_OP_CONV ||
           (c->op == YOLO_OP_QCONV && c->params[YOLO_QC_ODT] == YOLO_DT_F32 &&
            c->fparams[YOLO_QC_FP_OSC] == 0 && c->in[YOLO_QC_IN_LUT] < 0);
}

int yolo_opt_fuse_act(struct yolo_graph *g, int *n_changed, struct yolo_diag *d)
{
    int changed = 0;
    uint8_t *dead = calloc((size_t)(g->n_nodes ? g->n_nodes : 1), 1);
    struct yolo_uses u;
    if (!dead)
        return yolo_diag_set(d, YOLO_ERR_NOMEM, "out of memory fusing activations");
    int rc = yolo_uses_make(g, (size_t)g->n_tensors, &u, d);
    if (rc) {
        free(dead);
        return rc;
    }
    for (int32_t si = 0; si < g->n_nodes; si++) {
        struct yolo_node *sn = &g->nodes[si];
        if (dead[si] || (sn->op != YOLO_OP_SIGMOID && sn->op != YOLO_OP_RELU) || sn->n_in != 1)
            continue;
        int32_t x = sn->in[0];
        if (x < 0 || g->tensors[x].dtype != YOLO_DT_F32)
            continue;
        int32_t pi = u.producer[x];
        int is_conv = pi >= 0 && !dead[pi] && takes_act(&g->nodes[pi]);
        int32_t mi = sn->op == YOLO_OP_SIGMOID ? silu_mul(g, &u, x, si) : -1;
        if (mi >= 0 && !dead[mi]) {
            if (is_conv) {
                int32_t y = g->nodes[mi].out[0];
                g->nodes[pi].params[YOLO_CONV_ACT] = YOLO_ACT_SILU;
                g->nodes[pi].out[0] = y;
                u.producer[x] = -1;
                if (y >= 0)
                    u.producer[y] = pi;     /* pi comes before mi */
                dead[si] = dead[mi] = 1;
            } else {
                /* the Mul becomes SiLU(x) in place: it already comes after x's producer */
                struct yolo_node *m = &g->nodes[mi];
                u.n_reads[sn->out[0]]--;    /* the Mul no longer reads s */
                m->op = YOLO_OP_SILU;
                m->n_in = 1;
                m->in[0] = x;
                m->in[1] = -1;
                dead[si] = 1;
            }
            changed++;
            continue;
        }
        if (is_conv && sole_consumer(&u, x) == si && !yolo_graph_is_output(g, x)) {
            g->nodes[pi].params[YOLO_CONV_ACT] = sn->op == YOLO_OP_SIGMOID ? YOLO_ACT_SIGMOID
                                                                          : YOLO_ACT_RELU;
            g->nodes[pi].out[0] = sn->out[0];
            u.producer[x] = -1;
            if (sn->out[0] >= 0)
                u.producer[sn->out[0]] = pi;  /* pi comes before si */
            dead[si] = 1;
            changed++;
        }
    }
    yolo_uses_free(&u);
    yolo_graph_remove_nodes(g, dead);
    free(dead);
    if (n_changed)
        *n_changed = changed;
    return 0;
}
