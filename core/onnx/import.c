/* import.c: ONNX ModelProto -> struct yolo_graph (see onnx_import.h for what comes out).
 *
 * Order of work: read and unpack the file (parse.c), copy the model facts into info, then
 * build the graph: initializers, graph inputs, one tensor per node output (a first pass over
 * the nodes, so a node may use a tensor produced by a node later in the file), the nodes
 * themselves (second pass), graph outputs, and finally a topological sort. The unpacked
 * message is freed before returning.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx_import.h"
#include "onnx_internal.h"

/* Caps against hostile files; real models have a handful of each. */
#define ONNX_MAX_ATTRS     1024
#define ONNX_MAX_PROPS     (1 << 16)

struct importer {
    const char *path;                   /* for warnings */
    struct yolo_graph *g;
    const struct yolo_logger *lg;
    struct yolo_diag *d;                /* never NULL */
    struct yolo_onnx_names names;
    int64_t opset;
};

/* ------------------------------------------------------------------ model facts */

static int is_default_domain(const char *dom)
{
    return !dom || !*dom || strcmp(dom, "ai.onnx") == 0;
}

static int fill_info(const Onnx__ModelProto *m, struct yolo_onnx_info *info, struct yolo_diag *d)
{
    info->ir_version = m->has_ir_version ? m->ir_version : 0;
    snprintf(info->producer, sizeof info->producer, "%s", m->producer_name ? m->producer_name : "");
    if (m->n_metadata_props > ONNX_MAX_PROPS)
        return yolo_diag_set(d, YOLO_ERR_UNSUPPORTED, "%zu metadata entries exceed the supported "
                             "%d", m->n_metadata_props, ONNX_MAX_PROPS);
    if (m->n_metadata_props == 0)
        return 0;
    info->props = calloc(m->n_metadata_props, sizeof *info->props);
    if (!info->props)
        return yolo_diag_set(d, YOLO_ERR_NOMEM, "out of memory copying metadata");
    for (size_t i = 0; i < m->n_metadata_props; i++) {
        const Onnx__StringStringEntryProto *e = m->metadata_props[i];
        struct yolo_kv *kv = &info->props[info->n_props++];
        kv->key = strdup(e->key ? e->key : "");
        kv->value = strdup(e->value ? e->value : "");
        if (!kv->key || !kv->value)
            return yolo_diag_set(d, YOLO_ERR_NOMEM, "out of memory copying metadata");
    }
    return 0;
}

void yolo_onnx_info_release(struct yolo_onnx_info *info)
{
    if (!info)
        return;
    for (int32_t i = 0; i < info->n_props; i++) {
        free(info->props[i].key);
        free(info->props[i].value);
    }
    free(info->props);
    memset(info, 0, sizeof *info);
}

const char *yolo_onnx_info_get(const struct yolo_onnx_info *info, const char *key)
{
    for (int32_t i = 0; info && i < info->n_props; i++)
        if (strcmp(info->props[i].key, key) == 0)
            return info->props[i].value;
    return NULL;
}

/* ------------------------------------------------------------------ graph inputs / outputs */

/* dtype and shape of a ValueInfoProto. what: "graph input 'x'" for messages. */
static int value_info_type(const Onnx__ValueInfoProto *vi, const char *what, int need_type,
                           enum yolo_dtype *dt, int32_t *ndim, int64_t *shape, struct yolo_diag *d)
{
    const Onnx__TypeProto__Tensor *tt = vi->type ? vi->type->tensor_type : NULL;
    *dt = YOLO_DT_UNDEF;
    *ndim = -1;
    if (!tt || !tt->has_elem_type || tt->elem_type == 0) {
        if (vi->type && !tt)
            return yolo_diag_set(d, YOLO_ERR_UNSUPPORTED, "%s is not a tensor (sequences, maps and "
                                 "optionals are not supported)", what);
        if (need_type)
            return yolo_diag_set(d, YOLO_ERR_FORMAT, "%s has no element type", what);
        return 0;
    }
    *dt = yolo_onnx_dtype(tt->elem_type);
    if (*dt == YOLO_DT_UNDEF)
        return yolo_diag_set(d, YOLO_ERR_UNSUPPORTED, "%s: data type %" PRId32 " (%s) is not "
                             "supported", what, tt->elem_type, yolo_onnx_dtype_name(tt->elem_type));
    if (!tt->shape)
        return 0;                       /* rank unknown */
    if (tt->shape->n_dim > YOLO_MAX_DIMS)
        return yolo_diag_set(d, YOLO_ERR_UNSUPPORTED, "%s: rank %zu exceeds the supported %d", what,
                             tt->shape->n_dim, YOLO_MAX_DIMS);
    for (size_t i = 0; i < tt->shape->n_dim; i++) {
        const Onnx__TensorShapeProto__Dimension *dm = tt->shape->dim[i];
        /* dim_param ("batch") or nothing: a size chosen when the engine is built */
        shape[i] = -1;
        if (dm->has_dim_value) {
            if (dm->dim_value < 0)
                return yolo_diag_set(d, YOLO_ERR_FORMAT, "%s: dimension %zu is %" PRId64, what, i,
                                     dm->dim_value);
            shape[i] = dm->dim_value;
        }
    }
    *ndim = (int32_t)tt->shape->n_dim;
    return 0;
}

