/* image.c: the public image-file helpers and drawing, on the OpenCV adapter and
 * postprocess/draw.c. */
#include <stdlib.h>
#include <string.h>

#include "cv_adapter.h"
#include "postprocess.h"
#include "yolo.h"

int yolo_image_read(const char *path, struct yolo_image *img, struct yolo_diag *diag)
{
    if (!path || !img)
        return yolo_diag_set(diag, YOLO_ERR_ARG, "yolo_image_read: NULL argument");
    /* no pixel limit, but the same format policy: a corrupt DICOM file must not abort us */
    return yolo_image_read_limited(path, 0, img, diag);
}

void yolo_image_free(struct yolo_image *img)
{
    if (!img)
        return;
    struct yolo_cv_image cv = { (uint8_t *)img->data, img->width, img->height, img->stride_bytes, 0 };
    yolo_cv_image_free(&cv);
    memset(img, 0, sizeof *img);
}

int yolo_image_write(const char *path, const struct yolo_image *img, struct yolo_diag *diag)
{
    if (!path || !img || !img->data)
        return yolo_diag_set(diag, YOLO_ERR_ARG, "yolo_image_write: NULL argument");
    if (img->format != YOLO_PIXEL_BGR) {
        /* OpenCV encoders take BGR: convert a copy */
        size_t row = (size_t)img->width * 3;
        uint8_t *bgr = malloc(row * (size_t)img->height);
        if (!bgr)
            return yolo_diag_set(diag, YOLO_ERR_NOMEM, "%s: out of memory", path);
        for (int32_t y = 0; y < img->height; y++) {
            const uint8_t *s = img->data + (size_t)y * (size_t)img->stride_bytes;
            uint8_t *t = bgr + (size_t)y * row;
            for (int32_t x = 0; x < img->width; x++) {
                t[3 * x] = s[3 * x + 2];
                t[3 * x + 1] = s[3 * x + 1];
                t[3 * x + 2] = s[3 * x];
            }
        }
        int rc = yolo_cv_image_write(path, bgr, img->width, img->height, (int64_t)row, 3, 0, diag);
        free(bgr);
        return rc;
    }
    return yolo_cv_image_write(path, img->data, img->width, img->height, img->stride_bytes, 3, 0, diag);
}

void yolo_draw(struct yolo_image *img, const struct yolo_result *res, const struct yolo_draw_params *p)
{
    if (!img || !img->data || !res)
        return;
    yolo_draw_dets((uint8_t *)img->data, img->width, img->height, img->stride_bytes,
                   (enum yolo_pixfmt)img->format, res->dets, res->n_dets, NULL, 0, p);
}

int yolo_format_det_json(char *buf, size_t cap, const struct yolo_det *det)
{
    return yolo_det_json(buf, cap, det, det->name);
}

int yolo_format_det_txt(char *buf, size_t cap, const struct yolo_det *det, int32_t img_w, int32_t img_h,
                        int32_t with_conf)
{
    return yolo_det_txt_line(buf, cap, det, img_w, img_h, with_conf);
}
