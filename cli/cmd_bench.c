/* cmd_bench.c: `yolo bench ENGINE`: latency percentiles and throughput of the whole detect
 * pipeline (letterbox, inference, decode + NMS) on one fixed input, per-op profile, and N
 * cloned contexts on N threads.
 *
 * The setup is printed first (a number without its setup is not a result): CPU, ISA in use,
 * threads, instances, batch, the engine's SHA-256, which kernels run the convolutions (the
 * "GEMM path") and the BLAS. Timings use CLOCK_MONOTONIC after --warmup untimed runs;
 * percentiles are nearest-rank over --runs calls (of all instances together). With
 * --instances N, N clones of one context (shared weights) run on N threads at once, each
 * with --threads threads, and throughput counts the images all of them finished per second
 * of wall time. --profile runs the inference graph again on a raw context with per-node
 * timing (yolo_ctx_profile: each node's wall time, barrier included) and prints time and
 * GFLOP/s per op type and the ten slowest nodes. Everything here is the public API (yolo.h). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "args.h"
#include "shard.h"
#include "cli_model.h"
#include "model_arg.h"
#include "commands.h"
#include "status.h"
#include "yolo.h"
#include "clock.h"

struct pct { double min, med, p90, p99, max; };

/* Start gate: instances warm up, then all begin their timed loops together. */
struct gate { pthread_mutex_t mu; pthread_cond_t cv; int ready, go, abort; };

struct inst {
    struct yolo_ctx *ctx;
    const struct yolo_image *imgs;   /* batch copies of the one input */
    int batch, warmup, runs;
    struct gate *start;              /* NULL: single instance, no gate */
    double *pre, *inf, *post;        /* runs entries each, per call (whole batch) */
    double t0, t1;                   /* wall time of the timed loop */
    int rc;
    struct yolo_diag d;
};

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Nearest-rank percentiles of v[0..n) (sorted in place). */
static struct pct percentiles(double *v, int n)
{
    struct pct p = { 0 };
    if (n <= 0)
        return p;
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    int i90 = (int)((n * 90 + 99) / 100) - 1, i99 = (int)((n * 99 + 99) / 100) - 1;
    p.min = v[0];
    p.med = n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
    p.p90 = v[i90 < 0 ? 0 : i90];
    p.p99 = v[i99 < 0 ? 0 : i99];
    p.max = v[n - 1];
    return p;
}

static void *inst_main(void *arg)
{
    struct inst *in = arg;
    struct yolo_result res[64];
    for (int i = 0; i < in->warmup && !in->rc; i++)
        in->rc = yolo_detect_batch(in->ctx, in->imgs, in->batch, res, &in->d);
    if (in->start) {
        struct gate *g = in->start;
        pthread_mutex_lock(&g->mu);
        g->ready++;
        pthread_cond_broadcast(&g->cv);
        while (!g->go && !g->abort)
            pthread_cond_wait(&g->cv, &g->mu);
        int stop = g->abort;
        pthread_mutex_unlock(&g->mu);
        if (stop)
            return NULL;
    }
    in->t0 = yolo_now_ms();
    for (int i = 0; i < in->runs && !in->rc; i++) {
        in->rc = yolo_detect_batch(in->ctx, in->imgs, in->batch, res, &in->d);
        /* the results hold per-image shares of the call's stage times */
        in->pre[i] = res[0].ms_preprocess * in->batch;
        in->inf[i] = res[0].ms_inference * in->batch;
        in->post[i] = res[0].ms_postprocess * in->batch;
    }
    in->t1 = yolo_now_ms();
    return NULL;
}

/* Images/s of ctx with batches pipelined (yolo_detect_submit / collect, two in flight: on a
 * GPU the upload of one overlaps the inference of the other), over runs batches after warmup
 * ones; 0 with d set on failure. */
static double pipelined_ips(struct yolo_ctx *ctx, const struct yolo_image *imgs, int batch,
                            int warmup, int runs, struct yolo_diag *d)
{
    struct yolo_result res[64];
    int32_t n = 0;
    double t0 = 0;
    int total = warmup + runs;
    *d = (struct yolo_diag){ 0 };
    for (int i = 0; i < total; i++) {
        if (i == warmup)
            t0 = yolo_now_ms();
        if (yolo_detect_submit(ctx, imgs, batch, d))
            break;
        if (i > 0 && yolo_detect_collect(ctx, res, &n, d))
            break;
    }
    /* a failed submit leaves the one before in flight: collect it so the context is usable */
    int ok = d->status == YOLO_OK;
    while (yolo_ctx_in_flight(ctx) > 0) {
        struct yolo_diag d2 = { 0 };
        if (yolo_detect_collect(ctx, res, &n, &d2) && ok) {
            *d = d2;
            ok = 0;
        }
    }
    double t1 = yolo_now_ms();
    return ok && t1 > t0 ? (double)runs * batch * 1000.0 / (t1 - t0) : 0.0;
}

