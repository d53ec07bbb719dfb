/* net.h: the runtime. A net is a graph made ready to run on one backend (backend.h: every
 * node checked, weights prepared once), shared read-only and reference counted; a runner is
 * one execution context on a net with its own buffers, so N runners on one net cost N arenas
 * and never N copies of the weights. The runtime knows no device: it asks the backend.
 *
 * Threading: a net may be used by any number of runners on any threads at once. A runner is
 * used by one thread at a time; it borrows a pool (host threads, or NULL for the caller). */
#ifndef YOLO_NET_H
#define YOLO_NET_H

#include "backend.h"
#include "engine.h"
#include "pool.h"
#include "yolo_core.h"

struct yolo_net;
struct yolo_runner;

struct yolo_net_params {
    const char *isa;      /* CPU kernels: "ref" | "avx2" | "avx512" | NULL: best ($YOLO_ISA overrides NULL) */
    const char *backend;  /* "cpu" | "cuda" (NULL: "cpu") */
    int32_t     device;   /* device index, for backends with several */
    const char *precision;/* "fp32" | "fp16" for device backends (NULL: fp32) */
};

/* Takes ownership of `engine` (freed with the net, also on failure). */
int  yolo_net_create(struct yolo_engine *engine, const struct yolo_net_params *p,
                     struct yolo_net **out, struct yolo_diag *d);
/* Wraps a graph that stays owned by the caller and must outlive the net (tests, build). */
int  yolo_net_create_graph(const struct yolo_graph *g, const struct yolo_net_params *p,
                           struct yolo_net **out, struct yolo_diag *d);
struct yolo_net *yolo_net_retain(struct yolo_net *net);
void yolo_net_free(struct yolo_net *net);   /* drops one reference; NULL ok */
const struct yolo_graph   *yolo_net_graph(const struct yolo_net *net);
const struct yolo_engine  *yolo_net_engine(const struct yolo_net *net);  /* NULL for graph nets */
const struct yolo_backend *yolo_net_backend(const struct yolo_net *net);
/* The backend's kernel family ("avx512", ...), the kernel of node i ("alias" for a view that
 * runs nothing) and the bytes of weights the backend prepared at load. */
const char *yolo_net_variant(const struct yolo_net *net);
const char *yolo_net_kernel_name(const struct yolo_net *net, int32_t node);
uint64_t    yolo_net_prepared_bytes(const struct yolo_net *net);
/* Bytes in use on the net's device now (device backends; YOLO_ERR_UNSUPPORTED on the CPU). */
int         yolo_net_device_used(const struct yolo_net *net, uint64_t *bytes);

/* pool is borrowed (NULL = run on the calling thread). */
int  yolo_runner_create(struct yolo_net *net, struct yolo_pool *pool, struct yolo_runner **out,
                        struct yolo_diag *d);
void yolo_runner_free(struct yolo_runner *r);
/* Runs the whole graph on what the caller wrote into the input tensors. */
int  yolo_runner_run(struct yolo_runner *r, struct yolo_diag *d);
/* A device runner queues the run on yolo_runner_queue and returns at once (the caller waits
 * through its own work on that queue); a host runner, or one timing its nodes, runs it. */
int  yolo_runner_enqueue(struct yolo_runner *r, struct yolo_diag *d);
/* Host address of tensor t for this runner, or NULL where the backend's buffers are not host
 * memory: then use yolo_runner_tensor_set / _get. */
void *yolo_runner_tensor(struct yolo_runner *r, int32_t t);
/* Device backends: tensor t's device address and the runner's queue (cudaStream_t), else
 * NULL (backend.h). Work the caller enqueues on the queue runs before the next run. */
void *yolo_runner_device_tensor(struct yolo_runner *r, int32_t t);
void *yolo_runner_queue(struct yolo_runner *r);
/* Copies a whole tensor in or out (bytes must equal the tensor's). Returns a status. */
int  yolo_runner_tensor_set(struct yolo_runner *r, int32_t t, const void *src, uint64_t bytes);
int  yolo_runner_tensor_get(struct yolo_runner *r, int32_t t, void *dst, uint64_t bytes);
uint64_t yolo_runner_io_bytes(const struct yolo_runner *r, int32_t t);  /* tensor t's bytes */
uint64_t yolo_runner_arena_bytes(const struct yolo_runner *r);
uint64_t yolo_runner_bytes(const struct yolo_runner *r);   /* arena + scratch */
/* Per-node timing: when node_ms is not NULL, each run adds each node's wall time (ms) into
 * node_ms[] (n_nodes entries). */
void yolo_runner_profile(struct yolo_runner *r, double *node_ms);

#endif
