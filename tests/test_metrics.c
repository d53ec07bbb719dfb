/* test_metrics.c: the mAP evaluator (eval/metrics.c) on hand-computed cases.
 *
 * Conventions used in the derivations below (Ultralytics' method, see metrics.h):
 * - AP = trapezoid integral over x = 0, 0.01, ..., 1 of np.interp(x, mrec, env), where
 *   mrec = [0, recall..., 1], mpre = [1, precision..., 0] and env is mpre's running maximum from
 *   the right. At x = 1 np.interp returns the LAST point (1, 0), so even a perfect class gets
 *   0.99 * 1 + 0.01 * (1 + 0) / 2 = 0.995, not 1 ("AP_PERFECT").
 * - A threshold where a class has predictions but no TP: recall = precision = 0 everywhere, env
 *   is 0 from x = 0 on (the interpolation at x = 0 lands on the last point with mrec = 0), so
 *   AP = 0.
 * - P, R: curves over the confidence grid x_g = g / 999; F1 = 2PR / (P + R); the grid point
 *   maximising the mean F1 after a 101-point box filter gives P and R. When the curves are flat
 *   for all x <= the lowest confidence, the filter's window at g = 0 (which repeats y[0]) is
 *   already maximal and the first maximum wins: best_conf = 0, P and R are the values below the
 *   lowest confidence (= the final cumulative precision and recall).
 */
#include <math.h>

#include "harness.h"
#include "../eval/metrics.h"

#define AP_PERFECT 0.995
#define TOL 1e-12

static int near(double a, double b, double tol)
{
    return fabs(a - b) <= tol;
}

static struct yolo_eval_box gtb(int32_t c, float x1, float y1, float x2, float y2)
{
    struct yolo_eval_box b = { c, x1, y1, x2, y2 };
    return b;
}

static struct yolo_eval_det det(int32_t c, float conf, float x1, float y1, float x2, float y2)
{
    struct yolo_eval_det p = { c, conf, x1, y1, x2, y2 };
    return p;
}

/* Runs compute on e and checks it succeeded. */
static int compute(struct harness *h, struct yolo_eval *e, struct yolo_eval_result *r)
{
    struct yolo_diag d = { 0, "" };
    int rc = yolo_eval_compute(e, r, &d);
    CHECK(h, rc == YOLO_OK, "compute: %s", d.msg);
    return rc;
}

static const struct yolo_eval_class *find_class(const struct yolo_eval_result *r, int32_t c)
{
    for (int32_t k = 0; k < r->n_classes; k++)
        if (r->classes[k].cls == c)
            return &r->classes[k];
    return NULL;
}

/* ------------------------------------------------------------------ building blocks */

static void test_thresholds_and_iou(struct harness *h)
{
    const float *t = yolo_eval_iou_thresholds();
    for (int k = 0; k < YOLO_EVAL_N_IOU; k++)
        CHECK(h, t[k] == (float)(0.5 + 0.05 * k), "threshold %d = %.9g", k, t[k]);

    /* gt 100x100; a prediction [0, 0, w, 100] inside it: inter = 100w, union = 10000 (+1e-7,
     * which float32 absorbs), IoU = w / 100 in float32. */
    struct yolo_eval_box g = gtb(0, 0, 0, 100, 100);
    struct yolo_eval_det p = det(0, 1, 0, 0, 50, 100);
    CHECK(h, yolo_eval_box_iou(&g, &p) == 0.5f, "iou half %.9g", yolo_eval_box_iou(&g, &p));
    p = det(0, 1, 0, 0, 100, 100);
    CHECK(h, yolo_eval_box_iou(&g, &p) == 1.0f, "iou same %.9g", yolo_eval_box_iou(&g, &p));
    p = det(0, 1, 200, 200, 300, 300);
    CHECK(h, yolo_eval_box_iou(&g, &p) == 0.0f, "iou disjoint %.9g", yolo_eval_box_iou(&g, &p));
    /* Half-shifted: inter 50x100 = 5000, union 15000 -> 1/3. */
    p = det(0, 1, 50, 0, 150, 100);
    CHECK(h, near(yolo_eval_box_iou(&g, &p), 1.0 / 3.0, 1e-6), "iou shifted %.9g",
          yolo_eval_box_iou(&g, &p));
    /* Zero-area boxes: 0 / (0 + 1e-7) = 0, not NaN. */
    struct yolo_eval_box gz = gtb(0, 5, 5, 5, 5);
    p = det(0, 1, 5, 5, 5, 5);
    CHECK(h, yolo_eval_box_iou(&gz, &p) == 0.0f, "iou zero-area %.9g", yolo_eval_box_iou(&gz, &p));
}

