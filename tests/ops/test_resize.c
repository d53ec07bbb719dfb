/* test_resize.c: Resize nearest (every coordinate_transformation_mode x nearest_mode pair the
 * op claims, opset 10's rule) and linear (half_pixel, asymmetric, align_corners, downsampling)
 * against hand-derived index maps and the ONNX spec's example outputs; scales vs sizes, roi
 * absent, empty scales (opset 11), opset 18 axes; the thread split; and rejection of every
 * unsupported or inconsistent form with a message. */
#include <math.h>

#include "harness.h"
#include "op_check.h"

#define SEED 1618u

struct rs_case {
    int rank; int64_t shape[6];
    const char *mode, *ctm, *nearest;   /* NULL: attribute absent */
    int use_sizes;                      /* values are sizes (int64) rather than scales */
    int n_vals; float scales[6]; int64_t sizes[6];
    int opset;                          /* 10: (X, scales); else (X, roi, scales[, sizes]) */
    int empty_scales;                   /* opset 11 style: empty scales next to sizes */
    int n_axes; int64_t axes[6];        /* opset 18 `axes` */
};

static int build(struct yolo_graph *g, const struct rs_case *c, int32_t *t, struct yolo_diag *d)
{
    yolo_graph_init(g);
    int32_t in[4];
    int n_in;
    int64_t nv = c->n_vals, zero = 0;
    in[0] = yolo_graph_add_tensor(g, "x", YOLO_DT_F32, c->rank, c->shape, d);
    if (c->opset <= 10) {
        in[1] = yolo_graph_add_const(g, "scales", YOLO_DT_F32, 1, &nv, c->scales, d);
        n_in = 2;
    } else if (c->use_sizes) {
        in[1] = -1;
        in[2] = c->empty_scales ? yolo_graph_add_const(g, "scales", YOLO_DT_F32, 1, &zero, NULL, d)
                                : -1;
        in[3] = yolo_graph_add_const(g, "sizes", YOLO_DT_I64, 1, &nv, c->sizes, d);
        n_in = 4;
    } else {
        in[1] = -1;
        in[2] = yolo_graph_add_const(g, "scales", YOLO_DT_F32, 1, &nv, c->scales, d);
        n_in = 3;
    }
    t[0] = in[0];
    t[1] = yolo_graph_add_tensor(g, "y", YOLO_DT_F32, -1, NULL, d);
    int32_t node = yolo_graph_add_node(g, YOLO_OP_RESIZE, "resize", n_in, in, 1, &t[1], d);
    struct yolo_attr av[4];
    int na = 0;
    if (c->mode)
        av[na++] = (struct yolo_attr){ .name = "mode", .type = YOLO_ATTR_STRING, .s = c->mode };
    if (c->ctm)
        av[na++] = (struct yolo_attr){ .name = "coordinate_transformation_mode",
                                       .type = YOLO_ATTR_STRING, .s = c->ctm };
    if (c->nearest)
        av[na++] = (struct yolo_attr){ .name = "nearest_mode", .type = YOLO_ATTR_STRING,
                                       .s = c->nearest };
    if (c->n_axes)
        av[na++] = (struct yolo_attr){ .name = "axes", .type = YOLO_ATTR_INTS, .ints = c->axes,
                                       .n_ints = c->n_axes };
    struct yolo_attrs attrs = { av, na, c->opset };
    int rc = yolo_op_resize.import_fn(g, &g->nodes[node], &attrs, d);
    return rc ? rc : yolo_op_resize.shape_fn(g, &g->nodes[node], d);
}

