/* test_cuda_nms.c: the GPU postprocess (detect/cuda/decode_cuda.cu + nms_cuda.cu, through
 * post_cuda.c, then yolo_postprocess_kept) against the CPU's yolo_postprocess on the same raw
 * outputs: the same detections to the last bit (a NaN coordinate may be another NaN), the same
 * count of invalid end-to-end rows.
 * The outputs are made to be hard: clustered boxes that overlap heavily, scores on a coarse
 * grid (many exact ties, ordered by anchor), NaN and infinite boxes and scores, end-to-end
 * classes out of range; V8, V5 and end-to-end layouts; conf 0.001 (thousands of candidates,
 * many NMS chunks, the max_det cap), 0.25 and 0.6; iou 0.45, 0.7, 1; max_det 1, 7, 300, 700;
 * agnostic; a classes filter; max_nms 50; batches of 1 and 3 images on a batch-4 buffer.
 * Needs a build with CUDA=1 and a GPU; elsewhere it says so and passes, unless
 * YOLO_TEST_REQUIRE_CUDA=1 (make test-cuda), where a missing GPU fails. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "postprocess.h"
#include "yolo.h"

#ifdef YOLO_CUDA
#include <cuda_runtime_api.h>

#include "cuda/post_cuda.h"

static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}
static float unif(uint64_t *s) { return (float)(rng_next(s) >> 40) / (float)(1 << 24); }

/* A score on a grid of 1/64 (ties), sometimes NaN. */
static float score(uint64_t *s, int nan_ok)
{
    if (nan_ok && rng_next(s) % 997 == 0)
        return NAN;
    float u = unif(s);
    return floorf(u * u * u * 64.0f) / 64.0f;   /* mostly low, a few high */
}

/* One image's raw output [dim1, dim2] of layout L with nc classes and A anchors/rows. */
static void fill(float *y, enum yolo_out_layout L, int64_t A, int64_t nc, uint64_t *s)
{
    float cx0[12], cy0[12];
    for (int k = 0; k < 12; k++) {
        cx0[k] = unif(s) * 640.0f;
        cy0[k] = unif(s) * 640.0f;
    }
    for (int64_t a = 0; a < A; a++) {
        int k = (int)(rng_next(s) % 12);   /* clustered: many overlaps */
        float cx = cx0[k] + (unif(s) - 0.5f) * 40.0f, cy = cy0[k] + (unif(s) - 0.5f) * 40.0f;
        float w = 20.0f + unif(s) * 200.0f, h = 20.0f + unif(s) * 200.0f;
        uint64_t odd = rng_next(s) % 1500;
        if (odd == 0)
            cx = NAN;
        else if (odd == 1)
            w = INFINITY;
        if (L == YOLO_LAYOUT_V8) {
            float box[4] = { cx, cy, w, h };
            for (int r = 0; r < 4; r++)
                y[r * A + a] = box[r];
            for (int64_t c = 0; c < nc; c++)
                y[(4 + c) * A + a] = score(s, 1);
        } else if (L == YOLO_LAYOUT_V5) {
            float *r = y + a * (5 + nc);
            r[0] = cx;
            r[1] = cy;
            r[2] = w;
            r[3] = h;
            r[4] = rng_next(s) % 3 ? 0.3f + 0.7f * unif(s) : unif(s) * 0.2f;
            for (int64_t c = 0; c < nc; c++)
                r[5 + c] = score(s, 1);
        } else {
            float *r = y + a * 6;
            r[0] = cx - w / 2;
            r[1] = cy - h / 2;
            r[2] = cx + w / 2;
            r[3] = cy + h / 2;
            r[4] = score(s, 1);
            uint64_t c = rng_next(s) % 200;
            r[5] = c < 190 ? (float)(c % nc) : c < 193 ? -1.0f : c < 196 ? (float)nc
                 : c < 198 ? 1e9f : NAN;
        }
    }
}

/* Bit for bit, except that any NaN equals any NaN: the GPU's arithmetic makes the canonical
 * NaN where the CPU's keeps the operand's payload, and a NaN box is written as null anyway. */
static int same_float(float a, float b)
{
    return (a != a && b != b) || memcmp(&a, &b, sizeof a) == 0;
}

