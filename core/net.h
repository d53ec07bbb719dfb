/* net.h: the runtime. A net is a graph ready to run (kernels chosen once for this CPU),
 * shared read-only and reference counted; a runner is one execution context on a net with its
 * own arena and scratch, so N runners on one net cost N arenas and never N copies of the
 * weights.
 *
 * Threading: a net may be used by any number of runners on any threads at once. A runner is
 * used by one thread at a time; it borrows a pool (or runs on the caller alone). */
#ifndef YOLO_NET_H
#define YOLO_NET_H

#include "engine.h"
#include "pool.h"
#include "yolo_core.h"

struct yolo_net;
struct yolo_runner;

struct yolo_net_params {
    const char *isa;      /* "ref" | "avx2" | "avx512" | NULL: best the CPU has ($YOLO_ISA overrides NULL) */
};

/* Takes ownership of `engine` (freed with the net, also on failure). */
int  yolo_net_create(struct yolo_engine *engine, const struct yolo_net_params *p,
                     struct yolo_net **out, struct yolo_diag *d);
/* Wraps a graph that stays owned by the caller and must outlive the net (tests, build). */
int  yolo_net_create_graph(const struct yolo_graph *g, const struct yolo_net_params *p,
                           struct yolo_net **out, struct yolo_diag *d);
struct yolo_net *yolo_net_retain(struct yolo_net *net);
void yolo_net_free(struct yolo_net *net);   /* drops one reference; NULL ok */
const struct yolo_graph  *yolo_net_graph(const struct yolo_net *net);
const struct yolo_engine *yolo_net_engine(const struct yolo_net *net);  /* NULL for graph nets */
enum yolo_isa yolo_net_isa(const struct yolo_net *net);
/* Name of the kernel picked for node i: "ref" or the optimized variant ("gemm", ...). */
const char *yolo_net_kernel_name(const struct yolo_net *net, int32_t node);

/* pool is borrowed (NULL = run on the calling thread). */
int  yolo_runner_create(struct yolo_net *net, struct yolo_pool *pool, struct yolo_runner **out,
                        struct yolo_diag *d);
void yolo_runner_free(struct yolo_runner *r);
/* Runs the whole graph on what the caller wrote into the input tensors. */
int  yolo_runner_run(struct yolo_runner *r, struct yolo_diag *d);
/* Address of tensor t for this runner (inputs to fill, outputs to read). */
void *yolo_runner_tensor(struct yolo_runner *r, int32_t t);
uint64_t yolo_runner_arena_bytes(const struct yolo_runner *r);
uint64_t yolo_runner_scratch_bytes(const struct yolo_runner *r);
/* Per-node timing: when enabled, each run adds each node's wall time (ms, measured on
 * thread 0 across the node and its barrier) into node_ms[] (n_nodes entries). */
void yolo_runner_profile(struct yolo_runner *r, double *node_ms);

#endif
