/* detect_report.c: see detect_report.h. */
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "detect_report.h"

/* "2 persons, 1 bus, " (classes in order of first appearance: dets are sorted by
 * confidence), or "(no detections), ". */
static void counts_text(const struct yolo_result *res, const struct yolo_model_info *info, char *buf, size_t cap)
{
    size_t w = 0;
    buf[0] = 0;
    if (res->n_dets == 0) {
        snprintf(buf, cap, "(no detections), ");
        return;
    }
    const struct yolo_det *dets = res->dets;
    for (int32_t i = 0; i < res->n_dets && w < cap; i++) {
        int seen = 0;
        for (int32_t k = 0; k < i; k++)
            seen |= dets[k].cls == dets[i].cls;
        if (seen)
            continue;
        int c = 0;
        for (int32_t k = i; k < res->n_dets; k++)
            c += dets[k].cls == dets[i].cls;
        const char *name = dets[i].cls >= 0 && dets[i].cls < info->n_classes ? info->class_names[dets[i].cls] : "?";
        w += (size_t)snprintf(buf + w, cap - w, "%d %s%s, ", c, name, c > 1 ? "s" : "");
    }
}

void detect_report_error(void *user, const char *msg)
{
    const struct detect_report *r = user;
    if (r->progress && !r->quiet)
        fputc('\n', stdout);          /* off the progress bar's line */
    fflush(stdout);
    fprintf(stderr, "yolo %s: error: %s\n", r->cmd, msg);
    fflush(stderr);
}

void detect_report_image(void *user, const struct yolo_image_item *it)
{
    struct detect_report *r = user;
    r->n_done++;
    if (it->error) {
        detect_report_error(r, it->error);
        return;
    }
    if (r->quiet)
        return;
    int64_t n = r->n ? r->n : 1;
    if (r->progress) {
        double el = (yolo_now_ms() - r->t_start_ms) / 1e3;
        int bar = 30, fill = (int)(bar * r->n_done / n);
        printf("\r%3d%% |", (int)(100 * r->n_done / n));
        for (int i = 0; i < bar; i++)
            putchar(i < fill ? '#' : ' ');
        printf("| %lld/%lld  %.1f images/s  ", (long long)r->n_done, (long long)r->n,
               el > 0 ? r->n_done / el : 0.0);
        fflush(stdout);
        return;
    }
    char buf[1024];
    counts_text(it->res, r->info, buf, sizeof buf);
    printf("image %lld/%lld %s: %dx%d %s%.1fms\n", (long long)(r->index_base + it->idx + 1),
           (long long)(r->n_total ? r->n_total : r->n), it->path, r->info->input_h, r->info->input_w, buf,
           it->res->ms_inference);
}

void detect_report_end(const struct detect_report *r)
{
    if (r->progress && !r->quiet)
        putchar('\n');
}

void detect_warn_invalid(const char *cmd, const struct yolo_image_run_report *s, int32_t n_classes)
{
    if (s->n_invalid <= 0)
        return;
    fflush(stdout);
    fprintf(stderr, "yolo %s: warning: %lld candidate%s in %lld image%s dropped: the model output "
            "a NaN or infinite box or score, or a class id outside its %d classes\n", cmd,
            (long long)s->n_invalid, s->n_invalid == 1 ? "" : "s", (long long)s->n_invalid_images,
            s->n_invalid_images == 1 ? "" : "s", n_classes);
}
