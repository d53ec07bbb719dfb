/* attrs.c: typed lookup of ONNX node attributes (see struct yolo_attrs in yolo_core.h). */
#include <string.h>

#include "yolo_core.h"

static struct yolo_attr *find(struct yolo_attrs *a, const char *name, enum yolo_attr_type want,
                              int *bad)
{
    for (int32_t i = 0; a && i < a->n; i++) {
        if (strcmp(a->v[i].name, name) != 0)
            continue;
        a->v[i].used = 1;
        if (a->v[i].type != want) {
            if (bad)
                *bad = 1;
            return NULL;
        }
        return &a->v[i];
    }
    return NULL;
}

int64_t yolo_attr_int(struct yolo_attrs *a, const char *name, int64_t def, int *bad)
{
    struct yolo_attr *x = find(a, name, YOLO_ATTR_INT, bad);
    return x ? x->i : def;
}

float yolo_attr_float(struct yolo_attrs *a, const char *name, float def, int *bad)
{
    struct yolo_attr *x = find(a, name, YOLO_ATTR_FLOAT, bad);
    return x ? x->f : def;
}

const char *yolo_attr_str(struct yolo_attrs *a, const char *name, const char *def, int *bad)
{
    struct yolo_attr *x = find(a, name, YOLO_ATTR_STRING, bad);
    return x ? x->s : def;
}

const int64_t *yolo_attr_ints(struct yolo_attrs *a, const char *name, int32_t *n, int *bad)
{
    struct yolo_attr *x = find(a, name, YOLO_ATTR_INTS, bad);
    *n = x ? x->n_ints : 0;
    return x ? x->ints : NULL;
}

const float *yolo_attr_floats(struct yolo_attrs *a, const char *name, int32_t *n, int *bad)
{
    struct yolo_attr *x = find(a, name, YOLO_ATTR_FLOATS, bad);
    *n = x ? x->n_floats : 0;
    return x ? x->floats : NULL;
}

int32_t yolo_attr_tensor(struct yolo_attrs *a, const char *name, int *bad)
{
    struct yolo_attr *x = find(a, name, YOLO_ATTR_TENSOR, bad);
    return x ? x->tensor : -1;
}
