/* engine_write.c: encodes a graph + metadata + labels as an engine file (format in engine.h).
 *
 * The small sections are encoded into memory first (they are kilobytes), so every offset and
 * CRC is known before the first byte is written; the weights are then streamed from the
 * graph's const blob. The file is written under a temporary name and renamed into place, so
 * readers only ever see no file, the old file, or the complete new one. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine.h"
#include "ops/op_params.h"

#define KNOWN_TF (YOLO_TF_CONST | YOLO_TF_INPUT | YOLO_TF_OUTPUT | YOLO_TF_ALIAS)

/* ------------------------------------------------------------------ byte buffer */
struct bbuf { uint8_t *p; size_t len, cap; int oom; };

static void put(struct bbuf *b, const void *src, size_t n)
{
    if (b->oom || n == 0)
        return;
    if (n > SIZE_MAX / 2 - b->len) {
        b->oom = 1;
        return;
    }
    if (b->len + n > b->cap) {
        size_t nc = b->cap ? b->cap : 4096;
        while (nc < b->len + n)
            nc *= 2;
        uint8_t *q = realloc(b->p, nc);
        if (!q) {
            b->oom = 1;
            return;
        }
        b->p = q;
        b->cap = nc;
    }
    memcpy(b->p + b->len, src, n);
    b->len += n;
}

static void put_u16(struct bbuf *b, uint16_t v)
{
    uint8_t x[2] = { (uint8_t)v, (uint8_t)(v >> 8) };
    put(b, x, 2);
}

static void put_u32(struct bbuf *b, uint32_t v)
{
    uint8_t x[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };
    put(b, x, 4);
}

static void put_u64(struct bbuf *b, uint64_t v)
{
    put_u32(b, (uint32_t)v);
    put_u32(b, (uint32_t)(v >> 32));
}

static void put_i32(struct bbuf *b, int32_t v) { put_u32(b, (uint32_t)v); }
static void put_i64(struct bbuf *b, int64_t v) { put_u64(b, (uint64_t)v); }

static void put_f32(struct bbuf *b, float v)
{
    uint32_t u;
    memcpy(&u, &v, sizeof u);
    put_u32(b, u);
}

static void put_str32(struct bbuf *b, const char *s)   /* u32 length + bytes */
{
    size_t n = strlen(s);
    put_u32(b, (uint32_t)n);
    put(b, s, n);
}

static void put_name16(struct bbuf *b, const char *name)   /* u16 length + bytes */
{
    size_t n = strnlen(name, YOLO_NAME_MAX - 1);
    put_u16(b, (uint16_t)n);
    put(b, name, n);
}

/* ------------------------------------------------------------------ validation */
/* Rejects what the format cannot encode or the reader would refuse, so a written engine
 * always decodes. Graph semantics (order, shapes) are yolo_graph_check's job. */
