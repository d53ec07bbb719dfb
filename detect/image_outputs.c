/* image_outputs.c: see image_outputs.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "image_outputs.h"
#include "postprocess.h"

static void report(const struct yolo_image_run_params *p, const struct yolo_diag *d)
{
    if (p->error_fn)
        p->error_fn(p->user, d->msg);
}

/* <save_dir>/labels/<name less its extension>.txt: one line per detection. */
static int write_txt(const struct yolo_image_run_params *p, const char *name, const struct yolo_image *img,
                     const struct yolo_result *res, struct yolo_diag *d)
{
    char lp[8400], stem[4096], line[256];
    snprintf(stem, sizeof stem, "%s", name);
    char *dot = strrchr(stem, '.'), *slash = strrchr(stem, '/');
    if (dot && (!slash || dot > slash))
        *dot = 0;
    snprintf(lp, sizeof lp, "%s/labels/%s.txt", p->save_dir, stem);
    if (slash && yolo_make_parent_dirs(lp))
        return yolo_diag_set(d, YOLO_ERR_IO, "%s: cannot create its folder: %s", lp, strerror(errno));
    /* the whole file in memory, then given its name at once (as the annotated images: a
     * killed run leaves no temp file) */
    size_t cap = (size_t)res->n_dets * sizeof line, len = 0;
    char *text = malloc(cap ? cap : 1);
    if (!text)
        return yolo_diag_set(d, YOLO_ERR_NOMEM, "%s: out of memory", lp);
    for (int32_t i = 0; i < res->n_dets; i++) {
        int n = yolo_det_txt_line(line, sizeof line, &res->dets[i], img->width, img->height, p->save_conf);
        size_t k = n < 0 ? 0 : (size_t)n < sizeof line ? (size_t)n : sizeof line - 1;
        memcpy(text + len, line, k);
        len += k;
    }
    int rc = yolo_publish_file(lp, text, len, d);
    free(text);
    return rc;
}

int image_outputs_write(const struct yolo_image_run_params *p, const char *name, struct yolo_image *img,
                        const struct yolo_result *res)
{
    int failed = 0;
    struct yolo_diag d = { 0 };
    if (p->save_txt && res->n_dets > 0 && write_txt(p, name, img, res, &d)) {
        failed++;
        report(p, &d);
    }
    if (p->save_images) {
        yolo_draw(img, res, &p->draw);
        char ip[8400];
        snprintf(ip, sizeof ip, "%s/%s", p->save_dir, name);
        int rc = strchr(name, '/') && yolo_make_parent_dirs(ip)
                     ? yolo_diag_set(&d, YOLO_ERR_IO, "%s: cannot create its folder: %s", ip, strerror(errno))
                     : yolo_image_write(ip, img, &d);
        if (rc) {
            failed++;
            report(p, &d);
        }
    }
    return failed;
}
