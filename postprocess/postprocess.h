/* postprocess.h: YOLO post-processing, internal to the library (detect/ and cli/ build the
 * public API on top of it). Everything here follows the fidelity contract of DESIGN.md and
 * ../shared/tools/reference.py bit for bit: the three output decoders, torchvision-style
 * NMS, scale_boxes; plus drawing and the txt/JSON writers. LetterBox and the workspace are in
 * preprocess/preprocess.h (included).
 *
 *   struct yolo_workspace ws = {0};
 *   struct yolo_letterbox_params lp;  yolo_letterbox_params_default(&lp);  // 640x640, C resize
 *   struct yolo_letterbox_geom geom;
 *   struct yolo_image_view im = { bgr, w, h, w * 3, YOLO_PIXFMT_BGR };
 *   yolo_letterbox(&im, &lp, &ws, input_tensor, &geom, &diag);           // float [3,640,640]
 *   ... run the model ...
 *   struct yolo_raw_output out = { output, YOLO_LAYOUT_V8, 84, 8400 };
 *   struct yolo_nms_params np;  yolo_nms_params_default(&np);             // 0.25, 0.7, 300
 *   struct yolo_det dets[300];  int32_t n;
 *   yolo_postprocess(&out, &np, &geom, &ws, dets, 300, &n, &diag);        // original pixels
 *   yolo_draw_dets(bgr, w, h, w * 3, YOLO_PIXFMT_BGR, dets, n, names, 80, NULL);
 *   yolo_workspace_free(&ws);
 *
 * Ownership: every pointer argument is borrowed for the duration of the call unless said
 * otherwise; nothing is retained. Thread safety: all functions are reentrant; a workspace,
 * an output tensor or an image being drawn on must not be shared by concurrent calls.
 * Errors: functions that can fail return 0 (YOLO_OK) or a negative enum yolo_status and fill
 * the optional struct yolo_diag ("object: problem").
 */
#ifndef YOLO_POSTPROCESS_H
#define YOLO_POSTPROCESS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "preprocess.h"   /* the workspace, image views and the letterbox geometry */
#include "yolo.h"
#include "yolo_core.h"

/* ------------------------------------------------------------------ detections */
/* Detections and candidates use the public struct yolo_det (include/yolo.h): cls, conf and
 * the box corners x1, y1, x2, y2 in pixels (network input pixels before yolo_scale_boxes,
 * original image pixels after). The functions here set `name` to NULL; callers fill it. */

/* Layout of one image's raw model output (the batch dimension already removed). */
enum yolo_out_layout {
    YOLO_LAYOUT_V8  = 0,  /* [4 + nc, A]: cx, cy, w, h, class scores (v8, v11, v5u) */
    YOLO_LAYOUT_V5  = 1,  /* [A, 5 + nc]: cx, cy, w, h, objectness, class scores */
    YOLO_LAYOUT_E2E = 2   /* [N, 6]: x1, y1, x2, y2, score, class (v10, YOLO26; no NMS) */
};

/* A borrowed view of one image's output: float32, contiguous, dim1 x dim2 as listed above
 * (V8: dim1 = 4 + nc, dim2 = A; V5: dim1 = A, dim2 = 5 + nc; E2E: dim1 = N, dim2 >= 6). */
struct yolo_raw_output {
    const float *data;
    enum yolo_out_layout layout;
    int64_t dim1, dim2;
};

#define YOLO_NMS_MAX_WH 7680    /* class offset for class-aware NMS (Ultralytics max_wh) */
#define YOLO_NMS_MAX_NMS 30000  /* candidates kept by score before NMS */

struct yolo_nms_params {
    double  conf;        /* keep score > (float)conf (strict, compared in float32). 0.25 */
    double  iou;         /* suppress when IoU (float32) > iou (compared in binary64). 0.7 */
    int32_t max_det;     /* detections kept per image; <= 0 means 300 */
    int32_t agnostic;    /* nonzero: one NMS over all classes */
    const int32_t *classes;  /* keep only these class ids (borrowed); NULL or n_classes 0: all */
    int32_t n_classes;
    int32_t nc;          /* class scores to consider; 0: all the layout holds (V8: dim1 - 4;
                          * V5: dim2 - 5). Extra rows/columns (masks, ...) are ignored. */
    int32_t max_nms;     /* <= 0 means 30000 */
    int64_t *n_invalid;  /* not NULL: yolo_decode adds the E2E rows it dropped as invalid (a
                          * class outside [0, nc), a NaN or infinite box or score) */
};
void yolo_nms_params_default(struct yolo_nms_params *p);