static void test_compute_ap(struct harness *h)
{
    /* No points: mrec [0, 1], mpre [1, 0]: y = 1 - x, exact under the trapezoid rule: 0.5. */
    double ap = yolo_eval_compute_ap(NULL, NULL, 0);
    CHECK(h, near(ap, 0.5, TOL), "empty curve ap %.17g", ap);

    /* One TP, complete recall: mrec [0, 1, 1], env [1, 1, 0]: 1 until x = 1, 0 at x = 1. */
    double r1[] = { 1.0 }, p1[] = { 1.0 };
    ap = yolo_eval_compute_ap(r1, p1, 1);
    CHECK(h, near(ap, AP_PERFECT, TOL), "perfect ap %.17g", ap);

    /* recall [0.5, 0.5, 1], precision [1, 0.5, 2/3]: mrec [0, .5, .5, 1, 1],
     * env [1, 1, 2/3, 2/3, 0]. Samples: x < 0.5 -> 1; x = 0.5 -> the LAST point with
     * mrec <= 0.5, index 2 -> 2/3; 0.5 < x < 1 -> 2/3; x = 1 -> 0. Trapezoids:
     * 49 * 0.01 * 1 + 0.01 * (1 + 2/3) / 2 + 49 * 0.01 * 2/3 + 0.01 * (2/3) / 2. */
    double r3[] = { 0.5, 0.5, 1.0 }, p3[] = { 1.0, 0.5, 2.0 / 3.0 };
    double want = 0.49 + 0.01 * (5.0 / 3.0) / 2 + 0.49 * (2.0 / 3.0) + 0.01 / 3.0;
    ap = yolo_eval_compute_ap(r3, p3, 3);
    CHECK(h, near(ap, want, TOL), "3-point ap %.17g want %.17g", ap, want);

    /* recall [0.5], precision [1]: env [1, 1, 0] over mrec [0, .5, 1]: 1 up to 0.5, then the
     * line from (0.5, 1) to (1, 0): area 0.5 + 0.25 = 0.75 (trapezoids are exact on lines). */
    double r4[] = { 0.5 }, p4[] = { 1.0 };
    ap = yolo_eval_compute_ap(r4, p4, 1);
    CHECK(h, near(ap, 0.75, TOL), "half-recall ap %.17g", ap);

    /* Precision 0 everywhere: env is 0 from mrec[1] = 0 on -> AP 0. */
    double r5[] = { 0.0, 0.0 }, p5[] = { 0.0, 0.0 };
    ap = yolo_eval_compute_ap(r5, p5, 2);
    CHECK(h, near(ap, 0.0, TOL), "no-tp ap %.17g", ap);

    /* A FP first, then the TP: recall [0, 1], precision [0, 0.5]: mrec [0, 0, 1, 1],
     * env [1, .5, .5, 0]; x = 0 hits index 1 (0.5), then 0.5 until x = 1 (0):
     * 0.99 * 0.5 + 0.01 * 0.5 / 2 = 0.4975. */
    double r6[] = { 0.0, 1.0 }, p6[] = { 0.0, 0.5 };
    ap = yolo_eval_compute_ap(r6, p6, 2);
    CHECK(h, near(ap, 0.4975, TOL), "fp-first ap %.17g", ap);
}

/* ------------------------------------------------------------------ matching */

static void test_match(struct harness *h)
{
    struct yolo_diag d = { 0, "" };
    uint16_t tp[4];

    /* Thresholds: an IoU of exactly 0.5 counts (>=); 0.501 passes only 0.5; 0.499 nothing;
     * w = 95 gives 9500/10000 = 0.95f, the last threshold exactly; 94.9 misses only it. */
    struct yolo_eval_box g = gtb(0, 0, 0, 100, 100);
    const struct { float w; uint16_t bits; } cases[] = {
        { 50.0f, 0x001 }, { 50.1f, 0x001 }, { 49.9f, 0x000 }, { 69.9f, 0x00f },
        { 70.1f, 0x01f }, { 95.0f, 0x3ff }, { 95.1f, 0x3ff }, { 94.9f, 0x1ff }, { 100.0f, 0x3ff },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct yolo_eval_det p = det(0, 0.9f, 0, 0, cases[i].w, 100);
        int rc = yolo_eval_match(&g, 1, &p, 1, tp, &d);
        CHECK(h, rc == YOLO_OK && tp[0] == cases[i].bits, "w %.1f iou %.9g: bits 0x%03x want 0x%03x",
              cases[i].w, yolo_eval_box_iou(&g, &p), tp[0], cases[i].bits);
    }

    /* Wrong class: same box, no match. */
    struct yolo_eval_det pw = det(1, 0.9f, 0, 0, 100, 100);
    yolo_eval_match(&g, 1, &pw, 1, tp, &d);
    CHECK(h, tp[0] == 0, "wrong class bits 0x%03x", tp[0]);

    /* Duplicate: both predictions choose the one gt; it keeps the first (most confident). */
    struct yolo_eval_det dup[2] = { det(0, 0.9f, 0, 0, 100, 100), det(0, 0.8f, 0, 0, 100, 100) };
    yolo_eval_match(&g, 1, dup, 2, tp, &d);
    CHECK(h, tp[0] == 0x3ff && tp[1] == 0, "duplicate bits 0x%03x 0x%03x", tp[0], tp[1]);

    /* Ultralytics' rule is "each prediction takes its best gt, each gt its first prediction",
     * not a global IoU-greedy assignment:
     *   gt0 [0,0,100,100], gt1 [50,0,150,100]
     *   p0 (conf .9) [20,0,120,100]: IoU gt0 8000/12000 = .667, gt1 7000/13000 = .538
     *   p1 (conf .8) [2,0,102,100]:  IoU gt0 9800/10200 = .961, gt1 5200/14800 = .351
     * thr .50-.65: both pick gt0 -> gt0 keeps p0; p1 is FP (a global greedy would give gt0-p1
     *              and gt1-p0, two TPs) -> p0 bits 0..3
     * thr .70-.95: p0 qualifies nowhere; p1 picks gt0 -> p1 bits 4..9 */
    struct yolo_eval_box g2[2] = { gtb(0, 0, 0, 100, 100), gtb(0, 50, 0, 150, 100) };
    struct yolo_eval_det p2[2] = { det(0, 0.9f, 20, 0, 120, 100), det(0, 0.8f, 2, 0, 102, 100) };
    yolo_eval_match(g2, 2, p2, 2, tp, &d);
    CHECK(h, tp[0] == 0x00f && tp[1] == 0x3f0, "best-gt rule bits 0x%03x 0x%03x", tp[0], tp[1]);

    /* Equal IoUs: p0 [10,0,110,100] has IoU 9000/11000 with both gt0 [0,0,100,100] and gt1
     * [20,0,120,100]; as a stable argsort reversed would, the later gt (gt1) wins. p1 equals
     * gt0 (IoU 1, gt1 .667) so it picks gt0: both TP. Had the tie gone to gt0, p1 would be FP. */
    struct yolo_eval_box g3[2] = { gtb(0, 0, 0, 100, 100), gtb(0, 20, 0, 120, 100) };
    struct yolo_eval_det p3[2] = { det(0, 0.9f, 10, 0, 110, 100), det(0, 0.8f, 0, 0, 100, 100) };
    yolo_eval_match(g3, 2, p3, 2, tp, &d);
    CHECK(h, (tp[0] & 1) && (tp[1] & 1), "tie rule bits 0x%03x 0x%03x", tp[0], tp[1]);

    /* Classes are matched separately: a class-1 gt next to a class-0 gt with the same box. */
    struct yolo_eval_box g4[2] = { gtb(0, 0, 0, 100, 100), gtb(1, 0, 0, 100, 100) };
    struct yolo_eval_det p4[2] = { det(1, 0.9f, 0, 0, 100, 100), det(0, 0.8f, 0, 0, 100, 100) };
    yolo_eval_match(g4, 2, p4, 2, tp, &d);
    CHECK(h, tp[0] == 0x3ff && tp[1] == 0x3ff, "per-class bits 0x%03x 0x%03x", tp[0], tp[1]);

    /* No gt: every prediction FP; no predictions: nothing to do. Bad arguments. */
    tp[0] = 0xffff;
    CHECK(h, yolo_eval_match(NULL, 0, dup, 1, tp, &d) == YOLO_OK && tp[0] == 0, "no gt 0x%x", tp[0]);
    CHECK(h, yolo_eval_match(&g, 1, NULL, 0, NULL, &d) == YOLO_OK, "no preds");
    CHECK(h, yolo_eval_match(&g, -1, dup, 1, tp, &d) == YOLO_ERR_ARG, "negative count");
    CHECK(h, yolo_eval_match(NULL, 1, dup, 1, tp, &d) == YOLO_ERR_ARG, "NULL gt");
}

