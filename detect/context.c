/* context.c: yolo_ctx: one execution context on a model (own arena, input tensor, threads,
 * results) and detection: letterbox straight into the input tensor, run, decode, NMS,
 * scale back. No allocation per frame once the first frame of a size has been seen. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cv_adapter.h"
#include "detect_internal.h"
#include "clock.h"
#ifdef YOLO_CUDA
#include "cuda/post_cuda.h"
#include "cuda/pre_cuda.h"
#include "cuda/stage_marks.h"
#endif

void yolo_ctx_params_default(struct yolo_ctx_params *p)
{
    memset(p, 0, sizeof *p);
    p->n_threads = 1;
    p->conf = 0.25f;
    p->iou = 0.7;
    p->max_det = 300;
}

/* Zeroed fields mean "default". */
static int params_resolve(const struct yolo_ctx_params *in, struct yolo_ctx_params *out,
                          struct yolo_diag *d)
{
    yolo_ctx_params_default(out);
    if (!in)
        return 0;
    *out = *in;
    if (out->n_threads <= 0)
        out->n_threads = 1;
    if (out->conf == 0)
        out->conf = 0.25f;
    if (out->iou == 0)
        out->iou = 0.7;
    if (out->max_det <= 0)
        out->max_det = 300;
    if (out->n_threads > 1024 || !(out->conf >= 0 && out->conf <= 1) || !(out->iou > 0 && out->iou <= 1) ||
        out->max_det > 100000 || out->n_classes_keep < 0 || (out->n_classes_keep > 0 && !out->classes))
        return yolo_diag_set(d, YOLO_ERR_ARG, "context parameters out of range (threads %d, conf %g, "
                             "iou %g, max_det %d)", out->n_threads, out->conf, out->iou, out->max_det);
    return 0;
}

/* The decode and NMS parameters of a context (the same for the CPU and the GPU path). */
static void nms_params_of(const struct yolo_ctx *c, struct yolo_nms_params *np)
{
    yolo_nms_params_default(np);
    np->conf = c->params.conf;
    np->iou = c->params.iou;
    np->max_det = c->params.max_det;
    np->agnostic = c->params.agnostic;
    np->classes = c->params.classes;
    np->n_classes = c->params.n_classes_keep;
    np->nc = c->model->n_classes;     /* E2E: the valid class ids */
}

static enum yolo_out_layout layout_of(const struct yolo_model *m)
{
    return m->format == YOLO_FORMAT_V8 ? YOLO_LAYOUT_V8
         : m->format == YOLO_FORMAT_V5 ? YOLO_LAYOUT_V5 : YOLO_LAYOUT_E2E;
}

