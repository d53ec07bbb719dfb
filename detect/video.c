/* video.c: the multi-stream video pipeline (see video.h).
 *
 * Per source, a ring of `depth` frame buffers shared by its reader and writer threads:
 * frame k (in processing order) lives in buffer k % depth. The reader fills buffer
 * n_read % depth once the writer has given it back (n_read - n_written < depth) and submits
 * it to the batcher; the writer takes results in order from the batcher, so it always works
 * on buffer n_written % depth. One mutex (run.mu) guards the counters and the status the
 * caller sees; each source has its own condition variable for its two threads, and the
 * calling thread waits on run.cv for sources to change state. Nobody spins.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>
#include <time.h>

#include "cv_adapter.h"
#include "detect_internal.h"
#include "fileio.h"
#include "mp4_boxes.h"
#include "video.h"
#include "clock.h"

#define MAX_DEPTH 64
#define MAX_SOURCES 4096

struct run;

struct source {
    struct run *run;
    struct yolo_video_stream *st;     /* the caller's entry; guarded by run->mu */
    struct yolo_batcher_stream *bs;
    pthread_cond_t cv;                /* buffer filled, buffer given back, end, abort */
    int cv_ok;
    struct yolo_cv_image *frames;     /* depth buffers */
    int64_t *frame_index;             /* source frame number of each buffer */
    double *frame_t;                  /* its timestamp in seconds */
    int64_t n_read, n_written;        /* guarded by run->mu */
    int eof, abort;                   /* guarded by run->mu */
    pthread_t reader, writer;
    int reader_started, writer_started;
    double t_open_ms;
    double out_fps;                   /* written by the reader before the first frame */
    int32_t out_w, out_h;             /* the MP4's frame size */
    /* writer only */
    struct yolo_cv_video_writer *vw;
    struct yolo_atomic_file json;
    int json_open, out_failed, size_changed;
    double *frame_cap;                /* capture time (yolo_now_ms) of each buffer, live sources */
    /* live sources: a grabber thread reads frames as they come and keeps the newest
     * live_buffer of them in fifo; the reader takes the newest when a slot is free */
    int live;
    struct yolo_cv_video *cap;        /* owned by the grabber while it runs */
    pthread_t grabber;
    int grabber_started;
    struct yolo_cv_image *fifo, spare;
    int64_t *fifo_index;
    double *fifo_cap;
    int32_t fifo_head, fifo_n, fifo_cap_n;
    int grab_end, grab_stop;          /* guarded by run->mu */
    char grab_err[600];
    int64_t grab_index;
    /* writer only: tracking, counting, latency */
    struct yolo_tracker *tracker;
    struct yolo_counter *counter;
    struct yolo_track *tracks;
    struct yolo_det *tdets;           /* tracked objects as detections to draw */
    char (*tlabels)[64];
    const char *names[YOLO_COUNT_MAX_CLASSES];
    double *lat;
    int64_t n_lat, cap_lat;
};

struct run {
    const struct yolo_video_params *p;
    struct yolo_batcher *b;
    pthread_mutex_t mu;
    pthread_cond_t cv;                /* a source changed state */
    int32_t n, n_active, depth, max_det, n_instances, max_batch;
    int64_t changes;
    struct source *src;
};

void yolo_video_params_default(struct yolo_video_params *p)
{
    memset(p, 0, sizeof *p);
    p->save_video = 1;
    p->save_json = 1;
    p->vid_stride = 1;
    p->n_instances = 1;
    p->max_batch = 1;
}

/* ------------------------------------------------------------------ names */

/* The output stem of a source: a file's base name without its extension, "camera<N>" for
 * a camera index, host_port_path for a URL (udp://127.0.0.1:5000 -> 127.0.0.1_5000,
 * rtsp://cam/live/1 -> cam_live_1); anything but [A-Za-z0-9._-] becomes '_'. */
static void source_stem(const char *src, char *out, size_t cap)
{
    const char *p = src;
    int digits = *src != 0;
    for (const char *q = src; *q; q++)
        digits &= *q >= '0' && *q <= '9';
    if (digits) {
        snprintf(out, cap, "camera%s", src);
        return;
    }
    const char *url = strstr(src, "://");
    char buf[512];
    snprintf(buf, sizeof buf, "%s", url ? url + 3 : src);
    buf[strcspn(buf, "?#")] = 0;                     /* URL query and fragment */
    size_t len = strlen(buf);
    while (len > 1 && buf[len - 1] == '/')
        buf[--len] = 0;
    if (url) {
        char *at = strchr(buf, '@');                 /* user:password@ never goes in a name */
        char *slash0 = strchr(buf, '/');
        if (at && (!slash0 || at < slash0))
            memmove(buf, at + 1, strlen(at + 1) + 1);
        /* drop the extension of the last path part (cam.mp4 -> cam) */
        char *slash = strrchr(buf, '/'), *dot = strrchr(buf, '.');
        if (slash && dot && dot > slash + 1)
            *dot = 0;
        snprintf(out, cap, "%s", buf[0] ? buf : "stream");
        for (char *q = out; *q; q++)
            if (*q == '/' || *q == ':')
                *q = '_';
    } else {
        const char *slash = strrchr(buf, '/');
        p = slash ? slash + 1 : buf;
        if (!*p)
            p = "stream";
        snprintf(out, cap, "%s", p);
        char *dot = strrchr(out, '.');
        if (dot && dot != out)
            *dot = 0;
    }
    for (char *q = out; *q; q++)
        if (!((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') || (*q >= '0' && *q <= '9') ||
              *q == '.' || *q == '_' || *q == '-'))
            *q = '_';
    if (!out[0] || out[0] == '.')
        out[0] = '_';
}

/* Unique stems: a repeated one gets _2, _3, ... */
static void assign_names(const struct yolo_video_params *p, struct yolo_video_stream *st, int32_t n)
{
    for (int32_t i = 0; i < n; i++) {
        char stem[100];
        source_stem(st[i].source, stem, sizeof stem);
        snprintf(st[i].name, sizeof st[i].name, "%s", stem);
        for (int k = 2;; k++) {
            int dup = 0;
            for (int32_t j = 0; j < i && !dup; j++)
                dup = strcmp(st[j].name, st[i].name) == 0;
            if (!dup)
                break;
            snprintf(st[i].name, sizeof st[i].name, "%s_%d", stem, k);
        }
        snprintf(st[i].video_path, sizeof st[i].video_path, "%s/%s.mp4", p->out_dir, st[i].name);
        snprintf(st[i].json_path, sizeof st[i].json_path, "%s/%s.jsonl", p->out_dir, st[i].name);
        if (p->n_shapes > 0)
            snprintf(st[i].counts_path, sizeof st[i].counts_path, "%s/%s.counts.json", p->out_dir, st[i].name);
    }
}

/* ------------------------------------------------------------------ why a file won't open */

static uint64_t be32(const unsigned char *b) { return (uint64_t)b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3]; }

/* FFmpeg only says it found no video. For an MP4/MOV cut short (the usual case: a copy or
 * a recording interrupted), name the problem: the top-level box that runs past the end of
 * the file, and the missing index ('moov'), which holds the codec parameters (H.264 SPS/PPS)
 * and the frame table, so without it no frame can be decoded (ISO/IEC 14496-12, 4.2: boxes
 * are a 32-bit big-endian size, a 4-char type, and a 64-bit size when size is 1). */
