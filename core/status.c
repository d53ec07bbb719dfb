/* status.c: status names, the diagnostic helpers and the logger. */
#include <stdio.h>
#include <string.h>

#include "yolo_core.h"

const char *yolo_status_str(enum yolo_status s)
{
    switch (s) {
    case YOLO_OK:              return "ok";
    case YOLO_ERR_ARG:         return "invalid argument";
    case YOLO_ERR_NOMEM:       return "out of memory";
    case YOLO_ERR_IO:          return "I/O error";
    case YOLO_ERR_FORMAT:      return "format error";
    case YOLO_ERR_VERSION:     return "version mismatch";
    case YOLO_ERR_UNSUPPORTED: return "unsupported";
    case YOLO_ERR_INTERNAL:    return "internal error";
    }
    return "unknown status";
}

enum yolo_status yolo_diag_set(struct yolo_diag *d, enum yolo_status s, const char *fmt, ...)
{
    if (d) {
        va_list ap;
        va_start(ap, fmt);
        d->status = s;
        vsnprintf(d->msg, sizeof d->msg, fmt, ap);
        va_end(ap);
    }
    return s;
}

enum yolo_status yolo_diag_prefix(struct yolo_diag *d, const char *what)
{
    if (!d)
        return YOLO_ERR_INTERNAL;
    char tmp[sizeof d->msg];
    snprintf(tmp, sizeof tmp, "%s: %s", what, d->msg);
    memcpy(d->msg, tmp, sizeof tmp);
    return d->status;
}

void yolo_logf(const struct yolo_logger *lg, enum yolo_log_level level, const char *fmt, ...)
{
    if (!lg || !lg->fn || (int)level > lg->level)
        return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    lg->fn(lg->user, level, msg);
}
