/* ops/constant.c: Constant (ONNX opset 1, 9, 11, 12, 13, 19, 21): the output is a fixed tensor
 * given by exactly one attribute: value (TENSOR: the importer already made it a CONST graph
 * tensor, attr.tensor), value_float / value_int (scalars), value_floats / value_ints (1-D).
 * sparse_value and the string forms are not supported.
 *
 * import_fn turns every form into a CONST tensor and wires it as the node's input 0 (so graph
 * passes see the dependency, and constant folding folds the node like any other whose inputs
 * are all constant); it also records the index in params[0]:
 *   params[0] = index of the CONST tensor holding the value
 * shape_fn reads in[0] when present, else params[0] (a node built with no inputs); the output
 * gets its dtype and shape, and the kernel copies its bytes. */
#include <stdio.h>
#include <string.h>

#include "broadcast.h"

enum { CST_TENSOR };

/* CONST flag rather than yolo_graph_const_data: an empty constant may have no bytes. */
static int is_const(const struct yolo_graph *g, int32_t t)
{
    return t >= 0 && t < g->n_tensors && (g->tensors[t].flags & YOLO_TF_CONST);
}

static int constant_import(struct yolo_graph *g, struct yolo_node *n, struct yolo_attrs *a,
                           struct yolo_diag *d)
{
    static const char *const forms[] = { "value", "value_float", "value_floats", "value_int",
                                         "value_ints", "sparse_value", "value_string",
                                         "value_strings" };
    if (n->n_in != 0)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "takes no inputs, has %d", n->n_in);
    const char *form = NULL;
    int found = 0;
    for (int32_t i = 0; a && i < a->n; i++)
        for (size_t k = 0; k < sizeof forms / sizeof forms[0]; k++)
            if (strcmp(a->v[i].name, forms[k]) == 0) {
                form = forms[k];
                found++;
            }
    if (found != 1)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "needs exactly one value attribute, has %d",
                               found);
    char name[YOLO_NAME_MAX];
    snprintf(name, sizeof name, "%s:%s", n->name, form);
    int bad = 0;
    int32_t t = -1, cnt = 0;
    if (strcmp(form, "value") == 0) {
        t = yolo_attr_tensor(a, "value", &bad);
        if (!bad && !is_const(g, t))
            return yolo_node_error(d, YOLO_ERR_FORMAT, n, "attribute 'value' is not a tensor");
    } else if (strcmp(form, "value_float") == 0) {
        float v = yolo_attr_float(a, form, 0.0f, &bad);
        if (!bad)
            t = yolo_graph_add_const(g, name, YOLO_DT_F32, 0, NULL, &v, d);
    } else if (strcmp(form, "value_int") == 0) {
        int64_t v = yolo_attr_int(a, form, 0, &bad);
        if (!bad)
            t = yolo_graph_add_const(g, name, YOLO_DT_I64, 0, NULL, &v, d);
    } else if (strcmp(form, "value_floats") == 0) {
        const float *v = yolo_attr_floats(a, form, &cnt, &bad);
        int64_t shape[1] = { cnt };
        if (!bad)
            t = yolo_graph_add_const(g, name, YOLO_DT_F32, 1, shape, cnt ? v : NULL, d);
    } else if (strcmp(form, "value_ints") == 0) {
        const int64_t *v = yolo_attr_ints(a, form, &cnt, &bad);
        int64_t shape[1] = { cnt };
        if (!bad)
            t = yolo_graph_add_const(g, name, YOLO_DT_I64, 1, shape, cnt ? v : NULL, d);
    } else {
        return yolo_node_error(d, YOLO_ERR_UNSUPPORTED, n, "attribute '%s' is not supported", form);
    }
    if (bad)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "attribute '%s' has the wrong type", form);
    if (t < 0)
        return d ? yolo_diag_prefix(d, n->name) : YOLO_ERR_NOMEM;
    n->n_in = 1;
    n->in[0] = t;
    n->params[CST_TENSOR] = t;
    return 0;
}

static int32_t constant_src(const struct yolo_node *n)
{
    if (n->n_in >= 1 && n->in[0] >= 0)
        return n->in[0];
    return n->params[CST_TENSOR] >= 0 && n->params[CST_TENSOR] <= INT32_MAX
               ? (int32_t)n->params[CST_TENSOR]
               : -1;
}

static int constant_shape(struct yolo_graph *g, struct yolo_node *n, struct yolo_diag *d)
{
    int rc = yolo_bc_check_io(g, n, 0, 1, 1, d);
    if (rc)
        return rc;
    int32_t t = constant_src(n);
    rc = yolo_bc_check_tensor(g, n, t, "value", 0, d);
    if (rc)
        return rc;
    if (!is_const(g, t))
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "value tensor '%s' is not a constant",
                               g->tensors[t].name);
    if (n->out[0] == t)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "output is its own value");
    n->params[CST_TENSOR] = t;
    const struct yolo_tensor *V = &g->tensors[t];
    return yolo_bc_set_out(g, n, 0, V->dtype, V->ndim, V->shape, d);
}

static void constant_ref(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth)
{
    int32_t t = constant_src(n);
    yolo_bc_copy(yolo_exec_ptr(x, n->out[0]), yolo_exec_ptr(x, t),
                 yolo_tensor_bytes(&x->g->tensors[t]), ith, nth);
}

const struct yolo_op_impl yolo_op_constant = {
    "Constant", "Constant", constant_import, constant_shape, constant_ref, NULL
};