int yolo_ctx_create(struct yolo_model *m, const struct yolo_ctx_params *p, struct yolo_ctx **out,
                    struct yolo_diag *diag)
{
    if (!m || !out)
        return yolo_diag_set(diag, YOLO_ERR_ARG, "yolo_ctx_create: NULL argument");
    *out = NULL;
    struct yolo_ctx *c = calloc(1, sizeof *c);
    if (!c)
        return yolo_diag_set(diag, YOLO_ERR_NOMEM, "out of memory creating a context");
    c->model = yolo_model_retain(m);
    int rc = params_resolve(p, &c->params, diag);
    if (rc)
        goto fail;
    if (c->params.n_classes_keep > 0) {
        c->classes_copy = malloc(sizeof(int32_t) * (size_t)c->params.n_classes_keep);
        if (!c->classes_copy) {
            rc = yolo_diag_set(diag, YOLO_ERR_NOMEM, "out of memory creating a context");
            goto fail;
        }
        memcpy(c->classes_copy, c->params.classes, sizeof(int32_t) * (size_t)c->params.n_classes_keep);
    }
    c->params.classes = c->classes_copy;
    if (c->params.n_threads > 1 && (rc = yolo_pool_create(c->params.n_threads, &c->pool, diag)))
        goto fail;
    if ((rc = yolo_runner_create(m->net, c->pool, &c->runner, diag)))
        goto fail;
    c->det_cap = c->params.max_det;
    for (int s = 0; s < YOLO_CTX_SLOTS; s++) {
        struct yolo_ctx_batch *b = &c->batch[s];
        b->dets = malloc(sizeof *b->dets * (size_t)c->det_cap * (size_t)m->max_batch);
        b->geom = calloc((size_t)m->max_batch, sizeof *b->geom);
        b->res = calloc((size_t)m->max_batch, sizeof *b->res);
        if (!b->dets || !b->geom || !b->res) {
            rc = yolo_diag_set(diag, YOLO_ERR_NOMEM, "out of memory creating a context");
            goto fail;
        }
    }
    if (!yolo_runner_tensor(c->runner, m->in_tensor)) {
        c->stage_in = malloc(yolo_runner_io_bytes(c->runner, m->in_tensor));
        c->stage_out = malloc(yolo_runner_io_bytes(c->runner, m->out_tensor));
        if (!c->stage_in || !c->stage_out) {
            rc = yolo_diag_set(diag, YOLO_ERR_NOMEM, "out of memory creating a context");
            goto fail;
        }
    }
#ifdef YOLO_CUDA
    /* a GPU runner: letterbox and decode there, unless YOLO_CUDA_PIPELINE=cpu (comparisons,
     * bisecting: the CPU letterbox, the whole output downloaded, the CPU decode) */
    const char *pre = getenv("YOLO_CUDA_PIPELINE");
    c->d_input = yolo_runner_device_tensor(c->runner, m->in_tensor);
    if (c->d_input && !m->raw && !(pre && strcmp(pre, "cpu") == 0)) {
        c->gpu_pre = calloc(1, sizeof *c->gpu_pre);
        c->views = calloc((size_t)m->max_batch, sizeof *c->views);
        if (!c->gpu_pre || !c->views) {
            rc = yolo_diag_set(diag, YOLO_ERR_NOMEM, "out of memory creating a context");
            goto fail;
        }
        if ((rc = yolo_cuda_pre_init(c->gpu_pre, yolo_runner_queue(c->runner), c->pool, diag)))
            goto fail;
        /* and the decode and NMS (or the end-to-end row filter): only the kept detections
         * come back */
        if (yolo_runner_device_tensor(c->runner, m->out_tensor)) {
            struct yolo_nms_params np;
            nms_params_of(c, &np);
            c->gpu_post = calloc(1, sizeof *c->gpu_post);
            c->gpu_cands = malloc(sizeof *c->gpu_cands * (size_t)c->det_cap);
            if (!c->gpu_post || !c->gpu_cands) {
                free(c->gpu_post);
                c->gpu_post = NULL;
                rc = yolo_diag_set(diag, YOLO_ERR_NOMEM, "out of memory creating a context");
                goto fail;
            }
            if ((rc = yolo_cuda_post_init(c->gpu_post, m->max_batch, layout_of(m), m->out_dim1,
                                          m->out_dim2, &np, c->det_cap, c->gpu_pre->stream,
                                          diag))) {
                free(c->gpu_post);
                c->gpu_post = NULL;
                goto fail;
            }
        }
    }
#endif
    yolo_letterbox_params_default(&c->lb);
    c->lb.dst_w = m->in_w;
    c->lb.dst_h = m->in_h;
    /* OpenCV's own resize: identical pixels to cv2.resize by construction */
    c->lb.resize = yolo_cv_resize_linear;
    *out = c;
    return 0;
fail:
    yolo_ctx_free(c);
    return rc;
}

int yolo_ctx_clone(const struct yolo_ctx *src, struct yolo_ctx **out, struct yolo_diag *diag)
{
    if (!src)
        return yolo_diag_set(diag, YOLO_ERR_ARG, "yolo_ctx_clone: NULL context");
    return yolo_ctx_create(src->model, &src->params, out, diag);
}

void yolo_ctx_free(struct yolo_ctx *c)
{
    if (!c)
        return;
#ifdef YOLO_CUDA
    /* before the runner: they wait on its stream, which dies with it */
    yolo_cuda_pre_free(c->gpu_pre);
    yolo_cuda_post_free(c->gpu_post);
    yolo_cuda_marks_free(c->marks);
    free(c->marks);
#endif
    yolo_runner_free(c->runner);
    yolo_pool_free(c->pool);
    yolo_workspace_free(&c->ws);
    for (int s = 0; s < YOLO_CTX_SLOTS; s++) {
        free(c->batch[s].dets);
        free(c->batch[s].geom);
        free(c->batch[s].res);
    }
    free(c->classes_copy);
    free(c->gpu_pre);
    free(c->gpu_post);
    free(c->gpu_cands);
    free(c->views);
    free(c->stage_in);
    free(c->stage_out);
    yolo_model_release(c->model);
    free(c);
}

