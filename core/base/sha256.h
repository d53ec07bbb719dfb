/* sha256.h: SHA-256 (FIPS 180-4), used to record which ONNX file an engine was built from
 * (META "onnx.sha256"). Not for anything secret: no constant-time claims. */
#ifndef YOLO_SHA256_H
#define YOLO_SHA256_H

#include "status.h"

#define YOLO_SHA256_BYTES 32

struct yolo_sha256 {          /* streaming state; init, update any number of times, final */
    uint32_t h[8];
    uint64_t n_bytes;         /* message bytes so far */
    uint8_t  block[64];
    uint32_t used;            /* bytes waiting in block */
};

void yolo_sha256_init(struct yolo_sha256 *s);
void yolo_sha256_update(struct yolo_sha256 *s, const void *data, size_t len);
void yolo_sha256_final(struct yolo_sha256 *s, uint8_t out[YOLO_SHA256_BYTES]);
/* One call: the digest of len bytes at data. */
void yolo_sha256(const void *data, size_t len, uint8_t out[YOLO_SHA256_BYTES]);
/* Lower-case hex, NUL-terminated: out holds 65 bytes. */
void yolo_sha256_hex(const uint8_t digest[YOLO_SHA256_BYTES], char out[2 * YOLO_SHA256_BYTES + 1]);
/* The hex digest of the file at path (read in chunks, any size). 0, or YOLO_ERR_IO with d
 * naming the path and the system's reason. */
int yolo_sha256_file(const char *path, char hex[2 * YOLO_SHA256_BYTES + 1], struct yolo_diag *d);

#endif
