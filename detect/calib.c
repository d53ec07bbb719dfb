/* calib.c: see calib.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "calib.h"
#include "cv_adapter.h"
#include "net.h"
#include "passes.h"
#include "postprocess.h"

#define CALIB_BINS 2048

struct calib_run {
    struct yolo_graph *g;
    struct yolo_net *net;
    struct yolo_runner *r;
    struct yolo_pool *pool;
    struct yolo_cv_image im;
    struct yolo_workspace ws;
    struct yolo_letterbox_params lb;
};

/* Letterboxes image `path` into every batch slot of the input and runs the graph. */
static int run_image(struct calib_run *c, const char *path, struct yolo_diag *d)
{
    const struct yolo_tensor *in = &c->g->tensors[c->g->inputs[0]];
    int rc = yolo_cv_image_read(path, &c->im, d);
    if (rc)
        return rc;
    float *x = yolo_runner_tensor(c->r, c->g->inputs[0]);
    size_t plane = (size_t)(in->shape[1] * in->shape[2] * in->shape[3]);
    struct yolo_image_view v = { c->im.data, c->im.width, c->im.height, c->im.stride_bytes,
                                 YOLO_PIXFMT_BGR };
    for (int64_t b = 0; b < in->shape[0] && !rc; b++)
        rc = yolo_letterbox(&v, &c->lb, &c->ws, x + plane * (size_t)b, NULL, d);
    if (rc) {
        yolo_diag_prefix(d, path);
        return rc;
    }
    return yolo_runner_run(c->r, d);
}

/* The range [lo', hi'] within [lo, hi] (bin edges) whose uint8 quantization of the
 * histogram's values has the least expected squared error: rounding noise s^2 / 12 for the
 * values inside, (v - edge)^2 for the values clipped (each bin taken at its centre). The
 * upper edge is searched over every 8th bin, the lower over every 8th bin below 0. */
static void mse_range(const uint32_t *h, float *lo, float *hi)
{
    double L = *lo, w = ((double)*hi - L) / CALIB_BINS, best = INFINITY;
    int zero_bin = L < 0 ? (int)(-L / w) : 0;
    if (!(w > 0))
        return;
    int best_a = 0, best_b = CALIB_BINS;
    for (int a = 0; a <= zero_bin; a += 8)
        for (int b = CALIB_BINS; b > a && b >= zero_bin; b -= 8) {
            double elo = L + w * a, ehi = L + w * b;
            double lo2 = elo < 0 ? elo : 0, hi2 = ehi > 0 ? ehi : 0;
            double s = (hi2 - lo2) / 255.0, err = 0;
            for (int k = 0; k < CALIB_BINS; k++) {
                if (!h[k])
                    continue;
                double v = L + w * (k + 0.5);
                double e = v < lo2 ? lo2 - v : v > hi2 ? v - hi2 : 0;
                err += h[k] * (e * e + s * s / 12.0);
            }
            if (err < best) {
                best = err;
                best_a = a;
                best_b = b;
            }
        }
    float nlo = (float)(L + w * best_a), nhi = (float)(L + w * best_b);
    *lo = nlo < *lo ? *lo : nlo;
    *hi = nhi > *hi ? *hi : nhi;
}

