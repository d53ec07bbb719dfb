/* build.h: the generic part of `yolo build`: optimize and plan an imported graph. */
#ifndef YOLO_BUILD_H
#define YOLO_BUILD_H

#include "passes.h"
#include "yolo_core.h"

struct yolo_build_stats {
    int32_t nodes_imported, nodes_final;
    int32_t n_folded, n_bn_folded, n_act_fused, n_noops, n_dead;
    int32_t n_s2d;           /* stride-2 stems made SpaceToDepth + 3x3 (core/opt/stem_s2d.c) */
    struct yolo_plan_stats plan;
    char passes[128];
    int32_t n_qconv;         /* convolutions running on int8 (QConv) */
    int32_t n_conv_float;    /* convolutions left in float32 */
    int32_t n_bf16;          /* convolutions marked bfloat16 (yolo build --bf16) */        /* e.g. "fold,dce,fold_bn,fuse_act,noop,compact,plan" */
};

/* Every graph input must already have a fully known shape. Runs: shape inference with
 * constant folding, dead-node removal, BN folding, activation fusion, no-op removal, a
 * final inference check, compaction and memory planning. Messages name the node. */
int yolo_graph_optimize(struct yolo_graph *g, struct yolo_build_stats *st, struct yolo_diag *d);

#endif
