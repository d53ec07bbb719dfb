/* pool.h: an explicit thread pool (no globals). The caller of yolo_pool_run acts as thread 0;
 * n_threads - 1 workers wait on a condition variable between runs. Inside a run, threads
 * meet at yolo_pool_barrier (a spinning barrier: graph nodes are short). A pool runs one task
 * at a time: callers that share a pool must serialize their runs. */
#ifndef YOLO_POOL_H
#define YOLO_POOL_H

#include "yolo_core.h"

struct yolo_pool;
typedef void (*yolo_pool_task_fn)(void *arg, int ith, int nth);

/* n_threads >= 1 (1 = no workers: tasks run on the caller). Returns a status. */
int  yolo_pool_create(int n_threads, struct yolo_pool **out, struct yolo_diag *d);
void yolo_pool_free(struct yolo_pool *p);                 /* NULL ok; joins the workers */
int  yolo_pool_size(const struct yolo_pool *p);           /* 1 for NULL */
/* Runs fn(arg, ith, nth) on every thread of the pool (p NULL: once on the caller with
 * ith 0, nth 1) and returns when all have finished. */
void yolo_pool_run(struct yolo_pool *p, yolo_pool_task_fn fn, void *arg);
/* Waits until all nth threads of the current run have reached it. */
void yolo_pool_barrier(struct yolo_pool *p);

#endif
