/* onnx_writer.c: builds an Onnx__ModelProto with malloc'd parts, packs it with protobuf-c.
 * Every part of the tree is malloc'd, so protobuf-c's free_unpacked frees all of it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx_writer.h"

struct onnx_writer {
    Onnx__ModelProto *m;
    int err;                            /* sticky */
    size_t cap_node, cap_init, cap_input, cap_output, cap_props;
};

/* A malloc'd message of the descriptor's type, with its defaults set; NULL if out of memory. */
static void *new_msg(const ProtobufCMessageDescriptor *desc)
{
    void *p = malloc(desc->sizeof_message);
    if (p)
        protobuf_c_message_init(desc, p);
    return p;
}

/* Appends elem to a repeated message field (*arr, *n) with capacity *cap. */
static int push(struct onnx_writer *w, void ***arr, size_t *n, size_t *cap, void *elem)
{
    if (!elem) {
        w->err = 1;
        return -1;
    }
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 8;
        void **q = realloc(*arr, nc * sizeof *q);
        if (!q) {
            w->err = 1;
            protobuf_c_message_free_unpacked(elem, NULL);
            return -1;
        }
        *arr = q;
        *cap = nc;
    }
    (*arr)[(*n)++] = elem;
    return 0;
}

static char *dup_str(struct onnx_writer *w, const char *s)
{
    char *r = strdup(s ? s : "");
    if (!r)
        w->err = 1;
    return r;
}

struct onnx_writer *onnx_writer_create(int64_t opset)
{
    struct onnx_writer *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->m = new_msg(&onnx__model_proto__descriptor);
    Onnx__OperatorSetIdProto *os = new_msg(&onnx__operator_set_id_proto__descriptor);
    Onnx__OperatorSetIdProto **arr = malloc(sizeof *arr);
    if (!w->m || !os || !arr) {
        free(os);
        free(arr);
        onnx_writer_free(w);
        return NULL;
    }
    w->m->has_ir_version = 1;
    w->m->ir_version = 8;
    w->m->producer_name = dup_str(w, "yolo-tests");
    os->domain = dup_str(w, "");
    os->has_version = 1;
    os->version = opset;
    arr[0] = os;
    w->m->opset_import = arr;
    w->m->n_opset_import = 1;
    w->m->graph = new_msg(&onnx__graph_proto__descriptor);
    if (w->m->graph)
        w->m->graph->name = dup_str(w, "test");
    if (w->err || !w->m->graph) {
        onnx_writer_free(w);
        return NULL;
    }
    return w;
}

void onnx_writer_free(struct onnx_writer *w)
{
    if (!w)
        return;
    if (w->m)
        onnx__model_proto__free_unpacked(w->m, NULL);
    free(w);
}

Onnx__ModelProto *onnx_writer_model(struct onnx_writer *w)
{
    return w->m;
}

Onnx__TensorProto *onnx_writer_last_initializer(struct onnx_writer *w)
{
    Onnx__GraphProto *G = w->m->graph;
    return G->n_initializer ? G->initializer[G->n_initializer - 1] : NULL;
}

Onnx__NodeProto *onnx_writer_last_node(struct onnx_writer *w)
{
    Onnx__GraphProto *G = w->m->graph;
    return G->n_node ? G->node[G->n_node - 1] : NULL;
}

/* ------------------------------------------------------------------ graph inputs/outputs */

static Onnx__ValueInfoProto *value_info(struct onnx_writer *w, const char *name, enum yolo_dtype dt,
                                        int32_t ndim, const int64_t *dims)
{
    Onnx__ValueInfoProto *vi = new_msg(&onnx__value_info_proto__descriptor);
    Onnx__TypeProto *tp = new_msg(&onnx__type_proto__descriptor);
    Onnx__TypeProto__Tensor *tt = new_msg(&onnx__type_proto__tensor__descriptor);
    if (!vi || !tp || !tt) {
        free(vi);
        free(tp);
        free(tt);
        w->err = 1;
        return NULL;
    }
    vi->name = dup_str(w, name);
    vi->type = tp;
    tp->tensor_type = tt;
    tt->has_elem_type = 1;
    tt->elem_type = (int32_t)dt;
    if (ndim < 0)
        return vi;
    tt->shape = new_msg(&onnx__tensor_shape_proto__descriptor);
    if (!tt->shape)
        goto oom;
    tt->shape->dim = calloc((size_t)ndim + 1, sizeof *tt->shape->dim);
    if (!tt->shape->dim)
        goto oom;
    for (int32_t i = 0; i < ndim; i++) {
        Onnx__TensorShapeProto__Dimension *dm =
            new_msg(&onnx__tensor_shape_proto__dimension__descriptor);
        if (!dm)
            goto oom;
        tt->shape->dim[tt->shape->n_dim++] = dm;
        if (dims[i] >= 0) {
            dm->has_dim_value = 1;
            dm->dim_value = dims[i];
        } else {
            char p[32];
            snprintf(p, sizeof p, "d%d", (int)i);
            dm->dim_param = dup_str(w, p);
        }
    }
    return vi;
oom:
    w->err = 1;
    onnx__value_info_proto__free_unpacked(vi, NULL);
    return NULL;
}

