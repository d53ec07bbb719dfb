/* image_outputs.h: the files one image of the image pipeline writes (image_run.h): its
 * annotated copy and its YOLO txt labels, each under a temp name and renamed, so an output
 * is there whole or not at all. */
#ifndef YOLO_IMAGE_OUTPUTS_H
#define YOLO_IMAGE_OUTPUTS_H

#include "image_run.h"

/* Writes img's outputs that p asks for under the name `name` (may hold subfolders, made as
 * needed); img's pixels are drawn on when p->save_images. Calls p->error_fn once per output
 * not written and returns how many were not. */
int image_outputs_write(const struct yolo_image_run_params *p, const char *name, struct yolo_image *img,
                        const struct yolo_result *res);

#endif