/* The detect loop again with the frame copied into yolo_host_alloc memory (page-locked on a
 * GPU machine: uploaded with no staging copy): the median wall time of one yolo_detect_batch
 * call in *med_ms, and the pipelined images/s from the same frames in *ips. Returns 0, or 1
 * with d set. */
static int page_locked_e2e(struct yolo_ctx *ctx, const struct yolo_image *src, int batch,
                           int warmup, int runs, double *med_ms, double *ips, struct yolo_diag *d)
{
    size_t row = (size_t)src->width * 3, bytes = row * (size_t)src->height;
    uint8_t *pix = yolo_host_alloc(bytes);
    double *ms = malloc(sizeof(double) * (size_t)runs);
    struct yolo_image imgs[64];
    struct yolo_result res[64];
    int rc = 0;
    *d = (struct yolo_diag){ 0 };
    if (!pix || !ms) {
        rc = yolo_diag_set(d, YOLO_ERR_NOMEM, "out of memory for a page-locked frame") != 0;
        goto out;
    }
    for (int32_t y = 0; y < src->height; y++)
        memcpy(pix + (size_t)y * row, src->data + (size_t)y * src->stride_bytes, row);
    for (int i = 0; i < batch; i++)
        imgs[i] = (struct yolo_image){ pix, src->width, src->height, (int32_t)row, src->format };
    for (int i = 0; i < warmup + runs && !rc; i++) {
        double t0 = yolo_now_ms();
        rc = yolo_detect_batch(ctx, imgs, batch, res, d) != 0;
        if (i >= warmup)
            ms[i - warmup] = yolo_now_ms() - t0;
    }
    if (!rc)
        *med_ms = percentiles(ms, runs).med;
    if (!rc && (*ips = pipelined_ips(ctx, imgs, batch, warmup, runs, d)) <= 0)
        rc = 1;
out:
    yolo_host_free(pix);
    free(ms);
    return rc;
}

/* The detect loop again with the GPU pipeline's stages timed on the device
 * (yolo_ctx_time_stages): the medians of each stage over runs batches, in *med. Returns 0, or
 * 1 with d set. */
static int gpu_stage_split(struct yolo_ctx *ctx, const struct yolo_image *imgs, int batch,
                           int warmup, int runs, struct yolo_stage_times *med, struct yolo_diag *d)
{
    double *v = malloc(sizeof(double) * 5 * (size_t)runs);
    struct yolo_result res[64];
    struct yolo_stage_times t;
    *d = (struct yolo_diag){ 0 };
    int rc = !v ? yolo_diag_set(d, YOLO_ERR_NOMEM, "out of memory") != 0
                : yolo_ctx_time_stages(ctx, 1, d) != 0;
    for (int i = 0; i < warmup + runs && !rc; i++) {
        rc = yolo_detect_batch(ctx, imgs, batch, res, d) != 0;
        if (!rc && yolo_ctx_stage_times(ctx, &t))
            rc = yolo_diag_set(d, YOLO_ERR_IO, "no stage times for a timed batch") != 0;
        if (!rc && i >= warmup) {
            int k = i - warmup;
            v[k] = t.upload_ms;
            v[runs + k] = t.letterbox_ms;
            v[2 * runs + k] = t.network_ms;
            v[3 * runs + k] = t.select_ms;
            v[4 * runs + k] = t.download_ms;
        }
    }
    yolo_ctx_time_stages(ctx, 0, NULL);
    if (!rc)
        *med = (struct yolo_stage_times){ percentiles(v, runs).med, percentiles(v + runs, runs).med,
                                          percentiles(v + 2 * runs, runs).med,
                                          percentiles(v + 3 * runs, runs).med,
                                          percentiles(v + 4 * runs, runs).med };
    free(v);
    return rc;
}

/* A fixed 1280x720 BGR frame (smooth gradients and a few edges), so every run letterboxes a
 * 16:9 image into the square input exactly as a camera frame would be. */
static uint8_t *synthetic_image(int w, int h)
{
    uint8_t *p = malloc((size_t)w * (size_t)h * 3);
    if (!p)
        return NULL;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            uint8_t *q = p + ((size_t)y * (size_t)w + (size_t)x) * 3;
            int block = ((x / 80) + (y / 80)) & 1;
            q[0] = (uint8_t)((x * 255) / w);
            q[1] = (uint8_t)((y * 255) / h);
            q[2] = (uint8_t)(block ? 200 : 40);
        }
    return p;
}

static void json_str(const char *s)
{
    char *esc = json_path_string(s);   /* the one JSON string writer (yolo_json_escape) */
    fputs(esc ? esc : "null", stdout);
    free(esc);
}

/* "avx512 8x48 fp32 micro-kernels: conv winograd-f4x4 38, gemm8 18, ..." from the kernels
 * the backend picked for the convs. */