static int add_inputs(struct importer *im, const Onnx__GraphProto *G)
{
    struct yolo_graph *g = im->g;
    for (size_t i = 0; i < G->n_input; i++) {
        const Onnx__ValueInfoProto *vi = G->input[i];
        const char *name = vi->name ? vi->name : "";
        if (!*name)
            return yolo_diag_set(im->d, YOLO_ERR_FORMAT, "graph input #%zu has no name", i);
        int32_t t = yolo_onnx_names_get(&im->names, name);
        if (t >= 0) {
            /* IR < 4 lists initializers among the inputs too: they stay constants */
            if (g->tensors[t].flags & YOLO_TF_CONST)
                continue;
            return yolo_diag_set(im->d, YOLO_ERR_FORMAT, "graph input '%s' is listed twice", name);
        }
        if (g->n_inputs >= YOLO_MAX_IO)
            return yolo_diag_set(im->d, YOLO_ERR_UNSUPPORTED, "more than %d graph inputs are not "
                                 "supported", YOLO_MAX_IO);
        char what[YOLO_NAME_MAX + 32];
        snprintf(what, sizeof what, "graph input '%s'", name);
        enum yolo_dtype dt;
        int32_t ndim;
        int64_t shape[YOLO_MAX_DIMS];
        int rc = value_info_type(vi, what, 1, &dt, &ndim, shape, im->d);
        if (rc)
            return rc;
        t = yolo_graph_add_tensor(g, name, dt, ndim, shape, im->d);
        if (t < 0)
            return im->d->status;
        g->tensors[t].flags |= YOLO_TF_INPUT;
        g->inputs[g->n_inputs++] = t;
        if (yolo_onnx_names_put(&im->names, name, t))
            return yolo_diag_set(im->d, YOLO_ERR_INTERNAL, "name map full at '%s'", name);
    }
    return 0;
}

static int add_outputs(struct importer *im, const Onnx__GraphProto *G)
{
    struct yolo_graph *g = im->g;
    for (size_t i = 0; i < G->n_output; i++) {
        const Onnx__ValueInfoProto *vi = G->output[i];
        const char *name = vi->name ? vi->name : "";
        int32_t t = *name ? yolo_onnx_names_get(&im->names, name) : -1;
        if (t < 0)
            return yolo_diag_set(im->d, YOLO_ERR_FORMAT, "graph output '%s' is not produced by any "
                                 "node, initializer or graph input", name);
        if (g->tensors[t].flags & YOLO_TF_OUTPUT)
            return yolo_diag_set(im->d, YOLO_ERR_FORMAT, "graph output '%s' is listed twice", name);
        if (g->n_outputs >= YOLO_MAX_IO)
            return yolo_diag_set(im->d, YOLO_ERR_UNSUPPORTED, "more than %d graph outputs are not "
                                 "supported", YOLO_MAX_IO);
        char what[YOLO_NAME_MAX + 32];
        snprintf(what, sizeof what, "graph output '%s'", name);
        enum yolo_dtype dt;
        int32_t ndim;
        int64_t shape[YOLO_MAX_DIMS];
        int rc = value_info_type(vi, what, 0, &dt, &ndim, shape, im->d);
        if (rc)
            return rc;
        struct yolo_tensor *T = &g->tensors[t];
        /* The shape is inferred later from the inputs; the declared one may be symbolic. */
        if (T->dtype == YOLO_DT_UNDEF)
            T->dtype = dt;
        T->flags |= YOLO_TF_OUTPUT;
        g->outputs[g->n_outputs++] = t;
    }
    return 0;
}

