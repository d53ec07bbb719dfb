/* names.c: the importer's tensor-name hash map (see onnx_internal.h). */
#include <stdlib.h>
#include <string.h>

#include "onnx_internal.h"

/* FNV-1a, 64-bit: short names, no need for anything stronger. */
static uint64_t hash_str(const char *s)
{
    uint64_t h = 14695981039346656037ULL;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

int yolo_onnx_names_init(struct yolo_onnx_names *m, int64_t max_n)
{
    memset(m, 0, sizeof *m);
    if (max_n < 0 || max_n > ((int64_t)1 << 40))
        return -1;
    /* load factor <= 1/2 keeps probe sequences short */
    uint64_t cap = 16;
    while (cap < (uint64_t)max_n * 2)
        cap *= 2;
    m->slots = calloc(cap, sizeof *m->slots);
    if (!m->slots)
        return -1;
    m->mask = cap - 1;
    m->max_n = max_n;
    return 0;
}

void yolo_onnx_names_free(struct yolo_onnx_names *m)
{
    free(m->slots);
    memset(m, 0, sizeof *m);
}

int32_t yolo_onnx_names_get(const struct yolo_onnx_names *m, const char *key)
{
    if (!m->slots)
        return -1;
    uint64_t h = hash_str(key);
    for (uint64_t i = h & m->mask;; i = (i + 1) & m->mask) {
        const struct yolo_onnx_name_slot *s = &m->slots[i];
        if (!s->key)
            return -1;
        if (s->hash == h && strcmp(s->key, key) == 0)
            return s->value;
    }
}

int yolo_onnx_names_put(struct yolo_onnx_names *m, const char *key, int32_t value)
{
    if (!m->slots || m->n >= m->max_n)
        return -1;
    uint64_t h = hash_str(key);
    for (uint64_t i = h & m->mask;; i = (i + 1) & m->mask) {
        struct yolo_onnx_name_slot *s = &m->slots[i];
        if (!s->key) {
            s->key = key;
            s->hash = h;
            s->value = value;
            m->n++;
            return 0;
        }
        if (s->hash == h && strcmp(s->key, key) == 0)
            return 1;
    }
}
