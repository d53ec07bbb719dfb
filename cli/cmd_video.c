/* cmd_video.c: `yolo video ENGINE SRC [SRC...] -o DIR`: several video files, cameras or
 * stream URLs at once on a pool of cloned contexts (detect/video.c), optionally with
 * dynamic batching across the streams; per stream DIR/<name>.mp4 and DIR/<name>.jsonl.
 * This file parses options and prints: progress per stream on a terminal, a line per
 * stream event otherwise, and a summary. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "args.h"
#include "cli_model.h"
#include "model_arg.h"
#include "interrupt.h"
#include "commands.h"
#include "video.h"
#include "outdir.h"
#include "yolo.h"

#define MAX_SOURCES 256
#define MIB (1024.0 * 1024.0)

/* ------------------------------------------------------------------ progress */

struct printer {
    int tty, quiet, nosave;
    int32_t n;
    enum yolo_video_state *seen;    /* last state printed per stream */
    char (*notes)[256];             /* last note printed per stream */
    int block_lines;                /* progress lines on screen (tty) */
};

static void progress_line(const struct yolo_video_stream *s, char *buf, size_t cap)
{
    double fps = s->seconds > 0 ? (double)s->frames_done / s->seconds : 0;
    const char *state = s->state == YOLO_VIDEO_PENDING ? " opening" : s->state == YOLO_VIDEO_RUNNING ? ""
                      : s->state == YOLO_VIDEO_DONE ? " done" : " FAILED";
    if (s->frames_expected > 0)
        snprintf(buf, cap, "%-24.24s %6lld/%-6lld %5.1f%% %6.1f fps%s", s->name, (long long)s->frames_done,
                 (long long)s->frames_expected, 100.0 * (double)s->frames_done / (double)s->frames_expected,
                 fps, state);
    else
        snprintf(buf, cap, "%-24.24s %6lld frames %6.1f fps%s", s->name, (long long)s->frames_done, fps, state);
}

static void on_progress(void *user, const struct yolo_video_stream *st, int32_t n, int final)
{
    struct printer *pr = user;
    int events = 0;
    for (int32_t i = 0; i < n; i++)
        events += st[i].state != pr->seen[i];
    if (pr->tty && pr->block_lines && (events || final)) {
        printf("\033[%dA\033[J", pr->block_lines);   /* erase the progress block */
        pr->block_lines = 0;
    }
    for (int32_t i = 0; i < n; i++) {
        const struct yolo_video_stream *s = &st[i];
        if (s->note[0] && strcmp(s->note, pr->notes[i]) != 0) {
            fflush(stdout);
            fprintf(stderr, "yolo video: %s\n", s->note);
            fflush(stderr);
            memcpy(pr->notes[i], s->note, sizeof pr->notes[i]);
        }
        if (s->state == pr->seen[i])
            continue;
        if (s->state == YOLO_VIDEO_RUNNING && !pr->quiet) {
            char frames[48] = "unknown length";
            if (s->frames_in_source > 0)
                snprintf(frames, sizeof frames, "%lld frames", (long long)s->frames_in_source);
            printf("stream %d/%d %s: %dx%d, %.2f fps, %s (%s) -> %s%s%s\n", i + 1, n, s->source, s->width,
                   s->height, s->fps, frames, s->backend, pr->nosave ? "" : s->video_path,
                   pr->nosave ? "" : ", ", s->json_path);
        }
        if (s->state == YOLO_VIDEO_FAILED) {
            fflush(stdout);
            fprintf(stderr, "yolo video: error: %s\n", s->error);
            fflush(stderr);
        }
        pr->seen[i] = s->state;
    }
    if (pr->tty && !final && !pr->quiet) {
        if (pr->block_lines)
            printf("\033[%dA", pr->block_lines);
        for (int32_t i = 0; i < n; i++) {
            char line[160];
            progress_line(&st[i], line, sizeof line);
            printf("\033[K%s\n", line);
        }
        pr->block_lines = n;
    }
    fflush(stdout);
}

/* ------------------------------------------------------------------ command */

