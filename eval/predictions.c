/* predictions.c: see predictions.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "yolo_core.h"
#include "json.h"
#include "predictions.h"

void yolo_pred_line_release(struct yolo_pred_line *pl)
{
    if (!pl)
        return;
    free(pl->path);
    free(pl->dets);
    free(pl->names);
    memset(pl, 0, sizeof *pl);
}

/* A whole number in [lo, hi] (JSON has no integer type: 3, 3.0 and 3e0 are all 3). */
static int whole(const struct yolo_json *v, double lo, double hi, int32_t *out)
{
    if (!v || v->type != YOLO_JSON_NUMBER || !(v->number >= lo && v->number <= hi) ||
        v->number != floor(v->number))
        return 0;
    *out = (int32_t)v->number;
    return 1;
}

/* width / height: absent or null = 0. */
static int size_field(const struct yolo_json *root, const char *key, int32_t *out,
                      struct yolo_diag *d)
{
    const struct yolo_json *v = yolo_json_get(root, key);
    *out = 0;
    if (!v || v->type == YOLO_JSON_NULL)
        return YOLO_OK;
    if (!whole(v, 1, INT32_MAX, out))
        return yolo_diag_set(d, YOLO_ERR_FORMAT, "%s: expected a whole number >= 1, got %s", key,
                             v->type == YOLO_JSON_NUMBER ? v->str : yolo_json_type_name(v->type));
    return YOLO_OK;
}

static int parse_det(const struct yolo_json *o, int32_t i, struct yolo_det *det, const char **name,
                     struct yolo_diag *d)
{
    if (o->type != YOLO_JSON_OBJECT)
        return yolo_diag_set(d, YOLO_ERR_FORMAT, "detections[%d]: expected an object, got %s", i,
                             yolo_json_type_name(o->type));
    const struct yolo_json *cls = yolo_json_get(o, "cls"), *conf = yolo_json_get(o, "conf");
    const struct yolo_json *box = yolo_json_get(o, "box"), *nm = yolo_json_get(o, "name");
    if (!cls || !whole(cls, 0, INT32_MAX, &det->cls))
        return yolo_diag_set(d, YOLO_ERR_FORMAT, "detections[%d]: cls: %s", i,
                             cls ? "expected a whole number >= 0" : "missing");
    if (!conf || conf->type != YOLO_JSON_NUMBER || !isfinite(conf->number_f32))
        return yolo_diag_set(d, YOLO_ERR_FORMAT, "detections[%d]: conf: %s", i,
                             conf ? "expected a finite number" : "missing");
    det->conf = conf->number_f32;
    if (!box || box->type != YOLO_JSON_ARRAY || box->n != 4)
        return yolo_diag_set(d, YOLO_ERR_FORMAT, "detections[%d]: box: %s", i,
                             box ? "expected [x1, y1, x2, y2]" : "missing");
    float b[4];
    for (int k = 0; k < 4; k++) {
        const struct yolo_json *v = &box->items[k];
        if (v->type != YOLO_JSON_NUMBER || !isfinite(v->number_f32))
            return yolo_diag_set(d, YOLO_ERR_FORMAT, "detections[%d]: box[%d]: expected a finite "
                                 "number", i, k);
        b[k] = v->number_f32;
    }
    det->x1 = b[0];
    det->y1 = b[1];
    det->x2 = b[2];
    det->y2 = b[3];
    *name = NULL;
    if (nm && nm->type != YOLO_JSON_NULL) {
        if (nm->type != YOLO_JSON_STRING)
            return yolo_diag_set(d, YOLO_ERR_FORMAT, "detections[%d]: name: expected a string", i);
        *name = nm->str;
    }
    return YOLO_OK;
}

int yolo_pred_line_parse(const char *line, size_t len, struct yolo_pred_line *out,
                         struct yolo_diag *d)
{
    struct yolo_json_doc *doc = NULL;
    const char **names = NULL;
    memset(out, 0, sizeof *out);
    int rc = yolo_json_parse(line, len, &doc, d);
    if (rc)
        return rc;
    const struct yolo_json *root = yolo_json_root(doc);
    if (root->type != YOLO_JSON_OBJECT) {
        rc = yolo_diag_set(d, YOLO_ERR_FORMAT, "expected a JSON object per line, got %s",
                           yolo_json_type_name(root->type));
        goto fail;
    }
    const struct yolo_json *path = yolo_json_get(root, "path");
    const struct yolo_json *dets = yolo_json_get(root, "detections");
    if (!path || path->type != YOLO_JSON_STRING || path->n == 0 || strlen(path->str) != (size_t)path->n) {
        rc = yolo_diag_set(d, YOLO_ERR_FORMAT, "path: %s", path ? "expected a non-empty string"
                                                                : "missing");
        goto fail;
    }
    if (!dets || dets->type != YOLO_JSON_ARRAY) {
        rc = yolo_diag_set(d, YOLO_ERR_FORMAT, "detections: %s", dets ? "expected an array"
                                                                      : "missing");
        goto fail;
    }
    if ((rc = size_field(root, "width", &out->width, d)) ||
        (rc = size_field(root, "height", &out->height, d)))
        goto fail;

    out->path = malloc((size_t)path->n + 1);
    if (dets->n) {
        out->dets = calloc((size_t)dets->n, sizeof *out->dets);
        names = calloc((size_t)dets->n, sizeof *names);
    }
    if (!out->path || (dets->n && (!out->dets || !names))) {
        rc = yolo_diag_set(d, YOLO_ERR_NOMEM, "out of memory (%d detections)", dets->n);
        goto fail;
    }
    memcpy(out->path, path->str, (size_t)path->n + 1);
    size_t name_bytes = 0;
    for (int32_t i = 0; i < dets->n; i++) {
        if ((rc = parse_det(&dets->items[i], i, &out->dets[i], &names[i], d)))
            goto fail;
        if (names[i])
            name_bytes += strlen(names[i]) + 1;
    }
    out->n_dets = dets->n;
    if (name_bytes) {
        out->names = malloc(name_bytes);
        if (!out->names) {
            rc = yolo_diag_set(d, YOLO_ERR_NOMEM, "out of memory (detection names)");
            goto fail;
        }
        size_t at = 0;
        for (int32_t i = 0; i < dets->n; i++) {
            if (!names[i])
                continue;
            size_t n = strlen(names[i]) + 1;
            memcpy(out->names + at, names[i], n);
            out->dets[i].name = out->names + at;
            at += n;
        }
    }
    free(names);
    yolo_json_doc_free(doc);
    return YOLO_OK;
fail:
    free(names);
    yolo_json_doc_free(doc);
    yolo_pred_line_release(out);
    return rc;
}
