/* detect_image.c: the smallest complete use of the library: load an engine, detect objects in
 * one image file, print them, save the image with boxes drawn.
 *   build/samples/detect_image yolov8n.engine bus.jpg out.jpg */
#include <stdio.h>

#include "yolo.h"

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: %s ENGINE IMAGE OUT_IMAGE\n", argv[0]);
        return 2;
    }
    struct yolo_diag diag = { 0 };
    struct yolo_model *model = NULL;
    struct yolo_ctx *ctx = NULL;
    struct yolo_image img = { 0 };
    struct yolo_result res;
    int rc = 1;
    if (yolo_model_load(argv[1], NULL, &model, &diag) ||   /* NULL params: defaults */
        yolo_ctx_create(model, NULL, &ctx, &diag) ||        /* conf 0.25, iou 0.7, 1 thread */
        yolo_image_read(argv[2], &img, &diag) ||            /* BGR, as OpenCV decodes it */
        yolo_detect(ctx, &img, &res, &diag))
        goto out;
    for (int32_t i = 0; i < res.n_dets; i++) {
        const struct yolo_det *d = &res.dets[i];
        printf("%-12s %.3f  [%.1f, %.1f, %.1f, %.1f]\n", d->name, d->conf, d->x1, d->y1, d->x2, d->y2);
    }
    yolo_draw(&img, &res, NULL);                            /* NULL: default line width, labels */
    if (yolo_image_write(argv[3], &img, &diag))
        goto out;
    printf("%d objects, %.1f ms inference; wrote %s\n", res.n_dets, res.ms_inference, argv[3]);
    rc = 0;
out:
    if (rc)
        fprintf(stderr, "detect_image: %s\n", diag.msg);
    yolo_image_free(&img);
    yolo_ctx_free(ctx);      /* contexts first, then the model (freeing in any order is safe) */
    yolo_model_free(model);
    return rc;
}