/* Runs c with x = 0, 1, 2, ... and returns a malloc'd copy of the output (NULL on error). */
static float *run(struct harness *h, const struct rs_case *c, int nth, int64_t *cnt)
{
    struct yolo_graph g;
    struct yolo_diag d = { 0 };
    struct op_check oc;
    int32_t t[2];
    int rc = build(&g, c, t, &d);
    rc = op_check_setup(h, rc, &oc, &g, 1, &d, "%s/%s/%s", c->mode ? c->mode : "-",
                        c->ctm ? c->ctm : "-", c->nearest ? c->nearest : "-");
    if (rc)
        return NULL;
    float *x = op_check_ptr(&oc, t[0]);
    for (int64_t i = 0; i < yolo_tensor_numel(&g.tensors[t[0]]); i++)
        x[i] = (float)i;
    op_check_run(&oc, nth);
    *cnt = yolo_tensor_numel(&g.tensors[t[1]]);
    float *y = op_check_copy(&oc, t[1]);
    op_check_release(&oc);
    yolo_graph_release(&g);
    return y;
}

/* Nearest along one axis of a [1, in] tensor holding 0..in-1: the output is the index map. */
static void check_maps(struct harness *h)
{
    struct { const char *ctm, *nm; int64_t in, out; float scale; int opset; int64_t map[8]; } m[] = {
        { "asymmetric", "floor", 2, 4, 2.0f, 13, { 0, 0, 1, 1 } },
        { "half_pixel", "round_prefer_floor", 4, 8, 2.0f, 13, { 0, 0, 1, 1, 2, 2, 3, 3 } },
        { "half_pixel", "ceil", 4, 8, 2.0f, 13, { 0, 1, 1, 2, 2, 3, 3, 3 } },
        { "align_corners", "floor", 4, 8, 2.0f, 13, { 0, 0, 0, 1, 1, 2, 2, 3 } },
        { "asymmetric", "round_prefer_ceil", 4, 8, 2.0f, 13, { 0, 1, 1, 2, 2, 3, 3, 3 } },
        { "asymmetric", "round_prefer_floor", 4, 8, 2.0f, 13, { 0, 0, 1, 1, 2, 2, 3, 3 } },
        { "tf_half_pixel_for_nearest", "floor", 4, 8, 2.0f, 13, { 0, 0, 1, 1, 2, 2, 3, 3 } },
        { "pytorch_half_pixel", "floor", 4, 1, 0.0f, 13, { 0 } },       /* sizes: 1 output -> 0 */
        { "half_pixel", "round_prefer_floor", 4, 1, 0.25f, 13, { 1 } }, /* 1.5 rounds down */
        { "half_pixel", "round_prefer_ceil", 5, 3, 0.6f, 13, { 0, 2, 4 } },
        { "asymmetric", "ceil", 3, 7, 0.0f, 13, { 0, 1, 1, 2, 2, 2, 2 } },  /* sizes 7/3 */
        { "pytorch_half_pixel", "round_prefer_floor", 3, 6, 2.0f, 13, { 0, 0, 1, 1, 2, 2 } },
        { NULL, NULL, 2, 4, 2.0f, 10, { 0, 0, 1, 1 } },                /* opset 10: truncate */
        { NULL, NULL, 4, 2, 0.6f, 10, { 0, 2 } },                      /* opset 10 down: ceil */
    };
    for (size_t i = 0; i < sizeof m / sizeof m[0]; i++) {
        struct rs_case c = { 2, { 1, m[i].in }, "nearest", m[i].ctm, m[i].nm, m[i].scale == 0.0f,
                             2, { 1.0f, m[i].scale }, { 1, m[i].out }, m[i].opset, 0, 0, { 0 } };
        int64_t cnt = 0;
        float *y = run(h, &c, 1, &cnt);
        int ok = y && cnt == m[i].out;
        for (int64_t k = 0; ok && k < cnt; k++)
            ok = y[k] == (float)m[i].map[k];
        CHECK(h, ok, "map %zu (%s, %s, %lld -> %lld, opset %d): got %lld values, first %g", i,
              m[i].ctm ? m[i].ctm : "-", m[i].nm ? m[i].nm : "-", (long long)m[i].in,
              (long long)m[i].out, m[i].opset, (long long)cnt, y && cnt ? y[0] : -1.0);
        free(y);
    }
}

