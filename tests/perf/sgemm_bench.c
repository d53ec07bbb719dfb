/* sgemm_bench.c: the FP32 roofline for `make bench`: OpenBLAS cblas_sgemm GFLOP/s on square
 * matrices, one thread (openblas_set_num_threads(1), as the runtime uses it) and, with -t T,
 * T threads each running its own sgemm at once (the aggregate is what T cores can do).
 *
 *   sgemm_bench [-n N] [-t T] [-r R]     N = 1024, T = 1, R = 10 by default
 *
 * Prints "sgemm N=1024 threads=1 gflops=95.3" (median of R timed products after one
 * warm-up, per thread, summed over threads). Exit 0, or 2 on bad arguments. Not run by
 * `make test` (timing): scripts/bench.sh builds and runs it. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <cblas.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void openblas_set_num_threads(int num_threads);

struct job { int n, reps; float *a, *b, *c; double gflops; };

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return a < b ? -1 : a > b;
}

static void *run(void *arg)
{
    struct job *j = arg;
    double t[256];
    int n = j->n;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, j->a, n, j->b, n, 0.0f, j->c, n);
    for (int r = 0; r < j->reps; r++) {
        double t0 = now_s();
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, j->a, n, j->b, n, 0.0f,
                    j->c, n);
        t[r] = now_s() - t0;
    }
    qsort(t, (size_t)j->reps, sizeof t[0], cmp);
    j->gflops = 2.0 * n * (double)n * n / t[j->reps / 2] / 1e9;
    return NULL;
}

int main(int argc, char **argv)
{
    int n = 1024, threads = 1, reps = 10;
    for (int i = 1; i < argc; i++) {
        int *dst = !strcmp(argv[i], "-n") ? &n : !strcmp(argv[i], "-t") ? &threads
                 : !strcmp(argv[i], "-r") ? &reps : NULL;
        if (!dst || i + 1 >= argc) {
            fprintf(stderr, "usage: sgemm_bench [-n N] [-t T] [-r R]\n");
            return 2;
        }
        *dst = atoi(argv[++i]);
    }
    if (n < 16 || n > 8192 || threads < 1 || threads > 256 || reps < 1 || reps > 256) {
        fprintf(stderr, "sgemm_bench: -n 16..8192, -t 1..256, -r 1..256\n");
        return 2;
    }
    openblas_set_num_threads(1);
    struct job *jobs = calloc((size_t)threads, sizeof *jobs);
    pthread_t *tid = calloc((size_t)threads, sizeof *tid);
    if (!jobs || !tid)
        return 1;
    size_t sz = (size_t)n * (size_t)n;
    for (int t = 0; t < threads; t++) {
        jobs[t] = (struct job){ n, reps, malloc(sz * 4), malloc(sz * 4), malloc(sz * 4), 0 };
        if (!jobs[t].a || !jobs[t].b || !jobs[t].c)
            return 1;
        for (size_t i = 0; i < sz; i++) {
            jobs[t].a[i] = (float)((i * 7) % 13) / 13.0f - 0.5f;
            jobs[t].b[i] = (float)((i * 11) % 17) / 17.0f - 0.5f;
        }
    }
    for (int t = 1; t < threads; t++)
        if (pthread_create(&tid[t], NULL, run, &jobs[t]))
            return 1;
    run(&jobs[0]);
    double sum = jobs[0].gflops;
    for (int t = 1; t < threads; t++) {
        pthread_join(tid[t], NULL);
        sum += jobs[t].gflops;
    }
    printf("sgemm N=%d threads=%d gflops=%.1f\n", n, threads, sum);
    for (int t = 0; t < threads; t++) {
        free(jobs[t].a);
        free(jobs[t].b);
        free(jobs[t].c);
    }
    free(jobs);
    free(tid);
    return 0;
}