/* ------------------------------------------------------------------ nodes */

/* Counts of inputs/outputs without the trailing "" entries (the spec allows either to mark
 * absent optional trailing values). */
static size_t trimmed(char *const *names, size_t n)
{
    while (n > 0 && (!names[n - 1] || !names[n - 1][0]))
        n--;
    return n;
}

/* The name a node has in the graph and in messages: exporters may leave it empty. */
static void node_label(const Onnx__NodeProto *np, size_t idx, char *buf, size_t n)
{
    if (np->name && np->name[0])
        snprintf(buf, n, "%s", np->name);
    else
        snprintf(buf, n, "%s_%zu", np->op_type ? np->op_type : "node", idx);
}

/* First pass: check a node's structure and create a tensor for each of its outputs. */
static int declare_node(struct importer *im, const Onnx__NodeProto *np, size_t idx)
{
    char label[YOLO_NAME_MAX];
    node_label(np, idx, label, sizeof label);
    const char *type = np->op_type ? np->op_type : "";
    if (!is_default_domain(np->domain))
        return yolo_diag_set(im->d, YOLO_ERR_UNSUPPORTED, "node '%s' (%s): unsupported op (domain "
                             "'%s')", label, type, np->domain);
    if (yolo_op_from_onnx(type) == YOLO_OP_COUNT)
        return yolo_diag_set(im->d, YOLO_ERR_UNSUPPORTED, "node '%s' (%s): unsupported op", label,
                             type);
    size_t n_in = trimmed(np->input, np->n_input), n_out = trimmed(np->output, np->n_output);
    if (n_in > YOLO_MAX_IN || n_out > YOLO_MAX_OUT)
        return yolo_diag_set(im->d, YOLO_ERR_UNSUPPORTED, "node '%s' (%s): %zu inputs / %zu "
                             "outputs exceed the supported %d / %d", label, type, n_in, n_out,
                             YOLO_MAX_IN, YOLO_MAX_OUT);
    for (size_t k = 0; k < n_out; k++) {
        const char *name = np->output[k];
        if (!name[0])
            continue;
        int32_t t = yolo_onnx_names_get(&im->names, name);
        if (t >= 0) {
            uint32_t fl = im->g->tensors[t].flags;
            return yolo_diag_set(im->d, YOLO_ERR_FORMAT, "node '%s' (%s): output '%s' %s", label,
                                 type, name, (fl & YOLO_TF_CONST) ? "has the name of an initializer"
                                 : (fl & YOLO_TF_INPUT) ? "has the name of a graph input"
                                 : "is also produced by another node");
        }
        t = yolo_graph_add_tensor(im->g, name, YOLO_DT_UNDEF, -1, NULL, im->d);
        if (t < 0)
            return im->d->status;
        if (yolo_onnx_names_put(&im->names, name, t))
            return yolo_diag_set(im->d, YOLO_ERR_INTERNAL, "name map full at '%s'", name);
    }
    return 0;
}

static enum yolo_attr_type attr_type(const Onnx__AttributeProto *ap)
{
    int ty = ap->has_type ? (int)ap->type : -1;
    if (ty < 0) {                       /* files older than IR 2 have no type: infer it */
        ty = ap->has_f ? 1 : ap->has_i ? 2 : ap->has_s ? 3 : ap->t ? 4 : ap->n_floats ? 6
           : ap->n_ints ? 7 : 0;
    }
    switch (ty) {
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT:  return YOLO_ATTR_FLOAT;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT:    return YOLO_ATTR_INT;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING: return YOLO_ATTR_STRING;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR: return YOLO_ATTR_TENSOR;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS: return YOLO_ATTR_FLOATS;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS:   return YOLO_ATTR_INTS;
    default:                                            return YOLO_ATTR_OTHER;
    }
}

static void attrs_free(struct yolo_attrs *a)
{
    for (int32_t i = 0; a->v && i < a->n; i++)
        if (a->v[i].type == YOLO_ATTR_STRING)
            free((char *)a->v[i].s);
    free(a->v);
    a->v = NULL;
    a->n = 0;
}