/* "x1,y1,x2,y2,..." -> a line (2 points) or a zone (3..64 points). */
static int parse_shape(const char *v, int is_zone, struct yolo_count_shape *sh)
{
    memset(sh, 0, sizeof *sh);
    sh->is_zone = is_zone;
    int32_t n = 0;
    const char *q = v;
    while (*q) {
        char *end;
        double x = strtod(q, &end);
        if (end == q || !(x > -1e7 && x < 1e7) || n >= 2 * YOLO_COUNT_MAX_POINTS)
            return -1;
        sh->pts[n++] = (float)x;
        q = end;
        if (*q == ',')
            q++;
        else if (*q)
            return -1;
    }
    if (n % 2)
        return -1;
    sh->n_points = n / 2;
    return is_zone ? (sh->n_points >= 3 ? 0 : -1) : (sh->n_points == 2 ? 0 : -1);
}

/* --line and --zone may be given several times; the parser keeps the last, so collect them
 * all from argv first. Returns the number found or -1 (with the bad value in *bad). */
static int collect_shapes(int argc, char **argv, struct yolo_count_shape *out, int cap, const char **bad)
{
    int n = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0)
            break;
        int zone = strncmp(a, "--zone", 6) == 0, line = strncmp(a, "--line", 6) == 0 && strncmp(a, "--line-", 7) != 0;
        if (!zone && !line)
            continue;
        const char *v = NULL;
        if (a[6] == '=')
            v = a + 7;
        else if (a[6] == 0 && i + 1 < argc)
            v = argv[++i];
        else
            continue;   /* the parser reports it */
        if (n >= cap || parse_shape(v, zone, &out[n])) {
            *bad = v;
            return -1;
        }
        n++;
    }
    return n;
}