static int check_args(const struct yolo_graph *g, const struct yolo_kv *meta, int32_t n_meta,
                      const char *const *labels, int32_t n_labels,
                      const struct yolo_engine_extra *extra, int32_t n_extra, struct yolo_diag *d)
{
    if (!g)
        return yolo_diag_set(d, YOLO_ERR_ARG, "no graph");
    if (n_meta < 0 || n_meta > YOLO_ENGINE_MAX_META || (n_meta && !meta))
        return yolo_diag_set(d, YOLO_ERR_ARG, "%d metadata entries (at most %d)", n_meta,
                             YOLO_ENGINE_MAX_META);
    for (int32_t i = 0; i < n_meta; i++) {
        if (!meta[i].key || !meta[i].value)
            return yolo_diag_set(d, YOLO_ERR_ARG, "metadata entry %d has no key or value", i);
        if (strlen(meta[i].key) > YOLO_ENGINE_MAX_STRING ||
            strlen(meta[i].value) > YOLO_ENGINE_MAX_STRING)
            return yolo_diag_set(d, YOLO_ERR_ARG, "metadata '%.64s': longer than %u bytes",
                                 meta[i].key, YOLO_ENGINE_MAX_STRING);
        for (int32_t j = 0; j < i; j++)
            if (strcmp(meta[i].key, meta[j].key) == 0)
                return yolo_diag_set(d, YOLO_ERR_ARG, "metadata key '%.64s' appears twice",
                                     meta[i].key);
    }
    if (n_labels < 0 || n_labels > YOLO_ENGINE_MAX_LABELS || (n_labels && !labels))
        return yolo_diag_set(d, YOLO_ERR_ARG, "%d labels (at most %d)", n_labels,
                             YOLO_ENGINE_MAX_LABELS);
    for (int32_t i = 0; i < n_labels; i++)
        if (!labels[i] || strlen(labels[i]) > YOLO_ENGINE_MAX_STRING)
            return yolo_diag_set(d, YOLO_ERR_ARG, "label %d: missing or longer than %u bytes", i,
                                 YOLO_ENGINE_MAX_STRING);
    if (n_extra < 0 || n_extra > YOLO_ENGINE_MAX_SECTIONS - 5 || (n_extra && !extra))
        return yolo_diag_set(d, YOLO_ERR_ARG, "%d extra sections (at most %d)", n_extra,
                             YOLO_ENGINE_MAX_SECTIONS - 5);
    for (int32_t i = 0; i < n_extra; i++) {
        uint32_t t = extra[i].tag;
        if (t == YOLO_ENGINE_TAG_META || t == YOLO_ENGINE_TAG_LBLS || t == YOLO_ENGINE_TAG_TNSR ||
            t == YOLO_ENGINE_TAG_GRPH || t == YOLO_ENGINE_TAG_WGHT || (extra[i].bytes && !extra[i].data) ||
            extra[i].bytes > SIZE_MAX)
            return yolo_diag_set(d, YOLO_ERR_ARG, "extra section %d: reserved tag or no data", i);
    }

    int32_t nt = g->n_tensors;
    if (nt < 0 || nt > YOLO_MAX_TENSORS || (nt && !g->tensors) || g->n_nodes < 0 ||
        g->n_nodes > YOLO_MAX_NODES || (g->n_nodes && !g->nodes))
        return yolo_diag_set(d, YOLO_ERR_ARG, "graph with %d tensors and %d nodes", nt, g->n_nodes);
    if (g->consts_bytes && !g->consts)
        return yolo_diag_set(d, YOLO_ERR_ARG, "const blob of %llu bytes has no data",
                             (unsigned long long)g->consts_bytes);
    if (g->consts_bytes > SIZE_MAX - YOLO_ENGINE_WEIGHT_ALIGN)
        return yolo_diag_set(d, YOLO_ERR_ARG, "const blob of %llu bytes is too large",
                             (unsigned long long)g->consts_bytes);
    for (int32_t i = 0; i < nt; i++) {
        const struct yolo_tensor *t = &g->tensors[i];
        if (strnlen(t->name, YOLO_NAME_MAX) == YOLO_NAME_MAX)
            return yolo_diag_set(d, YOLO_ERR_ARG, "tensor %d: name not terminated", i);
        if (yolo_dtype_size(t->dtype) == 0)
            return yolo_diag_set(d, YOLO_ERR_ARG, "tensor '%s': dtype %d cannot be stored",
                                 t->name, (int)t->dtype);
        if (t->ndim < 0 || t->ndim > YOLO_MAX_DIMS)
            return yolo_diag_set(d, YOLO_ERR_ARG, "tensor '%s': shape not known (rank %d)",
                                 t->name, t->ndim);
        for (int k = 0; k < t->ndim; k++)
            if (t->shape[k] < 0)
                return yolo_diag_set(d, YOLO_ERR_ARG, "tensor '%s': dimension %d is %lld",
                                     t->name, k, (long long)t->shape[k]);
        if (t->flags & ~(uint32_t)KNOWN_TF)
            return yolo_diag_set(d, YOLO_ERR_ARG, "tensor '%s': unknown flags 0x%x", t->name,
                                 t->flags);
        if ((t->flags & YOLO_TF_CONST) && t->offset % YOLO_ENGINE_ALIGN)
            return yolo_diag_set(d, YOLO_ERR_ARG, "tensor '%s': const offset %llu is not %u-byte "
                                 "aligned", t->name, (unsigned long long)t->offset,
                                 YOLO_ENGINE_ALIGN);
    }
    if (g->n_inputs < 0 || g->n_inputs > YOLO_MAX_IO || g->n_outputs < 0 ||
        g->n_outputs > YOLO_MAX_IO)
        return yolo_diag_set(d, YOLO_ERR_ARG, "%d graph inputs, %d outputs (at most %d)",
                             g->n_inputs, g->n_outputs, YOLO_MAX_IO);
    for (int32_t i = 0; i < g->n_inputs; i++)
        if (g->inputs[i] < 0 || g->inputs[i] >= nt)
            return yolo_diag_set(d, YOLO_ERR_ARG, "graph input %d: tensor index %d out of range",
                                 i, g->inputs[i]);
    for (int32_t i = 0; i < g->n_outputs; i++)
        if (g->outputs[i] < 0 || g->outputs[i] >= nt)
            return yolo_diag_set(d, YOLO_ERR_ARG, "graph output %d: tensor index %d out of range",
                                 i, g->outputs[i]);
    for (int32_t i = 0; i < g->n_nodes; i++) {
        const struct yolo_node *n = &g->nodes[i];
        if (strnlen(n->name, YOLO_NAME_MAX) == YOLO_NAME_MAX)
            return yolo_diag_set(d, YOLO_ERR_ARG, "node %d: name not terminated", i);
        if ((int)n->op < 0 || n->op >= YOLO_OP_COUNT || n->n_in < 0 || n->n_in > YOLO_MAX_IN ||
            n->n_out < 0 || n->n_out > YOLO_MAX_OUT)
            return yolo_diag_set(d, YOLO_ERR_ARG, "node %d '%s': op %d with %d inputs, %d outputs",
                                 i, n->name, (int)n->op, n->n_in, n->n_out);
        for (int k = 0; k < n->n_in; k++)
            if (n->in[k] < -1 || n->in[k] >= nt)
                return yolo_node_error(d, YOLO_ERR_ARG, n, "input %d: tensor index %d out of range",
                                       k, n->in[k]);
        for (int k = 0; k < n->n_out; k++)
            if (n->out[k] < 0 || n->out[k] >= nt)
                return yolo_node_error(d, YOLO_ERR_ARG, n, "output %d: tensor index %d out of "
                                       "range", k, n->out[k]);
    }
    return 0;
}

