/* shard.c: see shard.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shard.h"
#include "yolo.h"

/* a decimal integer in [0, max], the whole string */
static int parse_count(const char *s, long max, long *out)
{
    char *end;
    if (!s || !*s || *s < '0' || *s > '9')
        return -1;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || v < 0 || v > max)
        return -1;
    *out = v;
    return 0;
}

#define MAX_SHARDS 1000000L

int shard_parse(const char *s, struct shard *sh)
{
    char k[32], n[32];
    const char *slash = strchr(s, '/');
    if (!slash || slash - s >= (long)sizeof k || strlen(slash + 1) >= sizeof n)
        return -1;
    snprintf(k, sizeof k, "%.*s", (int)(slash - s), s);
    snprintf(n, sizeof n, "%s", slash + 1);
    long kv, nv;
    if (parse_count(k, MAX_SHARDS, &kv) || parse_count(n, MAX_SHARDS, &nv) || nv < 1 || kv >= nv)
        return -1;
    sh->k = (int)kv;
    sh->n = (int)nv;
    snprintf(sh->how, sizeof sh->how, "--shard %d/%d", sh->k, sh->n);
    return 0;
}

int shard_from_env(int shards_opt, struct shard *sh, char *err, size_t cap)
{
    sh->n = 0;
    const char *id = getenv("SLURM_ARRAY_TASK_ID"), *count = getenv("SLURM_ARRAY_TASK_COUNT");
    const char *min = getenv("SLURM_ARRAY_TASK_MIN"), *max = getenv("SLURM_ARRAY_TASK_MAX");
    const char *jci = getenv("JOB_COMPLETION_INDEX");
    long k, n, lo = 0, hi;
    if (id && *id) {
        if (parse_count(id, MAX_SHARDS * 16, &k) || (min && *min && parse_count(min, MAX_SHARDS * 16, &lo))) {
            snprintf(err, cap, "SLURM_ARRAY_TASK_ID='%s', SLURM_ARRAY_TASK_MIN='%s': not array indices "
                     "(use --shard K/N)", id, min ? min : "");
            return -1;
        }
        if (shards_opt > 0) {
            /* --shards N: the task id is the shard number, whatever part of the array was
             * submitted (sbatch --array=5,17 reruns shards 5 and 17) */
            if (k >= shards_opt) {
                snprintf(err, cap, "SLURM_ARRAY_TASK_ID=%s: with --shards %d the array indices are the "
                         "shards, 0 to %d", id, shards_opt, shards_opt - 1);
                return -1;
            }
            sh->k = (int)k;
            sh->n = shards_opt;
            snprintf(sh->how, sizeof sh->how, "from SLURM_ARRAY_TASK_ID=%s and --shards %d", id, shards_opt);
            return 0;
        }
        n = -1;
        int have_max = max && *max && !parse_count(max, MAX_SHARDS * 16, &hi) && hi >= lo;
        if (count && *count) {
            if (parse_count(count, MAX_SHARDS, &n) || n < 1 || (have_max && hi - lo + 1 != n))
                n = -1;     /* a partial array (--array=5,17): not the shards of one run */
        } else if (have_max) {
            n = hi - lo + 1;
        }
        if (n < 1 || k < lo || k - lo >= n) {
            snprintf(err, cap, "SLURM_ARRAY_TASK_ID=%s with SLURM_ARRAY_TASK_COUNT=%s, _MIN=%s, _MAX=%s: "
                     "not a contiguous array of shards (give --shards N, the array indices being the "
                     "shards, or --shard K/N)", id, count ? count : "(unset)", min ? min : "(unset)",
                     max ? max : "(unset)");
            return -1;
        }
        sh->k = (int)(k - lo);
        sh->n = (int)n;
        snprintf(sh->how, sizeof sh->how, "from SLURM_ARRAY_TASK_ID=%s of %ld array tasks", id, n);
        return 0;
    }
    if (jci && *jci) {
        if (parse_count(jci, MAX_SHARDS, &k)) {
            snprintf(err, cap, "JOB_COMPLETION_INDEX='%s': not an index (use --shard K/N)", jci);
            return -1;
        }
        if (shards_opt < 1 || k >= shards_opt) {
            snprintf(err, cap, "JOB_COMPLETION_INDEX=%s: %s", jci, shards_opt < 1
                     ? "give the job's number of completions with --shards N (or use --shard K/N)"
                     : "not below --shards");
            return -1;
        }
        sh->k = (int)k;
        sh->n = shards_opt;
        snprintf(sh->how, sizeof sh->how, "from JOB_COMPLETION_INDEX=%s and --shards %d", jci, shards_opt);
        return 0;
    }
    if (shards_opt > 0) {
        snprintf(err, cap, "--shards %d: neither SLURM_ARRAY_TASK_ID nor JOB_COMPLETION_INDEX is set "
                 "(use --shard K/N)", shards_opt);
        return -1;
    }
    return 0;
}

void shard_range(int64_t n, const struct shard *sh, int64_t *lo, int64_t *hi)
{
    if (sh->n < 1) {
        *lo = 0;
        *hi = n;
        return;
    }
    /* contiguous blocks whose sizes differ by at most one: shards concatenated in order are
     * the source list in order */
    *lo = n / sh->n * sh->k + (sh->k < n % sh->n ? sh->k : n % sh->n);
    *hi = *lo + n / sh->n + (sh->k < n % sh->n);
}

