/* fuzz_engine.c: the bytes as an engine file through yolo_model_load (header, section
 * table, CRCs, every section decoder, graph check, model metadata), then a context and a
 * detection. A mutation almost always breaks a CRC, which would stop the loader at the
 * table, so each input is loaded twice: as is, and with file_bytes and every in-bounds
 * section's CRC recomputed (the way the writer computes them), to reach the decoders.
 * The file is read into the heap (YOLO_ENGINE_NO_MMAP), not mapped as `yolo detect` does:
 * ASan then reports a read past the end of the file's bytes, which a mapping hides up to
 * the page end, and an input costs no munmap, whose TLB flush was a third of the time here.
 * What the read-only mapping caught, a write into the weights, is checked after the run. */
#include <stdlib.h>
#include <string.h>

#include "detect_internal.h"
#include "engine.h"
#include "fuzz.h"
#include "yolo.h"

int fuzz_detect_model(struct yolo_model *m);

static uint64_t fuzz_le(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static void fuzz_put_le(uint8_t *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* Rewrites file_bytes and the CRC of every section that lies inside the buffer. Returns 1
 * if anything changed. */
static int fuzz_fix_engine(uint8_t *p, size_t n)
{
    if (n < YOLO_ENGINE_HEADER_FIXED || memcmp(p, YOLO_ENGINE_MAGIC, 8) != 0)
        return 0;
    int changed = fuzz_le(p + 24, 8) != n;
    fuzz_put_le(p + 24, n, 8);
    uint64_t ns = fuzz_le(p + 20, 4);
    for (uint64_t i = 0; i < ns && i < YOLO_ENGINE_MAX_SECTIONS; i++) {
        uint64_t e = YOLO_ENGINE_HEADER_FIXED + i * YOLO_ENGINE_ENTRY_BYTES;
        if (e + YOLO_ENGINE_ENTRY_BYTES > n)
            break;
        uint64_t off = fuzz_le(p + e + 8, 8), bytes = fuzz_le(p + e + 16, 8);
        if (off > n || bytes > n - off)
            continue;
        uint32_t crc = yolo_crc32(yolo_crc32(0, p + e, 8), p + off, (size_t)bytes);
        changed |= crc != fuzz_le(p + e + 24, 4);
        fuzz_put_le(p + e + 24, crc, 4);
    }
    return changed;
}

static int fuzz_engine_once(const char *path, const uint8_t *data, size_t size)
{
    if (fuzz_write(path, data, size))
        fuzz_fail("cannot write the scratch file");
    struct yolo_model *m = NULL;
    struct yolo_diag d = { 0 };
    int rc = yolo_model_load_flags(path, NULL, YOLO_ENGINE_NO_MMAP, &m, &d);
    if (rc) {
        if (!d.msg[0])
            fuzz_fail("yolo_model_load failed (%d) without a message", rc);
        if (m)
            fuzz_fail("yolo_model_load failed but returned a model");
        return rc;
    }
    struct yolo_model_info info;
    yolo_model_get_info(m, &info);
    if (info.n_classes < 1 || !info.class_names || info.input_w < 1 || info.input_h < 1 ||
        info.max_batch < 1)
        fuzz_fail("loaded model: %d classes, input %dx%d, batch %d", info.n_classes,
                  info.input_w, info.input_h, info.max_batch);
    for (int32_t i = 0; i < info.n_classes; i++)
        if (!info.class_names[i])
            fuzz_fail("loaded model: class %d has no name", i);
    fuzz_detect_model(m);
    const struct yolo_engine *e = yolo_net_engine(m->net);
    if (e->mapped || e->map_bytes != size || (size && memcmp(e->map, data, size) != 0))
        fuzz_fail("the engine's bytes changed while it was loaded and run (a write into "
                  "its weights or tables)");
    yolo_model_free(m);
    return rc;
}

int fuzz_engine(const uint8_t *data, size_t size)
{
    const char *path = fuzz_path("model.engine");
    if (!path)
        fuzz_fail("no scratch directory");
    int rc = fuzz_engine_once(path, data, size);
    uint8_t *fixed = malloc(size ? size : 1);
    if (!fixed)
        return rc;
    memcpy(fixed, data, size);
    if (fuzz_fix_engine(fixed, size))
        fuzz_engine_once(path, fixed, size);
    free(fixed);
    return rc;
}

#ifdef YOLO_LIBFUZZER
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_engine(data, size);
    return 0;
}
#endif