/* ------------------------------------------------------------------ sections */
static void encode_meta(struct bbuf *b, const struct yolo_kv *meta, int32_t n)
{
    put_u32(b, (uint32_t)n);
    for (int32_t i = 0; i < n; i++) {
        put_str32(b, meta[i].key);
        put_str32(b, meta[i].value);
    }
}

static void encode_labels(struct bbuf *b, const char *const *labels, int32_t n)
{
    put_u32(b, (uint32_t)n);
    for (int32_t i = 0; i < n; i++)
        put_str32(b, labels[i]);
}

static void encode_tensors(struct bbuf *b, const struct yolo_graph *g)
{
    put_u32(b, (uint32_t)g->n_tensors);
    for (int32_t i = 0; i < g->n_tensors; i++) {
        const struct yolo_tensor *t = &g->tensors[i];
        put_u32(b, (uint32_t)t->dtype);
        put_i32(b, t->ndim);
        for (int k = 0; k < YOLO_MAX_DIMS; k++)
            put_i64(b, k < t->ndim ? t->shape[k] : 0);
        put_u32(b, t->flags);
        put_u64(b, t->offset);
        put_name16(b, t->name);
    }
}

static void encode_graph(struct bbuf *b, const struct yolo_graph *g)
{
    put_u32(b, (uint32_t)g->n_inputs);
    for (int32_t i = 0; i < g->n_inputs; i++)
        put_i32(b, g->inputs[i]);
    put_u32(b, (uint32_t)g->n_outputs);
    for (int32_t i = 0; i < g->n_outputs; i++)
        put_i32(b, g->outputs[i]);
    put_u64(b, g->arena_bytes);
    put_u32(b, (uint32_t)g->n_nodes);
    for (int32_t i = 0; i < g->n_nodes; i++) {
        const struct yolo_node *n = &g->nodes[i];
        /* ops by name: ids are not part of the format; a QConv with a grid under a name of
         * its own, which older builds do not know (op_params.h) */
        put_name16(b, yolo_node_stored_name(n));
        put_i32(b, n->n_in);
        put_i32(b, n->n_out);
        for (int k = 0; k < n->n_in; k++)
            put_i32(b, n->in[k]);
        for (int k = 0; k < n->n_out; k++)
            put_i32(b, n->out[k]);
        put_u32(b, YOLO_MAX_PARAMS);
        for (int k = 0; k < YOLO_MAX_PARAMS; k++)
            put_i64(b, n->params[k]);
        put_u32(b, YOLO_MAX_FPARAMS);
        for (int k = 0; k < YOLO_MAX_FPARAMS; k++)
            put_f32(b, n->fparams[k]);
        put_name16(b, n->name);
    }
}

