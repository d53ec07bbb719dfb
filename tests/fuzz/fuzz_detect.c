/* fuzz_detect.c: runs a loaded model once the way `yolo detect` does, for the targets that
 * get as far as a model (fuzz_onnx, fuzz_engine). */
#include <math.h>
#include <stdlib.h>

#include "detect_internal.h"
#include "fuzz.h"

/* Models whose activations need more are loaded but not run: a fuzzer's input is small and
 * a run should take milliseconds. */
#define FUZZ_MAX_ARENA_BYTES ((uint64_t)16 << 20)

int fuzz_detect_model(struct yolo_model *m);

int fuzz_detect_model(struct yolo_model *m)
{
    const struct yolo_graph *g = yolo_net_graph(m->net);
    if (g->arena_bytes > FUZZ_MAX_ARENA_BYTES || g->consts_bytes > FUZZ_MAX_ARENA_BYTES)
        return YOLO_OK;
    struct yolo_ctx_params cp;
    yolo_ctx_params_default(&cp);
    cp.conf = 0.01f;
    cp.max_det = 50;
    struct yolo_ctx *c = NULL;
    struct yolo_diag d = { 0 };
    int rc = yolo_ctx_create(m, &cp, &c, &d);
    if (rc) {
        if (!d.msg[0])
            fuzz_fail("yolo_ctx_create failed (%d) without a message", rc);
        return rc;
    }
    /* One detection per model (each costs a whole graph run: most of an input's time): a
     * wide image for some models and a tall one for others, picked by the graph's size, so
     * both letterbox directions run across the corpus. */
    static const int32_t sizes[2][2] = { { 37, 23 }, { 16, 45 } };
    int first = (int)(((uint32_t)g->n_nodes + (uint32_t)g->n_tensors) & 1u);
    for (int k = first; k < first + 1 && !rc; k++) {
        int32_t w = sizes[k][0], h = sizes[k][1];
        uint8_t *px = malloc((size_t)w * (size_t)h * 3);
        if (!px)
            break;
        for (int32_t i = 0; i < w * h * 3; i++)
            px[i] = (uint8_t)(i * 7 + k);
        struct yolo_image im = { px, w, h, 3 * w, YOLO_PIXEL_BGR };
        struct yolo_result r;
        rc = yolo_detect(c, &im, &r, &d);
        if (rc && !d.msg[0])
            fuzz_fail("yolo_detect failed (%d) without a message", rc);
        for (int32_t i = 0; !rc && i < r.n_dets; i++)
            if (r.dets[i].cls < 0 || r.dets[i].cls >= m->n_classes || !r.dets[i].name ||
                !(r.dets[i].conf > cp.conf))
                fuzz_fail("detection %d: class %d of %d, conf %g", i, r.dets[i].cls,
                          m->n_classes, r.dets[i].conf);
        if (!rc && r.n_dets > cp.max_det)
            fuzz_fail("%d detections, max_det %d", r.n_dets, cp.max_det);
        free(px);
    }
    yolo_ctx_free(c);
    return rc;
}