void shard_file_name(const char *file, const struct shard *sh, char *out, size_t cap)
{
    const char *slash = strrchr(file, '/'), *dot = strrchr(file, '.');
    if (sh->n <= 1) {
        snprintf(out, cap, "%s", file);
        return;
    }
    if (!dot || (slash && dot < slash) || dot == (slash ? slash + 1 : file))
        dot = file + strlen(file);
    snprintf(out, cap, "%.*s.%05d-of-%05d%s", (int)(dot - file), file, sh->k, sh->n, dot);
}

char *json_path_string(const char *path)
{
    int n = yolo_json_escape(NULL, 0, path);
    char *esc = n > 0 ? malloc((size_t)n + 1) : NULL;
    if (esc)
        yolo_json_escape(esc, (size_t)n + 1, path);
    return esc;
}

int jsonl_line_path(const char *line, size_t len, const char **key, size_t *key_len)
{
    static const char head[] = "{\"path\": \"";
    size_t h = sizeof head - 1;
    if (len < h + 1 || memcmp(line, head, h) != 0)
        return -1;
    for (size_t i = h; i < len; i++) {
        if (line[i] == '\\')
            i++;
        else if (line[i] == '"') {
            *key = line + h - 1;
            *key_len = i + 1 - (h - 1);
            return 0;
        } else if (line[i] == '\n')
            return -1;
    }
    return -1;
}

static uint64_t hash_bytes(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL;   /* FNV-1a */
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
    return h;
}

static int64_t find_slot(const struct str_set *set, const char *s, size_t len)
{
    for (uint64_t i = hash_bytes(s, len) & set->mask;; i = (i + 1) & set->mask)
        if (!set->slot[i] || (set->len[i] == len && memcmp(set->slot[i], s, len) == 0))
            return (int64_t)i;
}

int str_set_has(const struct str_set *set, const char *s, size_t len)
{
    return set->slot && set->slot[find_slot(set, s, len)] != NULL;
}

int str_set_add(struct str_set *set, const char *s, size_t len)
{
    if (!set->slot || 2 * (set->n + 1) > set->mask + 1) {   /* grow: load at most 1/2 */
        uint64_t size = set->slot ? 2 * (set->mask + 1) : 1024;
        struct str_set big = { calloc(size, sizeof *big.slot), calloc(size, sizeof *big.len), size - 1,
                               set->n };
        if (!big.slot || !big.len) {
            free(big.slot);
            free(big.len);
            return -1;
        }
        for (uint64_t i = 0; set->slot && i <= set->mask; i++)
            if (set->slot[i]) {
                int64_t j = find_slot(&big, set->slot[i], set->len[i]);
                big.slot[j] = set->slot[i];
                big.len[j] = set->len[i];
            }
        free(set->slot);
        free(set->len);
        *set = big;
    }
    int64_t i = find_slot(set, s, len);
    if (set->slot[i])
        return 1;
    char *copy = malloc(len + 1);
    if (!copy)
        return -1;
    memcpy(copy, s, len);
    copy[len] = 0;
    set->slot[i] = copy;
    set->len[i] = len;
    set->n++;
    return 0;
}

void str_set_free(struct str_set *set)
{
    for (uint64_t i = 0; set->slot && i <= set->mask; i++)
        free(set->slot[i]);
    free(set->slot);
    free(set->len);
    memset(set, 0, sizeof *set);
}

int jsonl_load_done(const char *path, struct str_set *done, int64_t *n_lines, int64_t *torn_bytes,
                    char *err, size_t cap)
{
    *n_lines = 0;
    *torn_bytes = 0;
    int fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT)
        return 0;
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, cap, "%s: cannot read: %s", path, fd < 0 ? strerror(errno) : "not a regular file");
        if (fd >= 0)
            close(fd);
        return -1;
    }
    FILE *f = fdopen(fd, "rb");
    if (!f) {
        close(fd);
        snprintf(err, cap, "%s: cannot read: %s", path, strerror(errno));
        return -1;
    }
    char *line = NULL;
    size_t line_cap = 0;
    ssize_t n;
    int64_t good = 0;
    int rc = 0;
    while (!rc && (n = getline(&line, &line_cap, f)) > 0) {
        if (line[n - 1] != '\n') {        /* the last line, torn: whatever it holds */
            *torn_bytes = n;
            break;
        }
        const char *key;
        size_t key_len;
        if (jsonl_line_path(line, (size_t)n, &key, &key_len)) {
            snprintf(err, cap, "%s: line %lld is not a detect JSON line (%.40s...); not resuming",
                     path, (long long)*n_lines + 1, line);
            rc = -1;
        } else if (str_set_add(done, key, key_len) < 0) {
            snprintf(err, cap, "%s: out of memory", path);
            rc = -1;
        }
        good += n;
        (*n_lines)++;
    }
    if (!rc && ferror(f)) {
        snprintf(err, cap, "%s: read error: %s", path, strerror(errno));
        rc = -1;
    }
    if (!rc && *torn_bytes && ftruncate(fileno(f), (off_t)good) != 0) {
        snprintf(err, cap, "%s: cannot cut its torn last line: %s", path, strerror(errno));
        rc = -1;
    }
    free(line);
    fclose(f);
    return rc;
}
