/* cmd_infer.c: `yolo infer ENGINE --input raw.bin --output out.bin`: raw tensors in and out
 * (little-endian float32, NCHW), for debugging and integration, like trtexec's
 * --loadInputs / --exportOutput. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "args.h"
#include "commands.h"
#include "fileio.h"
#include "net.h"

static void shape_str(const struct yolo_tensor *t, char *buf, size_t n)
{
    size_t w = (size_t)snprintf(buf, n, "[");
    for (int i = 0; i < t->ndim && w < n; i++)
        w += (size_t)snprintf(buf + w, n - w, i ? ",%lld" : "%lld", (long long)t->shape[i]);
    if (w < n)
        snprintf(buf + w, n - w, "]");
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
}

int cmd_infer(int argc, char **argv)
{
    const char *input = NULL, *output = NULL, *isa = NULL;
    int threads = 1;
    const struct arg_spec specs[] = {
        { "input", 'i', ARG_STR, &input, "IN.bin", "raw float32 input tensor (required)" },
        { "output", 'o', ARG_STR, &output, "OUT.bin", "where to write the raw output (required)" },
        { "threads", 't', ARG_INT, &threads, "N", "threads (default 1)" },
        { "isa", 0, ARG_STR, &isa, "ISA", "force kernels: ref, avx2 or avx512 (default: best)" },
        { 0 }
    };
    const struct cmd_usage u = { "infer", "ENGINE --input IN.bin --output OUT.bin [options]",
        "Run the engine once on a raw little-endian float32 NCHW tensor (exactly the input's size,\n"
        "no header) and write each output as raw float32. With several outputs, output i goes to\n"
        "OUT.bin.<i>. Files are written under a temp name and renamed.",
        NULL };
    const char *pos[1];
    int n_pos;
    int rc = args_parse_cmd(&u, argc, argv, specs, pos, 1, 1, &n_pos, "one ENGINE");
    if (rc != ARGS_GO)
        return rc;
    if (!input || !output)
        return cli_error("infer", 2, "--input and --output are required");
    if (threads < 1 || threads > 256)
        return cli_error("infer", 2, "--threads must be 1..256");
    if ((rc = args_check_isa("infer", isa)) != ARGS_GO)
        return rc;

    struct yolo_diag diag = { 0 };
    struct yolo_engine *e = NULL;
    struct yolo_net *net = NULL;
    struct yolo_pool *pool = NULL;
    struct yolo_runner *r = NULL;
    uint8_t *buf = NULL;
    size_t len = 0;
    rc = 1;
    if (yolo_engine_load(pos[0], 0, &e, &diag))
        goto fail;
    struct yolo_net_params np = { isa };
    if (yolo_net_create(e, &np, &net, &diag))   /* e is owned by net from here */
        goto fail;
    if ((threads > 1 && yolo_pool_create(threads, &pool, &diag)) ||
        yolo_runner_create(net, pool, &r, &diag))
        goto fail;
    const struct yolo_graph *g = yolo_net_graph(net);
    if (g->n_inputs != 1) {
        yolo_diag_set(&diag, YOLO_ERR_UNSUPPORTED, "%s: %d inputs; infer feeds exactly one", pos[0],
                      g->n_inputs);
        goto fail;
    }
    const struct yolo_tensor *in = &g->tensors[g->inputs[0]];
    uint64_t need = yolo_tensor_bytes(in);
    /* read at most one byte more than needed: enough to tell "too long" without reading a
     * huge wrong file */
    if (yolo_read_file(input, need + 1, &buf, &len, &diag) && diag.status != YOLO_ERR_UNSUPPORTED)
        goto fail;
    if (!buf || len != need || in->dtype != YOLO_DT_F32) {
        char sh[128];
        shape_str(in, sh, sizeof sh);
        yolo_diag_set(&diag, YOLO_ERR_FORMAT, "%s: %s bytes, but input '%s' %s float32 needs %llu",
                      input, buf ? "wrong number of" : "too many", in->name, sh,
                      (unsigned long long)need);
        if (buf)
            yolo_diag_set(&diag, YOLO_ERR_FORMAT, "%s: %zu bytes, but input '%s' %s float32 needs %llu",
                          input, len, in->name, sh, (unsigned long long)need);
        goto fail;
    }
    memcpy(yolo_runner_tensor(r, g->inputs[0]), buf, len);
    double t0 = now_ms();
    if (yolo_runner_run(r, &diag))
        goto fail;
    double ms = now_ms() - t0;
    for (int i = 0; i < g->n_outputs; i++) {
        const struct yolo_tensor *t = &g->tensors[g->outputs[i]];
        char path[4200];
        if (g->n_outputs == 1)
            snprintf(path, sizeof path, "%s", output);
        else
            snprintf(path, sizeof path, "%s.%d", output, i);
        if (yolo_write_file_atomic(path, yolo_runner_tensor(r, g->outputs[i]), yolo_tensor_bytes(t), &diag))
            goto fail;
        char sh[128];
        shape_str(t, sh, sizeof sh);
        printf("%s: output '%s' %s %s\n", path, t->name, yolo_dtype_name(t->dtype), sh);
    }
    printf("inference %.1f ms (%d thread%s, %s kernels)\n", ms, threads, threads > 1 ? "s" : "",
           yolo_isa_name(yolo_net_isa(net)));
    rc = 0;
fail:
    if (rc)
        cli_error("infer", diag.status == YOLO_ERR_ARG ? 2 : 1, "%s", diag.msg);
    if (rc && diag.status == YOLO_ERR_ARG)
        rc = 2;
    free(buf);
    yolo_runner_free(r);
    yolo_pool_free(pool);
    yolo_net_free(net);
    return rc;
}