static void gemm_path(const struct yolo_model *m, const struct yolo_engine_summary *es, char *buf,
                      size_t cap)
{
    const char *v = es->variant;
    char kern[192];
    cli_conv_kernels(m, kern, sizeof kern);
    snprintf(buf, cap, "%s %s micro-kernels: conv %s",
             !strcmp(v, "avx512") ? "avx512 8x48" : !strcmp(v, "avx2") ? "avx2 4x24" : "reference",
             es->precision, kern);
}

struct setup {
    char cpu[80], isa[16], sha[17], gemm[256], blas[160], input[64], build[160];
    char backend[48], precision[16];
    int threads, instances, batch, warmup, runs;
    long cores;
    double gflop;             /* multiply-adds x 2 of one inference (batch of the engine) */
    const char *engine;
};

static void print_setup(const struct setup *s)
{
    printf("setup\n");
    printf("  cpu          %s (%ld logical CPUs online)\n", s->cpu, s->cores);
    printf("  backend      %s\n", s->backend);
    printf("  precision    %s\n", s->precision);
    printf("  isa          %s\n", s->isa);
    printf("  threads      %d per instance\n", s->threads);
    printf("  instances    %d%s\n", s->instances, s->instances > 1 ? " (clones sharing the weights)" : "");
    printf("  batch        %d\n", s->batch);
    printf("  engine       %s (sha256 %s...), %.2f GFLOP per inference\n", s->engine, s->sha, s->gflop);
    printf("  gemm path    %s\n", s->gemm);
    printf("  blas         %s\n", s->blas);
    printf("  input        %s\n", s->input);
    printf("  runs         %d timed after %d warm-up\n", s->runs, s->warmup);
    printf("  build        %s\n", s->build);
}

static void print_json_pct(const char *name, const struct pct *p)
{
    printf(", \"%s\": {\"min_ms\": %.4f, \"median_ms\": %.4f, \"p90_ms\": %.4f, \"p99_ms\": %.4f, "
           "\"max_ms\": %.4f}", name, p->min, p->med, p->p90, p->p99, p->max);
}

/* Device memory per instance: each one's growth when made (arena, scratch, cuDNN handle,
 * staging made up front), and after the runs (staging grown to the batch); the weights are
 * the model's, shared by every clone. The table: n instances as clones of one model (weights
 * once) and as n separate models (weights n times), from the measured per-instance cost. */
static void print_device_memory(int json, uint64_t weights, uint64_t dev0, const uint64_t *at,
                                uint64_t end, struct yolo_ctx *const *ctx, int n)
{
    const double mib = 1048576.0;
    double per = n > 0 && end > dev0 ? (double)(end - dev0) / n : 0.0;
    if (json) {
        printf(", \"device_memory\": {\"weights_bytes\": %llu, \"after_runs_bytes\": %llu, "
               "\"instances\": [", (unsigned long long)weights, (unsigned long long)(end - dev0));
        for (int i = 0; i < n; i++)
            printf("%s{\"made_bytes\": %lld, \"reported_bytes\": %llu}", i ? ", " : "",
                   (long long)(at[i] - (i ? at[i - 1] : dev0)),
                   (unsigned long long)yolo_ctx_memory_bytes(ctx[i]));
        printf("]}");
        return;
    }
    printf("device memory  weights %.1f MiB, loaded once and shared by the instances\n",
           weights / mib);
    for (int i = 0; i < n; i++)
        printf("  instance %-3d +%.1f MiB when made; reports %.1f MiB after the runs\n", i + 1,
               (double)(int64_t)(at[i] - (i ? at[i - 1] : dev0)) / mib,
               yolo_ctx_memory_bytes(ctx[i]) / mib);
    printf("  after the runs: +%.1f MiB for %d instance%s (%.1f MiB each)\n",
           (double)(end - dev0) / mib, n, n > 1 ? "s" : "", per / mib);
    printf("  %-9s %14s %17s\n", "instances", "clones (MiB)", "separate (MiB)");
    for (int k = 1; k <= (n > 4 ? n : 4); k++)
        printf("  %-9d %14.1f %17.1f\n", k, (weights + k * per) / mib, k * (weights + per) / mib);
}

/* A device backend's three stages apart, as trtexec reports them: the input tensor up, the
 * graph (one CUDA graph replay), the output tensor down, each timed on its own over raw
 * tensors of ctx (synchronous calls, so each stage is whole). Medians in ms of runs runs. */
struct stages { double up, compute, down; };

