/* op_check.h: run the nodes of a tiny hand-made graph with chosen kernels, for per-op tests.
 *
 *   struct yolo_graph g; yolo_graph_init(&g);
 *   int32_t x = yolo_graph_add_tensor(&g, "x", YOLO_DT_F32, 4, (int64_t[]){1,3,7,9}, NULL);
 *   ... add consts, outputs (ndim -1) and the node, set its params ...
 *   struct op_check oc;
 *   op_check_prepare(&oc, &g, seed, &diag);     // shape_fn of every node, arena, random inputs
 *   op_check_run(&oc, NULL, 1);                 // reference kernels -> snapshot
 *   float *ref = op_check_copy(&oc, out);
 *   op_check_run(&oc, my_kernel, 3);            // kernel under test, split over 3 "threads"
 *   double e = op_check_nmse(ref, op_check_ptr(&oc, out), n);
 *   op_check_release(&oc); yolo_graph_release(&g);
 *
 * Threads are simulated: each node's kernel is called for ith = 0..nth-1 in turn, which is
 * enough to prove the split covers all the work exactly once.
 */
#ifndef YOLO_OP_CHECK_H
#define YOLO_OP_CHECK_H

#include "cpu/cpu.h"
#include "yolo_core.h"

struct op_check {
    struct yolo_graph *g;
    uint8_t *arena; uint64_t arena_bytes;
    uint8_t *scratch; uint64_t scratch_bytes;
    struct yolo_exec x;
    const void **node_data;           /* per node, as the CPU backend prepares it */
    void **owned;                     /* per node: packed weights made by op_check_run_cpu */
};

/* Runs shape_fn on every node in order, lays non-const tensors out one after another in a
 * fresh arena, and fills every non-const tensor that no node produces with values from the
 * seed (floats uniform in [-2, 2), int64 in [0, 8), bool 0/1). Returns 0 or a status. */
int   op_check_prepare(struct op_check *oc, struct yolo_graph *g, uint64_t seed, struct yolo_diag *d);
/* Runs every node: with kernel `k` for nodes whose op equals `op` (k NULL: the op's ref_fn),
 * giving it `scratch` bytes per thread, ref_fn for the others. nth >= 1. */
int   op_check_run_op(struct op_check *oc, enum yolo_op op, yolo_kernel_fn k, uint64_t scratch,
                      int nth);
/* Runs every node: nodes whose op equals `op` with the kernel the CPU backend picks at `isa`
 * (yolo_cpu_kernel_pick, its scratch), Conv weights packed in layout conv_kind (enum
 * yolo_conv_pack; -1: the layout the backend picks) as the backend packs them; ref_fn for the
 * others. *picked (may be NULL) gets the kernel's name. */
int   op_check_run_cpu(struct op_check *oc, enum yolo_op op, enum yolo_isa isa, int64_t conv_kind,
                       int nth, const char **picked);
/* All nodes with their ref_fn, each called for ith = 0..nth-1. */
int   op_check_run(struct op_check *oc, int nth);
void *op_check_ptr(struct op_check *oc, int32_t t);
float *op_check_copy(struct op_check *oc, int32_t t);  /* malloc'd copy of an F32 tensor */
/* Normalized mean squared error sum((a-b)^2) / max(sum(b^2), tiny). NaN anywhere -> 1e30. */
double op_check_nmse(const float *a, const float *b, int64_t n);
void  op_check_release(struct op_check *oc);

struct harness;
/* The usual start of a case: rc is the status of building g; then op_check_prepare. Returns
 * 0 to go on; else counts a failed check printed as "<context>: <reason>" (context is
 * printf-style), releases g and returns the status. */
int   op_check_setup(struct harness *h, int rc, struct op_check *oc, struct yolo_graph *g,
                     uint64_t seed, struct yolo_diag *d, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));

#endif