static void explain_mp4(const char *path, char *msg, size_t cap)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return;
    struct stat sb;
    if (fstat(fileno(f), &sb) != 0) {
        fclose(f);
        return;
    }
    uint64_t size = (uint64_t)sb.st_size, off = 0;
    int has_moov = 0, n_box = 0;
    char over_type[5] = "";
    uint64_t over_off = 0, over_bytes = 0;
    while (off + 8 <= size && n_box < 4096) {
        unsigned char h[16];
        if (fseeko(f, (off_t)off, SEEK_SET) != 0 || fread(h, 1, 8, f) != 8)
            break;
        uint64_t bytes = be32(h);
        char type[5] = { (char)h[4], (char)h[5], (char)h[6], (char)h[7], 0 };
        if (n_box == 0 && strcmp(type, "ftyp") != 0)
            break;   /* not an ISO media file: nothing to add */
        if (bytes == 1) {
            if (fread(h + 8, 1, 8, f) != 8)
                break;
            bytes = be32(h + 8) << 32 | be32(h + 12);
        } else if (bytes == 0) {
            bytes = size - off;   /* "to the end of the file" */
        }
        if (bytes < 8)
            break;
        n_box++;
        if (strcmp(type, "moov") == 0)
            has_moov = 1;
        if (bytes > size - off) {
            memcpy(over_type, type, 5);
            over_off = off;
            over_bytes = bytes;
            break;
        }
        off += bytes;
    }
    fclose(f);
    if (n_box == 0 || has_moov)
        return;
    size_t len = strlen(msg);
    if (over_type[0])
        snprintf(msg + len, cap - len, ": the file is a truncated MP4: its '%s' box (at byte %llu, "
                 "%llu bytes) runs past the end of the file (%llu bytes), and the index that "
                 "follows it ('moov': codec parameters and frame table) is missing, so no frame "
                 "can be decoded", over_type, (unsigned long long)over_off,
                 (unsigned long long)over_bytes, (unsigned long long)size);
    else
        snprintf(msg + len, cap - len, ": the MP4 has no index ('moov' box) and cannot be decoded");
}

/* ------------------------------------------------------------------ status helpers */

/* Records the first error of a source (caller holds run->mu). */
static void set_error(struct source *s, const char *msg)
{
    if (!s->st->error[0])
        snprintf(s->st->error, sizeof s->st->error, "%s", msg);
}

/* The reader of s stops before its first frame: err is the stream's error, and its consumer
 * sees the end. */
static void reader_fail(struct run *run, struct source *s, const char *err)
{
    pthread_mutex_lock(&run->mu);
    set_error(s, err);
    s->eof = 1;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&run->mu);
}

static void notify_locked(struct run *run)
{
    run->changes++;
    pthread_cond_broadcast(&run->cv);
}

/* ------------------------------------------------------------------ live sources */

/* Sleeps ms milliseconds in short steps, returning early (1) when the run is stopping. */
static int sleep_stoppable(struct source *s, double ms)
{
    const struct yolo_video_params *p = s->run->p;
    for (double t = 0; t < ms; t += 50) {
        pthread_mutex_lock(&s->run->mu);
        int stop = s->grab_stop || s->abort;
        pthread_mutex_unlock(&s->run->mu);
        if (stop || (p->stop && atomic_load(p->stop)))
            return 1;
        struct timespec ts = { 0, 50 * 1000000L };
        nanosleep(&ts, NULL);
    }
    return 0;
}

/* The grabber of a live source: reads frames as fast as they come, so the source's own
 * buffers never fill and nothing queues up; keeps the newest live_buffer in the fifo (the
 * oldest is dropped and counted); on a lost stream opens it again with back-off (0.5, 1,
 * 2, 4, 8, 8, ... s) up to `reconnect` attempts in a row, the other sources running on. */
static void *grabber_main(void *arg)
{
    struct source *s = arg;
    struct run *run = s->run;
    const struct yolo_video_params *p = run->p;
    int32_t attempts_max = p->reconnect == 0 ? 5 : p->reconnect < 0 ? 0 : p->reconnect;
    struct yolo_diag d = { 0 };
    char err[600] = "";
    int64_t index = 0;
    for (;;) {
        pthread_mutex_lock(&run->mu);
        int stop = s->grab_stop || s->abort;
        pthread_mutex_unlock(&run->mu);
        if (stop || (p->stop && atomic_load(p->stop)))
            break;
        int got = 0;
        double pos_ms;
        int rc = s->cap ? yolo_cv_video_read(s->cap, &s->spare, &pos_ms, &got, &d) : YOLO_ERR_IO;
        if (rc == 0 && got && p->max_pixels > 0 &&
            (int64_t)s->spare.width * s->spare.height > p->max_pixels) {
            snprintf(err, sizeof err, "%s: frame %lld is %dx%d (%lld pixels), over the limit of %lld pixels "
                     "(--max-pixels)", s->st->source, (long long)index, s->spare.width, s->spare.height,
                     (long long)s->spare.width * s->spare.height, (long long)p->max_pixels);
            break;
        }
        if (rc || !got) {
            /* lost: open again with back-off */
            yolo_cv_video_close(s->cap);
            s->cap = NULL;
            int ok = 0;
            double wait = 500;
            for (int32_t a = 1; a <= attempts_max && !ok; a++) {
                pthread_mutex_lock(&run->mu);
                snprintf(s->st->note, sizeof s->st->note, "%s: stream lost after %lld frames; reconnecting "
                         "(attempt %d of %d in %.1f s)", s->st->source, (long long)index, a, attempts_max,
                         wait / 1e3);
                notify_locked(run);
                pthread_mutex_unlock(&run->mu);
                if (sleep_stoppable(s, wait))
                    break;
                struct yolo_cv_video_info vi;
                if (yolo_cv_video_open(s->st->source, &s->cap, &vi, &d) == 0) {
                    ok = 1;
                    pthread_mutex_lock(&run->mu);
                    s->st->reconnects++;
                    snprintf(s->st->note, sizeof s->st->note, "%s: reconnected (attempt %d)", s->st->source, a);
                    notify_locked(run);
                    pthread_mutex_unlock(&run->mu);
                }
                wait = wait * 2 > 8000 ? 8000 : wait * 2;
            }
            if (ok)
                continue;
            pthread_mutex_lock(&run->mu);
            stop = s->grab_stop || s->abort || (p->stop && atomic_load(p->stop));
            pthread_mutex_unlock(&run->mu);
            if (!stop)
                snprintf(err, sizeof err, "%s: stream lost after %lld frames%s", s->st->source, (long long)index,
                         attempts_max ? "; every reconnect attempt failed" : " (--reconnect 0)");
            break;
        }
        double t_cap = yolo_now_ms();
        pthread_mutex_lock(&run->mu);
        if (s->fifo_n == s->fifo_cap_n) {          /* drop the oldest waiting frame */
            s->fifo_head = (s->fifo_head + 1) % s->fifo_cap_n;
            s->fifo_n--;
            s->st->frames_skipped++;
        }
        int32_t slot = (s->fifo_head + s->fifo_n) % s->fifo_cap_n;
        struct yolo_cv_image tmp = s->fifo[slot];
        s->fifo[slot] = s->spare;
        s->spare = tmp;
        s->fifo_index[slot] = index++;
        s->fifo_cap[slot] = t_cap;
        s->fifo_n++;
        pthread_cond_broadcast(&s->cv);
        pthread_mutex_unlock(&run->mu);
    }
    yolo_cv_video_close(s->cap);
    s->cap = NULL;
    pthread_mutex_lock(&run->mu);
    snprintf(s->grab_err, sizeof s->grab_err, "%s", err);
    s->grab_end = 1;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&run->mu);
    return NULL;
}

