/* status.h: the status codes and the caller-owned diagnostic every layer reports through,
 * with their two helpers. The same enum and struct are in include/yolo.h under the same
 * guard, so a file may include both. core/base/ is the bottom layer (status, files, hashing):
 * every other folder may use it, and it uses nothing of the project. */
#ifndef YOLO_BASE_STATUS_H
#define YOLO_BASE_STATUS_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* what libyolo.so exports (as in include/yolo.h) */
#ifndef YOLO_API
#define YOLO_API __attribute__((visibility("default")))
#endif

#ifndef YOLO_STATUS_DEFINED
#define YOLO_STATUS_DEFINED
enum yolo_status {
    YOLO_OK = 0, YOLO_ERR_ARG = -1, YOLO_ERR_NOMEM = -2, YOLO_ERR_IO = -3, YOLO_ERR_FORMAT = -4,
    YOLO_ERR_VERSION = -5, YOLO_ERR_UNSUPPORTED = -6, YOLO_ERR_INTERNAL = -7
};
#define YOLO_DIAG_MSG_BYTES 512
struct yolo_diag {
    enum yolo_status status;
    char             msg[YOLO_DIAG_MSG_BYTES];
};
YOLO_API const char *yolo_status_str(enum yolo_status s);
#endif

/* Writes printf text into d (if d) and returns s. */
enum yolo_status yolo_diag_set(struct yolo_diag *d, enum yolo_status s, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Prepends "what: " to d->msg (e.g. the file name), keeping the status. Returns d->status. */
enum yolo_status yolo_diag_prefix(struct yolo_diag *d, const char *what);

#endif