/* ------------------------------------------------------------------ whole evaluations */

static void test_perfect(struct harness *h)
{
    /* Two objects, both found exactly (IoU 1 at every threshold). recall [.5, 1], precision
     * [1, 1] -> env 1 until x = 1 -> AP 0.995 at all 10 thresholds. P = R = 1 for x <= 0.8. */
    struct yolo_eval *e = yolo_eval_create(2, NULL);
    struct yolo_eval_box g[2] = { gtb(0, 10, 10, 110, 60), gtb(0, 200, 100, 260, 300) };
    struct yolo_eval_det p[2] = { det(0, 0.8f, 200, 100, 260, 300), det(0, 0.9f, 10, 10, 110, 60) };
    struct yolo_eval_result r;
    CHECK(h, yolo_eval_add_image(e, g, 2, p, 2, NULL) == YOLO_OK, "add");
    if (compute(h, e, &r) == YOLO_OK) {
        CHECK(h, r.n_images == 1 && r.n_instances == 2 && r.n_preds == 2 && r.any_tp,
              "counts %lld %lld %lld", (long long)r.n_images, (long long)r.n_instances,
              (long long)r.n_preds);
        CHECK(h, near(r.map50, AP_PERFECT, TOL) && near(r.map50_95, AP_PERFECT, TOL) &&
              near(r.map75, AP_PERFECT, TOL), "perfect map50 %.17g map %.17g", r.map50,
              r.map50_95);
        CHECK(h, r.precision == 1.0 && r.recall == 1.0 && r.best_conf == 0.0,
              "perfect P %.17g R %.17g conf %.17g", r.precision, r.recall, r.best_conf);
        CHECK(h, r.n_classes == 1 && r.classes[0].cls == 0 && r.classes[0].n_images == 1 &&
              r.classes[0].n_instances == 2 && r.classes[0].n_preds == 2 &&
              near(r.classes[0].f1, 1.0, TOL), "perfect classes %d", (int)r.n_classes);
        for (int k = 0; k < YOLO_EVAL_N_IOU && r.n_classes; k++)
            CHECK(h, near(r.classes[0].ap[k], AP_PERFECT, TOL), "ap[%d] %.17g", k,
                  r.classes[0].ap[k]);
    }
    yolo_eval_result_release(&r);
    CHECK(h, r.classes == NULL && r.n_classes == 0, "release zeroes");
    yolo_eval_free(e);
}

static void test_missed_object(struct harness *h)
{
    /* Two objects, one found exactly at conf .9: recall [.5], precision [1]: AP 0.75 at every
     * threshold (see test_compute_ap). Curves: R = .5, P = 1 for x <= .9 -> P 1, R .5. */
    struct yolo_eval *e = yolo_eval_create(1, NULL);
    struct yolo_eval_box g[2] = { gtb(0, 0, 0, 100, 100), gtb(0, 300, 300, 350, 380) };
    struct yolo_eval_det p = det(0, 0.9f, 0, 0, 100, 100);
    struct yolo_eval_result r;
    yolo_eval_add_image(e, g, 2, &p, 1, NULL);
    if (compute(h, e, &r) == YOLO_OK) {
        CHECK(h, near(r.map50, 0.75, TOL) && near(r.map50_95, 0.75, TOL),
              "missed map50 %.17g map %.17g", r.map50, r.map50_95);
        CHECK(h, near(r.precision, 1.0, TOL) && near(r.recall, 0.5, TOL),
              "missed P %.17g R %.17g", r.precision, r.recall);
        CHECK(h, r.n_classes == 1 && near(r.classes[0].f1, 2.0 / 3.0, TOL), "missed f1");
    }
    yolo_eval_result_release(&r);
    yolo_eval_free(e);
}

