/* onnx_import.h: reads an ONNX model into a struct yolo_graph.
 *
 *   struct yolo_graph g;
 *   struct yolo_onnx_info info;
 *   struct yolo_diag d;
 *   yolo_graph_init(&g);
 *   if (yolo_onnx_import_file("yolov8n.onnx", &g, &info, NULL, &d) != YOLO_OK)
 *       fprintf(stderr, "%s\n", d.msg);     // "yolov8n.onnx: node '/m/Foo' (Foo): unsupported op"
 *   ...                                      // g: tensors, nodes (topologically sorted), consts
 *   yolo_onnx_info_release(&info);
 *   yolo_graph_release(&g);
 *
 * What the graph holds after a successful import:
 * - initializers (and TENSOR attributes) as YOLO_TF_CONST tensors with their bytes in the
 *   const blob; DOUBLE and FLOAT16 data are widened/narrowed to float32, BOOL is 0/1 bytes;
 * - graph inputs that are not initializers as YOLO_TF_INPUT tensors, in file order in
 *   g->inputs, with the file's dtype and shape (a symbolic or missing size is -1: chosen when
 *   the engine is built; an input without any shape has ndim -1);
 * - one tensor per node output (ndim -1, YOLO_DT_UNDEF until shape inference), and graph
 *   outputs flagged YOLO_TF_OUTPUT, in file order in g->outputs, with the file's dtype;
 * - one node per NodeProto, op from yolo_op_from_onnx, params filled by the op's import_fn.
 *   An input named "" (absent optional input) is -1; trailing absent inputs and outputs are
 *   dropped, as the ONNX spec allows either spelling.
 * Tensor names longer than YOLO_NAME_MAX - 1 bytes are truncated in the graph (name lookup
 * during import uses the full name). A TENSOR attribute becomes a const tensor named
 * "<node name>:<attribute name>".
 *
 * Not supported (a clear YOLO_ERR_UNSUPPORTED): ops outside ops.def or outside the default
 * domain, tensors stored in external data files, STRING/INT16/UINT16/UINT32/UINT64/BFLOAT16/
 * complex initializers, more than YOLO_MAX_IO graph inputs or outputs, ranks above
 * YOLO_MAX_DIMS, files over 2 GiB (the protobuf limit).
 *
 * The file is treated as hostile: every count and size is checked before anything is
 * allocated for it, and no byte string makes the importer crash.
 * Attributes an op does not read are reported as warnings through the logger.
 */
#ifndef YOLO_ONNX_IMPORT_H
#define YOLO_ONNX_IMPORT_H

#include <stddef.h>
#include <stdint.h>

#include "yolo_core.h"

/* Model-level facts the graph does not carry. */
struct yolo_onnx_info {
    int64_t ir_version;           /* 0 if the file has none */
    int64_t opset;                /* default-domain ("" / "ai.onnx") operator set version */
    char    producer[64];         /* producer_name, truncated, "" if none */
    struct yolo_kv *props;        /* metadata_props in file order (malloc'd copies) */
    int32_t n_props;
};

/* Reads the ONNX file at `path` into g, which the caller has set up with yolo_graph_init
 * (normally empty). info (may be NULL) is overwritten: anything it held before is not freed.
 * lg (may be NULL) receives warnings, e.g. ignored attributes.
 * Returns YOLO_OK, or a status with d (may be NULL) holding one line that starts with path,
 * e.g. "x.onnx: cannot open: No such file or directory". On failure g and info still have to
 * be released by the caller (yolo_graph_release, yolo_onnx_info_release), as on success.
 * All pointers are borrowed. Thread-safe for distinct g/info/d. */
int  yolo_onnx_import_file(const char *path, struct yolo_graph *g, struct yolo_onnx_info *info,
                           const struct yolo_logger *lg, struct yolo_diag *d);

/* Same, from the len bytes of a serialized ModelProto at buf (borrowed; not needed after
 * the call). path_for_msgs names the model in messages (NULL: "<buffer>"). */
int  yolo_onnx_import_buffer(const uint8_t *buf, size_t len, const char *path_for_msgs,
                             struct yolo_graph *g, struct yolo_onnx_info *info,
                             const struct yolo_logger *lg, struct yolo_diag *d);

/* Frees info's metadata copies and zeroes it. Accepts NULL and a zeroed info. */
void yolo_onnx_info_release(struct yolo_onnx_info *info);

/* Value of metadata key `key` in info, or NULL. Borrowed from info. */
const char *yolo_onnx_info_get(const struct yolo_onnx_info *info, const char *key);

#endif
