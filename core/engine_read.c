/* engine_read.c: loads an engine file (format in engine.h), treating it as hostile.
 *
 * Order of checks: magic, major version, size (a truncated file is named as such before
 * anything else can go wrong), header fields, the section table (bounds, alignment, overlap,
 * zeroed gaps, CRCs), then each known section is decoded with a bounded cursor whose error
 * is sticky, so no read ever leaves its section. Every count is capped and compared with the
 * bytes that could hold it before anything is allocated. The decoded graph then goes through
 * yolo_graph_check, which re-runs shape inference: a loaded engine is as safe to execute as
 * one just built. Every failure frees everything. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine.h"
#include "ops/op_params.h"

#define KNOWN_TF (YOLO_TF_CONST | YOLO_TF_INPUT | YOLO_TF_OUTPUT | YOLO_TF_ALIAS)
#define TENSOR_MIN_BYTES (4 + 4 + 8 * YOLO_MAX_DIMS + 4 + 8 + 2)
#define NODE_MIN_BYTES   (2 + 4 + 4 + 4 + 4 + 2)

/* ------------------------------------------------------------------ bounded cursor */
struct cur {
    const uint8_t *p;
    uint64_t len, pos;
    uint64_t base;     /* file offset of p[0], for messages */
    int bad;           /* sticky: once a read ran past the end, every read returns 0 */
};

static const uint8_t *rd_bytes(struct cur *c, uint64_t n)
{
    if (c->bad || n > c->len - c->pos) {
        c->bad = 1;
        return NULL;
    }
    const uint8_t *q = c->p + c->pos;
    c->pos += n;
    return q;
}

static uint64_t rd_le(struct cur *c, int n)
{
    const uint8_t *q = rd_bytes(c, (uint64_t)n);
    uint64_t v = 0;
    for (int i = 0; q && i < n; i++)
        v |= (uint64_t)q[i] << (8 * i);
    return v;
}

static uint16_t rd_u16(struct cur *c) { return (uint16_t)rd_le(c, 2); }
static uint32_t rd_u32(struct cur *c) { return (uint32_t)rd_le(c, 4); }
static uint64_t rd_u64(struct cur *c) { return rd_le(c, 8); }
static int32_t  rd_i32(struct cur *c) { return (int32_t)rd_u32(c); }
static int64_t  rd_i64(struct cur *c) { return (int64_t)rd_u64(c); }

