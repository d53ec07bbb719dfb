/* json.c: see json.h. A recursive-descent parser over the RFC 8259 grammar. Children of an
 * array or object are first collected on a scratch stack shared by all nesting levels (an inner
 * container pushes above its parent's children and pops its own when it closes), then copied
 * into an exactly sized arena array, so the tree needs no realloc and is freed in one go. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "yolo_core.h"
#include "json.h"

#define BLOCK_BYTES 65536

struct block {
    struct block *next;
    size_t used, cap;
    _Alignas(16) unsigned char data[];
};

struct yolo_json_doc {
    struct block *blocks;
    struct yolo_json root;
};

struct parser {
    const char *s;
    size_t len, pos;
    int depth;
    struct yolo_json_doc *doc;
    struct yolo_json *stack;          /* scratch: children of the open containers */
    const char **keys;                /* scratch: their keys (objects) */
    size_t n_stack, cap_stack;
    struct yolo_diag *d;
};

/* ------------------------------------------------------------------ memory */

static void *arena_alloc(struct yolo_json_doc *doc, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    if (n == 0)
        n = 16;
    struct block *b = doc->blocks;
    if (!b || b->cap - b->used < n) {
        size_t cap = n > BLOCK_BYTES ? n : BLOCK_BYTES;
        if (cap > SIZE_MAX - sizeof *b)
            return NULL;
        b = malloc(sizeof *b + cap);
        if (!b)
            return NULL;
        b->next = doc->blocks;
        b->used = 0;
        b->cap = cap;
        doc->blocks = b;
    }
    void *p = b->data + b->used;
    b->used += n;
    return p;
}

void yolo_json_doc_free(struct yolo_json_doc *doc)
{
    if (!doc)
        return;
    struct block *b = doc->blocks;
    while (b) {
        struct block *next = b->next;
        free(b);
        b = next;
    }
    free(doc);
}

/* ------------------------------------------------------------------ errors */