static void test_duplicate(struct harness *h)
{
    /* One object, two exact predictions: .9 is TP, .8 a duplicate FP. recall [1, 1], precision
     * [1, .5]: env 1 until x = 1 -> AP still 0.995 (a low-confidence FP after full recall costs
     * nothing). Now the FP first (conf .95, a shifted box with IoU 1/3, then the TP at .9):
     * recall [0, 1], precision [0, .5] -> AP 0.4975 (test_compute_ap). */
    struct yolo_eval_box g = gtb(0, 0, 0, 100, 100);
    struct yolo_eval_det p[2] = { det(0, 0.9f, 0, 0, 100, 100), det(0, 0.8f, 0, 0, 100, 100) };
    struct yolo_eval_result r;
    struct yolo_eval *e = yolo_eval_create(1, NULL);
    yolo_eval_add_image(e, &g, 1, p, 2, NULL);
    if (compute(h, e, &r) == YOLO_OK)
        CHECK(h, near(r.map50, AP_PERFECT, TOL) && near(r.map50_95, AP_PERFECT, TOL),
              "late duplicate map50 %.17g", r.map50);
    yolo_eval_result_release(&r);
    yolo_eval_free(e);

    struct yolo_eval_det q[2] = { det(0, 0.9f, 0, 0, 100, 100), det(0, 0.95f, 50, 0, 150, 100) };
    e = yolo_eval_create(1, NULL);
    yolo_eval_add_image(e, &g, 1, q, 2, NULL);
    if (compute(h, e, &r) == YOLO_OK)
        CHECK(h, near(r.map50, 0.4975, TOL) && near(r.map50_95, 0.4975, TOL),
              "early FP map50 %.17g map %.17g", r.map50, r.map50_95);
    yolo_eval_result_release(&r);
    yolo_eval_free(e);
}

/* A duplicate ranked between true positives costs precision where recall is still rising:
 * 3 objects A, B, C found exactly at .9, .7, .6, plus a second box on A at .8.
 * Sorted: TP, FP, TP, TP -> recall [1/3, 1/3, 2/3, 1], precision [1, 1/2, 2/3, 3/4];
 * mrec [0, 1/3, 1/3, 2/3, 1, 1], envelope [1, 1, .75, .75, .75, 0]. Samples: 1 for
 * x = 0 .. .33 (< 1/3), .75 for x = .34 .. .99, 0 at x = 1. Trapezoids: 33 * .01 * 1 +
 * .01 * 1.75 / 2 + 65 * .01 * .75 + .01 * .75 / 2 = .83 at every threshold (vs .995 without
 * the duplicate). */
static void test_duplicate_between(struct harness *h)
{
    struct yolo_eval_box g[3] = { gtb(0, 0, 0, 100, 100), gtb(0, 200, 0, 260, 80),
                                  gtb(0, 0, 300, 50, 400) };
    struct yolo_eval_det p[4] = { det(0, 0.9f, 0, 0, 100, 100), det(0, 0.8f, 0, 0, 100, 100),
                                  det(0, 0.7f, 200, 0, 260, 80), det(0, 0.6f, 0, 300, 50, 400) };
    struct yolo_eval_result r;
    for (int with_dup = 1; with_dup >= 0; with_dup--) {
        struct yolo_eval *e = yolo_eval_create(1, NULL);
        struct yolo_eval_det q[4];
        int32_t nq = 0;
        for (int k = 0; k < 4; k++)
            if (with_dup || k != 1)
                q[nq++] = p[k];
        yolo_eval_add_image(e, g, 3, q, nq, NULL);
        double want = with_dup ? 0.83 : AP_PERFECT;
        if (compute(h, e, &r) == YOLO_OK)
            CHECK(h, near(r.map50, want, TOL) && near(r.map50_95, want, TOL),
                  "duplicate between TPs (%d): map50 %.17g map %.17g want %.17g", with_dup,
                  r.map50, r.map50_95, want);
        yolo_eval_result_release(&r);
        yolo_eval_free(e);
    }
}

/* A wrong class costs the class it names, not the object's: image 1 has a class-0 object
 * found by a class-1 box (.9) and a class-0 box (.8); image 2 a class-1 object found at .5.
 * Class 0: one TP -> .995. Class 1: the wrong box is its FP ranked first: recall [0, 1],
 * precision [0, .5] -> .4975. mAP = (.995 + .4975) / 2. */
static void test_wrong_class(struct harness *h)
{
    struct yolo_eval_box g0 = gtb(0, 0, 0, 100, 100), g1 = gtb(1, 50, 50, 150, 120);
    struct yolo_eval_det p0[2] = { det(1, 0.9f, 0, 0, 100, 100), det(0, 0.8f, 0, 0, 100, 100) };
    struct yolo_eval_det p1 = det(1, 0.5f, 50, 50, 150, 120);
    struct yolo_eval_result r;
    struct yolo_eval *e = yolo_eval_create(2, NULL);
    yolo_eval_add_image(e, &g0, 1, p0, 2, NULL);
    yolo_eval_add_image(e, &g1, 1, &p1, 1, NULL);
    if (compute(h, e, &r) == YOLO_OK) {
        const struct yolo_eval_class *c0 = find_class(&r, 0), *c1 = find_class(&r, 1);
        CHECK(h, c0 && c1 && near(c0->ap50_95, AP_PERFECT, TOL) && near(c1->ap50_95, 0.4975, TOL) &&
              c1->n_preds == 2 && c0->n_preds == 1, "wrong class: ap0 %.17g ap1 %.17g",
              c0 ? c0->ap50_95 : -1, c1 ? c1->ap50_95 : -1);
        CHECK(h, near(r.map50_95, (AP_PERFECT + 0.4975) / 2, TOL), "wrong class map %.17g",
              r.map50_95);
    }
    yolo_eval_result_release(&r);
    yolo_eval_free(e);
}

