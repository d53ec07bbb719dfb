/* test_head_class.c: the class-score branch of a detection head (yolo_head_class_conv,
 * core/opt/head_class.c), which keeps float32 Winograd in bf16 engines (cpu/select.c): on the
 * shared models built as they are (box and class tensors concatenated apart), the branch is
 * every scale's logits Conv and the two Convs before it, and nothing else: 9 Convs named cv3
 * in yolov8n_dq, yolo11n_dq and yolov10n_dq (its one2one head), none in yolov5n (its head has
 * no such branch). And on a head as Ultralytics exports it (per scale a Concat of box and
 * class Convs along the channels, a view, a Concat of the scales, a Split into box and class,
 * the Sigmoid on the class part), built by hand: the three class Convs of each of 2 scales,
 * not the box ones; with the Split's sizes not matching the per-scale Concat, none. */
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "ops/op_params.h"
#include "passes.h"
#include "plan_models.h"
#include "qgraph.h"

/* x [1, 8, 4, 4] -> per scale s: box = conv_b (8 -> 4), cls = conv_c2(conv_c1(conv_c0(x)))
 * (8 -> 8 -> 8 -> 3), Concat(box, cls) on the channels, Reshape [1, 7, 16]; Concat of the
 * scales on axis 2; Split into [4, 3] (or [3, 4]) on the channels; Sigmoid of part 1. */
static void build_split_head(struct yolo_graph *g, int matching)
{
    uint64_t seed = 7;
    yolo_graph_init(g);
    const int64_t xs[4] = { 1, 8, 4, 4 }, two = 2, three = 3;
    int32_t x = yolo_graph_add_tensor(g, "x", YOLO_DT_F32, 4, xs, NULL);
    qg_input(g, x);
    const int64_t shape[3] = { 1, 7, 16 }, sizes[2] = { matching ? 4 : 3, matching ? 3 : 4 };
    int32_t shp = yolo_graph_add_const(g, "shape", YOLO_DT_I64, 1, &three, shape, NULL);
    int32_t szs = yolo_graph_add_const(g, "sizes", YOLO_DT_I64, 1, &two, sizes, NULL);
    int32_t views[2];
    for (int s = 0; s < 2; s++) {
        char nm[32];
        int32_t prev = x, box = -1;
        static const char *const parts[] = { "box", "cls0", "cls1", "cls2" };
        for (int k = 0; k < 4; k++) {
            int64_t ws[4] = { k == 0 ? 4 : k == 3 ? 3 : 8, 8, 1, 1 };
            float w[64];
            for (int i = 0; i < 64; i++)
                w[i] = harness_randf(&seed, -1, 1);
            snprintf(nm, sizeof nm, "w_%s_%d", parts[k], s);
            int32_t wt = yolo_graph_add_const(g, nm, YOLO_DT_F32, 4, ws, w, NULL);
            snprintf(nm, sizeof nm, "%s_%d", parts[k], s);
            int32_t out = qg_tensor(g, nm);
            qg_node(g, YOLO_OP_CONV, nm, 2, (int32_t[]){ k == 0 ? x : prev, wt }, out);
            if (k == 0)
                box = out;
            else
                prev = out;
        }
        snprintf(nm, sizeof nm, "cat_%d", s);
        int32_t cat = qg_tensor(g, nm);
        int32_t c = qg_node(g, YOLO_OP_CONCAT, nm, 2, (int32_t[]){ box, prev }, cat);
        g->nodes[c].params[YOLO_CC_AXIS] = 1;
        snprintf(nm, sizeof nm, "view_%d", s);
        views[s] = qg_tensor(g, nm);
        qg_node(g, YOLO_OP_RESHAPE, nm, 2, (int32_t[]){ cat, shp }, views[s]);
    }
    int32_t all = qg_tensor(g, "scales"), parts[2] = { qg_tensor(g, "p_box"), qg_tensor(g, "p_cls") };
    int32_t c = qg_node(g, YOLO_OP_CONCAT, "scales", 2, views, all);
    g->nodes[c].params[YOLO_CC_AXIS] = 2;
    int32_t sp = yolo_graph_add_node(g, YOLO_OP_SPLIT, "split", 2, (int32_t[]){ all, szs }, 2, parts,
                                     NULL);
    struct yolo_attrs none = { NULL, 0, 19 };
    yolo_op_impl_get(YOLO_OP_SPLIT)->import_fn(g, &g->nodes[sp], &none, NULL);
    g->nodes[sp].params[YOLO_SP_AXIS] = 1;
    int32_t y = qg_tensor(g, "y");
    qg_node(g, YOLO_OP_SIGMOID, "sigmoid", 1, (int32_t[]){ parts[1] }, y);
    qg_output(g, y);
    qg_output(g, parts[0]);
}

static void check_split_head(struct harness *h)
{
    for (int matching = 1; matching >= 0; matching--) {
        struct yolo_graph g;
        struct yolo_diag d = { 0 };
        build_split_head(&g, matching);
        int rc = yolo_graph_infer(&g, 0, &d);
        CHECK(h, rc == 0, "split head: %s", d.msg);
        int n = 0, cls = 0;
        for (int32_t k = 0; !rc && k < g.n_nodes; k++) {
            if (g.nodes[k].op != YOLO_OP_CONV || !yolo_head_class_conv(&g, k))
                continue;
            n++;
            cls += strncmp(g.nodes[k].name, "cls", 3) == 0;
        }
        printf("Ultralytics-style head, Split sizes %s: %d Convs in the class branch\n",
               matching ? "matching" : "not matching", n);
        CHECK(h, matching ? n == 6 && cls == 6 : n == 0, "split head (%s sizes): %d Convs "
              "(%d of them cls)", matching ? "matching" : "other", n, cls);
        yolo_graph_release(&g);
    }
}

int main(void)
{
    HARNESS_INIT(h, "test_head_class");
    const char *shared = harness_shared_dir();
    static const struct { const char *model; int want; } cases[] = {
        { "yolov8n_dq", 9 }, { "yolo11n_dq", 9 }, { "yolov10n_dq", 9 }, { "yolov5n", 0 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct yolo_diag d = { 0 };
        struct yolo_engine *e = NULL;
        int rc = pm_build_batch(shared, cases[i].model, 1, &e, &d);
        CHECK(&h, rc == 0, "%s: build: %s", cases[i].model, d.msg);
        if (rc)
            continue;
        const struct yolo_graph *g = &e->graph;
        int n = 0, named = 0, convs = 0;
        for (int32_t k = 0; k < g->n_nodes; k++) {
            if (g->nodes[k].op != YOLO_OP_CONV)
                continue;
            convs++;
            if (yolo_head_class_conv(g, k)) {
                n++;
                named += strstr(g->nodes[k].name, "cv3") != NULL;
            }
        }
        printf("%-12s %d of %d Convs in the class branch\n", cases[i].model, n, convs);
        CHECK(&h, n == cases[i].want && named == n, "%s: %d Convs in the class branch (%d named "
              "cv3), want %d", cases[i].model, n, named, cases[i].want);
        yolo_engine_free(e);
    }
    check_split_head(&h);
    return harness_finish(&h);
}