/* The reader of a live source: whenever fewer than `limit` frames are in flight, takes the
 * newest frame the grabber holds. Returns when the grabber ends or max_frames is reached. */
static void live_loop(struct source *s, int32_t limit, int64_t *processed, int *stopped_early, int *failed,
                      char *err, size_t cap)
{
    struct run *run = s->run;
    const struct yolo_video_params *p = run->p;
    struct yolo_diag d = { 0 };
    for (;;) {
        if (p->max_frames > 0 && *processed >= p->max_frames) {
            *stopped_early = 1;
            break;
        }
        pthread_mutex_lock(&run->mu);
        while (!s->abort && !(p->stop && atomic_load(p->stop)) &&
               (s->n_read - s->n_written >= limit || (s->fifo_n == 0 && !s->grab_end)))
            pthread_cond_wait(&s->cv, &run->mu);
        if (s->abort || (p->stop && atomic_load(p->stop)) || s->fifo_n == 0) {
            *stopped_early = s->fifo_n > 0 || s->abort || (p->stop && atomic_load(p->stop));
            pthread_mutex_unlock(&run->mu);
            break;
        }
        /* the newest frame; older ones still waiting are dropped */
        while (s->fifo_n > 1) {
            s->fifo_head = (s->fifo_head + 1) % s->fifo_cap_n;
            s->fifo_n--;
            s->st->frames_skipped++;
        }
        int32_t k = (int32_t)(s->n_read % run->depth), slot = s->fifo_head;
        struct yolo_cv_image tmp = s->frames[k];
        s->frames[k] = s->fifo[slot];
        s->fifo[slot] = tmp;
        s->frame_index[k] = s->fifo_index[slot];
        s->frame_cap[k] = s->fifo_cap[slot];
        s->frame_t[k] = (s->fifo_cap[slot] - s->t_open_ms) / 1e3;
        s->fifo_head = (s->fifo_head + 1) % s->fifo_cap_n;
        s->fifo_n--;
        pthread_mutex_unlock(&run->mu);
        struct yolo_cv_image *fr = &s->frames[k];
        struct yolo_image im = { fr->data, fr->width, fr->height, (int32_t)fr->stride_bytes, YOLO_PIXEL_BGR };
        if (yolo_batcher_submit(s->bs, &im, NULL, &d)) {
            snprintf(err, cap, "%s: frame %lld: %s", s->st->source, (long long)s->frame_index[k], d.msg);
            *failed = 1;
            break;
        }
        pthread_mutex_lock(&run->mu);
        s->n_read++;
        pthread_cond_broadcast(&s->cv);
        pthread_mutex_unlock(&run->mu);
        (*processed)++;
    }
    pthread_mutex_lock(&run->mu);
    s->grab_stop = 1;
    pthread_mutex_unlock(&run->mu);
}

/* ------------------------------------------------------------------ reader */

static void *reader_main(void *arg)
{
    struct source *s = arg;
    struct run *run = s->run;
    const struct yolo_video_params *p = run->p;
    struct yolo_diag d = { 0 };
    struct yolo_cv_video *cap = NULL;
    struct yolo_cv_video_info vi;
    char err[1024] = "";
    int64_t index = 0, processed = 0;
    double last_t = 0;
    int stopped_early = 0, failed = 0;
    s->t_open_ms = yolo_now_ms();
    int rc = yolo_cv_video_open(s->st->source, &cap, &vi, &d);
    if (rc) {
        snprintf(err, sizeof err, "%s", d.msg);
        if (rc == YOLO_ERR_FORMAT)
            explain_mp4(s->st->source, err, sizeof err);
        reader_fail(run, s, err);
        return NULL;
    }
    if (p->max_pixels > 0 && (int64_t)vi.width * vi.height > p->max_pixels) {
        yolo_cv_video_close(cap);
        snprintf(err, sizeof err, "%s: video frames of %dx%d (%lld pixels) are over the limit of %lld pixels "
                 "(--max-pixels)", s->st->source, vi.width, vi.height, (long long)vi.width * vi.height,
                 (long long)p->max_pixels);
        reader_fail(run, s, err);
        return NULL;
    }
    if (p->save_video && (vi.width > YOLO_CV_VIDEO_MAX_SIDE || vi.height > YOLO_CV_VIDEO_MAX_SIDE))
        snprintf(err, sizeof err, "%s: frames of %dx%d cannot be written as MP4: its encoder (MPEG-4 part 2) "
                 "takes at most %d pixels per side; --nosave writes the detections only", s->st->source, vi.width,
                 vi.height, YOLO_CV_VIDEO_MAX_SIDE);
    if (err[0]) {
        yolo_cv_video_close(cap);
        reader_fail(run, s, err);
        return NULL;
    }
    s->live = !vi.is_file;
    int32_t stride = p->vid_stride > 0 && !s->live ? p->vid_stride : 1;
    if (p->track) {
        /* the lost-track buffer scales with the rate of the frames the tracker sees */
        struct yolo_tracker_params tp = p->tracker;
        if (tp.frame_rate <= 0)
            tp.frame_rate = vi.fps > 0 && vi.fps < 1000 ? vi.fps / stride : 30;
        if (yolo_tracker_create(&tp, &s->tracker, &d)) {
            yolo_cv_video_close(cap);
            pthread_mutex_lock(&run->mu);
            set_error(s, d.msg);
            s->eof = 1;
            pthread_cond_broadcast(&s->cv);
            pthread_mutex_unlock(&run->mu);
            return NULL;
        }
    }
    pthread_mutex_lock(&run->mu);
    s->st->is_live = s->live;
    s->st->width = vi.width;
    s->st->height = vi.height;
    s->st->fps = vi.fps;
    s->st->frames_in_source = vi.frame_count;
    snprintf(s->st->backend, sizeof s->st->backend, "%s", vi.backend);
    int64_t expect = vi.frame_count > 0 ? (vi.frame_count + stride - 1) / stride : -1;
    if (p->max_frames > 0 && (expect < 0 || expect > p->max_frames))
        expect = p->max_frames;
    s->st->frames_expected = expect;
    s->st->state = YOLO_VIDEO_RUNNING;
    /* players need a positive rate; a camera that reports none gets 30 */
    s->out_fps = (vi.fps > 0 ? vi.fps : 30.0) / stride;
    notify_locked(run);
    pthread_mutex_unlock(&run->mu);

    if (s->live) {
        s->cap = cap;
        cap = NULL;
        if (pthread_create(&s->grabber, NULL, grabber_main, s) != 0) {
            yolo_cv_video_close(s->cap);
            s->cap = NULL;
            snprintf(err, sizeof err, "%s: cannot start a thread", s->st->source);
            failed = 1;
        } else {
            s->grabber_started = 1;
            int32_t limit = run->n_instances * run->max_batch;
            live_loop(s, limit < run->depth ? limit : run->depth, &processed, &stopped_early, &failed, err,
                      sizeof err);
            pthread_join(s->grabber, NULL);
            s->grabber_started = 0;
            pthread_mutex_lock(&run->mu);
            if (!err[0] && s->grab_err[0])
                snprintf(err, sizeof err, "%s", s->grab_err);
            pthread_mutex_unlock(&run->mu);
            if (err[0])
                stopped_early = 1;
        }
    }
    for (; !s->live;) {
        if ((p->max_frames > 0 && processed >= p->max_frames) || (p->stop && atomic_load(p->stop))) {
            stopped_early = 1;
            break;
        }
        pthread_mutex_lock(&run->mu);
        while (!s->abort && s->n_read - s->n_written >= run->depth)
            pthread_cond_wait(&s->cv, &run->mu);
        int abort = s->abort;
        pthread_mutex_unlock(&run->mu);
        if (abort) {
            stopped_early = 1;
            break;
        }
        int32_t k = (int32_t)(s->n_read % run->depth);
        struct yolo_cv_image *fr = &s->frames[k];
        double pos_ms;
        int got;
        if ((rc = yolo_cv_video_read(cap, fr, &pos_ms, &got, &d))) {
            snprintf(err, sizeof err, "%s (after %lld frames)", d.msg, (long long)index);
            failed = 1;
            break;
        }
        if (!got)
            break;
        /* The container's timestamp (right for variable frame rates), unless the backend has
         * none or it goes backwards (OpenCV's FFmpeg backend reports 0 for a file's last
         * frame): then frame number / fps, or the time since the stream opened. */
        double t = vi.fps > 0 ? (double)index / vi.fps : (yolo_now_ms() - s->t_open_ms) / 1e3;
        if (pos_ms >= 0 && pos_ms / 1e3 >= last_t && (pos_ms > 0 || index == 0))
            t = pos_ms / 1e3;
        last_t = t;
        s->frame_index[k] = index;
        s->frame_t[k] = t;
        s->frame_cap[k] = yolo_now_ms();
        if (p->max_pixels > 0 && (int64_t)fr->width * fr->height > p->max_pixels) {
            snprintf(err, sizeof err, "%s: frame %lld is %dx%d (%lld pixels), over the limit of %lld pixels "
                     "(--max-pixels)", s->st->source, (long long)index, fr->width, fr->height,
                     (long long)fr->width * fr->height, (long long)p->max_pixels);
            failed = 1;
            break;
        }
        struct yolo_image im = { fr->data, fr->width, fr->height, (int32_t)fr->stride_bytes, YOLO_PIXEL_BGR };
        if ((rc = yolo_batcher_submit(s->bs, &im, NULL, &d))) {
            snprintf(err, sizeof err, "%s: frame %lld: %s", s->st->source, (long long)index, d.msg);
            failed = 1;
            break;
        }
        pthread_mutex_lock(&run->mu);
        s->n_read++;
        pthread_cond_broadcast(&s->cv);
        pthread_mutex_unlock(&run->mu);
        processed++;
        index++;
        int end = 0;
        for (int32_t j = 1; j < stride && !end; j++) {
            if ((rc = yolo_cv_video_skip(cap, &got, &d))) {
                snprintf(err, sizeof err, "%s (after %lld frames)", d.msg, (long long)index);
                failed = end = 1;
            } else if (!got) {
                end = 1;
            } else {
                index++;
            }
        }
        if (end)
            break;
    }
    yolo_cv_video_close(cap);
    /* A file that ends well before its container's frame count was cut short or is damaged
     * past that point: say so. Containers whose count is an estimate (duration x fps) may be
     * off by a frame or so, hence the small tolerance. */
    int64_t tol = vi.frame_count / 200 > 1 ? vi.frame_count / 200 : 1;
    int truncated = !failed && !stopped_early && vi.is_file && vi.frame_count > 0 &&
                    index < vi.frame_count - tol;
    if (truncated)
        snprintf(err, sizeof err, "%s: truncated or damaged: decoding stopped after %lld of the %lld "
                 "frames the file declares; the outputs hold the %lld frame%s processed",
                 s->st->source, (long long)index, (long long)vi.frame_count, (long long)processed,
                 processed == 1 ? "" : "s");
    else if (!failed && processed == 0 && !stopped_early)
        snprintf(err, sizeof err, "%s: no decodable frame", s->st->source);
    pthread_mutex_lock(&run->mu);
    if (err[0])
        set_error(s, err);
    s->st->truncated = truncated;
    s->eof = 1;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&run->mu);
    return NULL;
}