uint64_t yolo_ctx_memory_bytes(const struct yolo_ctx *c)
{
    uint64_t stage = c->stage_in ? yolo_runner_io_bytes(c->runner, c->model->in_tensor) +
                                   yolo_runner_io_bytes(c->runner, c->model->out_tensor) : 0;
    uint64_t gpu = 0;
#ifdef YOLO_CUDA
    gpu = yolo_cuda_pre_bytes(c->gpu_pre) + yolo_cuda_post_bytes(c->gpu_post);
#endif
    return yolo_runner_bytes(c->runner) + c->ws.cap_bytes + stage + gpu +
           YOLO_CTX_SLOTS * sizeof(struct yolo_det) * (uint64_t)c->det_cap *
               (uint64_t)c->model->max_batch;
}

static int check_image(const struct yolo_image *im, int32_t i, struct yolo_diag *d)
{
    if (!im->data || im->width <= 0 || im->height <= 0 || im->width > 65535 || im->height > 65535 ||
        (int64_t)im->stride_bytes < 3 * (int64_t)im->width ||
        (im->format != YOLO_PIXEL_BGR && im->format != YOLO_PIXEL_RGB))
        return yolo_diag_set(d, YOLO_ERR_ARG, "image %d: bad pixels, size %dx%d, stride %d or format",
                             i, im->width, im->height, im->stride_bytes);
    return 0;
}

/* The public image as the letterbox's view of it. */
static struct yolo_image_view view_of(const struct yolo_image *im)
{
    return (struct yolo_image_view){ im->data, im->width, im->height, im->stride_bytes,
                                     (enum yolo_pixfmt)im->format };
}

/* The GPU path: the images go up and through letterbox, network, decode and NMS as queued
 * work (pre_cuda.h, post_cuda.h); collect waits for it. */
static int gpu_submit(struct yolo_ctx *c, int s, const struct yolo_image *imgs, int32_t n,
                      struct yolo_diag *diag)
{
#ifdef YOLO_CUDA
    const struct yolo_model *m = c->model;
    for (int32_t i = 0; i < n; i++)
        c->views[i] = view_of(&imgs[i]);
    struct yolo_cuda_marks *mk = c->marks && c->marks->on ? c->marks : NULL;
    c->batch[s].timed = mk != NULL;
    int rc = yolo_cuda_pre_run(c->gpu_pre, s, c->views, c->batch[s].geom, n, c->d_input, m->in_w,
                               m->in_h, mk, diag);
    if (!rc)
        rc = yolo_runner_enqueue(c->runner, diag);
    if (!rc && yolo_cuda_mark(mk, s, YOLO_MARK_NETWORK, c->gpu_pre->stream))
        rc = yolo_diag_set(diag, YOLO_ERR_IO, "cuda: recording a stage timing event failed");
    if (!rc)
        rc = yolo_cuda_post_enqueue(c->gpu_post, s, yolo_runner_device_tensor(c->runner,
                                    m->out_tensor), n, mk, diag);
    /* failed or not, the caller's page-locked images are free to reuse once this returns */
    int rr = yolo_cuda_pre_release(c->gpu_pre, s, rc ? NULL : diag);
    return rc ? rc : rr;
#else
    (void)c, (void)s, (void)imgs, (void)n;
    return yolo_diag_set(diag, YOLO_ERR_UNSUPPORTED, "built without CUDA");
#endif
}

/* Every other path, start to end: letterbox on the host, run (copying to and from a device
 * through the staging buffers), decode and NMS on the host; results into slot s. */