/* NodeProto attributes -> struct yolo_attrs. Names, ints and floats point into the message;
 * strings are NUL-terminated copies (ONNX strings are bytes); TENSOR attributes become
 * CONST tensors named "<node>:<attribute>". Messages start with "attribute 'a': ". */
static int attrs_build(struct importer *im, const Onnx__NodeProto *np, const char *label,
                       struct yolo_attrs *a)
{
    a->v = NULL;
    a->n = 0;
    a->opset = im->opset;
    if (np->n_attribute == 0)
        return 0;
    if (np->n_attribute > ONNX_MAX_ATTRS)
        return yolo_diag_set(im->d, YOLO_ERR_UNSUPPORTED, "%zu attributes exceed the supported %d",
                             np->n_attribute, ONNX_MAX_ATTRS);
    a->v = calloc(np->n_attribute, sizeof *a->v);
    if (!a->v)
        return yolo_diag_set(im->d, YOLO_ERR_NOMEM, "out of memory for attributes");
    for (size_t i = 0; i < np->n_attribute; i++) {
        const Onnx__AttributeProto *ap = np->attribute[i];
        const char *name = ap->name ? ap->name : "";
        if (!*name)
            return yolo_diag_set(im->d, YOLO_ERR_FORMAT, "attribute #%zu has no name", i);
        for (int32_t j = 0; j < a->n; j++)
            if (strcmp(a->v[j].name, name) == 0)
                return yolo_diag_set(im->d, YOLO_ERR_FORMAT, "attribute '%s' appears twice", name);
        struct yolo_attr *x = &a->v[a->n++];
        x->name = name;
        x->type = attr_type(ap);
        x->tensor = -1;
        switch (x->type) {
        case YOLO_ATTR_INT:
            x->i = ap->i;
            break;
        case YOLO_ATTR_FLOAT:
            x->f = ap->f;
            break;
        case YOLO_ATTR_STRING: {
            char *s = malloc(ap->s.len + 1);
            if (!s) {
                x->type = YOLO_ATTR_OTHER;
                return yolo_diag_set(im->d, YOLO_ERR_NOMEM, "out of memory for attribute '%s'",
                                     name);
            }
            if (ap->s.len)
                memcpy(s, ap->s.data, ap->s.len);
            s[ap->s.len] = 0;
            x->s = s;
            break;
        }
        case YOLO_ATTR_INTS:
            if (ap->n_ints > INT32_MAX)
                return yolo_diag_set(im->d, YOLO_ERR_UNSUPPORTED, "attribute '%s': too many values",
                                     name);
            x->ints = ap->ints;
            x->n_ints = (int32_t)ap->n_ints;
            break;
        case YOLO_ATTR_FLOATS:
            if (ap->n_floats > INT32_MAX)
                return yolo_diag_set(im->d, YOLO_ERR_UNSUPPORTED, "attribute '%s': too many values",
                                     name);
            x->floats = ap->floats;
            x->n_floats = (int32_t)ap->n_floats;
            break;
        case YOLO_ATTR_TENSOR: {
            if (!ap->t)
                return yolo_diag_set(im->d, YOLO_ERR_FORMAT, "attribute '%s' of type TENSOR has no "
                                     "tensor", name);
            char tname[2 * YOLO_NAME_MAX];
            snprintf(tname, sizeof tname, "%s:%s", label, name);
            int rc = yolo_onnx_tensor_to_const(im->g, ap->t, tname, &x->tensor, im->d);
            if (rc) {
                char what[YOLO_NAME_MAX + 32];
                snprintf(what, sizeof what, "attribute '%s'", name);
                return yolo_diag_prefix(im->d, what);
            }
            break;
        }
        case YOLO_ATTR_OTHER:
            break;
        }
    }
    return 0;
}

/* Printable copy of s: a hostile name must not break a one-line message or log. */
static void sanitize(char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            *s = '?';
}

static void warn_unused(struct importer *im, const char *label, const char *type,
                        const struct yolo_attrs *a)
{
    for (int32_t i = 0; i < a->n; i++) {
        if (a->v[i].used)
            continue;
        char msg[YOLO_DIAG_MSG_BYTES];
        snprintf(msg, sizeof msg, "%s: node '%s' (%s): attribute '%s' ignored", im->path, label,
                 type, a->v[i].name);
        sanitize(msg);
        yolo_logf(im->lg, YOLO_LOG_WARN, "%s", msg);
    }
}

