/* model_arg.c: see model_arg.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "args.h"
#include "model_arg.h"
#include "outdir.h"
#include "sha256.h"
#include "walk.h"
#include "yolo.h"

enum kind { K_UNREADABLE, K_ENGINE, K_ONNX, K_PYTORCH, K_MEDIA, K_OTHER };

static int ends_with(const char *s, const char *ext)
{
    size_t n = strlen(s), e = strlen(ext);
    return n > e && strcasecmp(s + n - e, ext) == 0;
}

static enum kind classify(const char *path)
{
    static const char *const video_exts[] = { ".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg",
                                              ".mpeg", ".ts", ".wmv", ".flv", ".gif" };
    unsigned char head[8] = { 0 };
    FILE *f = fopen(path, "rb");
    if (!f)
        return ends_with(path, ".pt") ? K_PYTORCH : K_UNREADABLE;
    size_t n = fread(head, 1, sizeof head, f);
    fclose(f);
    if (n == 8 && memcmp(head, "YOLOENG", 8) == 0)
        return K_ENGINE;
    /* an ONNX ModelProto starts with field 1 (ir_version, varint): tag byte 0x08 */
    if (ends_with(path, ".onnx") || (n > 0 && head[0] == 0x08))
        return K_ONNX;
    if (ends_with(path, ".pt") || ends_with(path, ".pth"))
        return K_PYTORCH;
    for (size_t i = 0; i < sizeof video_exts / sizeof *video_exts; i++)
        if (ends_with(path, video_exts[i]))
            return K_MEDIA;
    if (yolo_is_image_name(path) || yolo_image_header_pixels(path) >= 0)
        return K_MEDIA;
    return K_OTHER;
}

/* $XDG_CACHE_HOME/yolo, or ~/.cache/yolo (the XDG spec says a relative XDG_CACHE_HOME is
 * to be ignored). 0, or -1 when neither variable gives a folder. */
static int cache_dir(char *dir, size_t cap)
{
    const char *x = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    if (x && x[0] == '/')
        snprintf(dir, cap, "%s/yolo", x);
    else if (home && home[0])
        snprintf(dir, cap, "%s/.cache/yolo", home);
    else
        return -1;
    return 0;
}

static int build_cached(const char *cmd, const char *onnx, int32_t imgsz, int32_t max_batch, char *engine,
                        size_t cap)
{
    char dir[4096], hex[65], key_hex[65], err[4400];
    struct yolo_diag d = { 0 };
    if (cache_dir(dir, sizeof dir))
        return cli_error(cmd, 1, "%s: no engine cache folder (set XDG_CACHE_HOME or HOME), or build the "
                         "engine yourself: yolo build %s -o MODEL.engine", onnx, onnx);
    if (yolo_sha256_file(onnx, hex, &d))
        return cli_error(cmd, 1, "%s", d.msg);
    char key[256];
    int kn = snprintf(key, sizeof key, "yolo engine cache 1\nonnx sha256 %s\nimgsz %d\nmax_batch %d\nyolo %s\n",
                      hex, (int)imgsz, (int)(max_batch > 0 ? max_batch : 1), yolo_version());
    uint8_t digest[YOLO_SHA256_BYTES];
    yolo_sha256(key, (size_t)kn, digest);
    yolo_sha256_hex(digest, key_hex);
    /* the stem keeps the cache readable by a person; the key keeps it correct */
    const char *base = strrchr(onnx, '/');
    base = base ? base + 1 : onnx;
    int stem = (int)strlen(base);
    if (ends_with(base, ".onnx"))
        stem -= 5;
    if (stem > 100)
        stem = 100;
    if ((size_t)snprintf(engine, cap, "%s/%.*s-%.16s.engine", dir, stem, base, key_hex) >= cap)
        return cli_error(cmd, 1, "%s: engine cache path too long", dir);
    if (access(engine, F_OK) == 0)
        return 0;
    if (cli_prepare_dir(dir, NULL, err, sizeof err))
        return cli_error(cmd, 1, "engine cache: %s", err);
    fprintf(stderr, "yolo %s: building %s into the engine cache (first use of this model and options): %s\n",
            cmd, onnx, engine);
    struct yolo_build_params bp;
    yolo_build_params_default(&bp);
    bp.imgsz_h = bp.imgsz_w = imgsz;
    bp.max_batch = max_batch;
    int rc = yolo_build(onnx, engine, &bp, NULL, &d);
    if (rc)
        return cli_error(cmd, rc == YOLO_ERR_ARG || rc == YOLO_ERR_UNSUPPORTED ? 2 : 1, "%s", d.msg);
    return 0;
}

int cli_model_arg(const char *cmd, const char *arg, const char *first_source, int32_t imgsz,
                  int32_t max_batch, char *engine, size_t cap)
{
    switch (classify(arg)) {
    case K_ONNX:
        return build_cached(cmd, arg, imgsz, max_batch, engine, cap);
    case K_PYTORCH:
        return cli_error(cmd, 2, "%s: a PyTorch model; yolo reads ONNX: export it first (Ultralytics: "
                         "yolo export model=%s format=onnx), then give the .onnx file", arg, arg);
    case K_MEDIA:
        if (first_source) {
            enum kind k = classify(first_source);
            if (k == K_ENGINE || k == K_ONNX)
                return cli_error(cmd, 2, "%s is not a model, %s is: the model comes first (arguments "
                                 "swapped?): yolo %s %s %s ...", arg, first_source, cmd, first_source, arg);
        }
        return cli_error(cmd, 2, "%s is an image or video, not a model: the first argument is the "
                         "engine or ONNX model (see yolo %s --help)", arg, cmd);
    default:   /* an engine, or something the loader explains (missing file, bad magic) */
        if ((size_t)snprintf(engine, cap, "%s", arg) >= cap)
            return cli_error(cmd, 2, "%s: path too long", arg);
        return 0;
    }
}
