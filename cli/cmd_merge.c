/* cmd_merge.c: `yolo merge DIR|FILE... [-o FILE] [--source SRC]`: joins the JSON Lines of a
 * sharded (or resumed) `yolo detect` run into one file in source order, and says what it
 * holds: images, detections, failures, duplicates, and with the source list the gaps. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "args.h"
#include "walk.h"
#include "commands.h"
#include "fileio.h"
#include "shard.h"
#include "sources.h"

#define MAX_INPUTS 256

struct in_file {
    char *path;
    const char *data;            /* mmap'd; NULL when empty */
    size_t bytes;
};

struct rec {                     /* one line kept */
    int64_t order;               /* source index, or past the source for lines outside it */
    uint32_t file;
    uint64_t off, len;           /* the line with its newline */
};

struct files {
    struct in_file *v;
    int n, cap;
};

static int add_file(struct files *fs, const char *path)
{
    if (fs->n == fs->cap) {
        int nc = fs->cap ? 2 * fs->cap : 16;
        struct in_file *v = realloc(fs->v, sizeof *v * (size_t)nc);
        if (!v)
            return -1;
        fs->v = v;
        fs->cap = nc;
    }
    fs->v[fs->n].path = strdup(path);
    fs->v[fs->n].data = NULL;
    fs->v[fs->n].bytes = 0;
    return fs->v[fs->n].path ? (fs->n++, 0) : -1;
}

/* detections.jsonl and its shards' detections.0000K-of-0000N.jsonl */
static int is_detections_file(const char *name)
{
    size_t len = strlen(name);
    return strncmp(name, "detections", 10) == 0 && len >= 16 && strcmp(name + len - 6, ".jsonl") == 0;
}

static int walk_add(void *user, const char *path)
{
    return add_file(user, path) ? -2 : 0;    /* -2: out of memory (-1 is the walker's own error) */
}

/* DIR: its detections*.jsonl, by name (shard 00000 first); FILE: itself */
static int add_input(struct files *fs, const char *arg)
{
    struct stat st;
    if (stat(arg, &st) != 0)
        return cli_error("merge", 1, "%s: %s", arg, strerror(errno));
    if (!S_ISDIR(st.st_mode)) {
        if (!S_ISREG(st.st_mode))
            return cli_error("merge", 1, "%s: not a regular file or a directory", arg);
        return add_file(fs, arg) ? cli_error("merge", 1, "out of memory") : 0;
    }
    /* by name: shard 00000 first */
    char err[4400];
    int n0 = fs->n, rc = yolo_walk_dir(arg, 0, is_detections_file, walk_add, fs, err, sizeof err);
    if (rc)
        return cli_error("merge", 1, "%s", rc == -2 ? "out of memory" : err);
    int n = fs->n - n0;
    if (n == 0)
        return cli_error("merge", 1, "%s: no detections*.jsonl in it", arg);
    return 0;
}

/* source key -> source index: open addressing over the escaped paths */
struct src_index {
    char **key;                  /* per source image: its JSON path string */
    int64_t *slot;               /* -1 empty, else the source index */
    uint64_t mask;
};

static uint64_t hash_bytes(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
    return h;
}

static int64_t src_lookup(const struct src_index *x, const char *k, size_t len, int add, int64_t idx)
{
    for (uint64_t i = hash_bytes(k, len) & x->mask;; i = (i + 1) & x->mask) {
        int64_t s = x->slot[i];
        if (s < 0) {
            if (add)
                x->slot[i] = idx;
            return -1;
        }
        if (strlen(x->key[s]) == len && memcmp(x->key[s], k, len) == 0)
            return s;
    }
}

static int cmp_rec(const void *a, const void *b)
{
    const struct rec *x = a, *y = b;
    return x->order < y->order ? -1 : x->order > y->order;
}

