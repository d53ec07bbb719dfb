/* tiny_model.h: a small synthetic YOLOv8-style detector written as ONNX with onnx_writer,
 * for tests that need a whole detection model but not a real one's run time (fault
 * injection, the soak test, the fuzz seed corpus):
 *
 *   images [B, 3, S, S] -> Conv 3x3 s2 (8 ch) -> BatchNormalization -> x * Sigmoid(x)
 *   -> MaxPool 2x2 s2 -> Conv 2x2 s2 (6 ch) -> Sigmoid -> Reshape [0, 6, -1]
 *   -> Split [4, 2] -> Mul (boxes by S) -> Concat -> output0 [B, 4 + 2, (S / 8)^2]
 *
 * i.e. cx, cy, w, h in input pixels and 2 class scores per anchor, with 'names' and
 * 'stride' metadata: yolo_build makes it a v8 engine with 2 classes, folding the batch
 * norm and fusing the SiLU on the way. Weights are random from a fixed seed, chosen so a
 * detection at conf 0.25 finds boxes in most images.
 *
 *   struct tiny_model_opts o = { 64, 1, 7 };
 *   if (tiny_model_write("/tmp/t.onnx", &o)) ...      // or tiny_model_pack(&o, &buf, &len)
 */
#ifndef YOLO_TEST_TINY_MODEL_H
#define YOLO_TEST_TINY_MODEL_H

#include <stddef.h>
#include <stdint.h>

struct tiny_model_opts {
    int32_t  size;    /* input S x S, a multiple of 8 */
    int32_t  batch;   /* fixed batch, or -1 for a symbolic one */
    uint64_t seed;    /* weights */
};

/* 0, or -1 (out of memory, cannot write). */
int tiny_model_write(const char *path, const struct tiny_model_opts *o);
/* The serialized model in a malloc'd buffer (the caller frees *buf). 0 or -1. */
int tiny_model_pack(const struct tiny_model_opts *o, uint8_t **buf, size_t *len);

#endif