static int device_stages(struct yolo_model *model, struct yolo_ctx *ctx, int warmup, int runs,
                         struct stages *st, struct yolo_diag *d)
{
    struct yolo_tensor_desc ti, to;
    if (yolo_model_input(model, 0, &ti) || yolo_model_output(model, 0, &to))
        return yolo_diag_set(d, YOLO_ERR_ARG, "the engine has no input or output tensor");
    uint8_t *in = calloc(1, (size_t)ti.bytes), *out = malloc((size_t)to.bytes);
    double *t = malloc(sizeof(double) * 3 * (size_t)runs);
    int rc = in && out && t ? 0 : yolo_diag_set(d, YOLO_ERR_NOMEM, "out of memory");
    for (int r = -warmup; !rc && r < runs; r++) {
        double t0 = yolo_now_ms();
        rc = yolo_ctx_set_input(ctx, 0, in, ti.bytes, d);
        double t1 = yolo_now_ms();
        rc = rc ? rc : yolo_ctx_forward(ctx, d);
        double t2 = yolo_now_ms();
        rc = rc ? rc : yolo_ctx_get_output(ctx, 0, out, to.bytes, d);
        double t3 = yolo_now_ms();
        if (r >= 0) {
            t[r] = t1 - t0;
            t[runs + r] = t2 - t1;
            t[2 * runs + r] = t3 - t2;
        }
    }
    if (!rc) {
        st->up = percentiles(t, runs).med;
        st->compute = percentiles(t + runs, runs).med;
        st->down = percentiles(t + 2 * runs, runs).med;
    }
    free(in);
    free(out);
    free(t);
    return rc;
}

struct op_row { const char *op; int n; double ms, flops; };