int onnx_writer_input(struct onnx_writer *w, const char *name, enum yolo_dtype dt,
                      int32_t ndim, const int64_t *dims)
{
    Onnx__GraphProto *G = w->m->graph;
    Onnx__ValueInfoProto *vi = value_info(w, name, dt, ndim, dims);
    if (push(w, (void ***)&G->input, &G->n_input, &w->cap_input, vi))
        return -1;
    return w->err ? -1 : 0;
}

int onnx_writer_output(struct onnx_writer *w, const char *name, enum yolo_dtype dt)
{
    Onnx__GraphProto *G = w->m->graph;
    Onnx__ValueInfoProto *vi = value_info(w, name, dt, -1, NULL);
    if (push(w, (void ***)&G->output, &G->n_output, &w->cap_output, vi))
        return -1;
    return w->err ? -1 : 0;
}

/* ------------------------------------------------------------------ tensors */

static size_t elem_bytes(enum yolo_dtype dt)
{
    return yolo_dtype_size(dt);
}

/* A TensorProto of dt/dims with data stored as enc says (see onnx_writer_initializer). */
static Onnx__TensorProto *tensor(struct onnx_writer *w, const char *name, enum yolo_dtype dt,
                                 int32_t ndim, const int64_t *dims, const void *data,
                                 size_t n_bytes, enum onnx_writer_enc enc)
{
    Onnx__TensorProto *tp = new_msg(&onnx__tensor_proto__descriptor);
    if (!tp) {
        w->err = 1;
        return NULL;
    }
    tp->name = dup_str(w, name);
    tp->has_data_type = 1;
    tp->data_type = (int32_t)dt;
    uint64_t numel = 1;
    if (ndim > 0) {
        tp->dims = malloc(sizeof(int64_t) * (size_t)ndim);
        if (!tp->dims)
            goto oom;
        for (int32_t i = 0; i < ndim; i++) {
            tp->dims[i] = dims[i];
            numel *= (uint64_t)dims[i];
        }
        tp->n_dims = (size_t)ndim;
    }
    if (enc == ONNX_WRITER_RAW) {
        tp->has_raw_data = 1;
        tp->raw_data.len = n_bytes;
        tp->raw_data.data = malloc(n_bytes ? n_bytes : 1);
        if (!tp->raw_data.data)
            goto oom;
        if (n_bytes)
            memcpy(tp->raw_data.data, data, n_bytes);
        return tp;
    }
    if (numel > ((uint64_t)1 << 28))
        goto oom;                       /* a test asking for this is broken */
    size_t n = (size_t)numel;
    switch (dt) {
    case YOLO_DT_F32:
        if (!(tp->float_data = malloc(n * sizeof(float) + 1)))
            goto oom;
        memcpy(tp->float_data, data, n * sizeof(float));
        tp->n_float_data = n;
        break;
    case YOLO_DT_I64:
        if (!(tp->int64_data = malloc(n * sizeof(int64_t) + 1)))
            goto oom;
        memcpy(tp->int64_data, data, n * sizeof(int64_t));
        tp->n_int64_data = n;
        break;
    case YOLO_DT_F64:
        if (!(tp->double_data = malloc(n * sizeof(double) + 1)))
            goto oom;
        memcpy(tp->double_data, data, n * sizeof(double));
        tp->n_double_data = n;
        break;
    case YOLO_DT_I32: case YOLO_DT_F16: case YOLO_DT_U8: case YOLO_DT_BOOL: case YOLO_DT_I8:
        if (!(tp->int32_data = malloc(n * sizeof(int32_t) + 1)))
            goto oom;
        for (size_t i = 0; i < n; i++) {
            int32_t v;
            if (dt == YOLO_DT_I32)
                memcpy(&v, (const uint8_t *)data + 4 * i, 4);
            else if (dt == YOLO_DT_F16)
                v = ((const uint16_t *)data)[i];
            else if (dt == YOLO_DT_I8)
                v = ((const int8_t *)data)[i];
            else
                v = ((const uint8_t *)data)[i];
            tp->int32_data[i] = v;
        }
        tp->n_int32_data = n;
        break;
    default:
        goto oom;                       /* no typed field for this dtype */
    }
    return tp;
oom:
    w->err = 1;
    onnx__tensor_proto__free_unpacked(tp, NULL);
    return NULL;
}