static float rd_f32(struct cur *c)
{
    uint32_t u = rd_u32(c);
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static uint64_t left(const struct cur *c) { return c->len - c->pos; }

/* "META", or "0x12345678" for a tag that is not 4 printable characters. */
static const char *tag_name(uint32_t tag, char buf[16])
{
    for (int i = 0; i < 4; i++) {
        unsigned ch = (tag >> (8 * i)) & 0xff;
        if (ch < 0x21 || ch > 0x7e) {
            snprintf(buf, 16, "0x%08x", tag);
            return buf;
        }
        buf[i] = (char)ch;
    }
    buf[4] = '\0';
    return buf;
}

static int is_known(uint32_t tag)
{
    return tag == YOLO_ENGINE_TAG_META || tag == YOLO_ENGINE_TAG_LBLS ||
           tag == YOLO_ENGINE_TAG_TNSR || tag == YOLO_ENGINE_TAG_GRPH ||
           tag == YOLO_ENGINE_TAG_WGHT;
}

/* Reads a u32-length string into a new NUL-terminated copy. NUL bytes inside are refused:
 * they would silently cut the string short. */
static int rd_string(struct cur *c, const char *what, uint32_t i, char **out, struct yolo_diag *d)
{
    uint64_t at = c->base + c->pos;
    uint32_t n = rd_u32(c);
    if (!c->bad && n > YOLO_ENGINE_MAX_STRING)
        return yolo_diag_set(d, YOLO_ERR_FORMAT, "%s %u: string of %u bytes at byte %llu (at "
                             "most %u)", what, i, n, (unsigned long long)at, YOLO_ENGINE_MAX_STRING);
    const uint8_t *s = rd_bytes(c, n);
    if (c->bad)
        return yolo_diag_set(d, YOLO_ERR_FORMAT, "%s %u: truncated at byte %llu", what, i,
                             (unsigned long long)at);
    if (memchr(s, 0, n))
        return yolo_diag_set(d, YOLO_ERR_FORMAT, "%s %u: string at byte %llu contains a NUL byte",
                             what, i, (unsigned long long)at);
    *out = malloc((size_t)n + 1);
    if (!*out)
        return yolo_diag_set(d, YOLO_ERR_NOMEM, "%s %u: out of memory", what, i);
    memcpy(*out, s, n);
    (*out)[n] = '\0';
    return 0;
}

/* Reads a u16-length object name into name[YOLO_NAME_MAX]. */
static int rd_name(struct cur *c, const char *what, uint32_t i, char *name, struct yolo_diag *d)
{
    uint64_t at = c->base + c->pos;
    uint16_t n = rd_u16(c);
    if (!c->bad && n >= YOLO_NAME_MAX)
        return yolo_diag_set(d, YOLO_ERR_FORMAT, "%s %u: name of %u bytes at byte %llu (at most "
                             "%d)", what, i, n, (unsigned long long)at, YOLO_NAME_MAX - 1);
    const uint8_t *s = rd_bytes(c, n);
    if (c->bad)
        return yolo_diag_set(d, YOLO_ERR_FORMAT, "%s %u: truncated at byte %llu", what, i,
                             (unsigned long long)at);
    if (memchr(s, 0, n))
        return yolo_diag_set(d, YOLO_ERR_FORMAT, "%s %u: name contains a NUL byte", what, i);
    memcpy(name, s, n);
    name[n] = '\0';
    return 0;
}

static int check_end(const struct cur *c, struct yolo_diag *d)
{
    if (c->bad)
        return yolo_diag_set(d, YOLO_ERR_FORMAT, "truncated at byte %llu",
                             (unsigned long long)(c->base + c->pos));
    if (c->pos != c->len)
        return yolo_diag_set(d, YOLO_ERR_FORMAT, "%llu unexpected bytes after the last record "
                             "at byte %llu", (unsigned long long)(c->len - c->pos),
                             (unsigned long long)(c->base + c->pos));
    return 0;
}

/* ------------------------------------------------------------------ sections */
static int decode_meta(struct yolo_engine *e, struct cur *c, struct yolo_diag *d)
{
    uint32_t n = rd_u32(c);
    if (c->bad)
        return check_end(c, d);
    if (n > YOLO_ENGINE_MAX_META || (uint64_t)n * 8 > left(c))
        return yolo_diag_set(d, YOLO_ERR_FORMAT, "%u entries (at most %d, and %llu bytes hold "
                             "at most %llu)", n, YOLO_ENGINE_MAX_META,
                             (unsigned long long)left(c), (unsigned long long)(left(c) / 8));
    e->meta = calloc(n ? n : 1, sizeof *e->meta);
    if (!e->meta)
        return yolo_diag_set(d, YOLO_ERR_NOMEM, "out of memory for %u entries", n);
    for (uint32_t i = 0; i < n; i++) {
        struct yolo_kv *kv = &e->meta[i];
        e->n_meta = (int32_t)i + 1;          /* so a failure frees what this entry got */
        int rc = rd_string(c, "entry", i, &kv->key, d);
        if (!rc)
            rc = rd_string(c, "entry", i, &kv->value, d);
        if (rc)
            return rc;
        for (uint32_t j = 0; j < i; j++)
            if (strcmp(e->meta[j].key, kv->key) == 0)
                return yolo_diag_set(d, YOLO_ERR_FORMAT, "entry %u: key '%.64s' appears twice",
                                     i, kv->key);
    }
    return check_end(c, d);
}

static int decode_labels(struct yolo_engine *e, struct cur *c, struct yolo_diag *d)
{
    uint32_t n = rd_u32(c);
    if (c->bad)
        return check_end(c, d);
    if (n > YOLO_ENGINE_MAX_LABELS || (uint64_t)n * 4 > left(c))
        return yolo_diag_set(d, YOLO_ERR_FORMAT, "%u labels (at most %d, and %llu bytes hold at "
                             "most %llu)", n, YOLO_ENGINE_MAX_LABELS, (unsigned long long)left(c),
                             (unsigned long long)(left(c) / 4));
    e->labels = calloc(n ? n : 1, sizeof *e->labels);
    if (!e->labels)
        return yolo_diag_set(d, YOLO_ERR_NOMEM, "out of memory for %u labels", n);
    for (uint32_t i = 0; i < n; i++) {
        e->n_labels = (int32_t)i + 1;
        int rc = rd_string(c, "label", i, &e->labels[i], d);
        if (rc)
            return rc;
    }
    return check_end(c, d);
}

/* A record count: at most max, and no more than the bytes left can hold at min_bytes each
 * (so a hostile count cannot make us allocate before the data runs out). */
static int rd_count(struct cur *c, const char *what, uint32_t max, uint32_t min_bytes, uint32_t *n,
                    struct yolo_diag *d)
{
    *n = rd_u32(c);
    if (c->bad)
        return check_end(c, d);
    if (*n > max || (uint64_t)*n * min_bytes > left(c))
        return yolo_diag_set(d, YOLO_ERR_FORMAT, "%u %s (at most %u, and %llu bytes hold at most "
                             "%llu)", *n, what, max, (unsigned long long)left(c),
                             (unsigned long long)(left(c) / min_bytes));
    return 0;
}

static int decode_tensors(struct yolo_graph *g, struct cur *c, struct yolo_diag *d)
{
    uint32_t n;
    int rc = rd_count(c, "tensors", YOLO_MAX_TENSORS, TENSOR_MIN_BYTES, &n, d);
    if (rc)
        return rc;
    g->tensors = calloc(n ? n : 1, sizeof *g->tensors);
    if (!g->tensors)
        return yolo_diag_set(d, YOLO_ERR_NOMEM, "out of memory for %u tensors", n);
    g->n_tensors = g->cap_tensors = (int32_t)n;
    for (uint32_t i = 0; i < n; i++) {
        struct yolo_tensor *t = &g->tensors[i];
        uint64_t at = c->base + c->pos;
        uint32_t dtype = rd_u32(c);
        int32_t ndim = rd_i32(c);
        int64_t shape[YOLO_MAX_DIMS];
        for (int k = 0; k < YOLO_MAX_DIMS; k++)
            shape[k] = rd_i64(c);
        uint32_t flags = rd_u32(c);
        uint64_t offset = rd_u64(c);
        if (c->bad)
            return yolo_diag_set(d, YOLO_ERR_FORMAT, "tensor %u: truncated at byte %llu", i,
                                 (unsigned long long)at);
        if (dtype > 64 || yolo_dtype_size((enum yolo_dtype)dtype) == 0)
            return yolo_diag_set(d, YOLO_ERR_FORMAT, "tensor %u (byte %llu): unknown dtype %u", i,
                                 (unsigned long long)at, dtype);
        if (ndim < 0 || ndim > YOLO_MAX_DIMS)
            return yolo_diag_set(d, YOLO_ERR_FORMAT, "tensor %u (byte %llu): rank %d out of range "
                                 "[0, %d]", i, (unsigned long long)at, ndim, YOLO_MAX_DIMS);
        for (int k = 0; k < YOLO_MAX_DIMS; k++)
            if (k < ndim ? shape[k] < 0 : shape[k] != 0)
                return yolo_diag_set(d, YOLO_ERR_FORMAT, "tensor %u (byte %llu): dimension %d is "
                                     "%lld", i, (unsigned long long)at, k, (long long)shape[k]);
        if (flags & ~(uint32_t)KNOWN_TF)
            return yolo_diag_set(d, YOLO_ERR_FORMAT, "tensor %u (byte %llu): unknown flags 0x%x",
                                 i, (unsigned long long)at, flags);
        if ((flags & YOLO_TF_CONST) && offset % YOLO_ENGINE_ALIGN)
            return yolo_diag_set(d, YOLO_ERR_FORMAT, "tensor %u (byte %llu): const offset %llu is "
                                 "not %u-byte aligned", i, (unsigned long long)at,
                                 (unsigned long long)offset, YOLO_ENGINE_ALIGN);
        /* the planner aligns arena tensors to 64 bytes, in-place parts to their elements:
         * kernels load whole elements (a misaligned float load is undefined behaviour) */
        if (!(flags & YOLO_TF_CONST) && offset % yolo_dtype_size((enum yolo_dtype)dtype))
            return yolo_diag_set(d, YOLO_ERR_FORMAT, "tensor %u (byte %llu): arena offset %llu is "
                                 "not a multiple of its %zu-byte elements", i,
                                 (unsigned long long)at, (unsigned long long)offset,
                                 yolo_dtype_size((enum yolo_dtype)dtype));
        t->dtype = (enum yolo_dtype)dtype;
        t->ndim = ndim;
        memcpy(t->shape, shape, sizeof shape);
        t->flags = flags;
        t->offset = offset;
        int rc = rd_name(c, "tensor", i, t->name, d);
        if (rc)
            return rc;
    }
    return check_end(c, d);
}

static int rd_index_list(struct cur *c, const char *what, int32_t *dst, int32_t *count,
                         int32_t n_tensors, struct yolo_diag *d)
{
    uint64_t at = c->base + c->pos;
    uint32_t n = rd_u32(c);
    if (c->bad)
        return yolo_diag_set(d, YOLO_ERR_FORMAT, "%s: truncated at byte %llu", what,
                             (unsigned long long)at);
    if (n > YOLO_MAX_IO)
        return yolo_diag_set(d, YOLO_ERR_FORMAT, "%s count %u (at most %d)", what, n, YOLO_MAX_IO);
    for (uint32_t i = 0; i < n; i++) {
        dst[i] = rd_i32(c);
        if (c->bad)
            return yolo_diag_set(d, YOLO_ERR_FORMAT, "%s: truncated at byte %llu", what,
                                 (unsigned long long)at);
        if (dst[i] < 0 || dst[i] >= n_tensors)
            return yolo_diag_set(d, YOLO_ERR_FORMAT, "%s %u: tensor index %d out of range (%d "
                                 "tensors)", what, i, dst[i], n_tensors);
    }
    *count = (int32_t)n;
    return 0;
}

static int decode_graph(struct yolo_graph *g, struct cur *c, struct yolo_diag *d)
{
    int32_t nt = g->n_tensors;
    int rc = rd_index_list(c, "graph input", g->inputs, &g->n_inputs, nt, d);
    if (!rc)
        rc = rd_index_list(c, "graph output", g->outputs, &g->n_outputs, nt, d);
    if (rc)
        return rc;
    g->arena_bytes = rd_u64(c);
    uint32_t n;
    rc = rd_count(c, "nodes", YOLO_MAX_NODES, NODE_MIN_BYTES, &n, d);
    if (rc)
        return rc;
    g->nodes = calloc(n ? n : 1, sizeof *g->nodes);
    if (!g->nodes)
        return yolo_diag_set(d, YOLO_ERR_NOMEM, "out of memory for %u nodes", n);
    g->n_nodes = g->cap_nodes = (int32_t)n;
    for (uint32_t i = 0; i < n; i++) {
        struct yolo_node *nd = &g->nodes[i];
        uint64_t at = c->base + c->pos;
        char op_name[YOLO_NAME_MAX];
        if ((rc = rd_name(c, "node", i, op_name, d)))
            return rc;
        int32_t n_in = rd_i32(c), n_out = rd_i32(c);
        if (c->bad)
            return yolo_diag_set(d, YOLO_ERR_FORMAT, "node %u: truncated at byte %llu", i,
                                 (unsigned long long)at);
        /* ops are stored by name, so a reordered op table cannot change what a file means */
        int grid = strcmp(op_name, YOLO_QC_GRID_STORED_NAME) == 0;
        enum yolo_op op = grid ? YOLO_OP_QCONV : yolo_op_from_name(op_name);
        if (op == YOLO_OP_COUNT)
            return yolo_diag_set(d, YOLO_ERR_UNSUPPORTED, "node %u (byte %llu): op '%s' is not "
                                 "known to this build (made by a newer yolo? rebuild with 'yolo "
                                 "build')", i, (unsigned long long)at, op_name);
        if (n_in < 0 || n_in > YOLO_MAX_IN || n_out < 0 || n_out > YOLO_MAX_OUT)
            return yolo_diag_set(d, YOLO_ERR_FORMAT, "node %u (byte %llu): %d inputs, %d outputs "
                                 "(at most %d, %d)", i, (unsigned long long)at, n_in, n_out,
                                 YOLO_MAX_IN, YOLO_MAX_OUT);
        nd->op = op;
        nd->n_in = n_in;
        nd->n_out = n_out;
        for (int k = 0; k < YOLO_MAX_IN; k++)
            nd->in[k] = k < n_in ? rd_i32(c) : -1;
        for (int k = 0; k < YOLO_MAX_OUT; k++)
            nd->out[k] = k < n_out ? rd_i32(c) : -1;
        if (c->bad)
            return yolo_diag_set(d, YOLO_ERR_FORMAT, "node %u: truncated at byte %llu", i,
                                 (unsigned long long)at);
        for (int k = 0; k < n_in; k++)
            if (nd->in[k] < -1 || nd->in[k] >= nt)
                return yolo_diag_set(d, YOLO_ERR_FORMAT, "node %u: input index %d out of range "
                                     "(%d tensors)", i, nd->in[k], nt);
        for (int k = 0; k < n_out; k++)
            if (nd->out[k] < 0 || nd->out[k] >= nt)
                return yolo_diag_set(d, YOLO_ERR_FORMAT, "node %u: output index %d out of range "
                                     "(%d tensors)", i, nd->out[k], nt);
        uint32_t np = rd_u32(c);
        if (!c->bad && np > YOLO_MAX_PARAMS)
            return yolo_diag_set(d, YOLO_ERR_FORMAT, "node %u: %u params (at most %d)", i, np,
                                 YOLO_MAX_PARAMS);
        for (uint32_t k = 0; k < np && !c->bad; k++)
            nd->params[k] = rd_i64(c);
        uint32_t nf = rd_u32(c);
        if (!c->bad && nf > YOLO_MAX_FPARAMS)
            return yolo_diag_set(d, YOLO_ERR_FORMAT, "node %u: %u float params (at most %d)", i,
                                 nf, YOLO_MAX_FPARAMS);
        for (uint32_t k = 0; k < nf && !c->bad; k++)
            nd->fparams[k] = rd_f32(c);
        if (!c->bad && op == YOLO_OP_QCONV && grid != (nd->fparams[YOLO_QC_FP_DQS] != 0))
            return yolo_diag_set(d, YOLO_ERR_FORMAT, "node %u (byte %llu): a QConv %s a "
                                 "dequantize scale stored as '%s'", i, (unsigned long long)at,
                                 grid ? "without" : "with", op_name);
        if (c->bad)
            return yolo_diag_set(d, YOLO_ERR_FORMAT, "node %u: truncated at byte %llu", i,
                                 (unsigned long long)at);
        rc = rd_name(c, "node", i, nd->name, d);
        if (rc)
            return rc;
    }
    return check_end(c, d);
}

/* ------------------------------------------------------------------ header + table */
static uint64_t le_at(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static int sec_crc_ok(const uint8_t *buf, const struct yolo_engine_section *s, uint32_t *got)
{
    uint8_t head[8];
    for (int i = 0; i < 4; i++) {
        head[i] = (uint8_t)(s->tag >> (8 * i));
        head[4 + i] = (uint8_t)(s->flags >> (8 * i));
    }
    *got = yolo_crc32(yolo_crc32(0, head, sizeof head), buf + s->offset, (size_t)s->bytes);
    return *got == s->crc32;
}

/* Checks the fixed header and the section table; fills e->sections. */
static int parse_header(struct yolo_engine *e, const uint8_t *buf, uint64_t size, unsigned flags,
                        struct yolo_diag *d)
{
    static const char magic[8] = YOLO_ENGINE_MAGIC;
    char tn[16], tn2[16];

    if (size == 0)
        return yolo_diag_set(d, YOLO_ERR_FORMAT, "empty file (not a yolo engine)");
    if (memcmp(buf, magic, size < 8 ? (size_t)size : 8) != 0)
        return yolo_diag_set(d, YOLO_ERR_FORMAT, "not a yolo engine (bad magic)");
    if (size < 12)
        return yolo_diag_set(d, YOLO_ERR_FORMAT, "truncated: file has %llu bytes, the header "
                             "alone is %u", (unsigned long long)size, YOLO_ENGINE_HEADER_FIXED);
    e->major = (uint16_t)le_at(buf + 8, 2);
    e->minor = (uint16_t)le_at(buf + 10, 2);
    if (e->major != YOLO_ENGINE_MAJOR) {
        if (size >= 20 && le_at(buf + 16, 4) == 0x04030201u)
            return yolo_diag_set(d, YOLO_ERR_FORMAT, "written with the wrong byte order "
                                 "(big-endian); rebuild with 'yolo build'");
        return yolo_diag_set(d, YOLO_ERR_VERSION, "format %u.%u, this build reads %d.x; rebuild "
                             "with 'yolo build'", e->major, e->minor, YOLO_ENGINE_MAJOR);
    }
    if (size < YOLO_ENGINE_HEADER_FIXED)
        return yolo_diag_set(d, YOLO_ERR_FORMAT, "truncated: file has %llu bytes, the header "
                             "alone is %u", (unsigned long long)size, YOLO_ENGINE_HEADER_FIXED);
    uint32_t header_bytes = (uint32_t)le_at(buf + 12, 4);
    uint32_t endian = (uint32_t)le_at(buf + 16, 4);
    uint32_t ns = (uint32_t)le_at(buf + 20, 4);
    e->file_bytes = le_at(buf + 24, 8);
    if (e->file_bytes > size)
        return yolo_diag_set(d, YOLO_ERR_FORMAT, "truncated: header says %llu bytes, file has "
                             "%llu", (unsigned long long)e->file_bytes, (unsigned long long)size);
    if (endian != YOLO_ENGINE_ENDIAN_CHECK)
        return yolo_diag_set(d, YOLO_ERR_FORMAT, "byte order check reads 0x%08x, not 0x%08x "
                             "(corrupt header)", endian, YOLO_ENGINE_ENDIAN_CHECK);
    if (e->file_bytes < size)
        return yolo_diag_set(d, YOLO_ERR_FORMAT, "header says %llu bytes, file has %llu (extra "
                             "bytes at the end)", (unsigned long long)e->file_bytes,
                             (unsigned long long)size);
    if (ns > YOLO_ENGINE_MAX_SECTIONS)
        return yolo_diag_set(d, YOLO_ERR_FORMAT, "%u sections (at most %d)", ns,
                             YOLO_ENGINE_MAX_SECTIONS);
    if (header_bytes != YOLO_ENGINE_HEADER_FIXED + YOLO_ENGINE_ENTRY_BYTES * ns)
        return yolo_diag_set(d, YOLO_ERR_FORMAT, "header_bytes %u does not match %u sections "
                             "(expected %u)", header_bytes, ns,
                             YOLO_ENGINE_HEADER_FIXED + YOLO_ENGINE_ENTRY_BYTES * ns);
    if (header_bytes > size)
        return yolo_diag_set(d, YOLO_ERR_FORMAT, "truncated: the section table needs %u bytes, "
                             "file has %llu", header_bytes, (unsigned long long)size);

    e->sections = calloc(ns ? ns : 1, sizeof *e->sections);
    if (!e->sections)
        return yolo_diag_set(d, YOLO_ERR_NOMEM, "out of memory");
    e->n_sections = (int32_t)ns;
    int order[YOLO_ENGINE_MAX_SECTIONS];
    for (uint32_t i = 0; i < ns; i++) {
        const uint8_t *p = buf + YOLO_ENGINE_HEADER_FIXED + (uint64_t)i * YOLO_ENGINE_ENTRY_BYTES;
        struct yolo_engine_section *s = &e->sections[i];
        s->tag = (uint32_t)le_at(p, 4);
        s->flags = (uint32_t)le_at(p + 4, 4);
        s->offset = le_at(p + 8, 8);
        s->bytes = le_at(p + 16, 8);
        s->crc32 = (uint32_t)le_at(p + 24, 4);
        uint32_t reserved = (uint32_t)le_at(p + 28, 4);
        const char *name = tag_name(s->tag, tn);
        uint32_t align = s->tag == YOLO_ENGINE_TAG_WGHT ? YOLO_ENGINE_WEIGHT_ALIGN : YOLO_ENGINE_ALIGN;
        if (reserved != 0)
            return yolo_diag_set(d, YOLO_ERR_FORMAT, "section %s: reserved field is 0x%x, not 0",
                                 name, reserved);
        if (is_known(s->tag) && s->flags != 0)
            return yolo_diag_set(d, YOLO_ERR_FORMAT, "section %s: unknown flags 0x%x", name,
                                 s->flags);
        if (s->offset < header_bytes || s->offset > size || s->bytes > size - s->offset)
            return yolo_diag_set(d, YOLO_ERR_FORMAT, "section %s: bytes %llu..+%llu lie outside "
                                 "the file's %llu bytes", name, (unsigned long long)s->offset,
                                 (unsigned long long)s->bytes, (unsigned long long)size);
        if (s->offset % align)
            return yolo_diag_set(d, YOLO_ERR_FORMAT, "section %s: offset %llu is not %u-byte "
                                 "aligned", name, (unsigned long long)s->offset, align);
        for (uint32_t j = 0; j < i; j++)
            if (is_known(s->tag) && e->sections[j].tag == s->tag)
                return yolo_diag_set(d, YOLO_ERR_FORMAT, "section %s appears twice", name);
        /* insertion sort by offset, for the overlap and gap checks */
        int k = (int)i;
        while (k > 0 && e->sections[order[k - 1]].offset > s->offset) {
            order[k] = order[k - 1];
            k--;
        }
        order[k] = (int)i;
    }
    /* Sections may not overlap, and bytes outside them (alignment padding) must be zero, so
     * that every byte of the file is covered by some check. */
    uint64_t prev_end = header_bytes;
    int prev = -1;
    for (uint32_t k = 0; k <= ns; k++) {
        uint64_t start = k < ns ? e->sections[order[k]].offset : size;
        if (start < prev_end)
            return yolo_diag_set(d, YOLO_ERR_FORMAT, "section %s overlaps %s%s",
                                 tag_name(e->sections[order[k]].tag, tn),
                                 prev < 0 ? "the header" : "section ",
                                 prev < 0 ? "" : tag_name(e->sections[prev].tag, tn2));
        for (uint64_t b = prev_end; b < start; b++)
            if (buf[b] != 0)
                return yolo_diag_set(d, YOLO_ERR_FORMAT, "padding byte %llu is 0x%02x, not 0 "
                                     "(corrupt file)", (unsigned long long)b, buf[b]);
        if (k < ns) {
            prev = order[k];
            prev_end = start + e->sections[order[k]].bytes;
        }
    }
    int have_meta = 0, have_tnsr = 0, have_grph = 0, have_wght = 0;
    for (uint32_t i = 0; i < ns; i++) {
        const struct yolo_engine_section *s = &e->sections[i];
        uint32_t got;
        have_meta |= s->tag == YOLO_ENGINE_TAG_META;
        have_tnsr |= s->tag == YOLO_ENGINE_TAG_TNSR;
        have_grph |= s->tag == YOLO_ENGINE_TAG_GRPH;
        have_wght |= s->tag == YOLO_ENGINE_TAG_WGHT;
        if (s->tag == YOLO_ENGINE_TAG_WGHT && (flags & YOLO_ENGINE_NO_VERIFY_WEIGHTS))
            continue;
        if (!sec_crc_ok(buf, s, &got))
            return yolo_diag_set(d, YOLO_ERR_FORMAT, "section %s: CRC32 is 0x%08x, the table says "
                                 "0x%08x (corrupt file)", tag_name(s->tag, tn), got, s->crc32);
    }
    const char *missing = !have_meta ? "META" : !have_tnsr ? "TNSR" : !have_grph ? "GRPH"
                        : !have_wght ? "WGHT" : NULL;
    if (missing)
        return yolo_diag_set(d, YOLO_ERR_FORMAT, "required section %s is missing", missing);
    return 0;
}

static const struct yolo_engine_section *find_section(const struct yolo_engine *e, uint32_t tag)
{
    for (int32_t i = 0; i < e->n_sections; i++)
        if (e->sections[i].tag == tag)
            return &e->sections[i];
    return NULL;
}

/* Decodes one known section, prefixing errors with "section XXXX: ". */
static int decode(struct yolo_engine *e, const uint8_t *buf, uint32_t tag,
                  int (*fn)(struct yolo_engine *, struct cur *, struct yolo_diag *),
                  struct yolo_diag *d)
{
    const struct yolo_engine_section *s = find_section(e, tag);
    if (!s)
        return 0;
    struct cur c = { buf + s->offset, s->bytes, 0, s->offset, 0 };
    int rc = fn(e, &c, d);
    if (rc) {
        char tn[16], what[32];
        snprintf(what, sizeof what, "section %s", tag_name(tag, tn));
        yolo_diag_prefix(d, what);
    }
    return rc;
}

static int decode_tnsr(struct yolo_engine *e, struct cur *c, struct yolo_diag *d)
{
    return decode_tensors(&e->graph, c, d);
}

static int decode_grph(struct yolo_engine *e, struct cur *c, struct yolo_diag *d)
{
    return decode_graph(&e->graph, c, d);
}

/* Every context allocates (and zeroes) arena_bytes. The planner never makes the arena larger
 * than all activation tensors side by side, each 64-byte aligned; a file claiming more
 * would make a small file cost any amount of memory. */
static int check_arena(const struct yolo_graph *g, struct yolo_diag *d)
{
    uint64_t sum = 64;
    for (int32_t i = 0; i < g->n_tensors; i++)
        if (!(g->tensors[i].flags & YOLO_TF_CONST))
            sum += (yolo_tensor_bytes(&g->tensors[i]) + 63) & ~(uint64_t)63;
    if (g->arena_bytes > sum)
        return yolo_diag_set(d, YOLO_ERR_FORMAT, "section GRPH: activation arena of %llu bytes is "
                             "more than all its tensors need (%llu)",
                             (unsigned long long)g->arena_bytes, (unsigned long long)sum);
    return 0;
}

/* Kernels read a node's inputs while they write its outputs, many with memcpy: the planner
 * never lets those share arena bytes, with two exceptions. A view's node (one ALIAS
 * output) does not run, as in net.c; and Split / Concat may run in place (plan.c), their
 * outputs / inputs inside the input / output, which their kernels handle (memmove for any
 * overlap but the exact in-place one). A file that breaks this is crafted: refused. */
static int overlaps(const struct yolo_tensor *a, const struct yolo_tensor *b)
{
    uint64_t na = yolo_tensor_bytes(a), nb = yolo_tensor_bytes(b);
    if ((a->flags | b->flags) & YOLO_TF_CONST || !na || !nb)
        return 0;
    return a->offset < b->offset + nb && b->offset < a->offset + na;
}

static int check_overlap(const struct yolo_graph *g, struct yolo_diag *d)
{
    for (int32_t i = 0; i < g->n_nodes; i++) {
        const struct yolo_node *n = &g->nodes[i];
        if (n->n_out == 1 && n->out[0] >= 0 && (g->tensors[n->out[0]].flags & YOLO_TF_ALIAS))
            continue;
        for (int k = 0; k < n->n_out; k++) {
            if (n->out[k] < 0)
                continue;
            const struct yolo_tensor *o = &g->tensors[n->out[k]];
            for (int j = 0; j < n->n_in + k; j++) {
                if (j < n->n_in && (n->op == YOLO_OP_SPLIT || n->op == YOLO_OP_CONCAT))
                    continue;
                int32_t t = j < n->n_in ? n->in[j] : n->out[j - n->n_in];
                if (t >= 0 && t != n->out[k] && overlaps(o, &g->tensors[t]))
                    return yolo_node_error(d, YOLO_ERR_FORMAT, n, "output '%s' shares arena bytes "
                                           "with '%s' (corrupt plan)", o->name, g->tensors[t].name);
            }
        }
    }
    return 0;
}

/* ------------------------------------------------------------------ file access */
static int map_file(struct yolo_engine *e, const char *path, unsigned flags, struct yolo_diag *d)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return yolo_diag_set(d, YOLO_ERR_IO, "cannot open: %s", strerror(errno));
    struct stat st;
    int rc = 0;
    if (fstat(fd, &st) != 0) {
        rc = yolo_diag_set(d, YOLO_ERR_IO, "cannot stat: %s", strerror(errno));
        goto done;
    }
    if (!S_ISREG(st.st_mode)) {
        rc = yolo_diag_set(d, YOLO_ERR_IO, "not a regular file");
        goto done;
    }
    if (st.st_size < 0 || (uint64_t)st.st_size > SIZE_MAX - 64) {
        rc = yolo_diag_set(d, YOLO_ERR_UNSUPPORTED, "file too large to map");
        goto done;
    }
    size_t size = (size_t)st.st_size;
    e->map_bytes = size;
    if (!(flags & YOLO_ENGINE_NO_MMAP) && size > 0) {
        void *m = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (m != MAP_FAILED) {
            e->map = m;
            e->mapped = 1;
            goto done;
        }
    }
    /* Fallback (mmap refused, or asked for): a 64-byte-aligned copy; WGHT is 4096-aligned in
     * the file, so its tensors keep their 64-byte alignment. */
    void *p = NULL;
    if (posix_memalign(&p, 64, size ? size : 64) != 0) {
        rc = yolo_diag_set(d, YOLO_ERR_NOMEM, "out of memory reading %zu bytes", size);
        goto done;
    }
    e->map = p;
    for (size_t got = 0; got < size;) {
        ssize_t r = read(fd, (uint8_t *)p + got, size - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            rc = yolo_diag_set(d, YOLO_ERR_IO, "read error: %s", strerror(errno));
            goto done;
        }
        if (r == 0) {
            rc = yolo_diag_set(d, YOLO_ERR_IO, "file shrank from %zu to %zu bytes while reading",
                               size, got);
            goto done;
        }
        got += (size_t)r;
    }
done:
    close(fd);
    return rc;
}

void yolo_engine_free(struct yolo_engine *e)
{
    if (!e)
        return;
    for (int32_t i = 0; i < e->n_meta; i++) {
        free(e->meta[i].key);
        free(e->meta[i].value);
    }
    free(e->meta);
    for (int32_t i = 0; i < e->n_labels; i++)
        free(e->labels[i]);
    free(e->labels);
    e->graph.owns_consts = 0;           /* the consts are the mapping's */
    yolo_graph_release(&e->graph);
    free(e->sections);
    if (e->mapped)
        munmap(e->map, e->map_bytes);
    else
        free(e->map);
    free(e);
}

int yolo_engine_load(const char *path, unsigned flags, struct yolo_engine **out,
                     struct yolo_diag *d)
{
    struct yolo_diag ld = { YOLO_OK, "" };
    struct yolo_engine *e = NULL;
    int rc;
    if (!out || !path)
        return yolo_diag_set(d, YOLO_ERR_ARG, "yolo_engine_load: no path or no result pointer");
    *out = NULL;
    if (flags & ~(unsigned)(YOLO_ENGINE_NO_VERIFY_WEIGHTS | YOLO_ENGINE_NO_MMAP))
        return yolo_diag_set(d, YOLO_ERR_ARG, "%s: unknown load flags 0x%x", path, flags);
    e = calloc(1, sizeof *e);
    if (!e)
        return yolo_diag_set(d, YOLO_ERR_NOMEM, "%s: out of memory", path);
    yolo_graph_init(&e->graph);
    e->graph.owns_consts = 0;

    rc = map_file(e, path, flags, &ld);
    if (!rc)
        rc = parse_header(e, e->map, e->map_bytes, flags, &ld);
    const uint8_t *buf = e->map;
    if (!rc)
        rc = decode(e, buf, YOLO_ENGINE_TAG_META, decode_meta, &ld);
    if (!rc)
        rc = decode(e, buf, YOLO_ENGINE_TAG_LBLS, decode_labels, &ld);
    if (!rc)
        rc = decode(e, buf, YOLO_ENGINE_TAG_TNSR, decode_tnsr, &ld);
    if (!rc)
        rc = decode(e, buf, YOLO_ENGINE_TAG_GRPH, decode_grph, &ld);
    if (!rc) {
        const struct yolo_engine_section *w = find_section(e, YOLO_ENGINE_TAG_WGHT);
        e->graph.consts = (uint8_t *)buf + w->offset;   /* read-only: PROT_READ mapping */
        e->graph.consts_bytes = e->graph.consts_cap = w->bytes;
        rc = yolo_graph_check(&e->graph, &ld);
        if (!rc)
            rc = check_arena(&e->graph, &ld);
        if (!rc)
            rc = check_overlap(&e->graph, &ld);
    }
    if (rc) {
        yolo_diag_prefix(&ld, path);
        if (d)
            *d = ld;
        yolo_engine_free(e);
        return rc;
    }
    *out = e;
    return 0;
}

const char *yolo_engine_meta_get(const struct yolo_engine *e, const char *key)
{
    for (int32_t i = 0; e && key && i < e->n_meta; i++)
        if (strcmp(e->meta[i].key, key) == 0)
            return e->meta[i].value;
    return NULL;
}
