/* names.c: class-name lists: COCO-80 (compiled in from labels/coco.names) and the `names`
 * metadata Ultralytics writes into ONNX files, a Python literal: either a dict
 * {0: 'person', 1: 'bicycle'} or a list ['person', 'bicycle']. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "names.h"

extern const char *const yolo_labels_coco[];

const char *const *yolo_names_coco80(int32_t *n)
{
    int32_t k = 0;
    while (yolo_labels_coco[k])
        k++;
    *n = k;
    return yolo_labels_coco;
}

void yolo_names_free(char **names, int32_t n)
{
    for (int32_t i = 0; names && i < n; i++)
        free(names[i]);
    free(names);
}

static const char *skip_ws(const char *p)
{
    while (*p && isspace((unsigned char)*p))
        p++;
    return p;
}

/* Parses a Python string literal ('...' or "..." with backslash escapes) at *pp. NULL if
 * it is not one, or (*oom set) if memory ran out. */
static char *parse_str(const char **pp, int *oom)
{
    const char *p = *pp;
    char q = *p;
    if (q != '\'' && q != '"')
        return NULL;
    p++;
    size_t cap = 16, n = 0;
    char *s = malloc(cap);
    if (!s) {
        *oom = 1;
        return NULL;
    }
    while (*p && *p != q) {
        char c = *p++;
        if (c == '\\' && *p) {
            c = *p++;
            if (c == 'n')
                c = '\n';
            else if (c == 't')
                c = '\t';
        }
        if (n + 2 > cap) {
            char *t = realloc(s, cap *= 2);
            if (!t) {
                free(s);
                *oom = 1;
                return NULL;
            }
            s = t;
        }
        s[n++] = c;
    }
    if (*p != q) {
        free(s);
        return NULL;
    }
    s[n] = 0;
    *pp = p + 1;
    return s;
}

int yolo_names_parse(const char *text, char ***out, int32_t *n_out)
{
    *out = NULL;
    *n_out = 0;
    const char *p = skip_ws(text);
    int dict = *p == '{';
    if (*p != '{' && *p != '[')
        return -1;
    char close = dict ? '}' : ']';
    p++;
    int32_t cap = 0, n = 0;
    int oom = 0;
    char **names = NULL;
    int64_t *keys = NULL;
    for (;;) {
        p = skip_ws(p);
        if (*p == close)
            break;
        int64_t key = n;
        if (dict) {
            char *end;
            key = strtoll(p, &end, 10);
            if (end == p || key < 0 || key > 100000)
                goto fail;
            p = skip_ws(end);
            if (*p++ != ':')
                goto fail;
            p = skip_ws(p);
        }
        char *s = parse_str(&p, &oom);
        if (!s)
            goto fail;
        if (n == cap) {
            int32_t nc = cap ? cap * 2 : 32;
            char **t = realloc(names, sizeof *t * (size_t)nc);
            int64_t *k = t ? realloc(keys, sizeof *k * (size_t)nc) : NULL;
            if (t)
                names = t;
            if (!t || !k) {
                free(s);
                oom = 1;
                goto fail;
            }
            keys = k;
            cap = nc;
        }
        names[n] = s;
        keys[n] = key;
        n++;
        p = skip_ws(p);
        if (*p == ',')
            p++;
        else if (*p != close)
            goto fail;
    }
    /* keys must be exactly 0..n-1 (in any order): reorder by key */
    char **sorted = calloc((size_t)(n ? n : 1), sizeof *sorted);
    if (!sorted) {
        oom = 1;
        goto fail;
    }
    for (int32_t i = 0; i < n; i++) {
        if (keys[i] >= n || sorted[keys[i]]) {
            free(sorted);
            goto fail;
        }
        sorted[keys[i]] = names[i];
    }
    free(names);
    free(keys);
    *out = sorted;
    *n_out = n;
    return 0;
fail:
    yolo_names_free(names, n);
    free(keys);
    return oom ? -2 : -1;
}
