/* tiny_model.c: see tiny_model.h. */
#include <stdlib.h>

#include "harness.h"
#include "onnx_writer.h"
#include "tiny_model.h"

static void fill(uint64_t *s, float *p, size_t n, float lo, float hi)
{
    for (size_t i = 0; i < n; i++)
        p[i] = harness_randf(s, lo, hi);
}

static struct onnx_writer *tiny_model_make(const struct tiny_model_opts *o)
{
    uint64_t s = o->seed ? o->seed : 7;
    float w1[8 * 3 * 3 * 3], b1[8], sc[8], bb[8], mu[8], var[8], w2[6 * 8 * 2 * 2], b2[6];
    float k[4] = { (float)o->size, (float)o->size, (float)o->size * 0.5f, (float)o->size * 0.5f };
    fill(&s, w1, sizeof w1 / sizeof *w1, -0.6f, 0.6f);
    fill(&s, b1, 8, -0.2f, 0.2f);
    fill(&s, sc, 8, 0.5f, 1.5f);
    fill(&s, bb, 8, -0.3f, 0.3f);
    fill(&s, mu, 8, -0.2f, 0.2f);
    fill(&s, var, 8, 0.5f, 2.0f);
    fill(&s, w2, sizeof w2 / sizeof *w2, -0.5f, 0.5f);
    fill(&s, b2, 6, -1.0f, 0.5f);
    int64_t xd[4] = { o->batch, 3, o->size, o->size }, w1d[4] = { 8, 3, 3, 3 }, cd[1] = { 8 };
    int64_t w2d[4] = { 6, 8, 2, 2 }, b2d[1] = { 6 }, kd[3] = { 1, 4, 1 }, sd[1] = { 3 };
    int64_t shape[3] = { 0, 6, -1 }, split[2] = { 4, 2 }, spd[1] = { 2 };
    struct onnx_writer *w = onnx_writer_create(17);
    if (!w)
        return NULL;
    onnx_writer_input(w, "images", YOLO_DT_F32, 4, xd);
    onnx_writer_output(w, "output0", YOLO_DT_F32);
    onnx_writer_initializer_f32(w, "w1", 4, w1d, w1);
    onnx_writer_initializer_f32(w, "b1", 1, cd, b1);
    onnx_writer_initializer_f32(w, "bn.scale", 1, cd, sc);
    onnx_writer_initializer_f32(w, "bn.bias", 1, cd, bb);
    onnx_writer_initializer_f32(w, "bn.mean", 1, cd, mu);
    onnx_writer_initializer_f32(w, "bn.var", 1, cd, var);
    onnx_writer_initializer_f32(w, "w2", 4, w2d, w2);
    onnx_writer_initializer_f32(w, "b2", 1, b2d, b2);
    onnx_writer_initializer_f32(w, "k", 3, kd, k);
    onnx_writer_initializer_i64(w, "shape", 1, sd, shape);
    onnx_writer_initializer_i64(w, "split", 1, spd, split);

    onnx_writer_node(w, "Conv", "/conv1", 3, (const char *[]){ "images", "w1", "b1" }, 1,
                     (const char *[]){ "c1" });
    onnx_writer_attr_ints(w, "kernel_shape", 2, (int64_t[]){ 3, 3 });
    onnx_writer_attr_ints(w, "strides", 2, (int64_t[]){ 2, 2 });
    onnx_writer_attr_ints(w, "pads", 4, (int64_t[]){ 1, 1, 1, 1 });
    onnx_writer_node(w, "BatchNormalization", "/bn", 5,
                     (const char *[]){ "c1", "bn.scale", "bn.bias", "bn.mean", "bn.var" }, 1,
                     (const char *[]){ "n1" });
    onnx_writer_attr_float(w, "epsilon", 1e-3f);
    onnx_writer_node(w, "Sigmoid", "/act/sig", 1, (const char *[]){ "n1" }, 1,
                     (const char *[]){ "g1" });
    onnx_writer_node(w, "Mul", "/act/mul", 2, (const char *[]){ "n1", "g1" }, 1,
                     (const char *[]){ "a1" });
    onnx_writer_node(w, "MaxPool", "/pool", 1, (const char *[]){ "a1" }, 1, (const char *[]){ "p1" });
    onnx_writer_attr_ints(w, "kernel_shape", 2, (int64_t[]){ 2, 2 });
    onnx_writer_attr_ints(w, "strides", 2, (int64_t[]){ 2, 2 });
    onnx_writer_node(w, "Conv", "/head", 3, (const char *[]){ "p1", "w2", "b2" }, 1,
                     (const char *[]){ "c2" });
    onnx_writer_attr_ints(w, "kernel_shape", 2, (int64_t[]){ 2, 2 });
    onnx_writer_attr_ints(w, "strides", 2, (int64_t[]){ 2, 2 });
    onnx_writer_node(w, "Sigmoid", "/head/sig", 1, (const char *[]){ "c2" }, 1,
                     (const char *[]){ "s2" });
    onnx_writer_node(w, "Reshape", "/reshape", 2, (const char *[]){ "s2", "shape" }, 1,
                     (const char *[]){ "r" });
    onnx_writer_node(w, "Split", "/split", 2, (const char *[]){ "r", "split" }, 2,
                     (const char *[]){ "box", "cls" });
    onnx_writer_attr_int(w, "axis", 1);
    onnx_writer_node(w, "Mul", "/scale", 2, (const char *[]){ "box", "k" }, 1,
                     (const char *[]){ "xywh" });
    onnx_writer_node(w, "Concat", "/concat", 2, (const char *[]){ "xywh", "cls" }, 1,
                     (const char *[]){ "output0" });
    onnx_writer_attr_int(w, "axis", 1);
    onnx_writer_metadata(w, "names", "{0: 'dot', 1: 'blob'}");
    onnx_writer_metadata(w, "stride", "8");
    return w;
}

int tiny_model_write(const char *path, const struct tiny_model_opts *o)
{
    struct onnx_writer *w = tiny_model_make(o);
    int rc = w ? onnx_writer_save(w, path) : -1;
    onnx_writer_free(w);
    return rc;
}

int tiny_model_pack(const struct tiny_model_opts *o, uint8_t **buf, size_t *len)
{
    struct onnx_writer *w = tiny_model_make(o);
    int rc = w ? onnx_writer_pack(w, buf, len) : -1;
    onnx_writer_free(w);
    return rc;
}