int yolo_calibrate(struct yolo_graph *g, const uint8_t *target, const char *const *paths,
                   int32_t n_paths, enum yolo_calib_method method, double pct, int32_t n_threads,
                   void (*progress)(void *user, int32_t done, int32_t total), void *user,
                   float *lo, float *hi, double *mean, const int64_t *mean_at,
                   struct yolo_diag *d)
{
    struct calib_run c;
    memset(&c, 0, sizeof c);
    c.g = g;
    int32_t nt = g->n_tensors, passes = method == YOLO_CALIB_MINMAX ? 1 : 2;
    uint32_t (*hist)[CALIB_BINS] = NULL;
    int rc = 0;
    if (n_paths < 1 || g->n_inputs != 1)
        return yolo_diag_set(d, YOLO_ERR_ARG, "calibration needs at least one image");
    for (int32_t t = 0; t < nt; t++) {
        lo[t] = INFINITY;
        hi[t] = -INFINITY;
        if (target[t])
            g->tensors[t].flags |= YOLO_TF_KEEP;
    }
    if ((rc = yolo_plan(g, NULL, d)))
        goto done;
    struct yolo_net_params np = { 0 };
    if ((n_threads > 1 && (rc = yolo_pool_create(n_threads, &c.pool, d))) ||
        (rc = yolo_net_create_graph(g, &np, &c.net, d)) ||
        (rc = yolo_runner_create(c.net, c.pool, &c.r, d)))
        goto done;
    yolo_letterbox_params_default(&c.lb);
    c.lb.dst_w = (int32_t)g->tensors[g->inputs[0]].shape[3];
    c.lb.dst_h = (int32_t)g->tensors[g->inputs[0]].shape[2];
    c.lb.resize = yolo_cv_resize_linear;   /* what the engine's contexts use */
    for (int pass = 0; pass < passes && !rc; pass++) {
        if (pass == 1 && !(hist = calloc((size_t)nt, sizeof *hist))) {
            rc = yolo_diag_set(d, YOLO_ERR_NOMEM, "out of memory for calibration histograms");
            break;
        }
        for (int32_t i = 0; i < n_paths && !rc; i++) {
            if ((rc = run_image(&c, paths[i], d)))
                break;
            for (int32_t t = 0; t < nt; t++) {
                if (!target[t])
                    continue;
                const float *v = yolo_runner_tensor(c.r, t);
                int64_t n = yolo_tensor_numel(&g->tensors[t]);
                if (pass == 0 && mean && mean_at[t] >= 0 && g->tensors[t].ndim >= 2) {
                    const struct yolo_tensor *T = &g->tensors[t];
                    int64_t C = T->shape[1], inner = n / (T->shape[0] * C);
                    for (int64_t k = 0; k < n; k++)
                        mean[mean_at[t] + (k / inner) % C] += v[k] / ((double)(n / C) * n_paths);
                }
                if (pass == 0) {
                    float a = lo[t], b = hi[t];
                    for (int64_t k = 0; k < n; k++) {
                        a = v[k] < a ? v[k] : a;
                        b = v[k] > b ? v[k] : b;
                    }
                    lo[t] = a;
                    hi[t] = b;
                } else {
                    double w = (double)hi[t] - lo[t];
                    double sc = w > 0 ? CALIB_BINS / w : 0;
                    for (int64_t k = 0; k < n; k++) {
                        int64_t bin = (int64_t)(((double)v[k] - lo[t]) * sc);
                        hist[t][bin < 0 ? 0 : bin >= CALIB_BINS ? CALIB_BINS - 1 : bin]++;
                    }
                }
            }
            if (progress)
                progress(user, pass * n_paths + i + 1, passes * n_paths);
        }
    }
    if (!rc && hist) {
        for (int32_t t = 0; t < nt; t++) {
            if (!target[t])
                continue;
            if (method == YOLO_CALIB_MSE) {
                mse_range(hist[t], &lo[t], &hi[t]);
                continue;
            }
            /* drop pct of the values at each end (counts are per image-sum, so exact) */
            uint64_t total = 0, acc = 0;
            for (int k = 0; k < CALIB_BINS; k++)
                total += hist[t][k];
            uint64_t cut = (uint64_t)((double)total * pct);
            double w = ((double)hi[t] - lo[t]) / CALIB_BINS;
            int kl = 0, kh = CALIB_BINS - 1;
            for (acc = 0; kl < CALIB_BINS - 1 && acc + hist[t][kl] <= cut; kl++)
                acc += hist[t][kl];
            for (acc = 0; kh > 0 && acc + hist[t][kh] <= cut; kh--)
                acc += hist[t][kh];
            float nlo = (float)(lo[t] + w * kl), nhi = (float)(lo[t] + w * (kh + 1));
            lo[t] = nlo < lo[t] ? lo[t] : nlo;
            hi[t] = nhi > hi[t] ? hi[t] : nhi;
        }
    }
done:
    free(hist);
    yolo_runner_free(c.r);
    yolo_net_free(c.net);
    yolo_pool_free(c.pool);
    yolo_cv_image_free(&c.im);
    yolo_workspace_free(&c.ws);
    for (int32_t t = 0; t < nt; t++)
        g->tensors[t].flags &= ~(uint32_t)YOLO_TF_KEEP;
    return rc;
}