static void test_iou_edges(struct harness *h)
{
    /* One object, one prediction [0, 0, w, 100] (IoU w/100): TP at the first m thresholds,
     * AP 0.995 there and 0 elsewhere -> mAP50 = .995 if m > 0, mAP50-95 = .995 m / 10. */
    const struct { float w; int m; } cases[] = {
        { 50.1f, 1 }, { 49.9f, 0 }, { 94.9f, 9 }, { 95.1f, 10 }, { 75.0f, 6 }, { 74.9f, 5 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct yolo_eval *e = yolo_eval_create(1, NULL);
        struct yolo_eval_box g = gtb(0, 0, 0, 100, 100);
        struct yolo_eval_det p = det(0, 0.7f, 0, 0, cases[i].w, 100);
        struct yolo_eval_result r;
        yolo_eval_add_image(e, &g, 1, &p, 1, NULL);
        if (compute(h, e, &r) == YOLO_OK) {
            double want50 = cases[i].m ? AP_PERFECT : 0.0;
            double want = AP_PERFECT * cases[i].m / 10.0;
            CHECK(h, near(r.map50, want50, TOL) && near(r.map50_95, want, TOL),
                  "w %.1f: map50 %.17g (want %.17g) map %.17g (want %.17g)", cases[i].w,
                  r.map50, want50, r.map50_95, want);
            CHECK(h, r.any_tp == (cases[i].m > 0), "w %.1f any_tp %d", cases[i].w, r.any_tp);
        }
        yolo_eval_result_release(&r);
        yolo_eval_free(e);
    }
}

static void test_empty_images(struct harness *h)
{
    struct yolo_eval_box g = gtb(0, 0, 0, 100, 100);
    struct yolo_eval_det tp = det(0, 0.5f, 0, 0, 100, 100);
    struct yolo_eval_det fp_hi = det(0, 0.9f, 10, 10, 60, 60);
    struct yolo_eval_det fp_lo = det(0, 0.3f, 10, 10, 60, 60);
    struct yolo_eval_result r;

    /* Images with neither gt nor predictions only count as images. */
    struct yolo_eval *e = yolo_eval_create(3, NULL);
    CHECK(h, yolo_eval_add_image(e, NULL, 0, NULL, 0, NULL) == YOLO_OK, "empty add");
    yolo_eval_add_image(e, &g, 1, &tp, 1, NULL);
    yolo_eval_add_image(e, NULL, 0, NULL, 0, NULL);
    if (compute(h, e, &r) == YOLO_OK)
        CHECK(h, r.n_images == 3 && r.n_instances == 1 && near(r.map50, AP_PERFECT, TOL) &&
              r.n_classes == 1 && r.classes[0].n_images == 1,
              "empty images: %lld images map50 %.17g", (long long)r.n_images, r.map50);
    yolo_eval_result_release(&r);

    /* A prediction on an image without gt is a FP of its class. More confident than the TP:
     * sorted [FP .9, TP .5] -> recall [0, 1], precision [0, .5] -> AP .4975. */
    yolo_eval_add_image(e, NULL, 0, &fp_hi, 1, NULL);
    if (compute(h, e, &r) == YOLO_OK)
        CHECK(h, r.n_images == 4 && near(r.map50, 0.4975, TOL) && near(r.map50_95, 0.4975, TOL)
              && r.classes[0].n_preds == 2, "FP image map50 %.17g", r.map50);
    yolo_eval_result_release(&r);
    yolo_eval_free(e);

    /* Less confident than the TP: recall [1, 1], precision [1, .5] -> AP .995. */
    e = yolo_eval_create(1, NULL);
    yolo_eval_add_image(e, &g, 1, &tp, 1, NULL);
    yolo_eval_add_image(e, NULL, 0, &fp_lo, 1, NULL);
    if (compute(h, e, &r) == YOLO_OK)
        CHECK(h, near(r.map50, AP_PERFECT, TOL), "late FP image map50 %.17g", r.map50);
    yolo_eval_result_release(&r);
    yolo_eval_free(e);

    /* Nothing at all, or gt but no predictions: zeros, no TP. */
    e = yolo_eval_create(2, NULL);
    if (compute(h, e, &r) == YOLO_OK)
        CHECK(h, r.n_images == 0 && r.n_classes == 0 && r.map50 == 0 && r.precision == 0 &&
              !r.any_tp, "fresh evaluator");
    yolo_eval_result_release(&r);
    yolo_eval_add_image(e, &g, 1, NULL, 0, NULL);
    if (compute(h, e, &r) == YOLO_OK)
        CHECK(h, r.n_images == 1 && r.n_instances == 1 && r.n_classes == 1 && !r.any_tp &&
              r.map50 == 0 && r.classes[0].ap50 == 0 && r.classes[0].n_preds == 0,
              "gt only: map50 %.17g", r.map50);
    yolo_eval_result_release(&r);
    yolo_eval_free(e);
}

static void test_classes(struct harness *h)
{
    struct yolo_eval_result r;

    /* Wrong class only: the class-1 prediction on a class-0 object matches nothing; no TP at
     * all, so every metric is 0 (any_tp = 0). Class 1 has no gt: not listed. */
    struct yolo_eval *e = yolo_eval_create(2, NULL);
    struct yolo_eval_box g0 = gtb(0, 0, 0, 100, 100);
    struct yolo_eval_det wrong = det(1, 0.9f, 0, 0, 100, 100);
    yolo_eval_add_image(e, &g0, 1, &wrong, 1, NULL);
    if (compute(h, e, &r) == YOLO_OK)
        CHECK(h, !r.any_tp && r.map50 == 0 && r.n_classes == 1 && r.classes[0].cls == 0,
              "wrong class: any_tp %d classes %d", r.any_tp, (int)r.n_classes);
    yolo_eval_result_release(&r);

    /* Add a correct class-0 detection elsewhere: class 0 has 2 gt, 1 found -> AP .75; the
     * class-1 prediction is excluded from the mean (class 1 has no gt): mAP = .75, not .375. */
    struct yolo_eval_box g1 = gtb(0, 50, 50, 90, 120);
    struct yolo_eval_det ok = det(0, 0.6f, 50, 50, 90, 120);
    yolo_eval_add_image(e, &g1, 1, &ok, 1, NULL);
    if (compute(h, e, &r) == YOLO_OK) {
        CHECK(h, r.any_tp && r.n_classes == 1 && near(r.map50, 0.75, TOL) &&
              near(r.map50_95, 0.75, TOL), "pred-only class excluded: map50 %.17g n %d",
              r.map50, (int)r.n_classes);
        CHECK(h, r.n_preds == 2 && r.classes[0].n_preds == 1 && r.classes[0].n_images == 2,
              "class counts");
    }
    yolo_eval_result_release(&r);
    yolo_eval_free(e);

    /* Three classes with gt, one without:
     *   class 0: 1 gt, found exactly (conf .9)      -> AP .995, P 1, R 1
     *   class 1: 2 gt, one found exactly (conf .9)  -> AP .75,  P 1, R .5
     *   class 2: 1 gt, no prediction                -> AP 0,    P 0, R 0 (curves stay 0)
     *   class 3: predictions only                   -> excluded
     * All curves are flat for x <= .8 (class 3's prediction does not enter the F1 mean), so
     * best_conf = 0: P = (1 + 1 + 0) / 3, R = (1 + .5 + 0) / 3,
     * mAP50 = mAP50-95 = (.995 + .75 + 0) / 3. */
    e = yolo_eval_create(5, NULL);
    struct yolo_eval_box ga[3] = { gtb(0, 0, 0, 50, 50), gtb(1, 100, 0, 150, 80),
                                   gtb(2, 300, 300, 400, 400) };
    struct yolo_eval_det pa[3] = { det(0, 0.9f, 0, 0, 50, 50), det(1, 0.9f, 100, 0, 150, 80),
                                   det(3, 0.8f, 300, 300, 400, 400) };
    struct yolo_eval_box gb = gtb(1, 10, 200, 60, 260);
    yolo_eval_add_image(e, ga, 3, pa, 3, NULL);
    yolo_eval_add_image(e, &gb, 1, NULL, 0, NULL);
    if (compute(h, e, &r) == YOLO_OK) {
        double want = (AP_PERFECT + 0.75 + 0.0) / 3.0;
        CHECK(h, r.n_classes == 3, "classes with gt %d", (int)r.n_classes);
        CHECK(h, near(r.map50, want, TOL) && near(r.map50_95, want, TOL),
              "average map50 %.17g map %.17g want %.17g", r.map50, r.map50_95, want);
        CHECK(h, near(r.precision, 2.0 / 3.0, TOL) && near(r.recall, 0.5, TOL) &&
              r.best_conf == 0.0, "average P %.17g R %.17g", r.precision, r.recall);
        const struct yolo_eval_class *c1 = find_class(&r, 1), *c2 = find_class(&r, 2);
        CHECK(h, c1 && c1->n_instances == 2 && c1->n_images == 2 && near(c1->ap50, 0.75, TOL) &&
              near(c1->r, 0.5, TOL) && near(c1->p, 1.0, TOL), "class 1 row");
        CHECK(h, c2 && c2->ap50_95 == 0 && c2->p == 0 && c2->r == 0 && c2->n_preds == 0,
              "class 2 row");
        CHECK(h, find_class(&r, 3) == NULL && find_class(&r, 4) == NULL, "no-gt classes listed");
    }
    yolo_eval_result_release(&r);
    yolo_eval_free(e);
}

static void test_best_conf(struct harness *h)
{
    /* One object: TP at conf .9, 10 far-away FPs at conf .2 (float32 .2). On the grid
     * x_g = g/999: R = 1 for x <= .9 and 0 above (x_899 = .8999 <= .9 < x_900); for
     * .2 < x < .9, P interpolates linearly from (-.9, 1) to (-.2, 1/2) (np.interp takes the
     * first of the tied -.2 points as the right end), so F1 = 2P/(1+P) rises with x up to
     * x_899 and is 0 from x_900 on. The 101-point window centred at g covers g-50..g+50, so
     * the largest average is the last window without a 0: g = 849, best_conf = 849/999.
     * P there = 1/2 + (x - .2f) / .7 * 1/2. AP: recall reaches 1 with the first prediction
     * -> .995 at every threshold. */
    struct yolo_eval *e = yolo_eval_create(1, NULL);
    struct yolo_eval_box g = gtb(0, 0, 0, 100, 100);
    struct yolo_eval_det p[11];
    struct yolo_eval_result r;
    p[0] = det(0, 0.9f, 0, 0, 100, 100);
    for (int k = 0; k < 10; k++)
        p[k + 1] = det(0, 0.2f, 200.0f + 20 * k, 200, 210.0f + 20 * k, 210);
    yolo_eval_add_image(e, &g, 1, p, 11, NULL);
    if (compute(h, e, &r) == YOLO_OK) {
        double x = 849.0 * (1.0 / 999.0);
        double lo = -(double)0.9f, hi = -(double)0.2f;
        double want_p = (0.5 - 1.0) / (hi - lo) * (-x - lo) + 1.0;   /* np.interp's formula */
        CHECK(h, r.best_conf == x, "best_conf %.17g want %.17g", r.best_conf, x);
        CHECK(h, near(r.precision, want_p, TOL) && r.recall == 1.0,
              "P %.17g want %.17g R %.17g", r.precision, want_p, r.recall);
        CHECK(h, near(r.precision, 0.9641784798357798, 1e-15), "P vs numpy %.17g", r.precision);
        CHECK(h, near(r.map50, AP_PERFECT, TOL), "map50 %.17g", r.map50);
    }
    yolo_eval_result_release(&r);
    yolo_eval_free(e);
}

/* ------------------------------------------------------------------ a mixed dataset */

/* 25 images, 4 classes: random integer boxes, 0..2 jittered predictions per object (1 in 8
 * with a random class), 0..4 random low-confidence FPs per image. Everything is an integer or
 * k/1000 in float32, so a numpy transcription of Ultralytics (validator.match_predictions +
 * metrics.ap_per_class, run while developing, not committed) saw exactly these inputs; its
 * results are the expected values below. */
#define MIX_NC 4
#define MIX_NI 25

static float conf_k(uint64_t k)
{
    return (float)k / 1000.0f;
}

static int mix_image(uint64_t *s, struct yolo_eval_box *g, int32_t *ng, struct yolo_eval_det *p,
                     int32_t *np_)
{
    *ng = (int32_t)(harness_rand(s) % 6);
    *np_ = 0;
    for (int32_t k = 0; k < *ng; k++) {
        int32_t c = (int32_t)(harness_rand(s) % MIX_NC);
        float x = (float)(harness_rand(s) % 400), y = (float)(harness_rand(s) % 400);
        float w = (float)(10 + harness_rand(s) % 140), hh = (float)(10 + harness_rand(s) % 140);
        g[k] = gtb(c, x, y, x + w, y + hh);
    }
    for (int32_t k = 0; k < *ng; k++) {
        int nd = (int)(harness_rand(s) % 3);
        for (int i = 0; i < nd; i++) {
            int32_t c = g[k].cls;
            if (harness_rand(s) % 8 == 0)
                c = (int32_t)(harness_rand(s) % MIX_NC);
            float b[4];
            b[0] = g[k].x1 + (float)(int)(harness_rand(s) % 21) - 10.0f;
            b[1] = g[k].y1 + (float)(int)(harness_rand(s) % 21) - 10.0f;
            b[2] = g[k].x2 + (float)(int)(harness_rand(s) % 21) - 10.0f;
            b[3] = g[k].y2 + (float)(int)(harness_rand(s) % 21) - 10.0f;
            float cf = conf_k(1 + harness_rand(s) % 999);
            p[(*np_)++] = det(c, cf, b[0], b[1], b[2], b[3]);
        }
    }
    int nf = (int)(harness_rand(s) % 5);
    for (int i = 0; i < nf; i++) {
        int32_t c = (int32_t)(harness_rand(s) % MIX_NC);
        float x = (float)(harness_rand(s) % 400), y = (float)(harness_rand(s) % 400);
        float x2 = x + (float)(10 + harness_rand(s) % 90);
        float y2 = y + (float)(10 + harness_rand(s) % 90);
        float cf = conf_k(1 + harness_rand(s) % 300);
        p[(*np_)++] = det(c, cf, x, y, x2, y2);
    }
    return 0;
}

static void test_mixed(struct harness *h)
{
    const uint64_t seed = 20240611;
    uint64_t s = seed;
    struct yolo_eval_box g[8];
    struct yolo_eval_det p[24];
    int32_t ng, np_;
    struct yolo_eval *e = yolo_eval_create(MIX_NC, NULL);
    struct yolo_eval *e2 = yolo_eval_create(MIX_NC, NULL);   /* same data, reversed preds, */
    struct yolo_eval_result r, r2;                           /* doubled coordinates, extra */
    printf("test_mixed: seed %llu\n", (unsigned long long)seed);  /* empty images */
    for (int i = 0; i < MIX_NI; i++) {
        mix_image(&s, g, &ng, p, &np_);
        CHECK(h, yolo_eval_add_image(e, g, ng, p, np_, NULL) == YOLO_OK, "mixed add %d", i);
        /* Invariances: prediction order within an image (the evaluator re-sorts them by
         * confidence, stably: q is p sorted by ASCENDING confidence, equal ones kept in order),
         * scaling every coordinate by 2 (exact in float32, IoU unchanged), images without gt
         * or predictions. */
        struct yolo_eval_det q[24];
        for (int32_t j = 0; j < np_; j++) {
            struct yolo_eval_det v = p[j];
            int32_t k = j;
            for (; k > 0 && q[k - 1].conf > v.conf; k--)
                q[k] = q[k - 1];
            q[k] = v;
        }
        for (int32_t j = 0; j < np_; j++) {
            q[j].x1 *= 2; q[j].y1 *= 2; q[j].x2 *= 2; q[j].y2 *= 2;
        }
        for (int32_t k = 0; k < ng; k++) {
            g[k].x1 *= 2; g[k].y1 *= 2; g[k].x2 *= 2; g[k].y2 *= 2;
        }
        yolo_eval_add_image(e2, g, ng, q, np_, NULL);
    }
    yolo_eval_add_image(e2, NULL, 0, NULL, 0, NULL);

    static const struct { int32_t cls; int64_t images, inst; double p, r, f1, ap50, ap; } want[] = {
        { 0, 9, 11, 0.7994141397388261, 0.45454545454545453, 0.57955625551882,
          0.51171875, 0.22249562500000003 },
        { 1, 5, 7, 0.7816836670420111, 0.5714285714285714, 0.6602207392222541,
          0.5893578947368422, 0.34841842105263154 },
        { 2, 6, 8, 0.7081384984507071, 0.75, 0.7284683511234847,
          0.7162999999999998, 0.3296855384615385 },
        { 3, 8, 13, 0.6765737541029981, 0.46153846153846156, 0.5487416887270669,
          0.5793768286311388, 0.20382078364790393 },
    };
    if (compute(h, e, &r) == YOLO_OK && compute(h, e2, &r2) == YOLO_OK) {
        CHECK(h, r.n_images == 25 && r.n_instances == 39 && r.n_preds == 102,
              "mixed counts %lld %lld %lld", (long long)r.n_images, (long long)r.n_instances,
              (long long)r.n_preds);
        CHECK(h, near(r.precision, 0.7414525148336356, TOL) &&
              near(r.recall, 0.5593781218781219, TOL), "mixed P %.17g R %.17g", r.precision,
              r.recall);
        CHECK(h, near(r.map50, 0.5991883683419952, TOL) && near(r.map75, 0.2867547878502767, TOL)
              && near(r.map50_95, 0.2761050920405185, TOL),
              "mixed map50 %.17g map75 %.17g map %.17g", r.map50, r.map75, r.map50_95);
        CHECK(h, r.best_conf == 329.0 * (1.0 / 999.0), "mixed best_conf %.17g", r.best_conf);
        CHECK(h, r.n_classes == 4, "mixed classes %d", (int)r.n_classes);
        for (int32_t k = 0; k < r.n_classes && k < 4; k++) {
            const struct yolo_eval_class *c = &r.classes[k];
            CHECK(h, c->cls == want[k].cls && c->n_images == want[k].images &&
                  c->n_instances == want[k].inst && near(c->p, want[k].p, TOL) &&
                  near(c->r, want[k].r, TOL) && near(c->f1, want[k].f1, TOL) &&
                  near(c->ap50, want[k].ap50, TOL) && near(c->ap50_95, want[k].ap, TOL),
                  "mixed class %d: p %.17g r %.17g ap50 %.17g ap %.17g", (int)c->cls, c->p, c->r,
                  c->ap50, c->ap50_95);
        }
        CHECK(h, r2.n_images == 26 && r2.map50 == r.map50 && r2.map50_95 == r.map50_95 &&
              r2.precision == r.precision && r2.recall == r.recall,
              "invariance: map50 %.17g vs %.17g", r2.map50, r.map50);
    }
    yolo_eval_result_release(&r);
    yolo_eval_result_release(&r2);
    yolo_eval_free(e);
    yolo_eval_free(e2);
}

/* ------------------------------------------------------------------ errors */

static void test_errors(struct harness *h)
{
    struct yolo_diag d = { 0, "" };
    CHECK(h, yolo_eval_create(0, &d) == NULL && d.status == YOLO_ERR_ARG, "create 0: %s", d.msg);
    CHECK(h, yolo_eval_create(-3, NULL) == NULL, "create -3");

    struct yolo_eval *e = yolo_eval_create(2, &d);
    struct yolo_eval_box g = gtb(0, 0, 0, 10, 10), gbad = gtb(2, 0, 0, 10, 10);
    struct yolo_eval_det p = det(0, 0.5f, 0, 0, 10, 10);
    struct yolo_eval_det pbad = det(-1, 0.5f, 0, 0, 10, 10);
    struct yolo_eval_det pnan = det(0, NAN, 0, 0, 10, 10);
    struct yolo_eval_det pinf = det(0, 0.5f, 0, 0, INFINITY, 10);
    struct yolo_eval_box gnan = gtb(0, 0, NAN, 10, 10);
    struct yolo_eval_result r;

    CHECK(h, yolo_eval_add_image(e, &gbad, 1, &p, 1, &d) == YOLO_ERR_ARG &&
          strstr(d.msg, "class 2 out of range"), "gt class: %s", d.msg);
    CHECK(h, yolo_eval_add_image(e, &g, 1, &pbad, 1, &d) == YOLO_ERR_ARG &&
          strstr(d.msg, "prediction 0"), "pred class: %s", d.msg);
    CHECK(h, yolo_eval_add_image(e, &g, 1, &pnan, 1, &d) == YOLO_ERR_ARG, "NaN conf: %s", d.msg);
    CHECK(h, yolo_eval_add_image(e, &g, 1, &pinf, 1, &d) == YOLO_ERR_ARG, "inf box: %s", d.msg);
    CHECK(h, yolo_eval_add_image(e, &gnan, 1, &p, 1, &d) == YOLO_ERR_ARG, "NaN gt: %s", d.msg);
    CHECK(h, yolo_eval_add_image(e, NULL, 1, &p, 1, &d) == YOLO_ERR_ARG, "NULL gt: %s", d.msg);
    CHECK(h, yolo_eval_add_image(e, &g, 1, NULL, 2, &d) == YOLO_ERR_ARG, "NULL preds");
    CHECK(h, yolo_eval_add_image(e, &g, -1, &p, 1, &d) == YOLO_ERR_ARG, "negative n_gt");
    CHECK(h, yolo_eval_add_image(NULL, &g, 1, &p, 1, &d) == YOLO_ERR_ARG, "NULL evaluator");
    CHECK(h, yolo_eval_compute(NULL, &r, &d) == YOLO_ERR_ARG, "compute NULL");
    /* Rejected images left no trace. */
    if (compute(h, e, &r) == YOLO_OK)
        CHECK(h, r.n_images == 0 && r.n_instances == 0 && r.n_preds == 0, "rejected added %lld",
              (long long)r.n_images);
    yolo_eval_result_release(&r);
    yolo_eval_result_release(NULL);
    yolo_eval_free(e);
    yolo_eval_free(NULL);
}

/* Many predictions: exercises array growth and the > 128-term pairwise sums (80 classes x 10
 * thresholds), and must stay fast. Every object found exactly -> 0.995 everywhere; all
 * confidences are >= .5, so every class has P = R = 1 on [0, .5] and best_conf is 0. */
static void test_many(struct harness *h)
{
    struct yolo_eval *e = yolo_eval_create(80, NULL);
    struct yolo_eval_box g[80];
    struct yolo_eval_det p[80];
    struct yolo_eval_result r;
    int ok = 1;
    for (int i = 0; i < 200; i++) {
        for (int k = 0; k < 80; k++) {
            float x = (float)(k * 20), y = (float)(i % 7) * 10;
            g[k] = gtb(k, x, y, x + 15, y + 30);
            p[k] = det(k, conf_k((uint64_t)(500 + (i * 80 + k) % 500)), x, y, x + 15, y + 30);
        }
        ok &= yolo_eval_add_image(e, g, 80, p, 80, NULL) == YOLO_OK;
    }
    CHECK(h, ok, "many add");
    if (compute(h, e, &r) == YOLO_OK)
        CHECK(h, r.n_preds == 16000 && r.n_classes == 80 && near(r.map50_95, AP_PERFECT, TOL) &&
              r.precision == 1.0 && r.recall == 1.0 && r.classes[79].n_images == 200,
              "many: map %.17g P %.17g", r.map50_95, r.precision);
    yolo_eval_result_release(&r);
    yolo_eval_free(e);
}

int main(void)
{
    HARNESS_INIT(h, "test_metrics");
    test_thresholds_and_iou(&h);
    test_compute_ap(&h);
    test_match(&h);
    test_perfect(&h);
    test_missed_object(&h);
    test_duplicate(&h);
    test_duplicate_between(&h);
    test_wrong_class(&h);
    test_iou_edges(&h);
    test_empty_images(&h);
    test_classes(&h);
    test_best_conf(&h);
    test_mixed(&h);
    test_errors(&h);
    test_many(&h);
    return harness_finish(&h);
}