static int same_det(const struct yolo_det *a, const struct yolo_det *b)
{
    return a->cls == b->cls && same_float(a->conf, b->conf) && same_float(a->x1, b->x1) &&
           same_float(a->y1, b->y1) && same_float(a->x2, b->x2) && same_float(a->y2, b->y2);
}

struct pcase { float conf; double iou; int32_t max_det, agnostic, filter, max_nms; };

/* Every image of a batch through both paths; returns the number of mismatching images. */
static int compare(enum yolo_out_layout L, int64_t dim1, int64_t dim2, int64_t nc, int32_t n,
                   const float *host, const float *dev, const struct pcase *pc,
                   struct yolo_workspace *ws, int64_t *n_dets, struct yolo_diag *d)
{
    static const int32_t keep[] = { 0, 2, 5, 9 };
    struct yolo_nms_params np;
    yolo_nms_params_default(&np);
    np.conf = pc->conf;
    np.iou = pc->iou;
    np.max_det = pc->max_det;
    np.agnostic = pc->agnostic;
    np.classes = pc->filter ? keep : NULL;
    np.n_classes = pc->filter ? 4 : 0;
    np.nc = (int32_t)nc;
    np.max_nms = pc->max_nms;
    struct yolo_cuda_post post;
    if (yolo_cuda_post_init(&post, 4, L, dim1, dim2, &np, pc->max_det, NULL, d) ||
        yolo_cuda_post_enqueue(&post, 1, dev, n, NULL, d) || yolo_cuda_post_wait(&post, 1, d)) {
        fprintf(stderr, "  GPU postprocess: %s\n", d->msg);
        yolo_cuda_post_free(&post);
        return n;
    }
    struct yolo_det *cpu = malloc(sizeof *cpu * (size_t)pc->max_det);
    struct yolo_det *kept = malloc(sizeof *kept * (size_t)pc->max_det);
    struct yolo_det *gpu = malloc(sizeof *gpu * (size_t)pc->max_det);
    struct yolo_letterbox_geom g;
    yolo_letterbox_geom_compute(810, 1080, 640, 640, &g, NULL);
    int bad = 0;
    for (int32_t i = 0; i < n; i++) {
        int64_t inv_cpu = 0, inv_gpu = 0;
        np.n_invalid = &inv_cpu;
        struct yolo_raw_output ro = { host + (size_t)i * (size_t)(dim1 * dim2), L, dim1, dim2 };
        int32_t nc_cpu = 0, nk = 0, nc_gpu = 0;
        if (yolo_postprocess(&ro, &np, &g, ws, cpu, pc->max_det, &nc_cpu, d))
            return n;
        yolo_cuda_post_kept(&post, 1, i, kept, &nk, &inv_gpu);
        if (yolo_postprocess_kept(kept, nk, &g, ws, gpu, pc->max_det, &nc_gpu, d))
            return n;
        int same = nc_cpu == nc_gpu && inv_cpu == inv_gpu;
        int32_t k = 0;
        while (same && k < nc_cpu && same_det(&cpu[k], &gpu[k]))
            k++;
        same = same && k == nc_cpu;
        if (!same && k < nc_cpu && k < nc_gpu)
            fprintf(stderr, "  first difference, detection %d: cpu %d %a [%a %a %a %a], gpu %d %a "
                    "[%a %a %a %a]\n", k, cpu[k].cls, cpu[k].conf, cpu[k].x1, cpu[k].y1, cpu[k].x2,
                    cpu[k].y2, gpu[k].cls, gpu[k].conf, gpu[k].x1, gpu[k].y1, gpu[k].x2, gpu[k].y2);
        if (!same) {
            fprintf(stderr, "  layout %d image %d conf %g iou %g max_det %d agn %d filter %d "
                    "max_nms %d: cpu %d dets (%lld invalid), gpu %d (%lld)\n", (int)L, i,
                    pc->conf, pc->iou, pc->max_det, pc->agnostic, pc->filter, pc->max_nms,
                    nc_cpu, (long long)inv_cpu, nc_gpu, (long long)inv_gpu);
            bad++;
        }
        *n_dets += nc_cpu;
    }
    free(cpu);
    free(kept);
    free(gpu);
    yolo_cuda_post_free(&post);
    return bad;
}

