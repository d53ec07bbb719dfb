/* parse.c: reading an ONNX file and unpacking it with protobuf-c, with clear messages for
 * what is not an ONNX model, a truncated file, or a file built to exhaust memory. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "onnx_internal.h"

/* Protobuf messages are limited to 2 GiB (signed 32-bit sizes in the reference library);
 * bigger models must use external data, which is not supported either. */
#define ONNX_MAX_FILE_BYTES ((size_t)1 << 31)

/* ------------------------------------------------------------------ reading the file */

static const char *errno_str(int err, char *buf, size_t n)
{
    return strerror_r(err, buf, n);     /* GNU variant (-D_GNU_SOURCE) */
}

int yolo_onnx_read_file(const char *path, uint8_t **out, size_t *out_len, struct yolo_diag *d)
{
    char eb[128];
    uint8_t *buf = NULL;
    size_t len = 0, cap;
    int rc = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return yolo_diag_set(d, YOLO_ERR_IO, "cannot open: %s", errno_str(errno, eb, sizeof eb));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        rc = yolo_diag_set(d, YOLO_ERR_IO, "cannot stat: %s", errno_str(errno, eb, sizeof eb));
        goto fail;
    }
    if (S_ISDIR(st.st_mode)) {
        rc = yolo_diag_set(d, YOLO_ERR_IO, "cannot read: %s", errno_str(EISDIR, eb, sizeof eb));
        goto fail;
    }
    if (S_ISREG(st.st_mode)) {
        if ((uint64_t)st.st_size > ONNX_MAX_FILE_BYTES) {
            rc = yolo_diag_set(d, YOLO_ERR_UNSUPPORTED, "file is %lld bytes; ONNX files over 2 GiB "
                               "are not supported (the protobuf limit)", (long long)st.st_size);
            goto fail;
        }
        cap = (size_t)st.st_size + 1;   /* +1 sees EOF in the same loop, or a growing file */
    } else {
        cap = (size_t)1 << 20;          /* pipe or device: size unknown, grow as needed */
    }
    buf = malloc(cap);
    if (!buf) {
        rc = yolo_diag_set(d, YOLO_ERR_NOMEM, "cannot allocate %zu bytes to read the file", cap);
        goto fail;
    }
    for (;;) {
        if (len == cap) {
            if (cap > ONNX_MAX_FILE_BYTES) {
                rc = yolo_diag_set(d, YOLO_ERR_UNSUPPORTED, "file is over 2 GiB; ONNX files that "
                                   "large are not supported (the protobuf limit)");
                goto fail;
            }
            size_t nc = cap * 2;
            uint8_t *q = realloc(buf, nc);
            if (!q) {
                rc = yolo_diag_set(d, YOLO_ERR_NOMEM, "cannot allocate %zu bytes to read the file",
                                   nc);
                goto fail;
            }
            buf = q;
            cap = nc;
        }
        ssize_t r = read(fd, buf + len, cap - len);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            rc = yolo_diag_set(d, YOLO_ERR_IO, "read failed after %zu bytes: %s", len,
                               errno_str(errno, eb, sizeof eb));
            goto fail;
        }
        if (r == 0)
            break;
        len += (size_t)r;
    }
    if (len > ONNX_MAX_FILE_BYTES) {
        rc = yolo_diag_set(d, YOLO_ERR_UNSUPPORTED, "file is over 2 GiB; ONNX files that large are "
                           "not supported (the protobuf limit)");
        goto fail;
    }
    close(fd);
    *out = buf;
    *out_len = len;
    return 0;
fail:
    free(buf);
    close(fd);
    return rc;
}

/* ------------------------------------------------------------------ parse failures */

/* Reads a varint at p[*pos]. Returns 0, 1 if the buffer ends inside it, -1 if it is longer
 * than 10 bytes. */
static int read_varint(const uint8_t *p, size_t len, size_t *pos, uint64_t *v)
{
    uint64_t x = 0;
    for (int i = 0; i < 10; i++) {
        if (*pos >= len)
            return 1;
        uint8_t b = p[(*pos)++];
        x |= (uint64_t)(b & 0x7f) << (7 * i);
        if (!(b & 0x80)) {
            *v = x;
            return 0;
        }
    }
    return -1;
}

/* Wire type of each top-level ModelProto field of the ONNX spec, -1 for numbers it does not
 * define (training_info 20 and functions 25 included, which we otherwise skip). */
static int model_wire_type(uint64_t field)
{
    switch (field) {
    case 1: case 5: return 0;                                   /* ir_version, model_version */
    case 2: case 3: case 4: case 6: case 7: case 8: case 14: case 20: case 25: return 2;
    default: return -1;
    }
}

/* protobuf-c says only "failed". Walk the top-level fields ourselves to tell a truncated
 * file (a field runs past the end: the usual result of an interrupted download or copy)
 * from something that is not an ONNX model at all (a field ModelProto does not have, e.g.
 * text, which often reads as a few protobuf fields), with the byte offset. */
