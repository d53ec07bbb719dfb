/* mp4_boxes.h: the top-level box walk of an MP4 (ISO BMFF) file, for the fragmented MP4s the
 * video writer makes: is the file whole (a disk-full cut is not), and where does its last
 * whole fragment end (a killed run's file is kept up to there). Internal to detect/. */
#ifndef YOLO_MP4_BOXES_H
#define YOLO_MP4_BOXES_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct yolo_mp4_walk {
    int64_t file_bytes;
    int64_t whole_bytes;      /* end of the last whole top-level box (== file_bytes: no cut) */
    int64_t fragments_end;    /* end of the last whole 'mdat' (0: no frame data) */
    char    last_type[5];     /* type of the last whole box ("mfra" ends a finished file) */
};

/* Walks the top-level boxes of the file at path (32-bit size + type; size 1: a 64-bit size
 * follows; size 0 or past the end: not whole). Returns 0, or -1 if the file cannot be read. */
int yolo_mp4_walk(const char *path, struct yolo_mp4_walk *w);

#ifdef __cplusplus
}
#endif
#endif
