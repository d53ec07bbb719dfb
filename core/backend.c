/* backend.c: the table of backends compiled into this build (backend.h). */
#include <string.h>

#include "backend.h"

static const struct yolo_backend *const backends[] = {
    &yolo_backend_cpu,
#ifdef YOLO_CUDA
    &yolo_backend_cuda,
#endif
};

int32_t yolo_backend_count(void)
{
    return (int32_t)(sizeof backends / sizeof backends[0]);
}

const struct yolo_backend *yolo_backend_at(int32_t i)
{
    return i >= 0 && i < yolo_backend_count() ? backends[i] : NULL;
}

const struct yolo_backend *yolo_backend_find(const char *name)
{
    for (int32_t i = 0; i < yolo_backend_count(); i++)
        if (strcmp(backends[i]->name, name) == 0)
            return backends[i];
    return NULL;
}
