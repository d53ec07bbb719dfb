/* frame_size.h: the coded frame size carried in a video's compressed packets (JPEG SOF,
 * H.264 and HEVC sequence parameter sets, MPEG-4 part 2 VOL, MPEG-1/2 sequence header, VP8
 * and VP9 key frames), and files that hold a second container appended to the first.
 *
 * Why: OpenCV's FFmpeg backend converts every decoded frame with a scaler set up for the
 * size the stream opened with and never says when the decoder's size changes, so a stream
 * whose size changes mid-way comes out cropped, rescaled or garbled, silently. The video
 * reader (cv_adapter.cpp) reads the same packets undecoded and asks here for each one's size.
 *
 * All functions read only the bytes given (hostile input: every read is bounds-checked),
 * keep no state and are thread-safe. Internal to detect/.
 *
 *   enum yolo_vcodec c = yolo_vcodec_from_fourcc(fourcc);
 *   if (c == YOLO_VC_UNKNOWN) c = yolo_vcodec_sniff(pkt, n);   // per packet until known
 *   int32_t w, h;
 *   if (yolo_packet_frame_size(c, pkt, n, &w, &h)) ...         // this packet sets w x h
 */
#ifndef YOLO_FRAME_SIZE_H
#define YOLO_FRAME_SIZE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum yolo_vcodec {
    YOLO_VC_UNKNOWN = 0,   /* not (yet) known: sniff the packets */
    YOLO_VC_NONE,          /* known and not one of the below: no size check */
    YOLO_VC_MJPEG,
    YOLO_VC_H264,          /* Annex B byte stream (OpenCV's raw mode converts MP4/MKV to it) */
    YOLO_VC_HEVC,          /* Annex B */
    YOLO_VC_MPEG4,         /* MPEG-4 part 2 (Xvid, DivX, FFmpeg's mpeg4) */
    YOLO_VC_MPEG12,        /* MPEG-1 and MPEG-2 video */
    YOLO_VC_VP8,
    YOLO_VC_VP9,
    YOLO_VC_AV1,           /* low-overhead OBUs: the sequence header's maximum frame size */
    YOLO_VC_PRORES,
    YOLO_VC_H263,          /* H.263 and H.263+ picture headers */
    YOLO_VC_FLV1           /* Sorenson H.263 (FLV) */
};

/* The codec that OpenCV's CAP_PROP_FOURCC names: a container's tag ('avc1', 'FMP4'), the
 * start of FFmpeg's codec name ("h264", "mpeg" for mpeg4 and mpeg2video alike), or an MPEG-TS
 * stream type (0x1b); YOLO_VC_UNKNOWN when it does not tell (0, "mpeg"). */
enum yolo_vcodec yolo_vcodec_from_fourcc(uint32_t fourcc);

/* The codec of the stream whose packet this is, from its bytes (JPEG SOI, an MPEG-4 VOP or
 * MPEG-1/2 picture start code, a VP8, VP9 or AV1 key frame); YOLO_VC_UNKNOWN if this packet
 * does not tell. Meant for a stream's first packet; H.264 and HEVC are never guessed: their
 * tags name them. */
enum yolo_vcodec yolo_vcodec_sniff(const uint8_t *b, size_t n);

/* 1 and the frame size (width x height after cropping) if the packet carries a header that
 * sets it (a key frame's, mostly), else 0. */
int yolo_packet_frame_size(enum yolo_vcodec c, const uint8_t *b, size_t n, int32_t *w, int32_t *h);

/* A second file joined on to the end of the first (cat a.mp4 b.mp4 > c.mp4). FFmpeg reads
 * the first MP4 or AVI file only; into a second Matroska file it decodes on with the first
 * one's codec settings, so that counts only when its frame size differs (w0 x h0: the first
 * file's, w1 x h1: the second's; 0 for MP4 and AVI). */
struct yolo_appended {
    int64_t     at;          /* byte offset where the second file begins; -1: none */
    const char *container;   /* "MP4", "AVI", "Matroska" (static string) */
    int32_t     w0, h0, w1, h1;
};

/* 1 and *a filled if the file at path holds such a second file, else 0 (also when it cannot
 * be read). Reads the container's top-level structure only (box, chunk or element headers). */
int yolo_container_appended(const char *path, struct yolo_appended *a);

#ifdef __cplusplus
}
#endif
#endif