int onnx_writer_initializer(struct onnx_writer *w, const char *name, enum yolo_dtype dt,
                            int32_t ndim, const int64_t *dims, const void *data, size_t n_bytes,
                            enum onnx_writer_enc enc)
{
    Onnx__GraphProto *G = w->m->graph;
    Onnx__TensorProto *tp = tensor(w, name, dt, ndim, dims, data, n_bytes, enc);
    if (push(w, (void ***)&G->initializer, &G->n_initializer, &w->cap_init, tp))
        return -1;
    return w->err ? -1 : 0;
}

static size_t numel_of(int32_t ndim, const int64_t *dims)
{
    size_t n = 1;
    for (int32_t i = 0; i < ndim; i++)
        n *= (size_t)dims[i];
    return n;
}

int onnx_writer_initializer_f32(struct onnx_writer *w, const char *name, int32_t ndim,
                                const int64_t *dims, const float *data)
{
    return onnx_writer_initializer(w, name, YOLO_DT_F32, ndim, dims, data,
                                   numel_of(ndim, dims) * sizeof(float), ONNX_WRITER_RAW);
}

int onnx_writer_initializer_i64(struct onnx_writer *w, const char *name, int32_t ndim,
                                const int64_t *dims, const int64_t *data)
{
    return onnx_writer_initializer(w, name, YOLO_DT_I64, ndim, dims, data,
                                   numel_of(ndim, dims) * sizeof(int64_t), ONNX_WRITER_RAW);
}

/* ------------------------------------------------------------------ nodes */

static char **str_array(struct onnx_writer *w, int32_t n, const char *const *s)
{
    char **a = calloc((size_t)n + 1, sizeof *a);
    if (!a) {
        w->err = 1;
        return NULL;
    }
    for (int32_t i = 0; i < n; i++)
        a[i] = dup_str(w, s[i]);
    return a;
}

int onnx_writer_node(struct onnx_writer *w, const char *op_type, const char *name,
                     int32_t n_in, const char *const *inputs, int32_t n_out,
                     const char *const *outputs)
{
    Onnx__GraphProto *G = w->m->graph;
    Onnx__NodeProto *np = new_msg(&onnx__node_proto__descriptor);
    if (np) {
        np->op_type = dup_str(w, op_type);
        np->name = dup_str(w, name);
        np->domain = dup_str(w, "");
        if ((np->input = str_array(w, n_in, inputs)))
            np->n_input = (size_t)n_in;
        if ((np->output = str_array(w, n_out, outputs)))
            np->n_output = (size_t)n_out;
    }
    if (push(w, (void ***)&G->node, &G->n_node, &w->cap_node, np))
        return -1;
    return w->err ? -1 : 0;
}

int onnx_writer_node_domain(struct onnx_writer *w, const char *domain)
{
    Onnx__NodeProto *np = onnx_writer_last_node(w);
    if (!np) {
        w->err = 1;
        return -1;
    }
    free(np->domain);
    np->domain = dup_str(w, domain);
    return w->err ? -1 : 0;
}

/* A new attribute on the last node, or NULL. */
static Onnx__AttributeProto *attr(struct onnx_writer *w, const char *name,
                                  Onnx__AttributeProto__AttributeType type)
{
    Onnx__NodeProto *np = onnx_writer_last_node(w);
    if (!np) {
        w->err = 1;
        return NULL;
    }
    Onnx__AttributeProto **q = realloc(np->attribute, (np->n_attribute + 1) * sizeof *q);
    Onnx__AttributeProto *ap = new_msg(&onnx__attribute_proto__descriptor);
    if (q)
        np->attribute = q;
    if (!q || !ap) {
        free(ap);
        w->err = 1;
        return NULL;
    }
    np->attribute[np->n_attribute++] = ap;
    ap->name = dup_str(w, name);
    ap->has_type = 1;
    ap->type = type;
    return ap;
}