/* ------------------------------------------------------------------ writer */

/* s as a JSON string through the library's one JSON string writer (yolo_json_escape). */
static void put_json_string(FILE *f, const char *s)
{
    char small[256];
    int n = yolo_json_escape(small, sizeof small, s);
    char *big = n >= (int)sizeof small ? malloc((size_t)n + 1) : NULL;
    if (big)
        yolo_json_escape(big, (size_t)n + 1, s);
    fputs(n < (int)sizeof small ? small : big ? big : "null", f);
    free(big);
}

/* One JSON line: {"frame": i, "t": seconds, "detections": [...]} (error instead of
 * detections for a frame that failed); with tracking the detections are the tracked objects
 * with their "id" first, and "counts" follows; live sources add "latency_ms". */
static int write_json(struct source *s, int64_t frame, double t, const struct yolo_result *res, int rc,
                      const char *msg, int32_t n_tracks, double latency_ms)
{
    FILE *f = s->json.f;
    const struct yolo_video_params *p = s->run->p;
    char buf[512];
    if (rc) {
        fprintf(f, "{\"frame\": %lld, \"t\": %.3f, \"error\": ", (long long)frame, t);
        put_json_string(f, msg);
        fputs(", \"detections\": []", f);
    } else {
        fprintf(f, "{\"frame\": %lld, \"t\": %.3f, \"detections\": [", (long long)frame, t);
        if (p->track) {
            for (int32_t i = 0; i < n_tracks; i++) {
                yolo_format_det_json(buf, sizeof buf, &s->tdets[i]);
                fprintf(f, "%s{\"id\": %lld, %s", i ? ", " : "", (long long)s->tracks[i].id, buf + 1);
            }
        } else {
            for (int32_t i = 0; i < res->n_dets; i++) {
                yolo_format_det_json(buf, sizeof buf, &res->dets[i]);
                fprintf(f, "%s%s", i ? ", " : "", buf);
            }
        }
        fputs("]", f);
    }
    if (s->counter) {
        fputs(", \"counts\": [", f);
        for (int32_t k = 0; k < p->n_shapes; k++) {
            struct yolo_count c;
            yolo_counter_get_frame(s->counter, k, -1, &c);
            if (p->shapes[k].is_zone)
                fprintf(f, "%s{\"zone\": %d, \"inside\": %lld, \"in\": %lld, \"out\": %lld}", k ? ", " : "",
                        k + 1, (long long)c.inside, (long long)c.in, (long long)c.out);
            else
                fprintf(f, "%s{\"line\": %d, \"in\": %lld, \"out\": %lld}", k ? ", " : "", k + 1,
                        (long long)c.in, (long long)c.out);
        }
        fputs("]", f);
    }
    if (s->live)
        fprintf(f, ", \"latency_ms\": %.1f", latency_ms);
    fputs("}\n", f);
    fflush(f);   /* whole lines on disk: a run killed outright keeps its finished frames */
    return ferror(f) ? -1 : 0;
}