/* The 2-D examples of the ONNX operator docs, with x = 0..15 (docs use 1..16). */
static void check_2d(struct harness *h)
{
    static const int64_t map_ceil[8] = { 0, 1, 1, 2, 2, 3, 3, 3 };
    struct rs_case c = { 4, { 1, 1, 4, 4 }, "nearest", "half_pixel", "ceil", 1, 4, { 0 },
                         { 1, 1, 8, 8 }, 13, 1, 0, { 0 } };
    int64_t cnt;
    float *y = run(h, &c, 3, &cnt);
    int ok = y && cnt == 64;
    for (int i = 0; ok && i < 64; i++)
        ok = y[i] == (float)(map_ceil[i / 8] * 4 + map_ceil[i % 8]);
    CHECK(h, ok, "4x4 -> 8x8 nearest half_pixel ceil (sizes, empty scales)");
    free(y);
    /* opset 18 axes: scales only for H and W */
    struct rs_case a = { 4, { 1, 2, 2, 2 }, "nearest", "asymmetric", "floor", 0, 2, { 2.0f, 2.0f },
                         { 0 }, 18, 0, 2, { 2, -1 } };
    y = run(h, &a, 2, &cnt);
    ok = y && cnt == 32;
    for (int i = 0; ok && i < 32; i++)
        ok = y[i] == (float)((i / 16) * 4 + (i % 16) / 8 * 2 + (i % 4) / 2);
    CHECK(h, ok, "opset 18 axes [2, -1]");
    free(y);
}

static void check_linear(struct harness *h)
{
    struct { const char *ctm; float scale; int64_t ih, iw, oh, ow; float want[16]; } v[] = {
        { "half_pixel", 2.0f, 2, 2, 4, 4, { 0.0f, 0.25f, 0.75f, 1.0f, 0.5f, 0.75f, 1.25f, 1.5f,
                                              1.5f, 1.75f, 2.25f, 2.5f, 2.0f, 2.25f, 2.75f, 3.0f } },
        { "pytorch_half_pixel", 2.0f, 2, 2, 4, 4, { 0.0f, 0.25f, 0.75f, 1.0f, 0.5f, 0.75f, 1.25f,
                                                      1.5f, 1.5f, 1.75f, 2.25f, 2.5f, 2.0f, 2.25f,
                                                      2.75f, 3.0f } },
        { "asymmetric", 2.0f, 2, 2, 4, 4, { 0.0f, 0.5f, 1.0f, 1.0f, 1.0f, 1.5f, 2.0f, 2.0f,
                                              2.0f, 2.5f, 3.0f, 3.0f, 2.0f, 2.5f, 3.0f, 3.0f } },
        { "align_corners", 2.0f, 2, 2, 4, 4, { 0.0f, 1 / 3.f, 2 / 3.f, 1.0f, 2 / 3.f, 1.0f, 4 / 3.f,
                                                 5 / 3.f, 4 / 3.f, 5 / 3.f, 2.0f, 7 / 3.f, 2.0f,
                                                 7 / 3.f, 8 / 3.f, 3.0f } },
        /* ONNX docs' downsample: [[1,2,3,4],[5,6,7,8]] x 0.6 -> [[2.6666665, 4.3333331]] */
        { "half_pixel", 0.6f, 2, 4, 1, 2, { 1.6666665f, 3.3333333f } },
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        struct rs_case c = { 4, { 1, 1, v[i].ih, v[i].iw }, "linear", v[i].ctm, NULL, 0, 4,
                             { 1, 1, v[i].scale, v[i].scale }, { 0 }, 13, 0, 0, { 0 } };
        int64_t cnt;
        float *y = run(h, &c, 1, &cnt);
        int ok = y && cnt == v[i].oh * v[i].ow;
        for (int64_t k = 0; ok && k < cnt; k++)
            ok = fabsf(y[k] - v[i].want[k]) < 1e-5f;
        CHECK(h, ok, "linear %s x%g: value %lld", v[i].ctm, (double)v[i].scale, (long long)cnt);
        free(y);
    }
}