/* The CRC of a section: its tag and flags, then its bytes (see engine.h). */
static uint32_t section_crc(uint32_t tag, uint32_t flags, const void *data, uint64_t bytes)
{
    uint8_t head[8];
    for (int i = 0; i < 4; i++) {
        head[i] = (uint8_t)(tag >> (8 * i));
        head[4 + i] = (uint8_t)(flags >> (8 * i));
    }
    uint32_t c = yolo_crc32(0, head, sizeof head);
    return yolo_crc32(c, data, (size_t)bytes);
}

static uint64_t align_up(uint64_t x, uint64_t a) { return (x + a - 1) / a * a; }

/* ------------------------------------------------------------------ file output */
struct out { FILE *f; uint64_t pos; int err; };   /* err: the first errno, sticky */

static void out_bytes(struct out *o, const void *p, uint64_t n)
{
    if (o->err || n == 0)
        return;
    if (fwrite(p, 1, (size_t)n, o->f) != (size_t)n)
        o->err = errno ? errno : EIO;
    else
        o->pos += n;
}

static void out_zeros_to(struct out *o, uint64_t target)
{
    static const uint8_t zeros[YOLO_ENGINE_WEIGHT_ALIGN];
    while (!o->err && o->pos < target) {
        uint64_t n = target - o->pos < sizeof zeros ? target - o->pos : sizeof zeros;
        out_bytes(o, zeros, n);
    }
}

/* Fsyncs the directory holding path, so the rename itself survives a crash. Best effort:
 * the file is complete either way. */
static void sync_dir(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *dir = slash ? strndup(path, (size_t)(slash - path) + (slash == path)) : strdup(".");
    if (!dir)
        return;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
    free(dir);
}

int yolo_engine_write_ex(const char *path, const struct yolo_graph *g, const struct yolo_kv *meta,
                         int32_t n_meta, const char *const *labels, int32_t n_labels,
                         const struct yolo_engine_extra *extra, int32_t n_extra,
                         struct yolo_diag *d)
{
    struct bbuf meta_b = { 0 }, lbls_b = { 0 }, tnsr_b = { 0 }, grph_b = { 0 }, head = { 0 };
    struct yolo_engine_section sec[YOLO_ENGINE_MAX_SECTIONS];
    const void *data[YOLO_ENGINE_MAX_SECTIONS];
    char *tmp = NULL;
    FILE *f = NULL;
    int rc = 0, have_tmp = 0;

    if (!path || !*path)
        return yolo_diag_set(d, YOLO_ERR_ARG, "engine path is empty");
    rc = check_args(g, meta, n_meta, labels, n_labels, extra, n_extra, d);
    if (rc) {
        yolo_diag_prefix(d, path);
        return rc;
    }

    encode_meta(&meta_b, meta, n_meta);
    encode_labels(&lbls_b, labels, n_labels);
    encode_tensors(&tnsr_b, g);
    encode_graph(&grph_b, g);
    if (meta_b.oom || lbls_b.oom || tnsr_b.oom || grph_b.oom) {
        rc = yolo_diag_set(d, YOLO_ERR_NOMEM, "%s: out of memory encoding the engine", path);
        goto done;
    }

    /* Table order = file order: META, LBLS (if any labels), TNSR, GRPH, extras, WGHT last
     * (the big one, page aligned). */
    int32_t ns = 0;
    sec[ns] = (struct yolo_engine_section){ YOLO_ENGINE_TAG_META, 0, 0, meta_b.len, 0 };
    data[ns++] = meta_b.p;
    if (n_labels > 0) {
        sec[ns] = (struct yolo_engine_section){ YOLO_ENGINE_TAG_LBLS, 0, 0, lbls_b.len, 0 };
        data[ns++] = lbls_b.p;
    }
    sec[ns] = (struct yolo_engine_section){ YOLO_ENGINE_TAG_TNSR, 0, 0, tnsr_b.len, 0 };
    data[ns++] = tnsr_b.p;
    sec[ns] = (struct yolo_engine_section){ YOLO_ENGINE_TAG_GRPH, 0, 0, grph_b.len, 0 };
    data[ns++] = grph_b.p;
    for (int32_t i = 0; i < n_extra; i++) {
        sec[ns] = (struct yolo_engine_section){ extra[i].tag, 0, 0, extra[i].bytes, 0 };
        data[ns++] = extra[i].data;
    }
    sec[ns] = (struct yolo_engine_section){ YOLO_ENGINE_TAG_WGHT, 0, 0, g->consts_bytes, 0 };
    data[ns++] = g->consts;