/* A thick segment: squares of side lw stamped along it. */
static void draw_segment(struct yolo_cv_image *fr, double x0, double y0, double x1, double y1, int32_t lw,
                         uint32_t rgb)
{
    double len = hypot(x1 - x0, y1 - y0);
    int64_t steps = (int64_t)len + 1;
    if (steps > 100000)
        steps = 100000;
    for (int64_t i = 0; i <= steps; i++) {
        double x = x0 + (x1 - x0) * (double)i / (double)steps, y = y0 + (y1 - y0) * (double)i / (double)steps;
        int64_t cx = (int64_t)floor(x) - lw / 2, cy = (int64_t)floor(y) - lw / 2;
        yolo_draw_fill_rect(fr->data, fr->width, fr->height, fr->stride_bytes, YOLO_PIXFMT_BGR, cx, cy, cx + lw,
                            cy + lw, rgb);
    }
}

/* The lines and zones with their running totals. */
static void draw_shapes(struct source *s, struct yolo_cv_image *fr, int32_t lw)
{
    const struct yolo_video_params *p = s->run->p;
    int32_t scale = lw > 1 ? lw : 1;
    for (int32_t k = 0; k < p->n_shapes; k++) {
        const struct yolo_count_shape *sh = &p->shapes[k];
        uint32_t rgb = sh->is_zone ? 0x00D4BB : 0xFF37C7;
        int32_t np = sh->n_points;
        for (int32_t i = 0; i + 1 < np || (sh->is_zone && i < np); i++) {
            int32_t j = (i + 1) % np;
            draw_segment(fr, sh->pts[2 * i], sh->pts[2 * i + 1], sh->pts[2 * j], sh->pts[2 * j + 1], lw, rgb);
        }
        struct yolo_count c;
        yolo_counter_get(s->counter, k, -1, &c);
        char text[96];
        if (sh->is_zone)
            snprintf(text, sizeof text, "zone %d: %lld inside, in %lld out %lld", k + 1, (long long)c.inside,
                     (long long)c.in, (long long)c.out);
        else
            snprintf(text, sizeof text, "line %d: in %lld out %lld", k + 1, (long long)c.in, (long long)c.out);
        int32_t tw, th;
        yolo_text_size(text, scale, &tw, &th);
        int64_t tx = (int64_t)sh->pts[0], ty = (int64_t)sh->pts[1] - th - lw;
        if (tx > fr->width - tw - scale)
            tx = fr->width - tw - scale;
        if (tx < 0)
            tx = 0;
        if (ty < 0)
            ty = 0;
        yolo_draw_fill_rect(fr->data, fr->width, fr->height, fr->stride_bytes, YOLO_PIXFMT_BGR, tx, ty,
                            tx + tw + scale, ty + th, rgb);
        yolo_draw_text(fr->data, fr->width, fr->height, fr->stride_bytes, YOLO_PIXFMT_BGR, tx + scale, ty, text,
                       scale, 0xFFFFFF);
    }
}

/* Runs the tracker and the counter on a frame's detections: fills s->tracks, s->tdets (the
 * tracker's boxes, labelled "id:N name", coloured by ID). Returns the number of tracks or -1
 * with err filled. */
static int32_t track_frame(struct source *s, const struct yolo_result *res, char *err, size_t cap)
{
    struct run *run = s->run;
    struct yolo_diag d = { 0 };
    int32_t n = 0;
    if (yolo_tracker_update(s->tracker, res->dets, res->n_dets, s->tracks, run->max_det, &n, &d) ||
        (s->counter && yolo_counter_update(s->counter, s->tracks, n, &d))) {
        snprintf(err, cap, "%s: %s", s->st->source, d.msg);
        return -1;
    }
    for (int32_t i = 0; i < n; i++) {
        const struct yolo_track *t = &s->tracks[i];
        const struct yolo_det *src = &res->dets[t->det];
        struct yolo_det *o = &s->tdets[i];
        *o = *src;
        o->x1 = t->x1;
        o->y1 = t->y1;
        o->x2 = t->x2;
        o->y2 = t->y2;
        if (src->cls >= 0 && src->cls < YOLO_COUNT_MAX_CLASSES && src->name)
            s->names[src->cls] = src->name;
        if (t->id > s->st->n_tracks)
            s->st->n_tracks = t->id;
    }
    return n;
}

/* Writes one frame's outputs; returns 0 or fills err and returns -1 (output broken), or -2
 * (the frame cannot go in the MP4: the outputs are finished at the frame before). */
