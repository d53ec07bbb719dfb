/* onnx_writer.h: a tiny ONNX model writer for tests (optimizer passes, bad input, import).
 *
 *   struct onnx_writer *w = onnx_writer_create(13);
 *   int64_t xd[4] = { 1, 3, -1, -1 };             // -1: symbolic size ("d2", "d3")
 *   onnx_writer_input(w, "x", YOLO_DT_F32, 4, xd);
 *   onnx_writer_initializer_f32(w, "W", 4, wd, wdata);
 *   const char *in[] = { "x", "W" }, *out[] = { "y" };
 *   onnx_writer_node(w, "Conv", "conv1", 2, in, 1, out);
 *   onnx_writer_attr_ints(w, "kernel_shape", 2, (int64_t[]){ 3, 3 });   // on the last node
 *   onnx_writer_output(w, "y", YOLO_DT_F32);
 *   onnx_writer_metadata(w, "stride", "32");
 *   if (onnx_writer_save(w, "/tmp/m.onnx")) ...     // or onnx_writer_pack(w, &buf, &len)
 *   onnx_writer_free(w);
 *
 * Errors are sticky: a failed call (out of memory, attribute with no node) makes every
 * later call and save/pack fail, so a test can check only the final result. The writer does
 * not validate the model: tests use it to write broken models on purpose.
 */
#ifndef YOLO_TEST_ONNX_WRITER_H
#define YOLO_TEST_ONNX_WRITER_H

#include <stddef.h>
#include <stdint.h>

#include "onnx.pb-c.h"
#include "yolo_core.h"

struct onnx_writer;

/* How initializer values are stored: in raw_data, or in the typed field of their type
 * (float_data, int32_data for INT32/FLOAT16/BOOL/UINT8/INT8, int64_data, double_data). */
enum onnx_writer_enc { ONNX_WRITER_RAW = 0, ONNX_WRITER_TYPED = 1 };

/* A model with ir_version 8, producer "yolo-tests" and the default domain at `opset`.
 * NULL when out of memory. */
struct onnx_writer *onnx_writer_create(int64_t opset);
void onnx_writer_free(struct onnx_writer *w);          /* accepts NULL */

/* Graph input with dims (a negative dim is written as a dim_param, i.e. symbolic);
 * ndim < 0 writes no shape at all. */
int onnx_writer_input(struct onnx_writer *w, const char *name, enum yolo_dtype dt,
                      int32_t ndim, const int64_t *dims);
/* Graph output with an element type and no shape. */
int onnx_writer_output(struct onnx_writer *w, const char *name, enum yolo_dtype dt);

/* Initializer of dtype dt (an ONNX TensorProto.DataType number: yolo dtypes use them).
 * data holds numel values in the C type of dt: float, uint16_t bits for F16, int32_t,
 * int64_t, uint8_t (U8, BOOL), int8_t, double. n_bytes is the size of data in RAW mode (so a
 * test can store too little or too much); in TYPED mode it is ignored and numel values are
 * read. numel is the product of dims (1 for ndim 0). */
int onnx_writer_initializer(struct onnx_writer *w, const char *name, enum yolo_dtype dt,
                            int32_t ndim, const int64_t *dims, const void *data, size_t n_bytes,
                            enum onnx_writer_enc enc);
int onnx_writer_initializer_f32(struct onnx_writer *w, const char *name, int32_t ndim,
                                const int64_t *dims, const float *data);      /* raw_data */
int onnx_writer_initializer_i64(struct onnx_writer *w, const char *name, int32_t ndim,
                                const int64_t *dims, const int64_t *data);    /* raw_data */

/* Appends a node (domain "" unless onnx_writer_node_domain is called next). An input name
 * "" marks an absent optional input. */
int onnx_writer_node(struct onnx_writer *w, const char *op_type, const char *name,
                     int32_t n_in, const char *const *inputs, int32_t n_out,
                     const char *const *outputs);
int onnx_writer_node_domain(struct onnx_writer *w, const char *domain);

/* Attributes of the last node added. */
int onnx_writer_attr_int(struct onnx_writer *w, const char *name, int64_t v);
int onnx_writer_attr_float(struct onnx_writer *w, const char *name, float v);
int onnx_writer_attr_string(struct onnx_writer *w, const char *name, const char *v);
int onnx_writer_attr_ints(struct onnx_writer *w, const char *name, int32_t n, const int64_t *v);
int onnx_writer_attr_floats(struct onnx_writer *w, const char *name, int32_t n, const float *v);
/* TENSOR attribute (e.g. Constant's value), values as in onnx_writer_initializer, raw_data. */
int onnx_writer_attr_tensor(struct onnx_writer *w, const char *name, enum yolo_dtype dt,
                            int32_t ndim, const int64_t *dims, const void *data);

int onnx_writer_metadata(struct onnx_writer *w, const char *key, const char *value);

/* The model being built, to set fields the helpers do not cover (tests of odd files).
 * Anything assigned to it must be malloc'd: onnx_writer_free frees the whole message tree.
 * Do not change the counts of repeated fields the writer appends to. */
Onnx__ModelProto *onnx_writer_model(struct onnx_writer *w);
/* The last initializer / node added (NULL if none), for the same purpose. */
Onnx__TensorProto *onnx_writer_last_initializer(struct onnx_writer *w);
Onnx__NodeProto *onnx_writer_last_node(struct onnx_writer *w);

/* Serializes the model into a malloc'd buffer (*buf, caller frees). Returns 0 or -1. */
int onnx_writer_pack(struct onnx_writer *w, uint8_t **buf, size_t *len);
/* Writes the serialized model to path. Returns 0 or -1. */
int onnx_writer_save(struct onnx_writer *w, const char *path);

#endif
