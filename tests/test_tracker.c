/* test_tracker.c: ByteTrack (yolo_tracker_*) on synthetic detection sequences whose IDs are
 * worked out by hand from the rules in include/yolo.h, and the line / zone counter on
 * synthetic tracks.
 *
 * Tracker rules used for the expected IDs: every track started gets the next ID (from 1),
 * even one never confirmed; on frame 1 a new track is reported at once, later only from its
 * second frame; a lost track keeps its ID for int(frame_rate / 30 * track_buffer) frames
 * after the last frame it was seen; low-score detections (0.1 < s < 0.25) only continue
 * tracks, never start them. */
#include <math.h>

#include "harness.h"
#include "yolo.h"

static struct yolo_det box(float cx, float cy, float w, float h, float conf, int32_t cls)
{
    struct yolo_det d = { cls, conf, cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2, NULL };
    return d;
}

/* Runs one frame; returns the number of tracks and fills ids[det index] (0 = no track). */
static int32_t step(struct harness *h, struct yolo_tracker *t, const struct yolo_det *d, int32_t n, int64_t *ids,
                    struct yolo_track *out)
{
    int32_t k = -1;
    struct yolo_diag dg = { 0 };
    int rc = yolo_tracker_update(t, d, n, out, 64, &k, &dg);
    CHECK(h, rc == 0, "update: %s", dg.msg);
    for (int32_t i = 0; i < n; i++)
        ids[i] = 0;
    for (int32_t i = 0; i < k; i++)
        if (out[i].det >= 0 && out[i].det < n)
            ids[out[i].det] = out[i].id;
    return k;
}

static struct yolo_tracker *make(struct harness *h, int32_t buffer, double fps)
{
    struct yolo_tracker_params p;
    yolo_tracker_params_default(&p);
    p.track_buffer = buffer;
    p.frame_rate = fps;
    struct yolo_tracker *t = NULL;
    struct yolo_diag d = { 0 };
    CHECK(h, yolo_tracker_create(&p, &t, &d) == 0, "create: %s", d.msg);
    return t;
}

/* Two people walking towards each other on nearly the same row, overlapping for several
 * frames in the middle: the Kalman filter's velocity keeps each ID on its own walker. */
static void test_crossing(struct harness *h)
{
    struct yolo_tracker *t = make(h, 30, 30);
    struct yolo_track out[64];
    int64_t ids[2];
    int bad = 0;
    for (int f = 0; f < 40; f++) {
        struct yolo_det d[2] = { box(20 + 10.0f * f, 100, 30, 60, 0.9f, 0),
                                 box(420 - 10.0f * f, 110, 30, 60, 0.8f, 0) };
        /* the detector lists them by score, but swap the order half the time */
        int swap = f % 2;
        struct yolo_det in[2] = { d[swap], d[1 - swap] };
        int32_t k = step(h, t, in, 2, ids, out);
        int64_t ida = ids[swap], idb = ids[1 - swap];
        if (k != 2 || ida != 1 || idb != 2) {
            if (!bad++)
                fprintf(stderr, "crossing: frame %d: %d tracks, ids A=%lld B=%lld (want 1, 2)\n", f + 1, k,
                        (long long)ida, (long long)idb);
        }
    }
    CHECK(h, bad == 0, "crossing paths: %d frames with wrong IDs", bad);
    yolo_tracker_free(t);
}

/* One object, missing for `gap` frames after frame 10, then seen again where it would be. */
static void occlusion(struct harness *h, int gap, int32_t buffer, double fps, int64_t want_id, int want_at_return)
{
    struct yolo_tracker *t = make(h, buffer, fps);
    struct yolo_track out[64];
    int64_t ids[1];
    int ok = 1;
    int f = 1;
    for (; f <= 10; f++) {
        struct yolo_det d = box(100 + 5.0f * f, 200, 40, 80, 0.9f, 2);
        step(h, t, &d, 1, ids, out);
        ok &= ids[0] == 1;
    }
    for (; f <= 10 + gap; f++)
        ok &= step(h, t, NULL, 0, ids, out) == 0;
    struct yolo_det d = box(100 + 5.0f * f, 200, 40, 80, 0.9f, 2);
    int32_t k = step(h, t, &d, 1, ids, out);
    int64_t at_return = ids[0];
    f++;
    d = box(100 + 5.0f * f, 200, 40, 80, 0.9f, 2);
    step(h, t, &d, 1, ids, out);
    CHECK(h, ok && (want_at_return ? k == 1 && at_return == want_id : k == 0) && ids[0] == want_id,
          "gap %d (buffer %d at %g fps): on return %d tracks id %lld, next frame id %lld; want %s id %lld",
          gap, buffer, fps, k, (long long)at_return, (long long)ids[0],
          want_at_return ? "at once" : "from the next frame", (long long)want_id);
    yolo_tracker_free(t);
}

