/* cmd_infer.c: `yolo infer ENGINE --input raw.bin --output out.bin`: raw tensors in and out
 * (little-endian float32, NCHW), for debugging and integration, like trtexec's
 * --loadInputs / --exportOutput. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "args.h"
#include "cli_model.h"
#include "commands.h"
#include "fileio.h"
#include "yolo.h"
#include "clock.h"

static void shape_str(const struct yolo_tensor_desc *t, char *buf, size_t n)
{
    size_t w = (size_t)snprintf(buf, n, "[");
    for (int i = 0; i < t->ndim && w < n; i++)
        w += (size_t)snprintf(buf + w, n - w, i ? ",%lld" : "%lld", (long long)t->shape[i]);
    if (w < n)
        snprintf(buf + w, n - w, "]");
}

int cmd_infer(int argc, char **argv)
{
    const char *input = NULL, *output = NULL, *isa = NULL;
    const char *device = NULL;
    int half = 0;
    int threads = 1;
    const struct arg_spec specs[] = {
        { "input", 'i', ARG_STR, &input, "IN.bin", "raw float32 input tensor (required)" },
        { "output", 'o', ARG_STR, &output, "OUT.bin", "where to write the raw output (required)" },
        { "threads", 't', ARG_INT, &threads, "N", "threads (default 1)" },
        { "isa", 0, ARG_STR, &isa, "ISA", "force kernels: ref, avx2 or avx512 (default: best)" },
        CLI_DEVICE_ARGS(device, half),
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
    if ((rc = cli_check_target("infer", isa, device, half)) != ARGS_GO)
        return rc;

    struct yolo_diag diag = { 0 };
    struct yolo_model *m = NULL;
    struct yolo_ctx *c = NULL;
    uint8_t *buf = NULL, *out = NULL;
    size_t len = 0;
    rc = 1;
    struct yolo_model_params mp;
    yolo_model_params_default(&mp);
    mp.isa = isa;
    cli_device_parse(device, &mp.backend, &mp.device);
    mp.precision = half ? "fp16" : NULL;
    mp.raw = 1;   /* any engine: raw tensors in and out */
    struct yolo_ctx_params cp;
    yolo_ctx_params_default(&cp);
    cp.n_threads = threads;
    if (yolo_model_load(pos[0], &mp, &m, &diag) || yolo_ctx_create(m, &cp, &c, &diag))
        goto fail;
    struct yolo_engine_summary s;
    yolo_model_summary(m, &s);
    if (s.n_inputs != 1) {
        yolo_diag_set(&diag, YOLO_ERR_UNSUPPORTED, "%s: %d inputs; infer feeds exactly one", pos[0],
                      s.n_inputs);
        goto fail;
    }
    struct yolo_tensor_desc in;
    yolo_model_input(m, 0, &in);
    uint64_t need = in.bytes;
    /* read at most one byte more than needed: enough to tell "too long" without reading a
     * huge wrong file */
    if (yolo_read_file(input, need + 1, &buf, &len, &diag) && diag.status != YOLO_ERR_UNSUPPORTED)
        goto fail;
    if (!buf || len != need || strcmp(in.dtype, "float32")) {
        char sh[128];
        shape_str(&in, sh, sizeof sh);
        yolo_diag_set(&diag, YOLO_ERR_FORMAT, "%s: %s bytes, but input '%s' %s float32 needs %llu",
                      input, buf ? "wrong number of" : "too many", in.name, sh,
                      (unsigned long long)need);
        if (buf)
            yolo_diag_set(&diag, YOLO_ERR_FORMAT, "%s: %zu bytes, but input '%s' %s float32 needs %llu",
                          input, len, in.name, sh, (unsigned long long)need);
        goto fail;
    }
    if (yolo_ctx_set_input(c, 0, buf, len, &diag))
        goto fail;
    double t0 = yolo_now_ms();
    if (yolo_ctx_forward(c, &diag))
        goto fail;
    double ms = yolo_now_ms() - t0;
    struct yolo_tensor_desc t;
    for (int i = 0; yolo_model_output(m, i, &t) == 0; i++) {
        char path[4200];
        if (s.n_outputs == 1)
            snprintf(path, sizeof path, "%s", output);
        else
            snprintf(path, sizeof path, "%s.%d", output, i);
        free(out);
        out = malloc(t.bytes ? t.bytes : 1);
        if (!out) {
            yolo_diag_set(&diag, YOLO_ERR_NOMEM, "out of memory");
            goto fail;
        }
        if (yolo_ctx_get_output(c, i, out, t.bytes, &diag) ||
            yolo_write_file_atomic(path, out, t.bytes, &diag))
            goto fail;
        char sh[128];
        shape_str(&t, sh, sizeof sh);
        printf("%s: output '%s' %s %s\n", path, t.name, t.dtype, sh);
    }
    printf("inference %.1f ms (%d thread%s, %s %s kernels, %s)\n", ms, threads, threads > 1 ? "s" : "",
           s.backend, s.variant, s.precision);
    rc = 0;
fail:
    if (rc)
        cli_error("infer", diag.status == YOLO_ERR_ARG ? 2 : 1, "%s", diag.msg);
    if (rc && diag.status == YOLO_ERR_ARG)
        rc = 2;
    free(buf);
    free(out);
    yolo_ctx_free(c);
    yolo_model_free(m);
    return rc;
}
