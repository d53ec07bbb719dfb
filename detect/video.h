/* video.h: the multi-stream video pipeline behind `yolo video` (library side: it never
 * prints; the caller gets per-source status through a progress callback and at the end).
 *
 *   per source:  reader thread: decode (vid_stride, max_frames) into a ring of frame buffers
 *                    |  yolo_batcher_submit
 *                    v
 *   all sources: one batcher: n_instances cloned contexts on worker threads, frames grouped
 *                up to max_batch (waiting at most batch_timeout_ms)
 *                    |  yolo_batcher_next: results back in frame order
 *                    v
 *   per source:  writer thread: JSON line, boxes drawn, MP4 frame; the buffer goes back to
 *                the reader
 *
 *   struct yolo_video_stream st[2];  struct yolo_video_report rep;
 *   struct yolo_video_params vp;  yolo_video_params_default(&vp);
 *   vp.out_dir = "out";  vp.n_instances = 2;
 *   const char *src[] = { "cam1.mp4", "rtsp://host/cam2" };
 *   if (yolo_video_run(ctx, src, 2, &vp, st, &rep, &diag)) ... setup failed ...
 *   for (i...) if (st[i].state == YOLO_VIDEO_FAILED) ... st[i].error ...
 *
 * Each source has `depth` = n_instances * max_batch + 2 frame buffers (at most 64): enough to
 * keep every context busy from one source, and a bound on memory whatever the video length.
 * Blocking is on condition variables only. A source that cannot be opened, or that fails
 * later, fails alone: the others run to their end. Outputs are written under temporary names
 * and renamed when the source ends; a source that ends early (truncated file, decode error)
 * still gets playable outputs of the frames it had, and is reported as failed.
 *
 * Thread safety: yolo_video_run may run concurrently with other calls that do not use ctx;
 * ctx is borrowed for the call (cloned n_instances times) and not used by it otherwise. */
#ifndef YOLO_VIDEO_H
#define YOLO_VIDEO_H

#include <stdatomic.h>
#include <stdint.h>

#include "yolo.h"

enum yolo_video_state { YOLO_VIDEO_PENDING = 0, YOLO_VIDEO_RUNNING, YOLO_VIDEO_DONE, YOLO_VIDEO_FAILED };

/* One source's status. yolo_video_run fills the caller's array; the progress callback gets
 * snapshots of it. */
struct yolo_video_stream {
    const char *source;           /* the caller's string (borrowed) */
    char name[128];               /* output stem, unique among the sources */
    char video_path[4096];        /* <out_dir>/<name>.mp4 (written if save_video) */
    char json_path[4096];         /* <out_dir>/<name>.jsonl (written if save_json) */
    enum yolo_video_state state;
    int32_t width, height;        /* as opened */
    double  fps;                  /* of the source (0 unknown) */
    int64_t frames_in_source;     /* container's frame count; -1 unknown (cameras, streams) */
    int64_t frames_expected;      /* frames to process after stride and max_frames; -1 unknown */
    int64_t frames_done;          /* frames written out (results taken in order) */
    int64_t frames_failed;        /* frames whose detection failed (written without boxes) */
    int64_t n_dets;
    double  seconds;              /* from the source's open to its last frame */
    int32_t truncated;            /* ended before the container's frame count */
    int32_t video_saved;          /* video_path holds a finished video (set at the end) */
    int32_t json_saved;           /* json_path holds the finished detections (set at the end) */
    char    backend[24];
    char    error[512];           /* why the source failed (state FAILED) */
    /* live sources (cameras, network streams): newest frames only */
    int32_t is_live;
    int64_t frames_skipped;       /* frames received but dropped to stay real time */
    int32_t reconnects;           /* times the stream was lost and opened again */
    char    note[256];            /* the last event worth a line (lost, reconnected) */
    double  latency_median_ms;    /* capture-to-result latency (live sources), at the end */
    double  latency_max_ms;
    /* tracking and counting */
    int64_t n_tracks;             /* track IDs given */
    char    counts_path[4096];    /* <out_dir>/<name>.counts.json (with lines or zones) */
    int32_t counts_saved;
    char    counts_text[1024];    /* totals, one "line 1: in 3 (car 2, truck 1), out 1 (...)" per shape */
    int64_t n_invalid;            /* candidates dropped as broken (yolo_result.n_invalid) */
    int64_t n_invalid_frames;     /* frames that had any */
};

