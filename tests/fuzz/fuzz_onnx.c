/* fuzz_onnx.c: the bytes as an ONNX model through yolo_build (import, shape inference and
 * constant folding, passes, planner, format detection, engine writer). An engine it writes
 * must load back, and is then run once. It loads through the public yolo_model_load, mapped
 * read-only as `yolo detect` maps it (fuzz_engine reads into the heap instead): a kernel
 * that writes into the weights of a fuzzed graph faults here. */
#include <unistd.h>

#include "fuzz.h"
#include "yolo.h"

int fuzz_detect_model(struct yolo_model *m);

int fuzz_onnx(const uint8_t *data, size_t size)
{
    const char *onnx = fuzz_path("model.onnx"), *engine = fuzz_path("model.engine");
    if (!onnx || !engine || fuzz_write(onnx, data, size))
        fuzz_fail("cannot write the scratch file");
    struct yolo_build_params bp;
    yolo_build_params_default(&bp);
    struct yolo_diag d = { 0 };
    int rc = yolo_build(onnx, engine, &bp, NULL, &d);
    if (rc) {
        if (!d.msg[0])
            fuzz_fail("yolo_build failed (%d) without a message", rc);
        if (access(engine, F_OK) == 0)
            fuzz_fail("yolo_build failed (%s) but left %s", d.msg, engine);
        return rc;
    }
    struct yolo_model *m = NULL;
    int lrc = yolo_model_load(engine, NULL, &m, &d);
    if (lrc)
        fuzz_fail("yolo_build wrote an engine that does not load: %s", d.msg);
    fuzz_detect_model(m);
    yolo_model_free(m);
    unlink(engine);
    return rc;
}

#ifdef YOLO_LIBFUZZER
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_onnx(data, size);
    return 0;
}
#endif