int cmd_video(int argc, char **argv)
{
    float conf = 0.25f;
    double iou = 0.7, batch_timeout = 10;
    int max_det = 300, agnostic = 0, nosave = 0, hide_labels = 0, hide_conf = 0, line_width = 0;
    int instances = 0, threads = 0, batch = 1, vid_stride = 1, max_frames = 0, quiet = 0;
    const char *out_dir = NULL, *classes = NULL, *isa = NULL, *line_opt = NULL, *zone_opt = NULL;
    const char *device = NULL;
    int half = 0;
    int track = 0, track_buffer = 30, no_fuse = 0, live_buffer = 1, reconnect = 5, exist_ok = 0, verbose = 0;
    float track_high = 0.25f, track_low = 0.1f, new_track = 0.25f, match_thresh = 0.8f;
    double max_pixels = 100000000;
    const struct arg_spec specs[] = {
        { "output", 'o', ARG_STR, &out_dir, "DIR", "output folder (default runs/video, then runs/video2, ... "
          "unless --exist-ok; created)" },
        { "exist-ok", 0, ARG_FLAG, &exist_ok, NULL, "reuse runs/video if it exists instead of a new runs/videoN" },
        { "track", 0, ARG_FLAG, &track, NULL, "track objects (ByteTrack): each detection gets an \"id\"; conf "
          "defaults to 0.1" },
        { "track-high", 0, ARG_FLOAT, &track_high, "F", "first association score threshold (default 0.25)" },
        { "track-low", 0, ARG_FLOAT, &track_low, "F", "second association above this score (default 0.1)" },
        { "new-track", 0, ARG_FLOAT, &new_track, "F", "score to start a track (default 0.25)" },
        { "track-buffer", 0, ARG_INT, &track_buffer, "N", "frames (at 30 fps) a lost track is kept (default 30)" },
        { "match-thresh", 0, ARG_FLOAT, &match_thresh, "F", "first association cost limit (default 0.8)" },
        { "no-fuse-score", 0, ARG_FLAG, &no_fuse, NULL, "plain IoU in the first association" },
        { "line", 0, ARG_STR, &line_opt, "x1,y1,x2,y2", "count crossings of this line (repeatable; needs --track)" },
        { "zone", 0, ARG_STR, &zone_opt, "x1,y1,...", "count objects in this polygon (repeatable; needs --track)" },
        { "live-buffer", 0, ARG_INT, &live_buffer, "N", "live sources: newest frames kept waiting (default 1)" },
        { "reconnect", 0, ARG_INT, &reconnect, "N", "live sources: reconnect attempts after a lost stream "
          "(default 5, 0 = none)" },
        { "max-pixels", 0, ARG_DOUBLE, &max_pixels, "N", "refuse frames of more pixels (default 100000000)" },
        { "verbose", 'v', ARG_FLAG, &verbose, NULL, "show FFmpeg's own log lines" },
        { "instances", 'j', ARG_INT, &instances, "N", "cloned model contexts running frames at once, shared "
          "by all streams (default: one per core, at most 16)" },
        { "threads", 't', ARG_INT, &threads, "N", "threads per context (default: cores / instances, at least 1)" },
        { "batch", 0, ARG_INT, &batch, "B", "group up to B frames across streams per dispatch (default 1)" },
        { "batch-timeout", 0, ARG_DOUBLE, &batch_timeout, "MS", "longest a frame waits for its group to fill "
          "(default 10)" },
        { "vid-stride", 0, ARG_INT, &vid_stride, "K", "run every K-th frame (the MP4 plays at fps / K)" },
        { "max-frames", 0, ARG_INT, &max_frames, "N", "process at most N frames per stream" },
        { "nosave", 0, ARG_FLAG, &nosave, NULL, "do not write the annotated .mp4 (the .jsonl still is)" },
        { "conf", 0, ARG_FLOAT, &conf, "F", "confidence threshold, strict (default 0.25)" },
        { "iou", 0, ARG_DOUBLE, &iou, "F", "NMS IoU threshold (default 0.7)" },
        { "max-det", 0, ARG_INT, &max_det, "N", "at most N detections per frame (default 300)" },
        { "classes", 0, ARG_STR, &classes, "0,2,5", "keep only these class ids" },
        { "agnostic", 0, ARG_FLAG, &agnostic, NULL, "class-agnostic NMS" },
        { "hide-labels", 0, ARG_FLAG, &hide_labels, NULL, "draw boxes without label tags" },
        { "hide-conf", 0, ARG_FLAG, &hide_conf, NULL, "label tags without the confidence" },
        { "line-width", 0, ARG_INT, &line_width, "N", "box line width in pixels (default: from frame size)" },
        { "isa", 0, ARG_STR, &isa, "ISA", "force kernels: ref, avx2 or avx512" },
        CLI_DEVICE_ARGS(device, half),
        { "quiet", 'q', ARG_FLAG, &quiet, NULL, "print only errors and the summary" },
        { 0 }
    };
    const struct cmd_usage u = { "video", "ENGINE SOURCE [SOURCE...] [-o DIR] [options]",
        "Detect objects in several videos at once. SOURCE is a video file, a camera index (0, 1, ...)\n"
        "or a stream URL (rtsp://, http://, ...). Each source is decoded on its own thread; frames of\n"
        "all sources run on one pool of --instances cloned contexts (shared weights, own memory) and\n"
        "come back in order. A source that cannot be opened or breaks fails alone; the exit code is 1\n"
        "if any failed.",
        "outputs (in DIR, per source <name> = file name without extension, camera<N>, or URL path):\n"
        "  <name>.mp4     the frames with boxes drawn, same size; same fps (fps / K with --vid-stride)\n"
        "  <name>.jsonl   one line per frame: {\"frame\": i, \"t\": seconds, \"detections\": [{\"cls\",\n"
        "                 \"name\", \"conf\", \"box\": [x1, y1, x2, y2]}]}\n"
        "Both are written under temp names and renamed at the end; a truncated file keeps the frames\n"
        "that could be decoded (and counts as failed). Ctrl-C ends every stream at its current frame\n"
        "with finished outputs (how a camera recording ends).\n"
        "batching: --batch B groups frames from all streams, waiting at most --batch-timeout ms for a\n"
        "group to fill. An engine built for batch 1 (the shipped models have a fixed batch of 1)\n"
        "runs a group one frame per engine call; a --batch N engine takes up to N frames per call.\n"
        "Results are identical either way." };
    const char *pos[1 + MAX_SOURCES];
    int n_pos;
    int rc = args_parse_cmd(&u, argc, argv, specs, pos, 2, 1 + MAX_SOURCES, &n_pos, "ENGINE and at least one SOURCE");
    if (rc != ARGS_GO)
        return rc;
    const struct arg_range ranges[] = {
        { "conf", "(0,1)" }, { "iou", "(0,1]" }, { "max-det", "[1,100000]" }, { "line-width", "[0,100]" },
        { "instances", "[0,256]" }, { "threads", "[0,256]" }, { "batch", "[1,1024]" },
        { "batch-timeout", "[0,60000]" }, { "vid-stride", "[1,)" }, { "max-frames", "[0,)" },
        { "track-high", "[0,1]" }, { "track-low", "[0,1]" }, { "new-track", "[0,1]" },
        { "match-thresh", "(0,1]" }, { "track-buffer", "[1,)" }, { "live-buffer", "[1,64]" },
        { "reconnect", "[0,)" }, { "max-pixels", "[1,9e18]" }, { NULL, NULL }
    };
    if ((rc = args_check_ranges("video", specs, ranges)) != ARGS_GO)
        return rc;
    if ((rc = cli_check_target("video", isa, device, half)) != ARGS_GO)
        return rc;
    struct yolo_count_shape shapes[64];
    const char *bad = NULL;
    int n_shapes = collect_shapes(argc, argv, shapes, 64, &bad);
    if (n_shapes < 0)
        return cli_error("video", 2, "--line takes x1,y1,x2,y2 and --zone x1,y1,x2,y2,x3,y3[,...] in pixels "
                         "(at most 64 of them), got '%s'", bad);
    if (n_shapes > 0 && !track)
        return cli_error("video", 2, "--line and --zone count tracked objects: add --track");
    int conf_given = 0;
    for (int i = 0; i < argc && strcmp(argv[i], "--"); i++)
        conf_given |= strncmp(argv[i], "--conf", 6) == 0 && (argv[i][6] == 0 || argv[i][6] == '=');
    if (track && !conf_given)
        conf = 0.1f;   /* as Ultralytics' track mode: ByteTrack's second association needs low scores */
    /* OpenCV's FFmpeg backend prints FFmpeg's log (hundreds of h264 decode lines on a lossy
     * stream) unless told a level: silence it unless -v. Set before any video is opened. */
    if (!verbose) {
        setenv("OPENCV_FFMPEG_LOGLEVEL", "-8", 0);
        setenv("OPENCV_LOG_LEVEL", "SILENT", 0);   /* its own "[ERROR:...]" lines: we say what failed */
    }
    (void)line_opt;
    (void)zone_opt;
    int32_t keep[1024], n_keep = 0;
    if (classes && cli_parse_classes(classes, keep, 1024, &n_keep))
        return cli_error("video", 2, "--classes: expected comma-separated class ids, got '%s'", classes);
    int32_t cores = cli_threads_or_cores(0);
    if (!instances)
        instances = (int)(cores < 16 ? cores : 16);
    if (!threads)
        threads = (int)(cores / instances > 1 ? cores / instances : 1);

    struct yolo_diag d = { 0 };
    struct yolo_model *model = NULL;
    struct yolo_ctx *ctx = NULL;
    struct yolo_video_stream *st = NULL;
    struct printer pr = { 0 };
    struct yolo_model_info info;
    char engine[4400];
    if ((rc = cli_model_arg("video", pos[0], pos[1], 0, 0, engine, sizeof engine)))
        return rc;
    const char *model_arg = pos[0];   /* what the user named, for messages */
    pos[0] = engine;
    if (cli_load_model("video", pos[0], isa, device, half, &model, &info))
        return 1;
    if (args_check_classes("video", model_arg, keep, n_keep, info.n_classes) != ARGS_GO) {
        yolo_model_free(model);
        return 2;
    }
    char err[4400], dir[4096];
    cli_pick_save_dir(out_dir ? out_dir : "runs/video", out_dir ? 1 : exist_ok, dir, sizeof dir);
    out_dir = dir;
    rc = 1;
    if (cli_prepare_dir(out_dir, NULL, err, sizeof err)) {
        cli_error("video", 1, "%s", err);
        goto out;
    }
    struct yolo_ctx_params cp;
    cli_ctx_params(&cp, conf, iou, max_det, agnostic, keep, n_keep, threads);
    if (yolo_ctx_create(model, &cp, &ctx, &d)) {
        cli_error("video", 1, "%s", d.msg);
        goto out;
    }
    int32_t n_src = n_pos - 1;
    st = calloc((size_t)n_src, sizeof *st);
    pr.seen = calloc((size_t)n_src, sizeof *pr.seen);
    pr.notes = calloc((size_t)n_src, sizeof *pr.notes);
    if (!st || !pr.seen || !pr.notes) {
        cli_error("video", 1, "out of memory");
        goto out;
    }
    pr.tty = isatty(STDOUT_FILENO);
    pr.quiet = quiet;
    pr.nosave = nosave;
    pr.n = n_src;
    struct yolo_video_params vp;
    yolo_video_params_default(&vp);
    vp.out_dir = out_dir;
    vp.save_video = !nosave;
    vp.save_json = 1;
    vp.vid_stride = vid_stride;
    vp.max_frames = max_frames;
    vp.n_instances = instances;
    vp.max_batch = batch;
    vp.batch_timeout_ms = batch > 1 ? batch_timeout : 0;
    vp.draw.line_width = line_width;
    vp.draw.hide_labels = hide_labels;
    vp.draw.hide_conf = hide_conf;
    vp.track = track;
    yolo_tracker_params_default(&vp.tracker);
    vp.tracker.track_high_thresh = track_high;
    vp.tracker.track_low_thresh = track_low;
    vp.tracker.new_track_thresh = new_track;
    vp.tracker.track_buffer = track_buffer;
    vp.tracker.match_thresh = match_thresh;
    vp.tracker.no_fuse_score = no_fuse;
    vp.tracker.frame_rate = 0;   /* each source's own */
    vp.shapes = shapes;
    vp.n_shapes = n_shapes;
    vp.live_buffer = live_buffer;
    vp.reconnect = reconnect ? reconnect : -1;
    vp.max_pixels = (int64_t)max_pixels;
    vp.progress_fn = on_progress;
    vp.progress_user = &pr;
    vp.progress_interval_ms = pr.tty && !quiet ? 500 : 0;
    /* Ctrl-C (or SIGTERM) ends every stream at its next frame with its outputs finished: how
     * a camera or stream recording ends. */
    struct cli_interrupt ci;
    vp.stop = cli_interrupt_begin(&ci);
    if (!quiet)
        printf("%d stream%s, %d instance%s x %d thread%s, %s kernels, engine batch %d%s\n", n_src,
               n_src > 1 ? "s" : "", instances, instances > 1 ? "s" : "", threads, threads > 1 ? "s" : "",
               info.isa, info.max_batch, batch > 1 ? ", dynamic batching" : "");
    struct yolo_video_report rep;
    int run_rc = yolo_video_run(ctx, pos + 1, n_src, &vp, st, &rep, &d);
    cli_interrupt_end(&ci);
    if (run_rc) {
        cli_error("video", 1, "%s", d.msg);
        goto out;
    }
    if (rep.n_recovered && !rep.n_stale_removed)
        printf("%s\n", rep.stale_note);
    else if (rep.n_stale_removed || rep.n_recovered)
        printf("%s%sremoved %d temp file%s of killed runs\n", rep.stale_note, rep.stale_note[0] ? "; " : "",
               rep.n_stale_removed, rep.n_stale_removed == 1 ? "" : "s");
    int interrupted = atomic_load(vp.stop) != 0;
    if (interrupted)
        printf("interrupted: every stream stopped at its last frame read; outputs are complete up to it\n");
    for (int32_t i = 0; i < n_src; i++) {
        const struct yolo_video_stream *s = &st[i];
        if (!s->video_saved && !s->json_saved) {
            printf("%s: FAILED, no output\n", s->source);
            continue;
        }
        printf("%s: %lld frames, %dx%d at %.2f fps, %lld detections, %.1f s (%.1f frames/s)%s -> %s%s%s\n",
               s->source, (long long)s->frames_done, s->width, s->height, s->fps, (long long)s->n_dets,
               s->seconds, s->seconds > 0 ? (double)s->frames_done / s->seconds : 0.0,
               s->state == YOLO_VIDEO_FAILED ? (s->truncated ? " TRUNCATED" : " FAILED") : "",
               s->video_saved ? s->video_path : "", s->video_saved && s->json_saved ? ", " : "",
               s->json_saved ? s->json_path : "");
        if (s->is_live)
            printf("  live: %lld frames skipped to stay real time, %d reconnect%s, capture-to-result latency "
                   "median %.0f ms, max %.0f ms\n", (long long)s->frames_skipped, s->reconnects,
                   s->reconnects == 1 ? "" : "s", s->latency_median_ms, s->latency_max_ms);
        if (track)
            printf("  tracks: %lld IDs%s%s%s\n", (long long)s->n_tracks, s->counts_saved ? "; " : "",
                   s->counts_saved ? s->counts_text : "", s->counts_saved ? "" : "");
        if (s->counts_saved)
            printf("  counts -> %s\n", s->counts_path);
    }
    printf("%d stream%s, %lld frames in %.2f s: %.1f frames/s; %d instance%s x %d thread%s; %d failed\n",
           n_src, n_src > 1 ? "s" : "", (long long)rep.frames, rep.wall_s,
           rep.wall_s > 0 ? (double)rep.frames / rep.wall_s : 0.0, instances, instances > 1 ? "s" : "",
           threads, threads > 1 ? "s" : "", rep.n_failed);
    if (batch > 1)
        printf("batching: up to %d frames, timeout %g ms: %lld groups (mean %.2f frames, largest %d), "
               "%lld engine calls (engine batch %d%s)\n", batch, vp.batch_timeout_ms,
               (long long)rep.batch.n_groups,
               rep.batch.n_groups ? (double)rep.batch.n_frames / (double)rep.batch.n_groups : 0.0,
               rep.batch.max_group, (long long)rep.batch.n_engine_calls, rep.batch.engine_max_batch,
               rep.batch.engine_max_batch == 1 ? ": one frame per call" : "");
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("memory: peak RSS %.1f MiB; per instance %.1f MiB (context: arena, scratch, I/O buffers) "
           "+ %.1f MiB frame buffers\n", (double)ru.ru_maxrss * 1024.0 / MIB,
           (double)rep.instance_bytes / MIB, (double)rep.frame_bytes / MIB);
    if (rep.on_device) {   /* measured on the GPU: what the clones added, the weights once */
        struct yolo_engine_summary es;
        yolo_model_summary(model, &es);
        printf("device memory: the %d instance%s added %.1f MiB (%.1f MiB each); the weights, "
               "%.1f MiB, are on the GPU once, shared by all\n", instances,
               instances > 1 ? "s" : "", (double)rep.device_bytes / MIB,
               (double)rep.device_bytes / MIB / instances, (double)es.prepared_bytes / MIB);
    }
    /* as detect and val: broken end-to-end rows are dropped, and said once (exit code unchanged) */
    int64_t n_invalid = 0, n_invalid_frames = 0;
    for (int32_t i = 0; i < n_src; i++) {
        n_invalid += st[i].n_invalid;
        n_invalid_frames += st[i].n_invalid_frames;
    }
    if (n_invalid > 0) {
        fflush(stdout);
        fprintf(stderr, "yolo video: warning: %lld candidate%s in %lld frame%s dropped: the model output a NaN "
                "or infinite box or score, or a class id outside its %d classes\n", (long long)n_invalid,
                n_invalid == 1 ? "" : "s", (long long)n_invalid_frames, n_invalid_frames == 1 ? "" : "s",
                info.n_classes);
    }
    rc = interrupted ? 130 : rep.n_failed ? 1 : 0;
out:
    free(st);
    free(pr.seen);
    free(pr.notes);
    yolo_ctx_free(ctx);
    yolo_model_free(model);
    return rc;
}