int onnx_writer_attr_int(struct onnx_writer *w, const char *name, int64_t v)
{
    Onnx__AttributeProto *ap = attr(w, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);
    if (!ap)
        return -1;
    ap->has_i = 1;
    ap->i = v;
    return w->err ? -1 : 0;
}

int onnx_writer_attr_float(struct onnx_writer *w, const char *name, float v)
{
    Onnx__AttributeProto *ap = attr(w, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT);
    if (!ap)
        return -1;
    ap->has_f = 1;
    ap->f = v;
    return w->err ? -1 : 0;
}

int onnx_writer_attr_string(struct onnx_writer *w, const char *name, const char *v)
{
    Onnx__AttributeProto *ap = attr(w, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING);
    if (!ap)
        return -1;
    char *s = dup_str(w, v);
    if (!s)
        return -1;
    ap->has_s = 1;
    ap->s.data = (uint8_t *)s;
    ap->s.len = strlen(s);
    return w->err ? -1 : 0;
}

int onnx_writer_attr_ints(struct onnx_writer *w, const char *name, int32_t n, const int64_t *v)
{
    Onnx__AttributeProto *ap = attr(w, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);
    if (!ap || !(ap->ints = malloc(sizeof(int64_t) * (size_t)n + 1))) {
        w->err = 1;
        return -1;
    }
    memcpy(ap->ints, v, sizeof(int64_t) * (size_t)n);
    ap->n_ints = (size_t)n;
    return w->err ? -1 : 0;
}

int onnx_writer_attr_floats(struct onnx_writer *w, const char *name, int32_t n, const float *v)
{
    Onnx__AttributeProto *ap = attr(w, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS);
    if (!ap || !(ap->floats = malloc(sizeof(float) * (size_t)n + 1))) {
        w->err = 1;
        return -1;
    }
    memcpy(ap->floats, v, sizeof(float) * (size_t)n);
    ap->n_floats = (size_t)n;
    return w->err ? -1 : 0;
}

int onnx_writer_attr_tensor(struct onnx_writer *w, const char *name, enum yolo_dtype dt,
                            int32_t ndim, const int64_t *dims, const void *data)
{
    Onnx__AttributeProto *ap = attr(w, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR);
    if (!ap)
        return -1;
    ap->t = tensor(w, "", dt, ndim, dims, data, numel_of(ndim, dims) * elem_bytes(dt),
                   ONNX_WRITER_RAW);
    return w->err ? -1 : 0;
}

int onnx_writer_metadata(struct onnx_writer *w, const char *key, const char *value)
{
    Onnx__StringStringEntryProto *e = new_msg(&onnx__string_string_entry_proto__descriptor);
    if (e) {
        e->key = dup_str(w, key);
        e->value = dup_str(w, value);
    }
    if (push(w, (void ***)&w->m->metadata_props, &w->m->n_metadata_props, &w->cap_props, e))
        return -1;
    return w->err ? -1 : 0;
}

/* ------------------------------------------------------------------ output */

int onnx_writer_pack(struct onnx_writer *w, uint8_t **buf, size_t *len)
{
    *buf = NULL;
    *len = 0;
    if (w->err)
        return -1;
    size_t n = onnx__model_proto__get_packed_size(w->m);
    uint8_t *b = malloc(n ? n : 1);
    if (!b)
        return -1;
    if (onnx__model_proto__pack(w->m, b) != n) {
        free(b);
        return -1;
    }
    *buf = b;
    *len = n;
    return 0;
}

int onnx_writer_save(struct onnx_writer *w, const char *path)
{
    uint8_t *buf;
    size_t len;
    if (onnx_writer_pack(w, &buf, &len))
        return -1;
    FILE *f = fopen(path, "wb");
    int rc = -1;
    if (f) {
        rc = fwrite(buf, 1, len, f) == len ? 0 : -1;
        if (fclose(f) != 0)
            rc = -1;
    }
    free(buf);
    return rc;
}
