/* cli_model.c: see cli_model.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "cli_model.h"

int cli_device_parse(const char *device, const char **backend, int32_t *index)
{
    *backend = "cpu";
    *index = 0;
    if (!device || strcmp(device, "cpu") == 0)
        return 0;
    const char *num = device;
    if (strncmp(device, "cuda", 4) == 0) {
        if (device[4] == '\0')
            num = "0";
        else if (device[4] == ':')
            num = device + 5;
        else
            return -1;
    }
    char *end;
    long v = strtol(num, &end, 10);
    if (end == num || *end || v < 0 || v > 1023)
        return -1;
    *backend = "cuda";
    *index = (int32_t)v;
    return 0;
}

int cli_check_target(const char *cmd, const char *isa, const char *device, int half)
{
    const char *backend;
    int32_t index;
    int rc = args_check_isa(cmd, isa);
    if (rc != ARGS_GO)
        return rc;
    if (cli_device_parse(device, &backend, &index))
        return cli_error(cmd, 2, "--device must be cpu, cuda, cuda:N or a GPU number N (got '%s')",
                         device);
    if (strcmp(backend, "cpu") && !strstr(yolo_backends(), backend))
        return cli_error(cmd, 2, "--device %s: this yolo was built without the CUDA backend "
                         "(backends: %s; rebuild with make CUDA=1)", device, yolo_backends());
    if (half && strcmp(backend, "cpu") == 0)
        return cli_error(cmd, 2, "--half needs --device cuda (the CPU runs FP32)");
    if (isa && strcmp(backend, "cpu"))
        return cli_error(cmd, 2, "--isa picks CPU kernels; it does not go with --device %s", device);
    return ARGS_GO;
}

int cli_load_model(const char *cmd, const char *path, const char *isa, const char *device,
                   int half, struct yolo_model **model, struct yolo_model_info *info)
{
    struct yolo_diag d = { 0 };
    struct yolo_model_params mp;
    yolo_model_params_default(&mp);
    mp.isa = isa;
    cli_device_parse(device, &mp.backend, &mp.device);   /* checked by cli_check_target */
    mp.precision = half ? "fp16" : NULL;
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

void cli_conv_kernels(const struct yolo_model *m, char *buf, size_t cap)
{
    const char *name[16];
    int cnt[16] = { 0 }, n = 0;
    struct yolo_node_desc nd;
    for (int32_t i = 0; yolo_model_node(m, i, &nd) == 0; i++) {
        if (strcmp(nd.op, "Conv") || !nd.kernel)
            continue;
        int k = 0;
        while (k < n && strcmp(name[k], nd.kernel))
            k++;
        if (k == n && n < 16)
            name[n++] = nd.kernel;
        if (k < n)
            cnt[k]++;
    }
    size_t w = 0;
    if (cap)
        buf[0] = 0;
    for (int k = 0; k < n && w < cap; k++) {
        int r = snprintf(buf + w, cap - w, "%s%s %d", k ? ", " : "", name[k], cnt[k]);
        if (r < 0)
            break;
        w += (size_t)r;
    }
}
