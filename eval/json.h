/* json.h: a small, strict JSON reader (RFC 8259) for the files the toolkit reads back: the
 * JSON Lines `yolo detect --json` writes, reference detections, other tools' outputs.
 *
 *     struct yolo_json_doc *doc;
 *     if (yolo_json_parse(text, len, &doc, &diag))       // diag.msg: "column 17: expected ':'"
 *         ...;
 *     const struct yolo_json *root = yolo_json_root(doc);
 *     const struct yolo_json *dets = yolo_json_get(root, "detections");   // NULL if absent
 *     for (int32_t i = 0; dets && dets->type == YOLO_JSON_ARRAY && i < dets->n; i++)
 *         ... dets->items[i] ...
 *     yolo_json_doc_free(doc);
 *
 * The whole text is parsed into a tree held in one arena owned by the document; every pointer
 * below stays valid until yolo_json_doc_free. Strict: one value, optionally surrounded by
 * whitespace (space, tab, CR, LF); no comments, trailing commas, NaN, hex or leading '+';
 * strings must be valid UTF-8 with no raw control characters; \uXXXX escapes (surrogate pairs
 * included) are decoded to UTF-8, except a lone \udc80..\udcff, which is the byte 0x80..0xff
 * that yolo_json_escape wrote for a byte that was not UTF-8 (a file name's): such strings
 * come back as the original bytes. Nesting deeper than YOLO_JSON_MAX_DEPTH is an error (the
 * parser recurses). Duplicate object keys are kept; yolo_json_get returns the last one, as
 * Python's json module does (keys compare as C strings: one holding \u0000 ends there).
 *
 * Numbers keep both readings of their text: `number` (strtod, binary64) and `number_f32`
 * (strtof, correctly rounded to float32 directly: going through double first can round twice
 * and miss by one ulp). Floats written in shortest round-trip float32 form therefore come back
 * bit for bit. Out-of-range numbers read as +-inf (or 0), as strtod does; the caller checks.
 * Both conversions use the C library in the "C" numeric locale (the CLI never calls setlocale).
 *
 * Errors: YOLO_ERR_FORMAT with "column C: problem" (or "line L, column C: problem" when the
 * text spans lines; columns count bytes from 1), YOLO_ERR_NOMEM, YOLO_ERR_ARG (NULL text).
 * Thread-safe: no shared state; a document may be read by several threads.
 */
#ifndef YOLO_JSON_H
#define YOLO_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "yolo.h"

#define YOLO_JSON_MAX_DEPTH 256

enum yolo_json_type {
    YOLO_JSON_NULL = 0,
    YOLO_JSON_FALSE,
    YOLO_JSON_TRUE,
    YOLO_JSON_NUMBER,
    YOLO_JSON_STRING,
    YOLO_JSON_ARRAY,
    YOLO_JSON_OBJECT
};

struct yolo_json {
    enum yolo_json_type type;
    int32_t n;                        /* ARRAY, OBJECT: items; STRING: bytes (without the NUL) */
    double  number;                   /* NUMBER: strtod of the text */
    float   number_f32;               /* NUMBER: strtof of the text */
    const char *str;                  /* STRING: decoded UTF-8, NUL-terminated (may hold NULs
                                         from \u0000: use n); NUMBER: the number's text */
    const char *const *keys;          /* OBJECT: n keys (decoded, NUL-terminated) */
    const struct yolo_json *items;    /* ARRAY, OBJECT: n values */
};

struct yolo_json_doc;

/* Parses text[0..len) (need not be NUL-terminated). *out is NULL on failure. */
int  yolo_json_parse(const char *text, size_t len, struct yolo_json_doc **out, struct yolo_diag *d);
void yolo_json_doc_free(struct yolo_json_doc *doc);          /* accepts NULL */
const struct yolo_json *yolo_json_root(const struct yolo_json_doc *doc);

/* The value of key in an object (the last one if repeated); NULL if v is NULL, not an object,
 * or has no such key. */
const struct yolo_json *yolo_json_get(const struct yolo_json *v, const char *key);

/* A short name for a type ("null", "boolean", "number", "string", "array", "object"). */
const char *yolo_json_type_name(enum yolo_json_type t);

#endif
