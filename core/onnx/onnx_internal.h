/* onnx_internal.h: helpers shared by the files of the ONNX importer (core/onnx/). Not part
 * of the core API: only the files in core/onnx and tests include this. */
#ifndef YOLO_ONNX_INTERNAL_H
#define YOLO_ONNX_INTERNAL_H

#include <stdint.h>

#include "onnx.pb-c.h"
#include "yolo_core.h"

/* ------------------------------------------------------------------ name -> tensor map
 * Open addressing with linear probing, sized once for every name the model can define,
 * so import stays linear in the model size (a list scan per lookup is quadratic and takes
 * minutes on 100k-node models). Keys are borrowed: they point into the unpacked protobuf
 * message, which outlives the map, so full names are compared (the graph keeps only the
 * first YOLO_NAME_MAX - 1 bytes). */
struct yolo_onnx_name_slot { const char *key; uint64_t hash; int32_t value; };
struct yolo_onnx_names {
    struct yolo_onnx_name_slot *slots;
    uint64_t mask;                    /* capacity - 1, capacity a power of two */
    int64_t  n, max_n;
};
/* Sizes the map for up to max_n names. Returns 0, or -1 when out of memory. */
int     yolo_onnx_names_init(struct yolo_onnx_names *m, int64_t max_n);
void    yolo_onnx_names_free(struct yolo_onnx_names *m);
/* Tensor index stored for key, or -1. */
int32_t yolo_onnx_names_get(const struct yolo_onnx_names *m, const char *key);
/* Adds key -> value. Returns 0, 1 if key is already present (nothing changed), or -1 if the
 * map is full (more than max_n names: a caller bug). */
int     yolo_onnx_names_put(struct yolo_onnx_names *m, const char *key, int32_t value);

/* ------------------------------------------------------------------ reading, parsing */
/* Reads the whole file at path into a malloc'd buffer (*buf, caller frees). Refuses files
 * over 2 GiB before reading them. Messages do not name the file. */
int  yolo_onnx_read_file(const char *path, uint8_t **buf, size_t *len, struct yolo_diag *d);
/* Unpacks len bytes into *m (free with yolo_onnx_model_free) and checks it is an ONNX model:
 * it has a graph, and an IR version or an operator set. The parse may use at most a fixed
 * multiple of len in memory. A failure says why: empty, truncated (with the byte offset),
 * not an ONNX model, too big. */
int  yolo_onnx_parse(const uint8_t *buf, size_t len, Onnx__ModelProto **m, struct yolo_diag *d);
void yolo_onnx_model_free(Onnx__ModelProto *m);     /* accepts NULL */

/* ------------------------------------------------------------------ tensors */
/* IEEE 754 binary16 bits to float: exact for every value, subnormals, +-0, +-inf and NaN
 * included. */
float yolo_onnx_f16_to_f32(uint16_t h);

/* The yolo dtype for an ONNX TensorProto.DataType value, YOLO_DT_UNDEF if the runtime has no
 * such dtype (STRING, INT16, UINT16, UINT32, UINT64, BFLOAT16, complex, unknown numbers). */
enum yolo_dtype yolo_onnx_dtype(int32_t onnx_type);
/* "FLOAT16", "STRING", ... for messages; "unknown" for numbers the spec does not define. */
const char *yolo_onnx_dtype_name(int32_t onnx_type);

/* Adds the TensorProto tp to g as a CONST tensor named `name` (the graph truncates it), with
 * its data converted to the runtime dtype (DOUBLE and FLOAT16 become F32, BOOL 0/1 bytes).
 * Every size is checked against the data actually present before anything is allocated.
 * On success *out is the new tensor's index. On failure d says what is wrong with the
 * tensor's contents, without naming it (the caller prefixes "initializer 'W'" etc.). */
int yolo_onnx_tensor_to_const(struct yolo_graph *g, const Onnx__TensorProto *tp,
                              const char *name, int32_t *out, struct yolo_diag *d);

#endif
