/* cli_model.c: see cli_model.h. */
#include <unistd.h>

#include "args.h"
#include "cli_model.h"

int cli_load_model(const char *cmd, const char *path, const char *isa, struct yolo_model **model,
                   struct yolo_model_info *info)
{
    struct yolo_diag d = { 0 };
    struct yolo_model_params mp;
    yolo_model_params_default(&mp);
    mp.isa = isa;
    if (yolo_model_load(path, &mp, model, &d))
        return cli_error(cmd, 1, "%s", d.msg);
    yolo_model_get_info(*model, info);
    return 0;
}

void cli_ctx_params(struct yolo_ctx_params *cp, float conf, double iou, int max_det, int agnostic,
                    const int32_t *keep, int32_t n_keep, int32_t threads)
{
    yolo_ctx_params_default(cp);
    cp->conf = conf;
    cp->iou = iou;
    cp->max_det = max_det;
    cp->agnostic = agnostic;
    cp->classes = n_keep ? keep : NULL;
    cp->n_classes_keep = n_keep;
    cp->n_threads = threads;
}

int32_t cli_threads_or_cores(int32_t threads)
{
    if (threads)
        return threads;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    return (int32_t)(cores > 1 ? cores : 1);
}