static int fail(struct parser *p, size_t at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(struct parser *p, size_t at, const char *fmt, ...)
{
    int line = 1;
    size_t col = 1;
    for (size_t i = 0; i < at && i < p->len; i++) {
        if (p->s[i] == '\n') {
            line++;
            col = 1;
        } else {
            col++;
        }
    }
    char what[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    /* "line L" only for texts of several lines: a JSON Lines line ends in '\n' too. */
    size_t end = p->len;
    while (end > 0 && (p->s[end - 1] == '\n' || p->s[end - 1] == '\r' || p->s[end - 1] == ' ' ||
                       p->s[end - 1] == '\t'))
        end--;
    int multi = memchr(p->s, '\n', end) != NULL;
    if (multi)
        return yolo_diag_set(p->d, YOLO_ERR_FORMAT, "line %d, column %zu: %s", line, col, what);
    return yolo_diag_set(p->d, YOLO_ERR_FORMAT, "column %zu: %s", col, what);
}

static int nomem(struct parser *p)
{
    return yolo_diag_set(p->d, YOLO_ERR_NOMEM, "out of memory reading JSON (%zu bytes)", p->len);
}

/* What is at pos, for messages: "'x'" or "end of text". */
static const char *found(const struct parser *p, char *buf, size_t cap)
{
    if (p->pos >= p->len)
        return "end of text";
    unsigned char c = (unsigned char)p->s[p->pos];
    if (c >= 0x20 && c < 0x7f)
        snprintf(buf, cap, "'%c'", c);
    else
        snprintf(buf, cap, "byte 0x%02x", c);
    return buf;
}

/* ------------------------------------------------------------------ scanning */

static void skip_ws(struct parser *p)
{
    while (p->pos < p->len) {
        char c = p->s[p->pos];
        if (c != ' ' && c != '\t' && c != '\r' && c != '\n')
            break;
        p->pos++;
    }
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int hex4(const char *s, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = s[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else
            return 0;
    }
    *out = v;
    return 1;
}

/* Length of the valid UTF-8 sequence at s (n bytes available), 0 if invalid (overlong forms,
 * surrogates and code points above U+10FFFF are invalid, RFC 3629). */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t k;
    unsigned min, cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf) {
        k = 2; min = 0x80; cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        k = 3; min = 0x800; cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        k = 4; min = 0x10000; cp = c & 0x07;
    } else {
        return 0;
    }
    if (n < k)
        return 0;
    for (size_t i = 1; i < k; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return k;
}

static size_t utf8_put(char *o, unsigned cp)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xc0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xe0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        o[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    o[0] = (char)(0xf0 | (cp >> 18));
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
    o[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

/* A string at pos (the opening quote) into a NUL-terminated arena copy. Decoded text is never
 * longer than the raw text: an escape of 2, 6 or 12 bytes yields 1, at most 3 or 4 bytes. */
static int parse_string(struct parser *p, const char **out, int32_t *out_len)
{
    size_t start = ++p->pos, end = start;
    while (end < p->len && p->s[end] != '"') {
        if (p->s[end] == '\\')
            end++;
        end++;
    }
    if (end >= p->len)
        return fail(p, start - 1, "unterminated string");
    if (end - start > INT32_MAX - 1)
        return fail(p, start - 1, "string too long");
    char *o = arena_alloc(p->doc, end - start + 1);
    if (!o)
        return nomem(p);
    size_t k = 0;
    const unsigned char *s = (const unsigned char *)p->s;
    size_t i = start;
    while (i < end) {
        unsigned c = s[i];
        if (c < 0x20)
            return fail(p, i, "control character 0x%02x in a string (escape it)", c);
        if (c != '\\') {
            size_t n = utf8_seq(s + i, end - i);
            if (!n)
                return fail(p, i, "invalid UTF-8 in a string");
            memcpy(o + k, s + i, n);
            k += n;
            i += n;
            continue;
        }
        char e = (char)s[i + 1];
        const char *simple = strchr("\"\\/bfnrt", e);
        if (e && simple) {
            static const char map[] = "\"\\/\b\f\n\r\t";
            o[k++] = map[simple - "\"\\/bfnrt"];
            i += 2;
            continue;
        }
        unsigned cp, lo;
        if (e != 'u')
            return fail(p, i, "invalid escape '\\%c'", e >= 0x20 && e < 0x7f ? e : '?');
        if (end - i < 6 || !hex4(p->s + i + 2, &cp))
            return fail(p, i, "\\u needs 4 hex digits");
        i += 6;
        /* \udc80..\udcff: a byte that was not UTF-8, as yolo_json_escape (and Python's
         * surrogateescape) writes it: the byte itself comes back */
        if (cp >= 0xdc80 && cp <= 0xdcff) {
            o[k++] = (char)(cp - 0xdc00);
            continue;
        }
        if (cp >= 0xdc00 && cp <= 0xdfff)
            return fail(p, i - 6, "unpaired low surrogate \\u%04x", cp);
        if (cp >= 0xd800 && cp <= 0xdbff) {
            if (end - i < 6 || s[i] != '\\' || s[i + 1] != 'u' || !hex4(p->s + i + 2, &lo) ||
                lo < 0xdc00 || lo > 0xdfff)
                return fail(p, i - 6, "high surrogate \\u%04x without a low surrogate", cp);
            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            i += 6;
        }
        k += utf8_put(o + k, cp);
    }
    o[k] = 0;
    p->pos = end + 1;
    *out = o;
    *out_len = (int32_t)k;
    return YOLO_OK;
}

/* -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
static int parse_number(struct parser *p, struct yolo_json *v)
{
    size_t i = p->pos;
    const char *s = p->s;
    if (i < p->len && s[i] == '-')
        i++;
    if (i >= p->len || !is_digit(s[i]))
        return fail(p, p->pos, "invalid number");
    if (s[i] == '0') {
        i++;
        if (i < p->len && is_digit(s[i]))
            return fail(p, p->pos, "invalid number (leading zero)");
    } else {
        while (i < p->len && is_digit(s[i]))
            i++;
    }
    if (i < p->len && s[i] == '.') {
        i++;
        if (i >= p->len || !is_digit(s[i]))
            return fail(p, i, "invalid number (digit expected after '.')");
        while (i < p->len && is_digit(s[i]))
            i++;
    }
    if (i < p->len && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < p->len && (s[i] == '+' || s[i] == '-'))
            i++;
        if (i >= p->len || !is_digit(s[i]))
            return fail(p, i, "invalid number (digit expected in the exponent)");
        while (i < p->len && is_digit(s[i]))
            i++;
    }
    size_t n = i - p->pos;
    char *t = arena_alloc(p->doc, n + 1);
    if (!t)
        return nomem(p);
    memcpy(t, s + p->pos, n);
    t[n] = 0;
    /* The grammar above admits only what strtod/strtof read completely; ERANGE (overflow to
     * inf, underflow towards 0) is left to the caller, which sees the value. */
    v->type = YOLO_JSON_NUMBER;
    v->number = strtod(t, NULL);
    v->number_f32 = strtof(t, NULL);
    v->str = t;
    v->n = (int32_t)(n < INT32_MAX ? n : INT32_MAX);
    p->pos = i;
    return YOLO_OK;
}

static int literal(struct parser *p, const char *word, enum yolo_json_type t, struct yolo_json *v)
{
    size_t n = strlen(word);
    if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n) != 0)
        return fail(p, p->pos, "invalid literal (expected %s)", word);
    v->type = t;
    p->pos += n;
    return YOLO_OK;
}

/* ------------------------------------------------------------------ containers */

static int push(struct parser *p, const struct yolo_json *v, const char *key)
{
    if (p->n_stack == p->cap_stack) {
        size_t cap = p->cap_stack ? 2 * p->cap_stack : 64;
        if (cap > SIZE_MAX / sizeof *p->stack)
            return nomem(p);
        struct yolo_json *ns = realloc(p->stack, cap * sizeof *ns);
        if (!ns)
            return nomem(p);
        p->stack = ns;
        const char **nk = realloc(p->keys, cap * sizeof *nk);
        if (!nk)
            return nomem(p);
        p->keys = nk;
        p->cap_stack = cap;
    }
    p->stack[p->n_stack] = *v;
    p->keys[p->n_stack] = key;
    p->n_stack++;
    return YOLO_OK;
}

/* Moves the children pushed since `base` into arena arrays of v. */
static int pop_into(struct parser *p, size_t base, struct yolo_json *v, int with_keys)
{
    size_t n = p->n_stack - base;
    if (n > INT32_MAX)
        return fail(p, p->pos, "too many items in one %s", with_keys ? "object" : "array");
    v->n = (int32_t)n;
    if (n) {
        struct yolo_json *items = arena_alloc(p->doc, n * sizeof *items);
        if (!items)
            return nomem(p);
        memcpy(items, p->stack + base, n * sizeof *items);
        v->items = items;
        if (with_keys) {
            const char **keys = arena_alloc(p->doc, n * sizeof *keys);
            if (!keys)
                return nomem(p);
            for (size_t i = 0; i < n; i++)
                keys[i] = p->keys[base + i];
            v->keys = keys;
        }
    }
    p->n_stack = base;
    return YOLO_OK;
}

static int parse_value(struct parser *p, struct yolo_json *v);

static int parse_container(struct parser *p, struct yolo_json *v, int object)
{
    char close = object ? '}' : ']', buf[16];
    size_t base = p->n_stack, open = p->pos;
    if (++p->depth > YOLO_JSON_MAX_DEPTH)
        return fail(p, p->pos, "nesting deeper than %d", YOLO_JSON_MAX_DEPTH);
    v->type = object ? YOLO_JSON_OBJECT : YOLO_JSON_ARRAY;
    p->pos++;
    skip_ws(p);
    if (p->pos < p->len && p->s[p->pos] == close) {
        p->pos++;
        p->depth--;
        return YOLO_OK;
    }
    for (;;) {
        const char *key = NULL;
        int rc;
        if (object) {
            if (p->pos >= p->len || p->s[p->pos] != '"')
                return fail(p, p->pos, "expected a string key, found %s", found(p, buf, sizeof buf));
            const char *k;
            int32_t kn;
            if ((rc = parse_string(p, &k, &kn)))
                return rc;
            key = k;
            skip_ws(p);
            if (p->pos >= p->len || p->s[p->pos] != ':')
                return fail(p, p->pos, "expected ':' after key \"%.40s\", found %s", k,
                            found(p, buf, sizeof buf));
            p->pos++;
        }
        struct yolo_json item = { 0 };
        if ((rc = parse_value(p, &item)) || (rc = push(p, &item, key)))
            return rc;
        skip_ws(p);
        if (p->pos < p->len && p->s[p->pos] == ',') {
            p->pos++;
            skip_ws(p);
            continue;
        }
        if (p->pos < p->len && p->s[p->pos] == close)
            break;
        if (p->pos >= p->len)
            return fail(p, open, "unclosed %s", object ? "object" : "array");
        return fail(p, p->pos, "expected ',' or '%c', found %s", close, found(p, buf, sizeof buf));
    }
    p->pos++;
    p->depth--;
    return pop_into(p, base, v, object);
}

static int parse_value(struct parser *p, struct yolo_json *v)
{
    char buf[16];
    skip_ws(p);
    if (p->pos >= p->len)
        return fail(p, p->pos, "expected a value, found end of text");
    switch (p->s[p->pos]) {
    case '{': return parse_container(p, v, 1);
    case '[': return parse_container(p, v, 0);
    case '"': v->type = YOLO_JSON_STRING; return parse_string(p, &v->str, &v->n);
    case 't': return literal(p, "true", YOLO_JSON_TRUE, v);
    case 'f': return literal(p, "false", YOLO_JSON_FALSE, v);
    case 'n': return literal(p, "null", YOLO_JSON_NULL, v);
    default:
        if (p->s[p->pos] == '-' || is_digit(p->s[p->pos]))
            return parse_number(p, v);
        return fail(p, p->pos, "expected a value, found %s", found(p, buf, sizeof buf));
    }
}

/* ------------------------------------------------------------------ API */

int yolo_json_parse(const char *text, size_t len, struct yolo_json_doc **out, struct yolo_diag *d)
{
    *out = NULL;
    if (!text && len)
        return yolo_diag_set(d, YOLO_ERR_ARG, "yolo_json_parse: NULL text");
    struct parser p = { .s = text ? text : "", .len = len, .d = d };
    p.doc = calloc(1, sizeof *p.doc);
    if (!p.doc)
        return nomem(&p);
    int rc = parse_value(&p, &p.doc->root);
    if (!rc) {
        skip_ws(&p);
        if (p.pos < p.len) {
            char buf[16];
            rc = fail(&p, p.pos, "unexpected %s after the value", found(&p, buf, sizeof buf));
        }
    }
    free(p.stack);
    free(p.keys);
    if (rc) {
        yolo_json_doc_free(p.doc);
        return rc;
    }
    *out = p.doc;
    return YOLO_OK;
}

const struct yolo_json *yolo_json_root(const struct yolo_json_doc *doc)
{
    return doc ? &doc->root : NULL;
}

const struct yolo_json *yolo_json_get(const struct yolo_json *v, const char *key)
{
    if (!v || v->type != YOLO_JSON_OBJECT || !key)
        return NULL;
    size_t kn = strlen(key);
    for (int32_t i = v->n - 1; i >= 0; i--)
        if (strncmp(v->keys[i], key, kn + 1) == 0)
            return &v->items[i];
    return NULL;
}

const char *yolo_json_type_name(enum yolo_json_type t)
{
    switch (t) {
    case YOLO_JSON_NULL: return "null";
    case YOLO_JSON_FALSE:
    case YOLO_JSON_TRUE: return "boolean";
    case YOLO_JSON_NUMBER: return "number";
    case YOLO_JSON_STRING: return "string";
    case YOLO_JSON_ARRAY: return "array";
    case YOLO_JSON_OBJECT: return "object";
    }
    return "?";
}