/* Bigger random shapes: the thread split must not change a single value. */
static void check_threads(struct harness *h)
{
    const struct rs_case cs[] = {
        { 4, { 1, 3, 7, 5 }, "nearest", "asymmetric", "floor", 0, 4, { 1, 1, 2, 2 }, { 0 }, 11, 0,
          0, { 0 } },
        { 5, { 1, 3, 3, 5, 4 }, "nearest", "half_pixel", NULL, 1, 5, { 0 }, { 1, 2, 7, 3, 9 }, 13, 0,
          0, { 0 } },
        { 3, { 3, 7, 5 }, "linear", "align_corners", NULL, 1, 3, { 0 }, { 3, 17, 3 }, 19, 0, 0,
          { 0 } },
        { 4, { 2, 3, 5, 7 }, "linear", "half_pixel", NULL, 0, 4, { 1, 1, 1.7f, 0.6f }, { 0 }, 13, 0,
          0, { 0 } },
    };
    for (size_t i = 0; i < sizeof cs / sizeof cs[0]; i++) {
        int64_t c1, c3;
        float *a = run(h, &cs[i], 1, &c1), *b = run(h, &cs[i], 3, &c3);
        CHECK(h, a && b && c1 == c3 && memcmp(a, b, sizeof(float) * (size_t)c1) == 0,
              "thread split changes case %zu", i);
        free(a);
        free(b);
    }
}