static void test_occlusions(struct harness *h)
{
    /* lost after frame 10; kept while frame - 10 <= 30 */
    occlusion(h, 5, 30, 30, 1, 1);      /* back at frame 16: found again, same ID at once */
    occlusion(h, 29, 30, 30, 1, 1);     /* back at frame 40 (40 - 10 = 30): still kept */
    occlusion(h, 31, 30, 30, 2, 0);     /* removed at frame 41; back at 42: new ID 2, shown from 43 */
    /* the buffer scales with the frame rate: 15 fps -> int(15 / 30 * 30) = 15 frames */
    occlusion(h, 14, 30, 15, 1, 1);
    occlusion(h, 20, 30, 15, 2, 0);
    /* 60 fps -> 60 frames */
    occlusion(h, 50, 30, 60, 1, 1);
}

/* A tracked object whose score drops into (0.1, 0.25) is kept by the second association;
 * a low-score detection never starts a track; below 0.1 is ignored (the track is lost). */
static void test_low_score(struct harness *h)
{
    struct yolo_tracker *t = make(h, 30, 30);
    struct yolo_track out[64];
    int64_t ids[2];
    int ok = 1;
    for (int f = 1; f <= 5; f++) {
        struct yolo_det d = box(300, 300, 50, 50, 0.9f, 1);
        step(h, t, &d, 1, ids, out);
        ok &= ids[0] == 1;
    }
    CHECK(h, ok, "low score: the first frames");
    for (int f = 6; f <= 8; f++) {
        struct yolo_det d[2] = { box(302, 300, 50, 50, 0.15f, 1), box(600, 100, 50, 50, 0.2f, 0) };
        int32_t k = step(h, t, d, 2, ids, out);
        CHECK(h, k == 1 && ids[0] == 1 && ids[1] == 0, "frame %d: %d tracks, ids %lld %lld (want 1, none)", f, k,
              (long long)ids[0], (long long)ids[1]);
        CHECK(h, k == 1 && fabsf(out[0].conf - 0.15f) < 1e-6f, "frame %d: the track takes the low score", f);
    }
    struct yolo_det d = box(302, 300, 50, 50, 0.05f, 1);
    CHECK(h, step(h, t, &d, 1, ids, out) == 0, "score 0.05: ignored, the track is lost");
    d = box(302, 300, 50, 50, 0.95f, 1);
    step(h, t, &d, 1, ids, out);
    CHECK(h, ids[0] == 1, "high score again: ID %lld, want 1 (found again)", (long long)ids[0]);
    yolo_tracker_free(t);
}

/* After frame 1 a new object is shown from its second frame; one seen a single frame uses up
 * an ID and is dropped. */
static void test_new_tracks(struct harness *h)
{
    struct yolo_tracker *t = make(h, 30, 30);
    struct yolo_track out[64];
    int64_t ids[3];
    struct yolo_det a = box(100, 100, 40, 40, 0.9f, 0);
    int32_t k = step(h, t, &a, 1, ids, out);
    CHECK(h, k == 1 && ids[0] == 1, "frame 1: new track shown at once (%d, id %lld)", k, (long long)ids[0]);
    struct yolo_det d2[2] = { a, box(400, 400, 40, 40, 0.9f, 0) };
    k = step(h, t, d2, 2, ids, out);                            /* frame 2: blip B, ID 2 */
    CHECK(h, k == 1 && ids[0] == 1 && ids[1] == 0, "frame 2: B not shown yet (%d tracks)", k);
    struct yolo_det d3[2] = { a, box(700, 100, 40, 40, 0.9f, 0) };
    k = step(h, t, d3, 2, ids, out);                            /* frame 3: B gone, C new: ID 3 */
    CHECK(h, k == 1 && ids[1] == 0, "frame 3: C not shown yet (%d tracks)", k);
    k = step(h, t, d3, 2, ids, out);                            /* frame 4: C confirmed */
    CHECK(h, k == 2 && ids[0] == 1 && ids[1] == 3, "frame 4: ids %lld %lld, want 1 3 (B used ID 2)",
          (long long)ids[0], (long long)ids[1]);
    /* new_track_thresh: a detection at 0.25 <= s but below a raised threshold starts nothing */
    yolo_tracker_free(t);
    struct yolo_tracker_params p;
    yolo_tracker_params_default(&p);
    p.new_track_thresh = 0.6f;
    struct yolo_diag dg;
    CHECK(h, yolo_tracker_create(&p, &t, &dg) == 0, "create");
    struct yolo_det lo = box(100, 100, 40, 40, 0.5f, 0);
    k = step(h, t, &lo, 1, ids, out);
    CHECK(h, k == 0, "score 0.5 < new_track_thresh 0.6: no track (%d)", k);
    yolo_tracker_reset(t);
    k = step(h, t, &a, 1, ids, out);
    CHECK(h, k == 1 && ids[0] == 1, "after reset: ID 1 again (%lld)", (long long)ids[0]);
    yolo_tracker_free(t);
    /* bad parameters */
    p.match_thresh = 1.5f;
    CHECK(h, yolo_tracker_create(&p, &t, &dg) == YOLO_ERR_ARG, "match_thresh 1.5 accepted");
}