static int host_detect(struct yolo_ctx *c, int s, const struct yolo_image *imgs, int32_t n,
                       struct yolo_diag *diag)
{
    const struct yolo_model *m = c->model;
    struct yolo_ctx_batch *b = &c->batch[s];
    double t0 = yolo_now_ms();
    float *input = c->stage_in ? c->stage_in : yolo_runner_tensor(c->runner, m->in_tensor);
    size_t plane = (size_t)m->in_w * (size_t)m->in_h * 3;
    for (int32_t i = 0; i < n; i++) {
        struct yolo_image_view v = view_of(&imgs[i]);
        int rc = yolo_letterbox(&v, &c->lb, &c->ws, input + plane * (size_t)i, &b->geom[i], diag);
        if (rc)
            return rc;
    }
    double t1 = yolo_now_ms();
    if (c->stage_in && yolo_runner_tensor_set(c->runner, m->in_tensor, c->stage_in,
                                              yolo_runner_io_bytes(c->runner, m->in_tensor)))
        return yolo_diag_set(diag, YOLO_ERR_IO, "copying the input to the device failed");
    int rc = yolo_runner_run(c->runner, diag);
    if (rc)
        return rc;
    if (c->stage_out && yolo_runner_tensor_get(c->runner, m->out_tensor, c->stage_out,
                                               yolo_runner_io_bytes(c->runner, m->out_tensor)))
        return yolo_diag_set(diag, YOLO_ERR_IO, "copying the output from the device failed");
    double t2 = yolo_now_ms();
    const float *output = c->stage_out ? c->stage_out : yolo_runner_tensor(c->runner, m->out_tensor);
    struct yolo_nms_params np;
    nms_params_of(c, &np);
    int64_t n_invalid = 0;
    np.n_invalid = &n_invalid;
    for (int32_t i = 0; i < n; i++) {
        struct yolo_raw_output ro = { output + (size_t)i * (size_t)(m->out_dim1 * m->out_dim2),
                                      layout_of(m), m->out_dim1, m->out_dim2 };
        struct yolo_det *dets = b->dets + (size_t)i * (size_t)c->det_cap;
        int32_t nd = 0;
        n_invalid = 0;
        rc = yolo_postprocess(&ro, &np, &b->geom[i], &c->ws, dets, c->det_cap, &nd, diag);
        if (rc)
            return rc;
        b->res[i].dets = dets;
        b->res[i].n_dets = nd;
        b->res[i].n_invalid = n_invalid > INT32_MAX ? INT32_MAX : (int32_t)n_invalid;
        b->res[i].ms_preprocess = (t1 - t0) / n;
        b->res[i].ms_inference = (t2 - t1) / n;
    }
    double t3 = yolo_now_ms();
    for (int32_t i = 0; i < n; i++)
        b->res[i].ms_postprocess = (t3 - t2) / n;
    return 0;
}

int yolo_detect_submit(struct yolo_ctx *c, const struct yolo_image *imgs, int32_t n,
                       struct yolo_diag *diag)
{
    const struct yolo_model *m = c ? c->model : NULL;
    if (!c || !imgs || n < 1 || n > m->max_batch)
        return yolo_diag_set(diag, YOLO_ERR_ARG, "yolo_detect_submit: %d images (engine batch %d)",
                             n, m ? m->max_batch : 0);
    if (m->raw)
        return yolo_diag_set(diag, YOLO_ERR_ARG, "yolo_detect_submit: the model was loaded raw "
                             "(yolo_model_params.raw): tensors only");
    if (c->n_submitted - c->n_collected >= YOLO_CTX_SLOTS)
        return yolo_diag_set(diag, YOLO_ERR_ARG, "yolo_detect_submit: %d batches are in flight "
                             "already: collect one first", YOLO_CTX_SLOTS);
    int s = (int)(c->n_submitted % YOLO_CTX_SLOTS);
    struct yolo_ctx_batch *b = &c->batch[s];
    for (int32_t i = 0; i < n; i++) {
        int rc = check_image(&imgs[i], i, diag);
        if (rc)
            return rc;
    }
    double t0 = yolo_now_ms();
    for (int32_t i = 0; i < n; i++) {
        int rc = yolo_letterbox_geom_compute(imgs[i].width, imgs[i].height, m->in_w, m->in_h,
                                             &b->geom[i], diag);
        if (rc)
            return rc;
        b->res[i] = (struct yolo_result){ .width = imgs[i].width, .height = imgs[i].height };
    }
    int rc = c->gpu_post ? gpu_submit(c, s, imgs, n, diag) : host_detect(c, s, imgs, n, diag);
    if (rc)
        return rc;
    b->n = n;
    b->ms_pre = yolo_now_ms() - t0;
    c->n_submitted++;
    return 0;
}