/* Number of candidates `out` can produce at most (A for V8/V5, N for E2E), or -1 if the
 * view is malformed. Size the cands array of yolo_decode with it. */
int64_t yolo_decode_max_candidates(const struct yolo_raw_output *out);

/* Decodes candidates, in anchor (model) order, into cands[0..*n_out):
 *   V8:  best class score > conf (first maximum; a NaN score drops the anchor); box xyxy
 *        from cx, cy, w, h in float32 (x1 = cx - w / 2, ...).
 *   V5:  objectness > conf first, then score = cls * obj (float32), best class, > conf.
 *   E2E: score > conf in model order, the first max_det of them; boxes as given. A row
 *        whose class is not a finite number in int32 range or (nc > 0) not in [0, nc), or
 *        whose box or score is NaN or infinite, is garbage from the model: it is dropped and
 *        counted in *p->n_invalid. (V8/V5 keep NaN boxes, as reference.py does.)
 * Then the classes filter. cap must be >= yolo_decode_max_candidates(out). */
int yolo_decode(const struct yolo_raw_output *out, const struct yolo_nms_params *p,
                struct yolo_det *cands, int64_t cap, int64_t *n_out, struct yolo_diag *d);

/* Greedy NMS over cands[0..n) exactly as torchvision.ops.nms on CPU: stable sort by conf
 * (descending), at most max_nms, boxes offset by cls * 7680 (float32) unless agnostic,
 * areas / intersection / IoU in float32, suppress when IoU > iou (binary64). Writes the
 * kept detections, highest conf first, to out[0..*n_out) with *n_out <= min(max_det, cap).
 * cands is not modified; out must not overlap it. Scratch comes from ws. */
int yolo_nms(const struct yolo_det *cands, int64_t n, const struct yolo_nms_params *p,
             struct yolo_workspace *ws, struct yolo_det *out, int32_t cap, int32_t *n_out,
             struct yolo_diag *d);

/* Ultralytics scale_boxes + clip_boxes: gain = min(H / h0, W / w0) (binary64);
 * pad_x = rint((W - rint(w0 * gain)) / 2 - 0.1), pad_y likewise; subtract the pads
 * (float32), divide by (float)gain, clip x to [0, w0] and y to [0, h0] (NaN stays NaN).
 * Only g's src/dst sizes are used. */
void yolo_scale_boxes(struct yolo_det *dets, int32_t n, const struct yolo_letterbox_geom *g);

/* Stable sort by conf, highest first (equal confs keep their order); tmp holds n dets. */
void yolo_dets_sort(struct yolo_det *dets, int32_t n, struct yolo_det *tmp);

/* decode + NMS (not for E2E) + scale_boxes + final stable sort by conf, as reference.py's
 * postprocess: dets[0..*n_out) in original-image pixels, *n_out <= min(max_det, cap). */
int yolo_postprocess(const struct yolo_raw_output *out, const struct yolo_nms_params *p,
                     const struct yolo_letterbox_geom *g, struct yolo_workspace *ws,
                     struct yolo_det *dets, int32_t cap, int32_t *n_out, struct yolo_diag *d);

/* The last steps of yolo_postprocess for detections kept elsewhere (the GPU's decode and NMS,
 * detect/cuda/nms_cuda.cu), in NMS order and model-input pixels: scale_boxes and the final
 * sort, into dets[0..*n_out) (not overlapping kept), *n_out = min(n, cap). */
int yolo_postprocess_kept(const struct yolo_det *kept, int32_t n,
                          const struct yolo_letterbox_geom *g, struct yolo_workspace *ws,
                          struct yolo_det *dets, int32_t cap, int32_t *n_out, struct yolo_diag *d);

/* ------------------------------------------------------------------ drawing */
/* Ultralytics' 20-colour palette, colour of class `cls` (cls mod 20; negative -> 0) as
 * 0xRRGGBB. */
uint32_t yolo_palette_rgb(int32_t cls);

/* Drawing options are the public struct yolo_draw_params (line_width 0 = automatic,
 * hide_labels, hide_conf). The glyph magnification follows the line width (min 1): a label
 * at line width 2 (a 640-pixel image) has 14-pixel capitals, like Ultralytics' text. */

/* Line width the defaults give for an image of w x h. */
int32_t yolo_draw_line_width(int32_t w, int32_t h);

/* Draws detections (original-image pixels) in place on a u8 image of format BGR or RGB
 * (other formats: YOLO_ERR_ARG): a rectangle of the class colour, and unless hidden a
 * filled label tag above the box (inside it if there is no room above) with "name 0.92" in
 * white or black, whichever contrasts. The name is det->name if set, else names[cls] when
 * 0 <= cls < n_names, else the class number. Drawn last to first (as Ultralytics), so
 * earlier (more confident) detections end up on top.
 * Boxes with non-finite coordinates are skipped; everything is clipped to the image. p may
 * be NULL (defaults). */