struct yolo_video_params {
    const char *out_dir;          /* an existing, writable folder */
    int32_t save_video;           /* write <name>.mp4 with boxes drawn */
    int32_t save_json;            /* write <name>.jsonl: {"frame", "t", "detections"} per frame */
    int32_t vid_stride;           /* run every vid_stride-th frame; 0 = 1. The MP4 then plays
                                     at fps / vid_stride, so it lasts as long as the source */
    int64_t max_frames;           /* per source, frames processed; 0 = all */
    int32_t n_instances;          /* cloned contexts; 0 = 1 */
    int32_t max_batch;            /* frames grouped per dispatch (across sources); 0 = 1 */
    double  batch_timeout_ms;     /* longest a frame waits for its group to fill */
    struct yolo_draw_params draw;
    /* Called on the thread that called yolo_video_run, never concurrently: when a source
     * changes state, every progress_interval_ms if > 0, and once at the end with final = 1.
     * st is a snapshot of all n sources, valid during the call. */
    void  (*progress_fn)(void *user, const struct yolo_video_stream *st, int32_t n, int final);
    void   *progress_user;
    double  progress_interval_ms;
    /* If not NULL and set non-zero while running (from a signal handler, say), every source
     * stops reading at its next frame and finishes its outputs as if it had ended: the way
     * to end a camera or stream recording. */
    const atomic_int *stop;
    /* Tracking (ByteTrack, one tracker per source, run in frame order): each JSON detection
     * gets "id", only tracked objects are written and drawn (as Ultralytics' track mode). */
    int32_t track;
    struct yolo_tracker_params tracker;
    /* Lines and zones to count on (needs track), pixel coordinates of the source. */
    const struct yolo_count_shape *shapes;
    int32_t n_shapes;
    /* Live sources: frames kept waiting (the newest; older ones are dropped), 0 = 1; reconnect
     * attempts after a lost stream, 0 = 5, -1 = none. */
    int32_t live_buffer;
    int32_t reconnect;
    /* Frames above this many pixels are refused (0 = no limit). */
    int64_t max_pixels;
};
void yolo_video_params_default(struct yolo_video_params *p);

struct yolo_video_report {
    double  wall_s;
    int64_t frames;               /* frames written out, all sources */
    int32_t n_failed;             /* sources in state FAILED */
    int32_t depth;                /* frame buffers per source */
    struct yolo_batcher_stats batch;
    uint64_t instance_bytes;      /* what one context allocated (yolo_ctx_memory_bytes) */
    uint64_t frame_bytes;         /* frame buffers one more instance adds (max_batch frames of
                                     each opened source) */
    int32_t  on_device;           /* the model runs on a GPU: device_bytes was measured */
    uint64_t device_bytes;        /* GPU memory the instances added (cudaMemGetInfo before the
                                     batcher's clones and at the end of the run) */
    int32_t n_stale_removed;      /* temp files of killed runs removed from out_dir */
    int32_t n_recovered;          /* their JSON Lines and MP4s kept as <name>.killed-<pid>.jsonl|mp4 */
    char    stale_note[1024];
};

/* Runs the pipeline over sources[0..n) (n >= 1) and fills streams[0..n) and *rep. Returns 0
 * once every source has ended (each one's outcome is in its state and error), or an error
 * (bad parameters, out of memory, no threads) before any output is written. */
int yolo_video_run(const struct yolo_ctx *ctx, const char *const *sources, int32_t n,
                   const struct yolo_video_params *p, struct yolo_video_stream *streams,
                   struct yolo_video_report *rep, struct yolo_diag *d);

#endif