int yolo_detect_collect(struct yolo_ctx *c, struct yolo_result *res, int32_t *n_out,
                        struct yolo_diag *diag)
{
    if (n_out)
        *n_out = 0;
    if (!c || !res)
        return yolo_diag_set(diag, YOLO_ERR_ARG, "yolo_detect_collect: NULL argument");
    if (c->n_collected == c->n_submitted)
        return yolo_diag_set(diag, YOLO_ERR_ARG, "yolo_detect_collect: no batch in flight");
    int s = (int)(c->n_collected % YOLO_CTX_SLOTS);
    struct yolo_ctx_batch *b = &c->batch[s];
    c->n_collected++;   /* collected, well or not: the slot is free again */
    if (c->gpu_post) {
#ifdef YOLO_CUDA
        double t0 = yolo_now_ms();
        int rc = yolo_cuda_post_wait(c->gpu_post, s, diag);
        if (rc)
            return rc;
        double t1 = yolo_now_ms();
        double ms[YOLO_MARKS - 1];
        if (b->timed && yolo_cuda_marks_read(c->marks, s, ms) == 0) {
            c->last_stages = (struct yolo_stage_times){ ms[0], ms[1], ms[2], ms[3], ms[4] };
            c->has_stages = 1;
        }
        for (int32_t i = 0; i < b->n; i++) {
            struct yolo_det *dets = b->dets + (size_t)i * (size_t)c->det_cap;
            int32_t nk = 0, nd = 0;   /* decode and NMS ran on the GPU: only the kept came back */
            int64_t n_invalid = 0;
            yolo_cuda_post_kept(c->gpu_post, s, i, c->gpu_cands, &nk, &n_invalid);
            rc = yolo_postprocess_kept(c->gpu_cands, nk, &b->geom[i], &c->ws, dets, c->det_cap,
                                       &nd, diag);
            if (rc)
                return rc;
            b->res[i].dets = dets;
            b->res[i].n_dets = nd;
            b->res[i].n_invalid = n_invalid > INT32_MAX ? INT32_MAX : (int32_t)n_invalid;
            /* the upload and the queued work in submit, the wait for the GPU here */
            b->res[i].ms_preprocess = b->ms_pre / b->n;
            b->res[i].ms_inference = (t1 - t0) / b->n;
        }
        double t2 = yolo_now_ms();
        for (int32_t i = 0; i < b->n; i++)
            b->res[i].ms_postprocess = (t2 - t1) / b->n;
#endif
    }
    for (int32_t i = 0; i < b->n; i++) {
        struct yolo_det *dets = b->dets + (size_t)i * (size_t)c->det_cap;
        for (int32_t k = 0; k < b->res[i].n_dets; k++)
            dets[k].name = dets[k].cls >= 0 && dets[k].cls < c->model->n_classes
                         ? c->model->names[dets[k].cls] : "?";
        res[i] = b->res[i];
    }
    if (n_out)
        *n_out = b->n;
    return 0;
}

int yolo_ctx_in_flight(const struct yolo_ctx *c)
{
    return c ? (int)(c->n_submitted - c->n_collected) : 0;
}

int yolo_ctx_time_stages(struct yolo_ctx *c, int on, struct yolo_diag *diag)
{
    if (!c || !c->gpu_post)
        return yolo_diag_set(diag, YOLO_ERR_UNSUPPORTED, "yolo_ctx_time_stages: the context does "
                             "not run its pipeline on a GPU");
#ifdef YOLO_CUDA
    if (!c->marks && !(c->marks = calloc(1, sizeof *c->marks)))
        return yolo_diag_set(diag, YOLO_ERR_NOMEM, "out of memory for the stage timing");
    return yolo_cuda_marks_switch(c->marks, on, diag);
#else
    (void)on;
    return 0;
#endif
}

int yolo_ctx_stage_times(const struct yolo_ctx *c, struct yolo_stage_times *t)
{
    if (!c || !t || !c->has_stages)
        return -1;
    *t = c->last_stages;
    return 0;
}

int yolo_detect_batch(struct yolo_ctx *c, const struct yolo_image *imgs, int32_t n,
                      struct yolo_result *res, struct yolo_diag *diag)
{
    if (c && c->n_submitted != c->n_collected)
        return yolo_diag_set(diag, YOLO_ERR_ARG, "yolo_detect_batch: batches submitted and not "
                             "collected (yolo_detect_collect them first)");
    if (!res)
        return yolo_diag_set(diag, YOLO_ERR_ARG, "yolo_detect_batch: NULL results");
    int rc = yolo_detect_submit(c, imgs, n, diag);
    return rc ? rc : yolo_detect_collect(c, res, NULL, diag);
}

int yolo_detect(struct yolo_ctx *c, const struct yolo_image *img, struct yolo_result *res,
                struct yolo_diag *diag)
{
    return yolo_detect_batch(c, img, 1, res, diag);
}