/* Many objects on a grid, some missing each frame: IDs never change for a static object. */
static void test_many(struct harness *h)
{
    struct yolo_tracker *t = make(h, 30, 30);
    struct yolo_track out[64];
    int64_t ids[40], first[40] = { 0 };
    int bad = 0;
    for (int f = 0; f < 60; f++) {
        struct yolo_det d[40];
        int32_t map[40], n = 0;
        for (int i = 0; i < 40; i++) {
            if ((i * 7 + f) % 11 == 0 && f > 0)   /* a missed detection now and then */
                continue;
            d[n] = box(30 + 60.0f * (i % 8) + 0.5f * f, 30 + 70.0f * (i / 8), 40, 50, 0.5f + 0.01f * i, i % 3);
            map[n++] = i;
        }
        step(h, t, d, n, ids, out);
        for (int32_t j = 0; j < n; j++) {
            int i = map[j];
            if (f == 0)
                first[i] = ids[j];
            else if (ids[j] != first[i])
                bad++;
        }
    }
    CHECK(h, bad == 0, "40 objects, 60 frames, detections missed: %d ID changes", bad);
    yolo_tracker_free(t);
}

/* ------------------------------------------------------------------ counting */

static struct yolo_track trk(int64_t id, int32_t cls, float cx, float cy)
{
    struct yolo_track t = { id, 0, cls, 0.9f, cx - 10, cy - 10, cx + 10, cy + 10 };
    return t;
}

static void test_counting(struct harness *h)
{
    struct yolo_count_shape sh[2];
    memset(sh, 0, sizeof sh);
    /* a line left to right at y = 100 from x = 0 to 200; "in" = crossing it upwards */
    sh[0].n_points = 2;
    float l[4] = { 0, 100, 200, 100 };
    memcpy(sh[0].pts, l, sizeof l);
    /* a square zone 300..400 x 0..100 */
    sh[1].is_zone = 1;
    sh[1].n_points = 4;
    float z[8] = { 300, 0, 400, 0, 400, 100, 300, 100 };
    memcpy(sh[1].pts, z, sizeof z);
    struct yolo_counter *c = NULL;
    struct yolo_diag d;
    CHECK(h, yolo_counter_create(sh, 2, &c, &d) == 0, "counter: %s", d.msg);
    /* track 1 (cls 2) goes up across the line, back down, up again: counted once, "in";
     * track 2 (cls 0) goes down across it: "out"; track 3 crosses y = 100 at x = 250, beside
     * the line's end: not counted; track 4 (cls 2) walks into the zone and out again. */
    float y1[] = { 130, 110, 90, 105, 95, 80 };
    float y2[] = { 60, 90, 99, 101, 120, 140 };
    float x4[] = { 250, 290, 310, 350, 390, 420 };
    struct yolo_count k;
    for (int f = 0; f < 6; f++) {
        struct yolo_track tr[4] = { trk(1, 2, 50, y1[f]), trk(2, 0, 150, y2[f]), trk(3, 2, 250, y1[f]),
                                    trk(4, 2, x4[f], 50) };
        CHECK(h, yolo_counter_update(c, tr, 4, &d) == 0, "update");
        yolo_counter_get_frame(c, 0, -1, &k);
        int64_t want_in = f == 2, want_out = f == 3;   /* 1 up at frame 2, 2 down at frame 3 */
        CHECK(h, k.in == want_in && k.out == want_out, "frame %d: line in %lld out %lld, want %lld %lld", f,
              (long long)k.in, (long long)k.out, (long long)want_in, (long long)want_out);
        yolo_counter_get(c, 1, -1, &k);
        int64_t want_inside = x4[f] > 300 && x4[f] < 400;
        CHECK(h, k.inside == want_inside, "frame %d: zone holds %lld, want %lld", f, (long long)k.inside,
              (long long)want_inside);
    }
    yolo_counter_get(c, 0, -1, &k);
    CHECK(h, k.in == 1 && k.out == 1, "line totals: in %lld out %lld, want 1 1", (long long)k.in, (long long)k.out);
    yolo_counter_get(c, 0, 2, &k);
    CHECK(h, k.in == 1 && k.out == 0, "line, class 2: in %lld out %lld, want 1 0", (long long)k.in, (long long)k.out);
    yolo_counter_get(c, 0, 0, &k);
    CHECK(h, k.in == 0 && k.out == 1, "line, class 0: in %lld out %lld, want 0 1", (long long)k.in, (long long)k.out);
    yolo_counter_get(c, 1, 2, &k);
    CHECK(h, k.in == 1 && k.out == 1, "zone, class 2: entries %lld exits %lld, want 1 1", (long long)k.in,
          (long long)k.out);
    yolo_counter_free(c);
    /* bad shapes */
    sh[0].n_points = 3;
    CHECK(h, yolo_counter_create(sh, 1, &c, &d) == YOLO_ERR_ARG, "a 3-point line accepted");
    sh[1].n_points = 2;
    CHECK(h, yolo_counter_create(sh + 1, 1, &c, &d) == YOLO_ERR_ARG, "a 2-point zone accepted");
}

int main(void)
{
    HARNESS_INIT(h, "test_tracker");
    test_crossing(&h);
    test_occlusions(&h);
    test_low_score(&h);
    test_new_tracks(&h);
    test_many(&h);
    test_counting(&h);
    return harness_finish(&h);
}
