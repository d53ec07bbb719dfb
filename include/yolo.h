/* yolo.h: the one public header of the yolo library.
 *
 *
 * Every function of the library that can fail returns an enum yolo_status (YOLO_OK = 0,
 * errors are negative) and, when the caller passes a struct yolo_diag, writes a one-line
 * message there: the file first, then the object (node, section, image), then the problem.
 * The diagnostic is caller-owned; the library keeps no global error state.
 */
#ifndef YOLO_H
#define YOLO_H

#ifdef __cplusplus
extern "C" {
#endif

enum yolo_status {
    YOLO_OK              =  0,
    YOLO_ERR_ARG         = -1, /* bad argument from the caller (usage error in the CLI) */
    YOLO_ERR_NOMEM       = -2, /* an allocation failed */
    YOLO_ERR_IO          = -3, /* open/read/write/rename failed */
    YOLO_ERR_FORMAT      = -4, /* malformed or truncated file, corrupt data */
    YOLO_ERR_VERSION     = -5, /* engine of another major version: rebuild it */
    YOLO_ERR_UNSUPPORTED = -6, /* valid input this build cannot handle (op, attribute, size) */
    YOLO_ERR_INTERNAL    = -7  /* a bug: an invariant did not hold */
};

#define YOLO_DIAG_MSG_BYTES 512

struct yolo_diag {
    enum yolo_status status;
    char             msg[YOLO_DIAG_MSG_BYTES];
};

/* A short fixed name for a status ("out of memory", "format error", ...). Never NULL. */
const char *yolo_status_str(enum yolo_status s);

#ifdef __cplusplus
}
#endif
#endif
