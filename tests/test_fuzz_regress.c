/* test_fuzz_regress.c: replays every fuzz target (tests/fuzz/fuzz_<target>.c) on its seed
 * corpus tests/fuzz/corpus/<target>/ and on tests/fuzz/regress/<target>/ (inputs that once
 * crashed a target: each fixed bug keeps its input here), so `make test` and `make asan`
 * run them with the normal compiler, without clang or libFuzzer. A target that crashes,
 * leaks (ASan) or breaks an invariant aborts this test. File names carry expectations:
 * "ok-*" must be accepted, "bad-*" refused with a message; others only must not crash.
 * Env: FUZZ_DIR (default tests/fuzz, relative to the repository root where make runs). */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "harness.h"

#include "fuzz/fuzz_common.c"
#include "fuzz/fuzz_detect.c"
#include "fuzz/fuzz_engine.c"
#include "fuzz/fuzz_image.c"
#include "fuzz/fuzz_labels.c"
#include "fuzz/fuzz_onnx.c"
#include "fuzz/fuzz_video.c"
#include "fuzz/fuzz_yaml.c"

struct target { const char *name; int (*fn)(const uint8_t *, size_t); int min_seeds; };

static const struct target targets[] = {
    { "onnx", fuzz_onnx, 10 },     { "engine", fuzz_engine, 8 }, { "labels", fuzz_labels, 8 },
    { "yaml", fuzz_yaml, 8 },      { "image", fuzz_image, 10 },  { "video", fuzz_video, 15 },
};

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Runs t on every regular file of dir (sorted). Returns the number of files, -1 if the
 * folder does not exist. */
static int replay_dir(struct harness *h, const struct target *t, const char *dir)
{
    DIR *dp = opendir(dir);
    if (!dp)
        return -1;
    char *names[4096];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(dp)) && n < 4096)
        if (e->d_name[0] != '.')
            names[n++] = strdup(e->d_name);
    closedir(dp);
    qsort(names, (size_t)n, sizeof *names, cmp_names);
    int files = 0;
    for (int i = 0; i < n; i++) {
        char path[2048];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
            free(names[i]);
            continue;
        }
        size_t len = 0;
        uint8_t *data = harness_read_file(path, &len);
        CHECK(h, data != NULL, "%s: cannot read", path);
        if (data) {
            int rc = t->fn(data, len);
            if (strncmp(names[i], "ok-", 3) == 0 && !strcmp(t->name, "image") &&
                harness_nocv_skip_image(data, len, path))
                ;
            else if (strncmp(names[i], "ok-", 3) == 0)
                CHECK(h, rc == 0, "%s: expected to be accepted, got status %d", path, rc);
            else if (strncmp(names[i], "bad-", 4) == 0)
                CHECK(h, rc != 0, "%s: expected to be refused, was accepted", path);
            files++;
        }
        free(data);
        free(names[i]);
    }
    return files;
}

int main(void)
{
    HARNESS_INIT(h, "test_fuzz_regress");
    const char *root = getenv("FUZZ_DIR") ? getenv("FUZZ_DIR") : "tests/fuzz";
    int total = 0;
    for (size_t k = 0; k < sizeof targets / sizeof *targets; k++) {
        const struct target *t = &targets[k];
        char dir[1024];
        snprintf(dir, sizeof dir, "%s/corpus/%s", root, t->name);
        int seeds = replay_dir(&h, t, dir);
        CHECK(&h, seeds >= t->min_seeds, "%s: %d seed files (expected at least %d; FUZZ_DIR=%s)",
              dir, seeds, t->min_seeds, root);
        snprintf(dir, sizeof dir, "%s/regress/%s", root, t->name);
        int regress = replay_dir(&h, t, dir);
        printf("%-7s %3d seeds, %3d regression inputs\n", t->name, seeds > 0 ? seeds : 0,
               regress > 0 ? regress : 0);
        total += (seeds > 0 ? seeds : 0) + (regress > 0 ? regress : 0);
    }
    printf("%d inputs replayed\n", total);
    return harness_finish(&h);
}