int yolo_draw_dets(uint8_t *img, int32_t w, int32_t h, int64_t stride_bytes,
                   enum yolo_pixfmt format, const struct yolo_det *dets, int32_t n,
                   const char *const *names, int32_t n_names, const struct yolo_draw_params *p);

/* Primitives (BGR/RGB, clipped; colour as 0xRRGGBB). */
void yolo_draw_fill_rect(uint8_t *img, int32_t w, int32_t h, int64_t stride_bytes,
                         enum yolo_pixfmt format, int64_t x0, int64_t y0, int64_t x1,
                         int64_t y1, uint32_t rgb);          /* [x0, x1) x [y0, y1) */
void yolo_draw_rect(uint8_t *img, int32_t w, int32_t h, int64_t stride_bytes,
                    enum yolo_pixfmt format, int64_t x1, int64_t y1, int64_t x2,
                    int64_t y2, int32_t line_width, uint32_t rgb);
/* Text with the embedded font; (x, y) is the top-left of the first glyph cell. */
void yolo_draw_text(uint8_t *img, int32_t w, int32_t h, int64_t stride_bytes,
                    enum yolo_pixfmt format, int64_t x, int64_t y, const char *text,
                    int32_t scale, uint32_t rgb);
/* Size in pixels of text drawn at `scale` (cell width x cell height per character). */
void yolo_text_size(const char *text, int32_t scale, int32_t *w, int32_t *h);
/* UTF-8 text drawn by FreeType from the fonts of Debian packages (text_ft.c) as an 8-bit
 * coverage mask of *w x px bytes, px the line height in pixels (malloc'd: the caller frees
 * *alpha). 0, or -1 when no font can be opened (out of memory too): then the caller uses the
 * embedded font, which draws '?' for what is not ASCII. Thread-safe. */
int  yolo_text_render_ft(const char *text, int32_t px, uint8_t **alpha, int32_t *w);

/* ------------------------------------------------------------------ writers */
/* The snprintf-style writers below return the length of the full text (not counting the
 * NUL) and write at most cap bytes including the NUL; a negative value on a bad argument. */

/* Shortest decimal that reads back (strtof) as the same float32 (fewest significant digits,
 * correctly rounded), laid out as Python's repr of a float: "810.0", "0.92325133", "1e-05",
 * "3.4028235e+38" (what reference.py's JSON holds); "nan", "inf", "-inf" for non-finite
 * values (the JSON writers print null instead). */
int yolo_fmt_float(char *buf, size_t cap, float v);

/* YOLO txt label line "cls xc yc w h[ conf]\n", normalized by the original image size, in
 * float32 as Ultralytics computes it, printed with %g (6 significant digits). */
int yolo_det_txt_line(char *buf, size_t cap, const struct yolo_det *det, int32_t img_w,
                      int32_t img_h, int with_conf);

/* One detection as a JSON object:
 * {"cls": 0, "name": "person", "conf": 0.92325133, "box": [672.2517, 374.39337, 807.2673, 876.00354]}
 * floats in shortest round-trip float32 form, null for non-finite values. name NULL:
 * det->name, and if that is NULL too the class number as a string. No newline. */
int yolo_det_json(char *buf, size_t cap, const struct yolo_det *det, const char *name);

/* One image's line of detections.jsonl, newline included:
 * {"path": P, "width": W, "height": H, "ms": {"preprocess": F, "inference": F, "postprocess": F},
 *  "detections": [yolo_det_json of each]}, or {"path": P, "error": E} when error is not NULL
 * (r is then unused). Strings through the one JSON string writer (yolo_json_escape). */
int yolo_image_json_line(char *buf, size_t cap, const char *path, const struct yolo_result *r,
                         const char *error);

/* FILE* forms: write the same text; 0 or YOLO_ERR_IO (d: "<what>: write failed"). */
int yolo_det_txt_write(FILE *f, const struct yolo_det *det, int32_t img_w, int32_t img_h,
                       int with_conf, struct yolo_diag *d);
int yolo_det_json_write(FILE *f, const struct yolo_det *det, const char *name,
                        struct yolo_diag *d);
/* A JSON list of detections, one per line ("[\n {...},\n {...}\n]\n"; "[]\n" when empty),
 * the same form as the golden dets_*.json files. names as in yolo_draw_dets. */
int yolo_dets_json_write(FILE *f, const struct yolo_det *dets, int32_t n,
                         const char *const *names, int32_t n_names, struct yolo_diag *d);

#endif
