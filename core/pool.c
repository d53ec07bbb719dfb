/* pool.c: see pool.h. Workers sleep on a condvar between runs (no CPU burnt while idle) and
 * spin briefly at barriers inside a run, yielding after a while so an oversubscribed machine
 * still makes progress. */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "pool.h"

struct yolo_pool {
    int n;
    pthread_t *threads;
    pthread_mutex_t mu;
    pthread_cond_t wake, done;
    uint64_t generation;        /* bumped per run; guarded by mu */
    int active;                 /* workers still in the current run; guarded by mu */
    int stop;
    yolo_pool_task_fn fn;
    void *arg;
    atomic_int bar_count;
    atomic_uint bar_gen;
};

struct worker_arg { struct yolo_pool *p; int ith; };

static void *worker_main(void *v)
{
    struct worker_arg wa = *(struct worker_arg *)v;
    free(v);
    struct yolo_pool *p = wa.p;
    uint64_t seen = 0;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->stop && p->generation == seen)
            pthread_cond_wait(&p->wake, &p->mu);
        if (p->stop)
            break;
        seen = p->generation;
        yolo_pool_task_fn fn = p->fn;
        void *arg = p->arg;
        pthread_mutex_unlock(&p->mu);
        fn(arg, wa.ith, p->n);
        pthread_mutex_lock(&p->mu);
        if (--p->active == 0)
            pthread_cond_signal(&p->done);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

int yolo_pool_create(int n_threads, struct yolo_pool **out, struct yolo_diag *d)
{
    *out = NULL;
    if (n_threads < 1 || n_threads > 1024)
        return yolo_diag_set(d, YOLO_ERR_ARG, "thread count %d out of range 1..1024", n_threads);
    struct yolo_pool *p = calloc(1, sizeof *p);
    if (!p)
        return yolo_diag_set(d, YOLO_ERR_NOMEM, "out of memory creating a thread pool");
    p->n = n_threads;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->wake, NULL);
    pthread_cond_init(&p->done, NULL);
    atomic_init(&p->bar_count, 0);
    atomic_init(&p->bar_gen, 0);
    p->threads = calloc((size_t)n_threads, sizeof *p->threads);
    if (!p->threads) {
        yolo_pool_free(p);
        return yolo_diag_set(d, YOLO_ERR_NOMEM, "out of memory creating a thread pool");
    }
    for (int i = 1; i < n_threads; i++) {
        struct worker_arg *wa = malloc(sizeof *wa);
        if (wa) {
            wa->p = p;
            wa->ith = i;
        }
        if (!wa || pthread_create(&p->threads[i], NULL, worker_main, wa) != 0) {
            free(wa);
            p->n = i;              /* only join what started */
            yolo_pool_free(p);
            return yolo_diag_set(d, YOLO_ERR_NOMEM, "cannot start worker thread %d of %d", i, n_threads);
        }
    }
    *out = p;
    return 0;
}

void yolo_pool_free(struct yolo_pool *p)
{
    if (!p)
        return;
    if (p->threads) {
        pthread_mutex_lock(&p->mu);
        p->stop = 1;
        pthread_cond_broadcast(&p->wake);
        pthread_mutex_unlock(&p->mu);
        for (int i = 1; i < p->n; i++)
            pthread_join(p->threads[i], NULL);
    }
    free(p->threads);
    pthread_cond_destroy(&p->done);
    pthread_cond_destroy(&p->wake);
    pthread_mutex_destroy(&p->mu);
    free(p);
}

int yolo_pool_size(const struct yolo_pool *p)
{
    return p ? p->n : 1;
}

void yolo_pool_run(struct yolo_pool *p, yolo_pool_task_fn fn, void *arg)
{
    if (!p || p->n == 1) {
        fn(arg, 0, 1);
        return;
    }
    pthread_mutex_lock(&p->mu);
    p->fn = fn;
    p->arg = arg;
    p->active = p->n - 1;
    p->generation++;
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->mu);
    fn(arg, 0, p->n);
    pthread_mutex_lock(&p->mu);
    while (p->active > 0)
        pthread_cond_wait(&p->done, &p->mu);
    pthread_mutex_unlock(&p->mu);
}

void yolo_pool_barrier(struct yolo_pool *p)
{
    if (!p || p->n == 1)
        return;
    unsigned gen = atomic_load(&p->bar_gen);
    if (atomic_fetch_add(&p->bar_count, 1) == p->n - 1) {
        atomic_store(&p->bar_count, 0);
        atomic_fetch_add(&p->bar_gen, 1);
        return;
    }
    for (unsigned spins = 0; atomic_load(&p->bar_gen) == gen; spins++) {
        if (spins < 4096) {
#if defined(__x86_64__) || defined(__i386__)
            __builtin_ia32_pause();
#endif
        } else {
            sched_yield();
        }
    }
}