    uint32_t header_bytes = YOLO_ENGINE_HEADER_FIXED + YOLO_ENGINE_ENTRY_BYTES * (uint32_t)ns;
    uint64_t pos = header_bytes;
    for (int32_t i = 0; i < ns; i++) {
        uint64_t a = sec[i].tag == YOLO_ENGINE_TAG_WGHT ? YOLO_ENGINE_WEIGHT_ALIGN : YOLO_ENGINE_ALIGN;
        if (sec[i].bytes > UINT64_MAX / 2 - pos) {
            rc = yolo_diag_set(d, YOLO_ERR_ARG, "%s: sections too large", path);
            goto done;
        }
        sec[i].offset = align_up(pos, a);
        pos = sec[i].offset + sec[i].bytes;
        sec[i].crc32 = section_crc(sec[i].tag, sec[i].flags, data[i], sec[i].bytes);
    }
    uint64_t file_bytes = pos;

    put(&head, YOLO_ENGINE_MAGIC, 8);      /* the 7 characters and their NUL */
    put_u16(&head, YOLO_ENGINE_MAJOR);
    put_u16(&head, YOLO_ENGINE_MINOR);
    put_u32(&head, header_bytes);
    put_u32(&head, YOLO_ENGINE_ENDIAN_CHECK);
    put_u32(&head, (uint32_t)ns);
    put_u64(&head, file_bytes);
    for (int32_t i = 0; i < ns; i++) {
        put_u32(&head, sec[i].tag);
        put_u32(&head, sec[i].flags);
        put_u64(&head, sec[i].offset);
        put_u64(&head, sec[i].bytes);
        put_u32(&head, sec[i].crc32);
        put_u32(&head, 0);
    }
    if (head.oom) {
        rc = yolo_diag_set(d, YOLO_ERR_NOMEM, "%s: out of memory encoding the engine", path);
        goto done;
    }

    size_t tlen = strlen(path) + 32;
    tmp = malloc(tlen);
    if (!tmp) {
        rc = yolo_diag_set(d, YOLO_ERR_NOMEM, "%s: out of memory", path);
        goto done;
    }
    snprintf(tmp, tlen, "%s.tmp.%ld", path, (long)getpid());
    /* O_EXCL: never write through a link someone left at the temp name. */
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0) {
        rc = yolo_diag_set(d, YOLO_ERR_IO, "%s: cannot write: %s", path, strerror(errno));
        goto done;
    }
    have_tmp = 1;
    f = fdopen(fd, "wb");
    if (!f) {
        rc = yolo_diag_set(d, YOLO_ERR_IO, "%s: cannot write: %s", path, strerror(errno));
        close(fd);
        goto done;
    }

    struct out o = { f, 0, 0 };
    errno = 0;
    out_bytes(&o, head.p, head.len);
    for (int32_t i = 0; i < ns; i++) {
        out_zeros_to(&o, sec[i].offset);
        out_bytes(&o, data[i], sec[i].bytes);
    }
    if (!o.err && o.pos != file_bytes)
        o.err = EIO;                               /* cannot happen: layout bug */
    if (!o.err && fflush(f) != 0)
        o.err = errno ? errno : EIO;
    if (!o.err && fsync(fileno(f)) != 0)
        o.err = errno;
    int closed = fclose(f);
    f = NULL;
    if (!o.err && closed != 0)
        o.err = errno ? errno : EIO;
    if (o.err) {
        rc = yolo_diag_set(d, YOLO_ERR_IO, "%s: cannot write: %s", path, strerror(o.err));
        goto done;
    }
    if (rename(tmp, path) != 0) {
        rc = yolo_diag_set(d, YOLO_ERR_IO, "%s: cannot replace it with the new engine: %s", path,
                           strerror(errno));
        goto done;
    }
    have_tmp = 0;
    sync_dir(path);

done:
    if (f)
        fclose(f);
    if (have_tmp)
        unlink(tmp);
    free(tmp);
    free(head.p);
    free(grph_b.p);
    free(tnsr_b.p);
    free(lbls_b.p);
    free(meta_b.p);
    return rc;
}

int yolo_engine_write(const char *path, const struct yolo_graph *g, const struct yolo_kv *meta,
                      int32_t n_meta, const char *const *labels, int32_t n_labels,
                      struct yolo_diag *d)
{
    return yolo_engine_write_ex(path, g, meta, n_meta, labels, n_labels, NULL, 0, d);
}
