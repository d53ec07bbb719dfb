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

int32_t cli_threads_or_cores(int32_t threads)
{
    if (threads)
        return threads;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    return (int32_t)(cores > 1 ? cores : 1);
}