static int write_outputs(struct source *s, int32_t k, const struct yolo_result *res, int rc, const char *msg,
                         char *err, size_t cap)
{
    const struct yolo_video_params *p = s->run->p;
    struct yolo_cv_image *fr = &s->frames[k];
    struct yolo_diag d = { 0 };
    if (p->save_video && s->vw && (fr->width != s->out_w || fr->height != s->out_h)) {
        snprintf(err, cap, "%s: frame %lld: the frame size changed from %dx%d to %dx%d; the outputs hold the "
                 "%lld frames before it", s->st->source, (long long)s->frame_index[k], s->out_w, s->out_h,
                 fr->width, fr->height, (long long)s->st->frames_done);
        return -2;
    }
    int32_t n_tracks = 0;
    if (p->track && !rc && (n_tracks = track_frame(s, res, err, cap)) < 0)
        return -1;
    double latency = yolo_now_ms() - s->frame_cap[k];
    if (s->live) {
        if (s->n_lat == s->cap_lat) {
            int64_t c2 = s->cap_lat ? 2 * s->cap_lat : 1024;
            double *q = realloc(s->lat, sizeof *q * (size_t)c2);
            if (q) {
                s->lat = q;
                s->cap_lat = c2;
            }
        }
        if (s->n_lat < s->cap_lat)
            s->lat[s->n_lat++] = latency;
    }
    if (p->save_json) {
        if (!s->json_open) {
            if (yolo_atomic_open(&s->json, s->st->json_path, &d)) {
                snprintf(err, cap, "%s", d.msg);
                return -1;
            }
            s->json_open = 1;
        }
        if (write_json(s, s->frame_index[k], s->frame_t[k], res, rc, msg, n_tracks, latency)) {
            snprintf(err, cap, "%s: write failed: %s", s->st->json_path, strerror(errno));
            return -1;
        }
    }
    if (p->save_video) {
        if (!s->vw) {
            if (yolo_cv_video_writer_open(s->st->video_path, fr->width, fr->height, s->out_fps, &s->vw, &d)) {
                snprintf(err, cap, "%s", d.msg);
                return -1;
            }
            s->out_w = fr->width;
            s->out_h = fr->height;
        }
        struct yolo_image im = { fr->data, fr->width, fr->height, (int32_t)fr->stride_bytes, YOLO_PIXEL_BGR };
        if (!rc && !p->track) {
            yolo_draw(&im, res, &p->draw);
        } else if (!rc) {
            int32_t lw = p->draw.line_width > 0 ? p->draw.line_width : yolo_draw_line_width(fr->width, fr->height);
            for (int32_t i = 0; i < n_tracks; i++) {
                const char *name = s->tdets[i].name ? s->tdets[i].name : "";
                snprintf(s->tlabels[i], sizeof s->tlabels[i], "id:%lld %s", (long long)s->tracks[i].id, name);
                s->tdets[i].name = s->tlabels[i];
                s->tdets[i].cls = (int32_t)(s->tracks[i].id % 20);     /* colour per ID */
            }
            yolo_draw_dets(fr->data, fr->width, fr->height, fr->stride_bytes, YOLO_PIXFMT_BGR, s->tdets, n_tracks,
                           NULL, 0, &p->draw);
            if (s->counter)
                draw_shapes(s, fr, lw);
        }
        if (yolo_cv_video_writer_write(s->vw, fr->data, fr->stride_bytes, &d)) {
            snprintf(err, cap, "%s", d.msg);
            return -1;
        }
    }
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* <name>.counts.json and the totals text: per shape, all classes and per class. */
static int write_counts(struct source *s, char *err, size_t cap)
{
    const struct yolo_video_params *p = s->run->p;
    struct yolo_atomic_file af;
    struct yolo_diag d = { 0 };
    char *txt = s->st->counts_text;
    size_t tcap = sizeof s->st->counts_text, tl = 0;
    txt[0] = 0;
    if (yolo_atomic_open(&af, s->st->counts_path, &d)) {
        snprintf(err, cap, "%s", d.msg);
        return -1;
    }
    FILE *f = af.f;
    fprintf(f, "{\"source\": ");
    put_json_string(f, s->st->source);
    fprintf(f, ", \"frames\": %lld, \"tracks\": %lld, \"shapes\": [", (long long)s->st->frames_done,
            (long long)s->st->n_tracks);
    for (int32_t k = 0; k < p->n_shapes; k++) {
        const struct yolo_count_shape *sh = &p->shapes[k];
        fprintf(f, "%s{\"type\": \"%s\", \"index\": %d, \"points\": [", k ? ", " : "", sh->is_zone ? "zone" : "line",
                k + 1);
        for (int32_t i = 0; i < 2 * sh->n_points; i++)
            fprintf(f, "%s%g", i ? ", " : "", (double)sh->pts[i]);
        fputs("]", f);
        const char *dir[2] = { "in", "out" };
        if (tl < tcap)
            tl += (size_t)snprintf(txt + tl, tcap - tl, "%s%s %d:", k ? "; " : "", sh->is_zone ? "zone" : "line", k + 1);
        for (int w = 0; w < 2; w++) {
            struct yolo_count c;
            yolo_counter_get(s->counter, k, -1, &c);
            int64_t all = w ? c.out : c.in;
            fprintf(f, ", \"%s\": {\"all\": %lld", dir[w], (long long)all);
            if (tl < tcap)
                tl += (size_t)snprintf(txt + tl, tcap - tl, " %s %lld", dir[w], (long long)all);
            int first = 1;
            for (int32_t cls = 0; cls < YOLO_COUNT_MAX_CLASSES; cls++) {
                yolo_counter_get(s->counter, k, cls, &c);
                int64_t v = w ? c.out : c.in;
                if (!v)
                    continue;
                char num[16];
                snprintf(num, sizeof num, "%d", cls);
                const char *nm = s->names[cls] ? s->names[cls] : num;
                fputs(", ", f);
                put_json_string(f, nm);
                fprintf(f, ": %lld", (long long)v);
                if (tl < tcap)
                    tl += (size_t)snprintf(txt + tl, tcap - tl, "%s%s %lld", first ? " (" : ", ", nm, (long long)v);
                first = 0;
            }
            if (!first && tl < tcap)
                tl += (size_t)snprintf(txt + tl, tcap - tl, ")");
            fputs("}", f);
        }
        fputs("}", f);
    }
    fputs("]}\n", f);
    if (ferror(f)) {
        snprintf(err, cap, "%s: write failed: %s", s->st->counts_path, strerror(errno));
        yolo_atomic_abort(&af);
        return -1;
    }
    if (yolo_atomic_commit(&af, &d)) {
        snprintf(err, cap, "%s", d.msg);
        return -1;
    }
    return 0;
}

static void *writer_main(void *arg)
{
    struct source *s = arg;
    struct run *run = s->run;
    char err[1024] = "";
    int64_t n_ok = 0;
    for (;;) {
        pthread_mutex_lock(&run->mu);
        while (s->n_written == s->n_read && !s->eof)
            pthread_cond_wait(&s->cv, &run->mu);
        int done = s->n_written == s->n_read;
        pthread_mutex_unlock(&run->mu);
        if (done)
            break;
        int32_t k = (int32_t)(s->n_written % run->depth);
        struct yolo_result res;
        struct yolo_diag d = { 0 };
        /* the detections are read where the batcher stored them (no copy) until the release */
        int rc = yolo_batcher_wait(s->bs, &res, NULL, &d);
        int wrc = s->out_failed || s->size_changed ? 0 : write_outputs(s, k, &res, rc, d.msg, err, sizeof err);
        int32_t n_dets = rc ? 0 : res.n_dets, n_invalid = rc ? 0 : res.n_invalid;
        yolo_batcher_release(s->bs);
        if (wrc == -1)
            s->out_failed = 1;
        else if (wrc == -2)
            s->size_changed = 1;
        pthread_mutex_lock(&run->mu);
        s->n_written++;
        if (s->size_changed) {
            s->abort = 1;   /* the reader stops; the outputs keep the frames before */
            set_error(s, err);
        } else if (!s->out_failed) {
            s->st->frames_done++;
            s->st->n_dets += n_dets;
            s->st->n_invalid += n_invalid;
            s->st->n_invalid_frames += n_invalid > 0;
            if (rc) {
                s->st->frames_failed++;
                char m[600];
                snprintf(m, sizeof m, "%s: frame %lld: %s", s->st->source, (long long)s->frame_index[k], d.msg);
                set_error(s, m);
            }
        } else {
            s->abort = 1;   /* the reader stops; frames in flight are drained */
            set_error(s, err);
        }
        s->st->seconds = (yolo_now_ms() - s->t_open_ms) / 1e3;
        pthread_cond_broadcast(&s->cv);
        pthread_mutex_unlock(&run->mu);
        n_ok += !s->out_failed && !s->size_changed;
    }
    /* Close the outputs: committed (renamed into place) when at least one frame made it out
     * and nothing broke, so a truncated source still leaves playable files. */
    struct yolo_diag d = { 0 };
    int commit = n_ok > 0 && !s->out_failed, video_saved = 0, json_saved = 0, counts_saved = 0;
    err[0] = 0;
    if (commit && s->counter && write_counts(s, err, sizeof err) == 0)
        counts_saved = 1;
    if (s->vw) {
        if (yolo_cv_video_writer_close(s->vw, commit, &d) == 0)
            video_saved = commit;
        else if (commit)
            snprintf(err, sizeof err, "%s", d.msg);
    }
    s->vw = NULL;
    if (s->json_open) {
        s->json_open = 0;
        if (!commit)
            yolo_atomic_abort(&s->json);
        else if (yolo_atomic_commit(&s->json, &d) == 0)
            json_saved = 1;
        else if (!err[0])
            snprintf(err, sizeof err, "%s", d.msg);
    }
    pthread_mutex_lock(&run->mu);
    s->st->video_saved = video_saved;
    s->st->json_saved = json_saved;
    s->st->counts_saved = counts_saved;
    if (s->n_lat > 0) {
        qsort(s->lat, (size_t)s->n_lat, sizeof *s->lat, cmp_double);
        s->st->latency_median_ms = s->n_lat % 2 ? s->lat[s->n_lat / 2]
                                                : (s->lat[s->n_lat / 2 - 1] + s->lat[s->n_lat / 2]) / 2;
        s->st->latency_max_ms = s->lat[s->n_lat - 1];
    }
    if (err[0])
        set_error(s, err);
    s->st->state = s->st->error[0] ? YOLO_VIDEO_FAILED : YOLO_VIDEO_DONE;
    run->n_active--;
    notify_locked(run);
    pthread_mutex_unlock(&run->mu);
    return NULL;
}

/* ------------------------------------------------------------------ temp files of killed runs */

/* The pid in a temporary name this pipeline writes: "<x>.jsonl.tmp.<pid>",
 * "<x>.counts.json.tmp.<pid>" (yolo_atomic_open) or "<x>.mp4.tmp<pid>.<tid>.ismv" (the video
 * writer; ".mp4" at the end before the writer wrote fragmented MP4); 0 if name is none of
 * them. *keep_len = length of "<x>" for a JSON Lines or fragmented MP4 temp file (what a
 * killed run's finished frames are kept from), else 0; *video = 1 for the MP4s. */
static long temp_pid(const char *name, size_t *keep_len, int *video)
{
    *keep_len = 0;
    *video = 0;
    const char *q = strstr(name, ".jsonl.tmp.");
    if (q && q[11]) {
        char *end;
        long pid = strtol(q + 11, &end, 10);
        if (!*end && pid > 0) {
            *keep_len = (size_t)(q - name);
            return pid;
        }
    }
    q = strstr(name, ".counts.json.tmp.");
    if (q && q[17]) {
        char *end;
        long pid = strtol(q + 17, &end, 10);
        return !*end && pid > 0 ? pid : 0;
    }
    q = strstr(name, ".mp4.tmp");
    if (q) {
        char *end;
        long pid = strtol(q + 8, &end, 10);
        size_t n = strlen(name);
        if (pid <= 0 || *end != '.')
            return 0;
        *video = 1;
        if (n > 5 && strcmp(name + n - 5, ".ismv") == 0) {
            *keep_len = (size_t)(q - name);
            return pid;
        }
        return n > 4 && strcmp(name + n - 4, ".mp4") == 0 ? pid : 0;
    }
    return 0;
}

/* Keeps what a killed run finished under "<dir>/<stem>.killed-<pid>.<ext>": JSON Lines cut
 * after their last newline (each frame's line is flushed when written, so every whole line is
 * a finished frame); a fragmented MP4 cut after its last whole fragment. Returns 1 if kept. */
static int keep_killed(const char *path, const char *dir, const char *stem, size_t stem_len, long pid,
                       int video, struct yolo_video_report *rep, size_t *note_len)
{
    char keep[4400];
    long cut = 0;
    if (video) {
        /* only whole fragments (a 'moof' then its 'mdat'): no damaged frame at the end */
        struct yolo_mp4_walk mw;
        cut = yolo_mp4_walk(path, &mw) == 0 ? (long)mw.fragments_end : 0;
    } else {
        FILE *f = fopen(path, "rb");
        long pos = 0;
        int c;
        if (f) {
            while ((c = fgetc(f)) != EOF) {
                pos++;
                if (c == '\n')
                    cut = pos;
            }
            fclose(f);
        }
    }
    snprintf(keep, sizeof keep, "%s/%.*s.killed-%ld.%s", dir, (int)stem_len, stem, pid, video ? "mp4" : "jsonl");
    if (cut <= 0 || truncate(path, cut) != 0 || rename(path, keep) != 0)
        return 0;
    rep->n_recovered++;
    if (*note_len < sizeof rep->stale_note)
        *note_len += (size_t)snprintf(rep->stale_note + *note_len, sizeof rep->stale_note - *note_len, "%s%s",
                                      *note_len ? ", " : "kept the finished frames of killed runs: ", keep);
    return 1;
}

/* A run killed outright (kill -9, power loss) leaves its temporary files. The next run in
 * the folder removes those of processes that no longer exist, and keeps the JSON Lines and
 * the (fragmented) MP4 of the frames they finished as "<name>.killed-<pid>.jsonl|mp4".
 * MP4s of older builds (not fragmented: no index, unplayable) are removed. */
static void clean_stale(const char *dir, struct yolo_video_report *rep)
{
    DIR *dp = opendir(dir);
    if (!dp)
        return;
    struct dirent *e;
    size_t len = 0;
    while ((e = readdir(dp)) != NULL) {
        size_t kl;
        int video;
        long pid = temp_pid(e->d_name, &kl, &video);
        if (pid <= 0 || pid == (long)getpid() || !(kill((pid_t)pid, 0) != 0 && errno == ESRCH))
            continue;
        char path[4400];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (kl > 0 && keep_killed(path, dir, e->d_name, kl, pid, video, rep, &len))
            continue;
        if (unlink(path) == 0)
            rep->n_stale_removed++;
    }
    closedir(dp);
}

/* ------------------------------------------------------------------ driver */

static void free_sources(struct run *run)
{
    for (int32_t i = 0; i < run->n; i++) {
        struct source *s = &run->src[i];
        yolo_batcher_stream_close(s->bs);
        if (s->frames)
            for (int32_t k = 0; k < run->depth; k++)
                yolo_cv_image_free(&s->frames[k]);
        free(s->frames);
        free(s->frame_index);
        free(s->frame_t);
        free(s->frame_cap);
        if (s->fifo)
            for (int32_t k = 0; k < s->fifo_cap_n; k++)
                yolo_cv_image_free(&s->fifo[k]);
        free(s->fifo);
        free(s->fifo_index);
        free(s->fifo_cap);
        yolo_cv_image_free(&s->spare);
        yolo_tracker_free(s->tracker);
        yolo_counter_free(s->counter);
        free(s->tracks);
        free(s->tdets);
        free(s->tlabels);
        free(s->lat);
        if (s->cv_ok)
            pthread_cond_destroy(&s->cv);
    }
    free(run->src);
}

/* Calls the progress callback with a snapshot taken under the lock. */
static void report_progress(struct run *run, struct yolo_video_stream *snap, const struct yolo_video_stream *st,
                            int final)
{
    const struct yolo_video_params *p = run->p;
    if (!p->progress_fn)
        return;
    pthread_mutex_lock(&run->mu);
    memcpy(snap, st, sizeof *snap * (size_t)run->n);
    pthread_mutex_unlock(&run->mu);
    p->progress_fn(p->progress_user, snap, run->n, final);
}

int yolo_video_run(const struct yolo_ctx *ctx, const char *const *sources, int32_t n,
                   const struct yolo_video_params *p, struct yolo_video_stream *streams,
                   struct yolo_video_report *rep, struct yolo_diag *d)
{
    if (!ctx || !sources || !p || !streams || !rep || !p->out_dir || n < 1 || n > MAX_SOURCES)
        return yolo_diag_set(d, YOLO_ERR_ARG, "yolo_video_run: bad arguments (%d sources)", n);
    int32_t inst = p->n_instances > 0 ? p->n_instances : 1;
    int32_t mb = p->max_batch > 0 ? p->max_batch : 1;
    if (p->vid_stride < 0 || p->max_frames < 0 || inst > 256 || mb > 1024 || p->live_buffer < 0 ||
        p->live_buffer > 64 || p->n_shapes < 0 || (p->n_shapes > 0 && (!p->shapes || !p->track)) ||
        p->max_pixels < 0)
        return yolo_diag_set(d, YOLO_ERR_ARG, "video parameters out of range");
    memset(rep, 0, sizeof *rep);
    memset(streams, 0, sizeof *streams * (size_t)n);
    for (int32_t i = 0; i < n; i++) {
        streams[i].source = sources[i];
        streams[i].frames_in_source = streams[i].frames_expected = -1;
    }
    assign_names(p, streams, n);
    clean_stale(p->out_dir, rep);

    struct run run;
    memset(&run, 0, sizeof run);
    run.p = p;
    run.n = n;
    run.max_det = ctx->params.max_det;
    run.n_instances = inst;
    run.max_batch = mb;
    int64_t depth = (int64_t)inst * mb + 2;
    run.depth = (int32_t)(depth < MAX_DEPTH ? depth : MAX_DEPTH);
    struct yolo_batcher_params bp;
    yolo_batcher_params_default(&bp);
    bp.n_instances = inst;
    bp.max_batch = mb;
    bp.timeout_ms = p->batch_timeout_ms;
    uint64_t dev0 = 0, dev1 = 0;   /* GPU memory before the clones (0 on the CPU) */
    int on_device = yolo_model_device_memory_used(ctx->model, &dev0) == 0;
    int rc = yolo_batcher_create(ctx, &bp, &run.b, d);
    if (rc)
        return rc;
    struct yolo_video_stream *snap = NULL;
    pthread_condattr_t ca;
    if (pthread_mutex_init(&run.mu, NULL) != 0 || pthread_condattr_init(&ca) != 0 ||
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) != 0 || pthread_cond_init(&run.cv, &ca) != 0) {
        yolo_batcher_free(run.b);
        return yolo_diag_set(d, YOLO_ERR_NOMEM, "cannot create the pipeline's mutex");
    }
    pthread_condattr_destroy(&ca);
    run.src = calloc((size_t)n, sizeof *run.src);
    if (p->progress_fn)
        snap = malloc(sizeof *snap * (size_t)n);
    if (!run.src || (p->progress_fn && !snap)) {
        rc = yolo_diag_set(d, YOLO_ERR_NOMEM, "out of memory starting %d sources", n);
        goto fail;
    }
    for (int32_t i = 0; i < n; i++) {
        struct source *s = &run.src[i];
        s->run = &run;
        s->st = &streams[i];
        s->frames = calloc((size_t)run.depth, sizeof *s->frames);
        s->frame_index = calloc((size_t)run.depth, sizeof *s->frame_index);
        s->frame_t = calloc((size_t)run.depth, sizeof *s->frame_t);
        s->frame_cap = calloc((size_t)run.depth, sizeof *s->frame_cap);
        s->fifo_cap_n = p->live_buffer > 0 ? p->live_buffer : 1;
        s->fifo = calloc((size_t)s->fifo_cap_n, sizeof *s->fifo);
        s->fifo_index = calloc((size_t)s->fifo_cap_n, sizeof *s->fifo_index);
        s->fifo_cap = calloc((size_t)s->fifo_cap_n, sizeof *s->fifo_cap);
        if (p->track) {
            s->tracks = malloc(sizeof *s->tracks * (size_t)run.max_det);
            s->tdets = malloc(sizeof *s->tdets * (size_t)run.max_det);
            s->tlabels = malloc(sizeof *s->tlabels * (size_t)run.max_det);
            /* checked here; created by the reader once the source's frame rate is known */
            if ((rc = yolo_tracker_create(&p->tracker, &s->tracker, d)))
                goto fail;
            yolo_tracker_free(s->tracker);
            s->tracker = NULL;
            if (p->n_shapes > 0 && (rc = yolo_counter_create(p->shapes, p->n_shapes, &s->counter, d)))
                goto fail;
        }
        if (!s->frames || !s->frame_index || !s->frame_t || !s->frame_cap || !s->fifo ||
            !s->fifo_index || !s->fifo_cap || (p->track && (!s->tracks || !s->tdets || !s->tlabels))) {
            rc = yolo_diag_set(d, YOLO_ERR_NOMEM, "out of memory starting %d sources", n);
            goto fail;
        }
        if (pthread_cond_init(&s->cv, NULL) != 0) {
            rc = yolo_diag_set(d, YOLO_ERR_NOMEM, "cannot create a condition variable");
            goto fail;
        }
        s->cv_ok = 1;
        if ((rc = yolo_batcher_stream_open(run.b, run.depth, &s->bs, d)))
            goto fail;
    }

    double t0 = yolo_now_ms();
    for (int32_t i = 0; i < n; i++) {
        struct source *s = &run.src[i];
        pthread_mutex_lock(&run.mu);
        run.n_active++;
        pthread_mutex_unlock(&run.mu);
        if (pthread_create(&s->writer, NULL, writer_main, s) != 0) {
            pthread_mutex_lock(&run.mu);
            run.n_active--;
            set_error(s, "cannot start a thread");
            s->st->state = YOLO_VIDEO_FAILED;
            pthread_mutex_unlock(&run.mu);
            continue;
        }
        s->writer_started = 1;
        if (pthread_create(&s->reader, NULL, reader_main, s) != 0) {
            pthread_mutex_lock(&run.mu);
            set_error(s, "cannot start a thread");
            s->eof = 1;   /* the writer ends at once */
            pthread_cond_broadcast(&s->cv);
            pthread_mutex_unlock(&run.mu);
            continue;
        }
        s->reader_started = 1;
    }

    /* Wait for every source to end, reporting state changes and (if asked) progress. */
    int64_t seen = -1;
    for (;;) {
        pthread_mutex_lock(&run.mu);
        if (p->progress_fn && p->progress_interval_ms > 0 && run.n_active > 0 && run.changes == seen) {
            struct timespec ts;
            clock_gettime(CLOCK_MONOTONIC, &ts);
            long long ns = ts.tv_nsec + (long long)(p->progress_interval_ms * 1e6);
            ts.tv_sec += (time_t)(ns / 1000000000LL);
            ts.tv_nsec = (long)(ns % 1000000000LL);
            pthread_cond_timedwait(&run.cv, &run.mu, &ts);
        } else {
            while (run.n_active > 0 && run.changes == seen)
                pthread_cond_wait(&run.cv, &run.mu);
        }
        seen = run.changes;
        int active = run.n_active;
        pthread_mutex_unlock(&run.mu);
        if (active == 0)
            break;
        report_progress(&run, snap, streams, 0);
    }
    for (int32_t i = 0; i < n; i++) {
        if (run.src[i].reader_started)
            pthread_join(run.src[i].reader, NULL);
        if (run.src[i].writer_started)
            pthread_join(run.src[i].writer, NULL);
    }
    rep->wall_s = (yolo_now_ms() - t0) / 1e3;
    rep->depth = run.depth;
    yolo_batcher_get_stats(run.b, &rep->batch);
    rep->instance_bytes = 0;
    for (int32_t i = 0; i < n; i++) {
        rep->frames += streams[i].frames_done;
        rep->n_failed += streams[i].state == YOLO_VIDEO_FAILED;
        const struct yolo_cv_image *f0 = &run.src[i].frames[0];
        rep->frame_bytes += (uint64_t)f0->cap_bytes * (uint64_t)mb;
    }
    report_progress(&run, snap, streams, 1);
    free_sources(&run);
    /* with every stream closed, the batcher's memory is its contexts' */
    rep->instance_bytes = yolo_batcher_memory_bytes(run.b) / (uint64_t)inst;
    if (on_device && yolo_model_device_memory_used(ctx->model, &dev1) == 0) {
        rep->on_device = 1;
        rep->device_bytes = dev1 > dev0 ? dev1 - dev0 : 0;
    }
    yolo_batcher_free(run.b);
    pthread_cond_destroy(&run.cv);
    pthread_mutex_destroy(&run.mu);
    free(snap);
    return 0;
fail:
    if (run.src)
        free_sources(&run);
    yolo_batcher_free(run.b);
    pthread_cond_destroy(&run.cv);
    pthread_mutex_destroy(&run.mu);
    free(snap);
    return rc;
}