int cmd_merge(int argc, char **argv)
{
    const char *out_path = NULL, *source = NULL;
    int recursive = 0;
    const struct arg_spec specs[] = {
        { "output", 'o', ARG_STR, &out_path, "FILE", "write the merged JSON Lines to FILE (default: stdout)" },
        { "source", 0, ARG_STR, &source, "SRC", "the run's source (directory, glob or .txt list, as given to detect): "
          "order by it and report the images missing" },
        { "recursive", 'r', ARG_FLAG, &recursive, NULL, "the source directory was given to detect with -r" },
        { 0 }
    };
    const struct cmd_usage u = { "merge", "DIR|FILE... [-o FILE] [--source SRC [-r]]",
        "Join the JSON Lines of a sharded or resumed `yolo detect --json` run into one file. A DIR\n"
        "contributes its detections*.jsonl (per-shard files sort in shard order); lines keep the\n"
        "order of the files and of their lines, or with --source the order of the source list.\n"
        "An image seen twice is kept once (the first line); a torn last line is left out.",
        "report (stderr, or stdout with -o): files, images, detections, failed images (lines with\n"
        "\"error\"), duplicates dropped, torn or foreign lines left out, and with --source the gaps:\n"
        "source images without a line (the first ones named) and lines of images outside it.\n"
        "Exit code 1 when anything is missing (gaps, torn or foreign lines), else 0.\n"
        "The output file is written under a temp name and renamed." };
    const char *pos[MAX_INPUTS];
    int n_pos;
    int rc = args_parse_cmd(&u, argc, argv, specs, pos, 1, MAX_INPUTS, &n_pos, "at least one DIR or FILE");
    if (rc != ARGS_GO)
        return rc;
    if (recursive && !source)
        return cli_error("merge", 2, "-r applies to --source only");
    struct files fs = { 0 };
    struct source_list src = { 0 };
    struct src_index sx = { 0 };
    struct str_set seen = { 0 };
    struct rec *recs = NULL;
    char *have = NULL;
    size_t n_recs = 0, cap_recs = 0;
    rc = 1;
    for (int i = 0; i < n_pos; i++)
        if (add_input(&fs, pos[i]))
            goto out;
    if (source) {
        char err[4400];
        if (sources_add(&src, source, recursive, err, sizeof err)) {
            cli_error("merge", 1, "--source: %s", err);
            goto out;
        }
        uint64_t size = 16;
        while (size < 2 * (uint64_t)src.n)
            size *= 2;
        sx.key = calloc((size_t)(src.n ? src.n : 1), sizeof *sx.key);
        sx.slot = malloc(sizeof *sx.slot * size);
        have = calloc((size_t)(src.n ? src.n : 1), 1);
        sx.mask = size - 1;
        if (!sx.key || !sx.slot || !have) {
            cli_error("merge", 1, "out of memory");
            goto out;
        }
        memset(sx.slot, 0xff, sizeof *sx.slot * size);
        for (int64_t i = 0; i < src.n; i++) {
            if (!(sx.key[i] = json_path_string(src.paths[i]))) {
                cli_error("merge", 1, "out of memory");
                goto out;
            }
            src_lookup(&sx, sx.key[i], strlen(sx.key[i]), 1, i);   /* a repeat keeps the first */
        }
    }
    int64_t n_lines = 0, n_dup = 0, n_torn = 0, n_bad = 0, n_failed = 0, n_dets = 0, n_outside = 0;
    for (int f = 0; f < fs.n; f++) {
        struct in_file *in = &fs.v[f];
        int fd = open(in->path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
            cli_error("merge", 1, "%s: cannot read: %s", in->path, fd < 0 ? strerror(errno) : "not a regular file");
            if (fd >= 0)
                close(fd);
            goto out;
        }
        in->bytes = (size_t)st.st_size;
        if (in->bytes) {
            void *m = mmap(NULL, in->bytes, PROT_READ, MAP_PRIVATE, fd, 0);
            if (m == MAP_FAILED) {
                cli_error("merge", 1, "%s: cannot read: %s", in->path, strerror(errno));
                close(fd);
                goto out;
            }
            in->data = m;
        }
        close(fd);
        for (size_t off = 0; off < in->bytes;) {
            const char *line = in->data + off;
            const char *nl = memchr(line, '\n', in->bytes - off);
            if (!nl) {
                fprintf(stderr, "yolo merge: warning: %s: a torn last line (%zu bytes, no newline) is left out\n",
                        in->path, in->bytes - off);
                n_torn++;
                break;
            }
            size_t len = (size_t)(nl - line) + 1;
            const char *key;
            size_t key_len;
            n_lines++;
            if (jsonl_line_path(line, len, &key, &key_len)) {
                if (n_bad++ == 0)
                    fprintf(stderr, "yolo merge: warning: %s: line at byte %zu is not a detect JSON line; left out\n",
                            in->path, off);
                off += len;
                continue;
            }
            int dup = str_set_add(&seen, key, key_len);
            if (dup < 0) {
                cli_error("merge", 1, "out of memory");
                goto out;
            }
            if (dup) {
                n_dup++;
                off += len;
                continue;
            }
            int64_t order = n_recs;
            if (source) {
                int64_t s = src_lookup(&sx, key, key_len, 0, 0);
                if (s < 0) {
                    n_outside++;
                    order = src.n + (int64_t)n_recs;
                } else {
                    order = s;
                    have[s] = 1;
                }
            }
            const char *after = key + key_len;
            if ((size_t)(line + len - after) > 11 && memcmp(after, ", \"error\": ", 11) == 0)
                n_failed++;
            for (const char *p = after; (p = memmem(p, (size_t)(line + len - p), "{\"cls\": ", 8)); p += 8)
                n_dets++;
            if (n_recs == cap_recs) {
                cap_recs = cap_recs ? 2 * cap_recs : 4096;
                struct rec *v = realloc(recs, sizeof *v * cap_recs);
                if (!v) {
                    cli_error("merge", 1, "out of memory");
                    goto out;
                }
                recs = v;
            }
            recs[n_recs++] = (struct rec){ order, (uint32_t)f, off, len };
            off += len;
        }
    }
    if (recs)
        qsort(recs, n_recs, sizeof *recs, cmp_rec);
    /* the merged file */
    struct yolo_atomic_file af = { 0 };
    struct yolo_diag d = { 0 };
    FILE *out = stdout;
    if (out_path) {
        if (yolo_atomic_open(&af, out_path, &d)) {
            cli_error("merge", 1, "%s", d.msg);
            goto out;
        }
        out = af.f;
    }
    int werr = 0;
    for (size_t i = 0; i < n_recs && !werr; i++)
        werr = fwrite(fs.v[recs[i].file].data + recs[i].off, 1, recs[i].len, out) != recs[i].len;
    if (out_path) {
        if (werr) {
            int e = errno;
            yolo_atomic_abort(&af);
            cli_error("merge", 1, "%s: write failed: %s", out_path, strerror(e ? e : EIO));
            goto out;
        }
        if (yolo_atomic_commit(&af, &d)) {
            cli_error("merge", 1, "%s", d.msg);
            goto out;
        }
    } else if (werr || fflush(stdout) != 0) {
        cli_error("merge", 1, "stdout: write failed: %s", strerror(errno));
        goto out;
    }
    FILE *rep = out_path ? stdout : stderr;
    int64_t n_gaps = 0;
    for (int64_t i = 0; source && i < src.n; i++)
        if (!have[i] && src_lookup(&sx, sx.key[i], strlen(sx.key[i]), 0, 0) == i && n_gaps++ < 5)
            fprintf(rep, "gap: %s\n", src.paths[i]);
    fprintf(rep, "merged %d file%s, %lld lines: %lld images, %lld detections, %lld failed, %lld duplicates dropped",
            fs.n, fs.n == 1 ? "" : "s", (long long)n_lines, (long long)n_recs, (long long)n_dets,
            (long long)n_failed, (long long)n_dup);
    if (n_torn || n_bad)
        fprintf(rep, ", %lld torn and %lld foreign lines left out", (long long)n_torn, (long long)n_bad);
    fprintf(rep, "\n");
    if (source)
        fprintf(rep, "source %s: %lld images, %lld gaps (images without a line), %lld lines of images outside it\n",
                source, (long long)src.n, (long long)n_gaps, (long long)n_outside);
    if (out_path)
        fprintf(rep, "written to %s\n", out_path);
    rc = n_gaps || n_torn || n_bad ? 1 : 0;
out:
    for (int f = 0; f < fs.n; f++) {
        if (fs.v[f].data)
            munmap((void *)fs.v[f].data, fs.v[f].bytes);
        free(fs.v[f].path);
    }
    free(fs.v);
    for (int64_t i = 0; sx.key && i < src.n; i++)
        free(sx.key[i]);
    free(sx.key);
    free(sx.slot);
    free(have);
    free(recs);
    str_set_free(&seen);
    sources_free(&src);
    return rc;
}