static void check_bad(struct harness *h)
{
    const struct { struct rs_case c; int status; const char *needle; } bad[] = {
        { { 4, { 1, 1, 2, 2 }, "cubic", NULL, NULL, 0, 4, { 1, 1, 2, 2 }, { 0 }, 13, 0, 0, { 0 } },
          YOLO_ERR_UNSUPPORTED, "cubic" },
        { { 4, { 1, 1, 2, 2 }, "nearest", "tf_crop_and_resize", NULL, 0, 4, { 1, 1, 2, 2 }, { 0 },
            13, 0, 0, { 0 } }, YOLO_ERR_UNSUPPORTED, "tf_crop_and_resize" },
        { { 4, { 1, 1, 2, 2 }, "nearest", "half_pixel_symmetric", NULL, 0, 4, { 1, 1, 2, 2 }, { 0 },
            19, 0, 0, { 0 } }, YOLO_ERR_UNSUPPORTED, "half_pixel_symmetric" },
        { { 4, { 1, 1, 2, 2 }, "nearest", NULL, "nearest_even", 0, 4, { 1, 1, 2, 2 }, { 0 }, 13, 0,
            0, { 0 } }, YOLO_ERR_UNSUPPORTED, "nearest_even" },
        { { 4, { 1, 2, 2, 2 }, "linear", NULL, NULL, 0, 4, { 1, 2, 2, 2 }, { 0 }, 13, 0, 0, { 0 } },
          YOLO_ERR_UNSUPPORTED, "last two" },
        { { 4, { 1, 1, 2, 2 }, NULL, NULL, NULL, 0, 3, { 1, 2, 2 }, { 0 }, 13, 0, 0, { 0 } },
          YOLO_ERR_FORMAT, "scales" },
        { { 4, { 1, 1, 2, 2 }, NULL, NULL, NULL, 0, 4, { 1, 1, 0, 2 }, { 0 }, 13, 0, 0, { 0 } },
          YOLO_ERR_FORMAT, "scale" },
        { { 4, { 1, 1, 2, 2 }, NULL, NULL, NULL, 0, 4, { 1, 1, -2, 2 }, { 0 }, 13, 0, 0, { 0 } },
          YOLO_ERR_FORMAT, "scale" },
        { { 4, { 1, 1, 2, 2 }, NULL, NULL, NULL, 0, 4, { 1, 1, NAN, 2 }, { 0 }, 13, 0, 0, { 0 } },
          YOLO_ERR_FORMAT, "scale" },
        { { 4, { 1, 1, 2, 2 }, NULL, NULL, NULL, 0, 4, { 1, 1, 0.1f, 2 }, { 0 }, 13, 0, 0, { 0 } },
          YOLO_ERR_FORMAT, "size 0" },
        { { 4, { 1, 1, 2, 2 }, NULL, NULL, NULL, 1, 4, { 0 }, { 1, 1, 0, 4 }, 13, 0, 0, { 0 } },
          YOLO_ERR_FORMAT, "size" },
        { { 4, { 1, 1, 2, 2 }, NULL, NULL, NULL, 0, 2, { 2, 2 }, { 0 }, 18, 0, 2, { 2, 2 } },
          YOLO_ERR_FORMAT, "axis" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct yolo_graph g;
        struct yolo_diag d = { 0 };
        int32_t t[2];
        int rc = build(&g, &bad[i].c, t, &d);
        CHECK(h, rc == bad[i].status && strstr(d.msg, bad[i].needle), "bad case %zu: rc %d '%s'",
              i, rc, d.msg);
        yolo_graph_release(&g);
    }
    /* both scales and sizes; neither; non-constant scales; antialias */
    const struct rs_case ok = { 4, { 1, 1, 2, 2 }, NULL, NULL, NULL, 1, 4, { 1, 1, 2, 2 },
                                { 1, 1, 4, 4 }, 13, 1, 0, { 0 } };
    for (int k = 0; k < 4; k++) {
        struct yolo_graph g;
        struct yolo_diag d = { 0 };
        int32_t t[2];
        int rc = build(&g, &ok, t, &d);
        CHECK(h, rc == 0, "base: %s", d.msg);
        struct yolo_node *n = &g.nodes[0];
        int64_t four = 4;
        if (k == 0)
            n->in[2] = yolo_graph_add_const(&g, "s2", YOLO_DT_F32, 1, &four, ok.scales, &d);
        if (k == 1)
            n->in[3] = -1;
        if (k == 2) {
            n->in[3] = -1;
            n->in[2] = yolo_graph_add_tensor(&g, "s3", YOLO_DT_F32, 1, &four, &d);
        }
        if (k < 3) {
            rc = yolo_op_resize.shape_fn(&g, n, &d);
        } else {
            struct yolo_attr av = { .name = "antialias", .type = YOLO_ATTR_INT, .i = 1 };
            struct yolo_attrs attrs = { &av, 1, 18 };
            rc = yolo_op_resize.import_fn(&g, n, &attrs, &d);
        }
        CHECK(h, rc != 0 && d.msg[0] && (k != 2 || (rc == YOLO_ERR_UNSUPPORTED &&
                                                     strstr(d.msg, "must be a constant"))),
              "bad input case %d: rc %d '%s'", k, rc, d.msg);
        yolo_graph_release(&g);
    }
}

int main(void)
{
    HARNESS_INIT(h, "test_resize");
    printf("test_resize: seed %u\n", SEED);
    /* the YOLO upsample: 1x1x2x2 nearest 2x, asymmetric floor (x = 0..3) */
    struct rs_case up = { 4, { 1, 1, 2, 2 }, "nearest", "asymmetric", "floor", 0, 4,
                          { 1, 1, 2, 2 }, { 0 }, 11, 0, 0, { 0 } };
    const float want[16] = { 0, 0, 1, 1, 0, 0, 1, 1, 2, 2, 3, 3, 2, 2, 3, 3 };
    int64_t cnt;
    float *y = run(&h, &up, 1, &cnt);
    CHECK(&h, y && cnt == 16 && memcmp(y, want, sizeof want) == 0, "nearest 2x on 1x1x2x2");
    free(y);
    check_maps(&h);
    check_2d(&h);
    check_linear(&h);
    check_threads(&h);
    check_bad(&h);
    return harness_finish(&h);
}