int main(void)
{
    HARNESS_INIT(h, "test_cuda_nms");
    int n_dev = 0;
    if (cudaGetDeviceCount(&n_dev) != cudaSuccess || n_dev == 0) {
        const char *req = getenv("YOLO_TEST_REQUIRE_CUDA");
        printf("test_cuda_nms: no CUDA device here: skipped (the GPU run is make test-cuda)\n");
        CHECK(&h, !(req && strcmp(req, "1") == 0), "YOLO_TEST_REQUIRE_CUDA=1 but no CUDA device");
        return harness_finish(&h);
    }
    static const struct pcase cases[] = {
        { 0.25f, 0.7, 300, 0, 0, 0 },  { 0.001f, 0.7, 300, 0, 0, 0 }, { 0.001f, 0.45, 700, 0, 0, 0 },
        { 0.6f, 0.7, 300, 0, 0, 0 },   { 0.25f, 1.0, 300, 0, 0, 0 },   { 0.25f, 0.45, 7, 0, 0, 0 },
        { 0.001f, 0.7, 1, 0, 0, 0 },   { 0.25f, 0.7, 300, 1, 0, 0 },   { 0.001f, 0.6, 300, 1, 0, 0 },
        { 0.25f, 0.7, 300, 0, 1, 0 },  { 0.001f, 0.7, 300, 0, 1, 0 },  { 0.25f, 0.7, 300, 0, 0, 50 },
        { 0.001f, 0.7, 700, 1, 1, 50 },
    };
    struct { enum yolo_out_layout L; int64_t A, nc; } shapes[] = {
        { YOLO_LAYOUT_V8, 8400, 80 }, { YOLO_LAYOUT_V8, 37, 3 }, { YOLO_LAYOUT_V5, 25200, 80 },
        { YOLO_LAYOUT_V5, 300, 11 },  { YOLO_LAYOUT_E2E, 300, 80 }, { YOLO_LAYOUT_E2E, 1000, 12 },
    };
    struct yolo_workspace ws = { 0 };
    struct yolo_diag d = { 0 };
    uint64_t seed = 0x9e3779b97f4a7c15ull;
    for (size_t si = 0; si < sizeof shapes / sizeof shapes[0]; si++) {
        enum yolo_out_layout L = shapes[si].L;
        int64_t A = shapes[si].A, nc = shapes[si].nc;
        int64_t dim1 = L == YOLO_LAYOUT_V8 ? 4 + nc : A;
        int64_t dim2 = L == YOLO_LAYOUT_V8 ? A : L == YOLO_LAYOUT_V5 ? 5 + nc : 6;
        size_t per = (size_t)(dim1 * dim2), bytes = sizeof(float) * per * 4;
        float *host = malloc(bytes), *dev = NULL;
        for (int i = 0; i < 4; i++)
            fill(host + per * (size_t)i, L, A, nc, &seed);
        if (cudaMalloc((void **)&dev, bytes) != cudaSuccess ||
            cudaMemcpy(dev, host, bytes, cudaMemcpyHostToDevice) != cudaSuccess) {
            CHECK(&h, 0, "device buffers");
            return harness_finish(&h);
        }
        int64_t dets = 0;
        int bad = 0;
        for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++)
            for (int32_t n = 1; n <= 3; n += 2)
                bad += compare(L, dim1, dim2, nc, n, host, dev, &cases[ci], &ws, &dets, &d);
        printf("layout %d, %lld anchors, %lld classes: %lld detections compared, %d images differ\n",
               (int)L, (long long)A, (long long)nc, (long long)dets, bad);
        CHECK(&h, bad == 0, "layout %d A %lld: %d images differ", (int)L, (long long)A, bad);
        CHECK(&h, dets >= 50, "layout %d A %lld: too few detections (%lld) to test anything",
              (int)L, (long long)A, (long long)dets);
        cudaFree(dev);
        free(host);
    }
    yolo_workspace_free(&ws);
    return harness_finish(&h);
}
#else
int main(void)
{
    return harness_without_cuda("test_cuda_nms");
}
#endif