/* Second pass: resolve inputs, add the node, let the op read its attributes. */
static int add_node(struct importer *im, const Onnx__NodeProto *np, size_t idx)
{
    struct yolo_graph *g = im->g;
    char label[YOLO_NAME_MAX];
    node_label(np, idx, label, sizeof label);
    const char *type = np->op_type;     /* declare_node checked it names a known op */
    enum yolo_op op = yolo_op_from_onnx(type);
    int32_t in[YOLO_MAX_IN], out[YOLO_MAX_OUT];
    int32_t n_in = (int32_t)trimmed(np->input, np->n_input);
    int32_t n_out = (int32_t)trimmed(np->output, np->n_output);
    for (int32_t k = 0; k < n_in; k++) {
        const char *name = np->input[k];
        in[k] = -1;
        if (!name[0])
            continue;                   /* absent optional input */
        in[k] = yolo_onnx_names_get(&im->names, name);
        if (in[k] < 0)
            return yolo_diag_set(im->d, YOLO_ERR_FORMAT, "node '%s' (%s): input '%s' is not "
                                 "produced by any node, initializer or graph input", label, type,
                                 name);
    }
    for (int32_t k = 0; k < n_out; k++)
        out[k] = np->output[k][0] ? yolo_onnx_names_get(&im->names, np->output[k]) : -1;

    struct yolo_attrs attrs = { 0 };
    int rc = attrs_build(im, np, label, &attrs);
    if (rc) {
        char what[YOLO_NAME_MAX * 2];
        snprintf(what, sizeof what, "node '%s' (%s)", label, type);
        yolo_diag_prefix(im->d, what);
        goto done;
    }
    int32_t ni = yolo_graph_add_node(g, op, label, n_in, in, n_out, out, im->d);
    if (ni < 0) {
        rc = im->d->status;
        goto done;
    }
    const struct yolo_op_impl *impl = yolo_op_impl_get(op);
    if (impl && impl->import_fn) {
        im->d->status = YOLO_OK;
        im->d->msg[0] = 0;
        rc = impl->import_fn(g, &g->nodes[ni], &attrs, im->d);
        if (rc) {
            if (im->d->status == YOLO_OK)
                yolo_diag_set(im->d, rc, "import failed (%s)", yolo_status_str(rc));
            im->d->status = rc;
            if (strncmp(im->d->msg, "node '", 6) != 0) {
                char what[YOLO_NAME_MAX * 2];
                snprintf(what, sizeof what, "node '%s' (%s)", label, type);
                yolo_diag_prefix(im->d, what);
            }
            goto done;
        }
    }
    warn_unused(im, label, type, &attrs);
done:
    attrs_free(&attrs);
    return rc;
}

/* ------------------------------------------------------------------ the model */

static int import_graph(struct importer *im, const Onnx__GraphProto *G)
{
    struct yolo_graph *g = im->g;
    if (G->n_node > YOLO_MAX_NODES)
        return yolo_diag_set(im->d, YOLO_ERR_UNSUPPORTED, "%zu nodes exceed the supported %d",
                             G->n_node, YOLO_MAX_NODES);
    /* Every name the model can define, to size the map once (and refuse absurd models
     * before allocating anything for their tensors). */
    uint64_t n_names = (uint64_t)G->n_initializer + G->n_input;
    for (size_t i = 0; i < G->n_node && n_names <= YOLO_MAX_TENSORS; i++)
        n_names += G->node[i]->n_output;
    if (n_names > YOLO_MAX_TENSORS)
        return yolo_diag_set(im->d, YOLO_ERR_UNSUPPORTED, "the model defines more than %d tensors",
                             YOLO_MAX_TENSORS);
    if (yolo_onnx_names_init(&im->names, (int64_t)n_names))
        return yolo_diag_set(im->d, YOLO_ERR_NOMEM, "out of memory for %" PRIu64 " tensor names",
                             n_names);

    for (size_t i = 0; i < G->n_initializer; i++) {
        const Onnx__TensorProto *tp = G->initializer[i];
        const char *name = tp->name ? tp->name : "";
        if (!*name)
            return yolo_diag_set(im->d, YOLO_ERR_FORMAT, "initializer #%zu has no name", i);
        if (yolo_onnx_names_get(&im->names, name) >= 0)
            return yolo_diag_set(im->d, YOLO_ERR_FORMAT, "initializer '%s' appears twice", name);
        int32_t t;
        int rc = yolo_onnx_tensor_to_const(g, tp, name, &t, im->d);
        if (rc) {
            char what[YOLO_NAME_MAX + 32];
            snprintf(what, sizeof what, "initializer '%s'", name);
            return yolo_diag_prefix(im->d, what);
        }
        if (yolo_onnx_names_put(&im->names, name, t))
            return yolo_diag_set(im->d, YOLO_ERR_INTERNAL, "name map full at '%s'", name);
    }
    int rc = add_inputs(im, G);
    for (size_t i = 0; !rc && i < G->n_node; i++)
        rc = declare_node(im, G->node[i], i);
    for (size_t i = 0; !rc && i < G->n_node; i++)
        rc = add_node(im, G->node[i], i);
    if (!rc)
        rc = add_outputs(im, G);
    /* (no nodes: nothing to sort; yolo_graph_toposort would memcpy from a NULL node array) */
    if (!rc && g->n_nodes > 0)
        rc = yolo_graph_toposort(g, im->d);
    return rc;
}