/* Per-node profile on a raw context of the same engine; prints (or emits JSON). */
static int run_profile(const char *path, const char *isa, const char *device, int half,
                       int threads, int warmup, int runs,
                       int json, struct yolo_diag *d)
{
    struct yolo_model *m = NULL;
    struct yolo_ctx *c = NULL;
    double *ms = NULL;
    float *input = NULL;
    struct yolo_node_desc *nodes = NULL;
    int rc = 1;
    struct yolo_model_params mp;
    yolo_model_params_default(&mp);
    mp.isa = isa;
    cli_device_parse(device, &mp.backend, &mp.device);
    mp.precision = half ? "fp16" : NULL;
    mp.no_verify = 1;
    mp.raw = 1;
    struct yolo_ctx_params cp;
    yolo_ctx_params_default(&cp);
    cp.n_threads = threads;
    if (yolo_model_load(path, &mp, &m, d) || yolo_ctx_create(m, &cp, &c, d))
        goto out;
    struct yolo_engine_summary es;
    yolo_model_summary(m, &es);
    int32_t nn = es.n_nodes;
    ms = calloc((size_t)nn + 1, sizeof *ms);
    nodes = calloc((size_t)nn + 1, sizeof *nodes);
    if (!ms || !nodes) {
        yolo_diag_set(d, YOLO_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (int32_t i = 0; i < nn; i++)
        yolo_model_node(m, i, &nodes[i]);
    struct yolo_tensor_desc t;
    for (int i = 0; yolo_model_input(m, i, &t) == 0; i++) {
        free(input);
        input = calloc(t.bytes / sizeof(float) + 1, sizeof(float));
        if (!input) {
            yolo_diag_set(d, YOLO_ERR_NOMEM, "out of memory");
            goto out;
        }
        if (!strcmp(t.dtype, "float32"))
            for (uint64_t k = 0; k < t.bytes / sizeof(float); k++)
                input[k] = (float)((k * 7919) % 255) / 255.0f;
        if (yolo_ctx_set_input(c, i, input, t.bytes, d))
            goto out;
    }
    for (int i = 0; i < warmup; i++)
        yolo_ctx_forward(c, d);
    yolo_ctx_profile(c, ms);
    double t0 = yolo_now_ms();
    for (int i = 0; i < runs; i++)
        yolo_ctx_forward(c, d);
    double total = (yolo_now_ms() - t0) / runs;
    yolo_ctx_profile(c, NULL);
    struct op_row rows[64];
    int n_rows = 0;
    double sum = 0;
    for (int32_t i = 0; i < nn; i++) {
        ms[i] /= runs;
        int k = 0;
        while (k < n_rows && strcmp(rows[k].op, nodes[i].op))
            k++;
        if (k == n_rows) {
            if (n_rows == 64)
                continue;
            rows[n_rows++] = (struct op_row){ nodes[i].op, 0, 0, 0 };
        }
        rows[k].n++;
        rows[k].ms += ms[i];
        rows[k].flops += nodes[i].flops;
        sum += ms[i];
    }
    int32_t top[10];
    int n_top = 0;
    for (int k = 0; k < 10; k++) {
        int32_t best = -1;
        for (int32_t i = 0; i < nn; i++) {
            int taken = 0;
            for (int j = 0; j < n_top; j++)
                taken |= top[j] == i;
            if (!taken && (best < 0 || ms[i] > ms[best]))
                best = i;
        }
        if (best >= 0)
            top[n_top++] = best;
    }
    if (json) {
        printf(", \"profile\": {\"inference_ms\": %.4f, \"ops\": [", total);
        for (int k = 0; k < n_rows; k++) {
            printf("%s{\"op\": ", k ? ", " : "");
            json_str(rows[k].op);
            printf(", \"nodes\": %d, \"ms\": %.4f, \"gflops\": %.2f}", rows[k].n, rows[k].ms,
                   rows[k].flops > 0 && rows[k].ms > 0 ? rows[k].flops / rows[k].ms / 1e6 : 0.0);
        }
        printf("], \"slowest\": [");
        for (int k = 0; k < n_top; k++) {
            const struct yolo_node_desc *n = &nodes[top[k]];
            printf("%s{\"node\": ", k ? ", " : "");
            json_str(n->name);
            printf(", \"op\": ");
            json_str(n->op);
            printf(", \"kernel\": ");
            json_str(n->kernel);
            printf(", \"ms\": %.4f, \"gflops\": %.2f}", ms[top[k]],
                   n->flops > 0 && ms[top[k]] > 0 ? n->flops / ms[top[k]] / 1e6 : 0.0);
        }
        /* every node in graph order, for per-layer comparisons between runs */
        printf("], \"nodes\": [");
        for (int32_t i = 0; i < nn; i++) {
            printf("%s{\"node\": ", i ? ", " : "");
            json_str(nodes[i].name);
            printf(", \"kernel\": ");
            json_str(nodes[i].kernel);
            printf(", \"ms\": %.4f, \"gflops\": %.2f}", ms[i],
                   nodes[i].flops > 0 && ms[i] > 0 ? nodes[i].flops / ms[i] / 1e6 : 0.0);
        }
        printf("]}");
    } else {
        printf("\nprofile (raw context, %d thread%s, %d runs: %.2f ms per inference, %.2f ms in nodes)\n",
               threads, threads > 1 ? "s" : "", runs, total, sum);
        printf("  %-16s %5s %9s %6s %9s\n", "op", "nodes", "ms", "%", "GFLOP/s");
        for (int k = 0; k < n_rows; k++)
            printf("  %-16s %5d %9.3f %5.1f%% %9.1f\n", rows[k].op, rows[k].n, rows[k].ms,
                   sum > 0 ? 100.0 * rows[k].ms / sum : 0.0,
                   rows[k].flops > 0 && rows[k].ms > 0 ? rows[k].flops / rows[k].ms / 1e6 : 0.0);
        printf("  ten slowest nodes:\n");
        for (int k = 0; k < n_top; k++) {
            const struct yolo_node_desc *n = &nodes[top[k]];
            char shape[64];
            size_t w = (size_t)snprintf(shape, sizeof shape, "[");
            for (int i = 0; i < n->out0_ndim && w < sizeof shape; i++)
                w += (size_t)snprintf(shape + w, sizeof shape - w, i ? ",%lld" : "%lld",
                                      (long long)n->out0_shape[i]);
            if (w < sizeof shape)
                snprintf(shape + w, sizeof shape - w, "]");
            printf("  %8.3f ms %7.1f GFLOP/s  %-9s %-15s %-18s %s\n", ms[top[k]],
                   n->flops > 0 && ms[top[k]] > 0 ? n->flops / ms[top[k]] / 1e6 : 0.0, n->op,
                   n->kernel, shape, n->name);
        }
    }
    rc = 0;
out:
    free(ms);
    free(nodes);
    free(input);
    yolo_ctx_free(c);
    yolo_model_free(m);
    return rc;
}

int cmd_bench(int argc, char **argv)
{
    int threads = 1, instances = 1, batch = 1, warmup = 5, runs = 50, profile = 0, json = 0;
    const char *isa = NULL, *image = NULL, *device = NULL;
    int half = 0;
    const struct arg_spec specs[] = {
        { "threads", 't', ARG_INT, &threads, "T", "threads per instance (default 1)" },
        { "instances", 'j', ARG_INT, &instances, "N", "contexts (clones) running at once, each on its own thread(s) "
          "(default 1)" },
        { "batch", 'b', ARG_INT, &batch, "B", "images per inference (default 1; at most the engine's max "
          "batch)" },
        { "warmup", 0, ARG_INT, &warmup, "W", "untimed runs first (default 5)" },
        { "runs", 'r', ARG_INT, &runs, "R", "timed runs per instance (default 50)" },
        { "profile", 0, ARG_FLAG, &profile, NULL, "time per op type and the ten slowest nodes" },
        { "json", 0, ARG_FLAG, &json, NULL, "print one JSON object instead of tables" },
        { "isa", 0, ARG_STR, &isa, "ISA", "force kernels: ref, avx2 or avx512 (default: best; also $YOLO_ISA)" },
        CLI_DEVICE_ARGS(device, half),
        { "image", 'i', ARG_STR, &image, "FILE", "input image (default: a synthetic 1280x720 frame)" },
        { 0 }
    };
    const struct cmd_usage u = { "bench", "ENGINE [options]",
        "Latency (min, median, p90, p99, max) and throughput of detection on one fixed input, split\n"
        "into preprocess (letterbox), inference and postprocess (decode + NMS), after warm-up.",
        "The setup (CPU, ISA, threads, instances, engine hash, GEMM path) is printed first.\n"
        "--instances N runs N clones on N threads (each with --threads threads) and reports their\n"
        "aggregate throughput and the process's peak RSS; on a GPU (--device cuda) also what each\n"
        "instance adds to the device's memory, and a table of 1..N instances as clones sharing\n"
        "the weights against N separate models. On a GPU it also prints the pipelined images/s\n"
        "(two batches in flight), the end-to-end median and the pipelined images/s with the frame\n"
        "in page-locked memory (yolo_host_alloc: no staging copy), the pipeline's stages timed\n"
        "on the device (upload, letterbox, network, decode + NMS, download) and the network's\n"
        "raw-tensor stages.\n"
        "Compare runtimes side by side on the same quiet machine: `make bench` runs this against\n"
        "ONNX Runtime." };
    const char *pos[1];
    int n_pos;
    int rc = args_parse_cmd(&u, argc, argv, specs, pos, 1, 1, &n_pos, "one ENGINE");
    if (rc != ARGS_GO)
        return rc;
    const struct arg_range ranges[] = {
        { "threads", "[1,256]" }, { "instances", "[1,256]" }, { "batch", "[1,64]" },
        { "warmup", "[0,100000]" }, { "runs", "[1,1000000]" }, { NULL, NULL }
    };
    if ((rc = args_check_ranges("bench", specs, ranges)) != ARGS_GO)
        return rc;
    if ((rc = cli_check_target("bench", isa, device, half)) != ARGS_GO)
        return rc;

    struct yolo_diag d = { 0 };
    int json_open = 0;   /* the --json object is printed and needs its closing brace */
    struct yolo_model *model = NULL;
    uint64_t *dev_at = NULL;   /* device bytes in use after each instance was made */
    struct yolo_ctx **ctx = calloc((size_t)instances, sizeof *ctx);
    struct inst *in = calloc((size_t)instances, sizeof *in);
    struct yolo_image *imgs = calloc((size_t)batch, sizeof *imgs);
    struct yolo_image src = { 0 };
    uint8_t *pix = NULL;
    double *pre = NULL, *inf = NULL, *post = NULL, *tot = NULL;
    pthread_t *tid = calloc((size_t)instances, sizeof *tid);
    struct gate gate = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, 0 };
    rc = 1;
    if (!ctx || !in || !imgs || !tid) {
        cli_error("bench", 1, "out of memory");
        goto out;
    }
    struct yolo_model_info info;
    char engine[4400];
    if ((rc = cli_model_arg("bench", pos[0], NULL, 0, batch, engine, sizeof engine)))
        goto out;
    rc = 1;
    pos[0] = engine;
    if (cli_load_model("bench", pos[0], isa, device, half, &model, &info))
        goto out;
    if (batch > info.max_batch) {
        cli_error("bench", 2, "--batch %d is more than the engine's max batch %d (rebuild with yolo "
                  "build --batch)", batch, info.max_batch);
        rc = 2;
        goto out;
    }
    struct setup s;
    memset(&s, 0, sizeof s);
    if (image) {
        if (yolo_image_read(image, &src, &d)) {
            cli_error("bench", 1, "%s", d.msg);
            goto out;
        }
        snprintf(s.input, sizeof s.input, "%.40s %dx%d", image, src.width, src.height);
    } else {
        pix = synthetic_image(1280, 720);
        if (!pix) {
            cli_error("bench", 1, "out of memory");
            goto out;
        }
        src = (struct yolo_image){ pix, 1280, 720, 1280 * 3, YOLO_PIXEL_BGR };
        snprintf(s.input, sizeof s.input, "synthetic 1280x720 BGR frame");
    }
    for (int i = 0; i < batch; i++)
        imgs[i] = src;
    struct yolo_ctx_params cp;
    yolo_ctx_params_default(&cp);
    cp.n_threads = threads;
    /* on a GPU, what each instance adds to the device's memory, measured (the seed's
     * "instances with and without shared weights" table is printed from it) */
    uint64_t dev0 = 0;
    int dev_mem = yolo_model_device_memory_used(model, &dev0) == 0;
    dev_at = calloc((size_t)instances, sizeof *dev_at);
    if (!dev_at) {
        cli_error("bench", 1, "out of memory");
        goto out;
    }
    for (int i = 0; i < instances; i++) {
        int e = i == 0 ? yolo_ctx_create(model, &cp, &ctx[i], &d) : yolo_ctx_clone(ctx[0], &ctx[i], &d);
        if (e) {
            cli_error("bench", 1, "%s", d.msg);
            goto out;
        }
        if (dev_mem && yolo_model_device_memory_used(model, &dev_at[i]))
            dev_mem = 0;
    }

    struct yolo_system_info sys;
    yolo_system_info(&sys);
    struct yolo_engine_summary es;
    yolo_model_summary(model, &es);
    snprintf(s.cpu, sizeof s.cpu, "%s", sys.cpu);
    snprintf(s.isa, sizeof s.isa, "%s", info.isa);
    snprintf(s.backend, sizeof s.backend, "%s (%s)", es.backend, es.variant);
    snprintf(s.precision, sizeof s.precision, "%s", es.precision);
    s.cores = sys.cores;
    s.threads = threads;
    s.instances = instances;
    s.batch = batch;
    s.warmup = warmup;
    s.runs = runs;
    s.engine = pos[0];
    char hex[65];
    if (yolo_file_sha256(pos[0], hex, &d)) {
        cli_error("bench", 1, "%s", d.msg);
        goto out;
    }
    snprintf(s.sha, sizeof s.sha, "%.16s", hex);
    gemm_path(model, &es, s.gemm, sizeof s.gemm);
    s.gflop = es.gflop;
    snprintf(s.blas, sizeof s.blas, "%s (1 thread: only where no own kernel applies)", sys.blas);
    snprintf(s.build, sizeof s.build, "yolo %s, %s", yolo_version(),
#ifdef __VERSION__
             "gcc " __VERSION__
#else
             "unknown compiler"
#endif
    );
    if (!json)
        print_setup(&s);

    /* ---- the timed runs */
    size_t total = (size_t)instances * (size_t)runs;
    pre = malloc(sizeof(double) * total);
    inf = malloc(sizeof(double) * total);
    post = malloc(sizeof(double) * total);
    tot = malloc(sizeof(double) * total);
    if (!pre || !inf || !post || !tot) {
        cli_error("bench", 1, "out of memory");
        goto out;
    }
    for (int i = 0; i < instances; i++)
        in[i] = (struct inst){ ctx[i], imgs, batch, warmup, runs, instances > 1 ? &gate : NULL,
                               pre + (size_t)i * runs, inf + (size_t)i * runs, post + (size_t)i * runs,
                               0, 0, 0, { 0 } };
    int started = 0;
    if (instances == 1) {
        inst_main(&in[0]);
    } else {
        for (; started < instances; started++)
            if (pthread_create(&tid[started], NULL, inst_main, &in[started]))
                break;
        pthread_mutex_lock(&gate.mu);
        if (started < instances)
            gate.abort = 1;
        while (!gate.abort && gate.ready < instances)
            pthread_cond_wait(&gate.cv, &gate.mu);
        gate.go = 1;
        pthread_cond_broadcast(&gate.cv);
        pthread_mutex_unlock(&gate.mu);
        for (int i = 0; i < started; i++)
            pthread_join(tid[i], NULL);
        if (gate.abort) {
            cli_error("bench", 1, "cannot start %d threads", instances);
            goto out;
        }
    }
    double w0 = in[0].t0, w1 = in[0].t1;
    for (int i = 0; i < instances; i++) {
        if (in[i].rc) {
            cli_error("bench", 1, "%s", in[i].d.msg);
            goto out;
        }
        w0 = in[i].t0 < w0 ? in[i].t0 : w0;
        w1 = in[i].t1 > w1 ? in[i].t1 : w1;
    }
    for (size_t k = 0; k < total; k++)
        tot[k] = pre[k] + inf[k] + post[k];
    struct pct pp = percentiles(pre, (int)total), pi = percentiles(inf, (int)total);
    struct pct po = percentiles(post, (int)total), pt = percentiles(tot, (int)total);
    double ips = w1 > w0 ? (double)total * batch * 1000.0 / (w1 - w0) : 0.0;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    unsigned long long rss = (unsigned long long)ru.ru_maxrss * 1024ull;
    if (json) {
        json_open = 1;   /* closed at out: whole even where a later stage fails */
        printf("{\"setup\": {\"cpu\": ");
        json_str(s.cpu);
        printf(", \"logical_cpus\": %ld, \"isa\": ", s.cores);
        json_str(s.isa);
        printf(", \"backend\": ");
        json_str(s.backend);
        printf(", \"precision\": ");
        json_str(s.precision);
        printf(", \"threads\": %d, \"instances\": %d, \"batch\": %d, \"warmup\": %d, \"runs\": %d, "
               "\"engine\": ", threads, instances, batch, warmup, runs);
        json_str(s.engine);
        printf(", \"engine_sha256\": ");
        json_str(hex);
        printf(", \"gflop\": %.4f", s.gflop);
        printf(", \"gemm_path\": ");
        json_str(s.gemm);
        printf(", \"blas\": ");
        json_str(s.blas);
        printf(", \"input\": ");
        json_str(s.input);
        printf(", \"build\": ");
        json_str(s.build);
        printf("}");
        print_json_pct("preprocess", &pp);
        print_json_pct("inference", &pi);
        print_json_pct("postprocess", &po);
        print_json_pct("total", &pt);
        printf(", \"throughput_ips\": %.3f, \"peak_rss_bytes\": %llu", ips, rss);
    } else {
        printf("\nlatency per call (ms; %zu calls%s)\n", total, instances > 1 ? " of all instances" : "");
        printf("  %-12s %9s %9s %9s %9s %9s\n", "stage", "min", "median", "p90", "p99", "max");
        const struct pct *rows[4] = { &pp, &pi, &po, &pt };
        const char *names[4] = { "preprocess", "inference", "postprocess", "total" };
        for (int k = 0; k < 4; k++)
            printf("  %-12s %9.3f %9.3f %9.3f %9.3f %9.3f\n", names[k], rows[k]->min, rows[k]->med,
                   rows[k]->p90, rows[k]->p99, rows[k]->max);
        printf("throughput     %.2f images/s (%d instance%s x %d thread%s, batch %d)\n", ips, instances,
               instances > 1 ? "s" : "", threads, threads > 1 ? "s" : "", batch);
        printf("peak RSS       %.1f MiB\n", rss / 1048576.0);
    }
    uint64_t dev_end = 0;
    if (dev_mem && yolo_model_device_memory_used(model, &dev_end) == 0)
        print_device_memory(json, es.prepared_bytes, dev0, dev_at, dev_end, ctx, instances);
    if (device && strcmp(device, "cpu")) {
        double pips = pipelined_ips(ctx[0], imgs, batch, warmup, runs, &d);
        if (pips <= 0) {
            cli_error("bench", 1, "%s", d.msg);
            goto out;
        }
        if (json)
            printf(", \"pipelined_ips\": %.3f", pips);
        else
            printf("pipelined      %.2f images/s (instance 1, batches of %d: two in flight, the "
                   "upload of one under the inference of the other)\n", pips, batch);
        double locked = 0, locked_ips = 0;
        if (page_locked_e2e(ctx[0], &src, batch, warmup, runs, &locked, &locked_ips, &d)) {
            cli_error("bench", 1, "%s", d.msg);
            goto out;
        }
        if (json)
            printf(", \"page_locked_total_ms\": %.4f, \"page_locked_pipelined_ips\": %.3f", locked,
                   locked_ips);
        else
            printf("page-locked    total %.3f ms median, pipelined %.2f images/s (the same calls "
                   "with the frame in yolo_host_alloc memory: uploaded with no staging copy)\n",
                   locked, locked_ips);
        struct yolo_stage_times gs;
        if (gpu_stage_split(ctx[0], imgs, batch, warmup, runs, &gs, &d) == 0) {
            if (json)
                printf(", \"gpu_pipeline_ms\": {\"upload\": %.4f, \"letterbox\": %.4f, "
                       "\"network\": %.4f, \"decode_nms\": %.4f, \"download\": %.4f}",
                       gs.upload_ms, gs.letterbox_ms, gs.network_ms, gs.select_ms, gs.download_ms);
            else
                printf("GPU pipeline   upload %.3f, letterbox %.3f, network %.3f, decode + NMS %.3f, "
                       "download %.3f ms (device-timed medians of the detect loop's stages)\n",
                       gs.upload_ms, gs.letterbox_ms, gs.network_ms, gs.select_ms, gs.download_ms);
        } else if (d.status != YOLO_ERR_UNSUPPORTED) {   /* unsupported: the CPU pipeline */
            cli_error("bench", 1, "%s", d.msg);
            goto out;
        }
        struct stages st = { 0, 0, 0 };
        if (device_stages(model, ctx[0], warmup, runs, &st, &d)) {
            cli_error("bench", 1, "%s", d.msg);
            goto out;
        }
        double cips = st.compute > 0 ? info.max_batch * 1000.0 / st.compute : 0.0;
        if (json)
            printf(", \"device_stages_ms\": {\"upload\": %.4f, \"compute\": %.4f, \"download\": "
                   "%.4f}, \"compute_ips\": %.1f", st.up, st.compute, st.down, cips);
        else
            printf("device stages  upload %.3f ms, compute %.3f ms, download %.3f ms (medians of "
                   "raw float tensors, batch %d); compute alone %.1f images/s\n", st.up, st.compute,
                   st.down, info.max_batch, cips);
    }
    if (profile && run_profile(pos[0], isa, device, half, threads, warmup, runs, json, &d)) {
        cli_error("bench", 1, "%s", d.msg);
        goto out;
    }
    rc = 0;
out:
    if (json_open)
        printf("}\n");
    for (int i = 0; ctx && i < instances; i++)
        yolo_ctx_free(ctx[i]);
    yolo_model_free(model);
    if (image)
        yolo_image_free(&src);
    free(pix);
    free(pre);
    free(inf);
    free(post);
    free(tot);
    free(dev_at);
    free(ctx);
    free(in);
    free(imgs);
    free(tid);
    return rc;
}