static int explain_parse_failure(const uint8_t *p, size_t len, struct yolo_diag *d)
{
    size_t pos = 0;
    while (pos < len) {
        size_t start = pos;
        uint64_t tag, v;
        int r = read_varint(p, len, &pos, &tag);
        if (r > 0)
            goto truncated_at;
        if (r < 0 || (tag >> 3) == 0 || (tag >> 3) > 536870911u)
            return yolo_diag_set(d, YOLO_ERR_FORMAT, "not an ONNX model (protobuf parse failed: "
                                 "invalid field key at byte %zu)", start);
        unsigned wt = (unsigned)(tag & 7);
        uint64_t field = tag >> 3;
        if (model_wire_type(field) != (int)wt)
            return yolo_diag_set(d, YOLO_ERR_FORMAT, "not an ONNX model (protobuf parse failed: "
                                 "byte %zu starts field %" PRIu64 " of wire type %u, which an "
                                 "ONNX model does not have)", start, field, wt);
        r = read_varint(p, len, &pos, &v);     /* the value (wt 0) or the length (wt 2) */
        if (r > 0)
            goto truncated_at;
        if (r < 0)
            return yolo_diag_set(d, YOLO_ERR_FORMAT, "not an ONNX model (protobuf parse failed: "
                                 "bad varint at byte %zu)", start);
        if (wt == 2) {
            if (v > len - pos)
                return yolo_diag_set(d, YOLO_ERR_FORMAT, "truncated: field %" PRIu64 " at byte %zu "
                                     "needs %" PRIu64 " bytes, only %zu remain (incomplete file?)",
                                     field, start, v, len - pos);
            pos += (size_t)v;
        }
        continue;
truncated_at:
        return yolo_diag_set(d, YOLO_ERR_FORMAT, "truncated: the file ends inside the field at "
                             "byte %zu (incomplete file?)", start);
    }
    /* The top level is well formed: the damage is inside a nested message. */
    return yolo_diag_set(d, YOLO_ERR_FORMAT, "not an ONNX model, or a corrupt one (protobuf "
                         "parse failed)");
}

/* ------------------------------------------------------------------ parse memory budget */

/* protobuf-c allocates a C struct for every message it reads: a 2-byte empty NodeProto costs
 * over 100 bytes, so a hostile file of empty messages would need 50 times its size in
 * memory. Real models need about their own size (weights) plus a few times the size of
 * their node list, so the parse gets a budget proportional to the file. */
#define PARSE_BUDGET_FACTOR 32
#define PARSE_BUDGET_EXTRA  ((uint64_t)64 << 20)

struct parse_budget { ProtobufCAllocator a; uint64_t used, limit; int exceeded, nomem; };

static void *budget_alloc(void *data, size_t size)
{
    struct parse_budget *b = data;
    if (size > b->limit - b->used) {
        b->exceeded = 1;
        return NULL;
    }
    void *p = malloc(size);
    if (p)
        b->used += size;        /* frees are not subtracted: the count stays an upper bound */
    else
        b->nomem = 1;           /* protobuf-c reports only "failed": remember why */
    return p;
}

static void *plain_alloc(void *data, size_t size)
{
    (void)data;
    return malloc(size);
}

static void budget_free(void *data, void *p)
{
    (void)data;
    free(p);
}

int yolo_onnx_parse(const uint8_t *buf, size_t len, Onnx__ModelProto **out, struct yolo_diag *d)
{
    *out = NULL;
    if (len == 0)
        return yolo_diag_set(d, YOLO_ERR_FORMAT, "empty file (0 bytes), not an ONNX model");
    if (len > ONNX_MAX_FILE_BYTES)
        return yolo_diag_set(d, YOLO_ERR_UNSUPPORTED, "%zu bytes; ONNX models over 2 GiB are not "
                             "supported (the protobuf limit)", len);
    struct parse_budget pb = { { budget_alloc, budget_free, NULL }, 0,
                               (uint64_t)len * PARSE_BUDGET_FACTOR + PARSE_BUDGET_EXTRA, 0, 0 };
    pb.a.allocator_data = &pb;
    Onnx__ModelProto *m = onnx__model_proto__unpack(&pb.a, len, buf);
    if (!m && pb.nomem)
        return yolo_diag_set(d, YOLO_ERR_NOMEM, "out of memory parsing the model (%zu bytes)",
                             len);
    if (!m && pb.exceeded)
        return yolo_diag_set(d, YOLO_ERR_UNSUPPORTED, "parsing would take more than %" PRIu64
                             " MiB for a %zu-byte file: not a plausible ONNX model", pb.limit >> 20,
                             len);
    if (!m)
        return explain_parse_failure(buf, len, d);
    /* Arbitrary bytes (a text file, say) can parse as a protobuf of unknown fields. */
    if (!m->graph || (!m->has_ir_version && m->n_opset_import == 0)) {
        int rc = yolo_diag_set(d, YOLO_ERR_FORMAT, "not an ONNX model (%s)",
                               !m->graph ? "no graph" : "no IR version and no operator set");
        yolo_onnx_model_free(m);
        return rc;
    }
    *out = m;
    return 0;
}

void yolo_onnx_model_free(Onnx__ModelProto *m)
{
    /* Our own free(), not protobuf-c's default allocator: the library's memory then goes
     * through one malloc/free pair, which allocation-failure tests wrap and count. */
    ProtobufCAllocator a = { plain_alloc, budget_free, NULL };
    onnx__model_proto__free_unpacked(m, &a);
}