static int import_model(struct importer *im, const uint8_t *buf, size_t len,
                        struct yolo_onnx_info *info)
{
    Onnx__ModelProto *m;
    int rc = yolo_onnx_parse(buf, len, &m, im->d);
    if (rc)
        return rc;
    /* Models without a default-domain opset_import predate operator sets: version 1. */
    im->opset = 1;
    for (size_t i = 0; i < m->n_opset_import; i++) {
        const Onnx__OperatorSetIdProto *os = m->opset_import[i];
        if (!is_default_domain(os->domain))
            continue;
        if (!os->has_version || os->version < 1) {
            rc = yolo_diag_set(im->d, YOLO_ERR_FORMAT, "invalid operator set version %" PRId64,
                               os->has_version ? os->version : 0);
            goto done;
        }
        im->opset = os->version;
    }
    if (info) {
        info->opset = im->opset;
        rc = fill_info(m, info, im->d);
        if (rc)
            goto done;
    }
    rc = import_graph(im, m->graph);
    if (!rc)
        yolo_logf(im->lg, YOLO_LOG_DEBUG, "%s: imported %d nodes, %d tensors, opset %" PRId64,
                  im->path, im->g->n_nodes, im->g->n_tensors, im->opset);
done:
    yolo_onnx_names_free(&im->names);
    yolo_onnx_model_free(m);
    return rc;
}

int yolo_onnx_import_buffer(const uint8_t *buf, size_t len, const char *path_for_msgs,
                            struct yolo_graph *g, struct yolo_onnx_info *info,
                            const struct yolo_logger *lg, struct yolo_diag *d)
{
    struct yolo_diag ld = { YOLO_OK, "" };
    struct importer im = { .path = path_for_msgs ? path_for_msgs : "<buffer>", .g = g, .lg = lg,
                           .d = &ld };
    int rc;
    if (info)
        memset(info, 0, sizeof *info);
    if (!g || (!buf && len))
        rc = yolo_diag_set(&ld, YOLO_ERR_ARG, "no graph or no buffer given");
    else
        rc = import_model(&im, buf, len, info);
    if (rc) {
        ld.status = rc;
        sanitize(ld.msg);
        yolo_diag_prefix(&ld, im.path);
    }
    if (d)
        *d = ld;
    return rc;
}

int yolo_onnx_import_file(const char *path, struct yolo_graph *g, struct yolo_onnx_info *info,
                          const struct yolo_logger *lg, struct yolo_diag *d)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    if (info)
        memset(info, 0, sizeof *info);
    if (!path || !g)
        return yolo_diag_set(d, YOLO_ERR_ARG, "no path or no graph given");
    struct yolo_diag ld = { YOLO_OK, "" };
    int rc = yolo_onnx_read_file(path, &buf, &len, &ld);
    if (rc) {
        sanitize(ld.msg);
        yolo_diag_prefix(&ld, path);
        if (d)
            *d = ld;
        return rc;
    }
    rc = yolo_onnx_import_buffer(buf, len, path, g, info, lg, d);
    free(buf);
    return rc;
}
