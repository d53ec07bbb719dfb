/* test_dataset.c: data.yaml reading, image enumeration, img2label paths, orphan labels and
 * YOLO label files (eval/dataset.c): coco128 from $SHARED/data, plus generated temporary
 * datasets for every syntax and error case. */
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "../eval/dataset.h"

static char tmp_root[PATH_MAX];

/* mkdir -p of the folder part of path. */
static void mkdirs_for(const char *path)
{
    char buf[PATH_MAX];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *s = buf + 1; *s; s++) {
        if (*s == '/') {
            *s = 0;
            mkdir(buf, 0755);
            *s = '/';
        }
    }
}

/* Writes tmp_root/rel with the given bytes (len < 0: strlen). Returns the full path (static
 * rotating buffers, good for a few calls at a time). */
static const char *put_n(const char *rel, const char *text, long len)
{
    static char paths[8][PATH_MAX];
    static int k;
    char *p = paths[k++ % 8];
    snprintf(p, PATH_MAX, "%s/%s", tmp_root, rel);
    mkdirs_for(p);
    FILE *f = fopen(p, "wb");
    if (f) {
        fwrite(text, 1, len < 0 ? strlen(text) : (size_t)len, f);
        fclose(f);
    }
    return p;
}

static const char *put(const char *rel, const char *text)
{
    return put_n(rel, text, -1);
}

static const char *tpath(const char *rel)
{
    static char paths[4][PATH_MAX];
    static int k;
    char *p = paths[k++ % 4];
    snprintf(p, PATH_MAX, "%s/%s", tmp_root, rel);
    return p;
}

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st; (void)flag; (void)ftw;
    return remove(p);
}

static const char *base(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

/* Loads tmp_root/rel expecting failure; the message must contain want. */
static void expect_load_error(struct harness *h, const char *rel, const char *text,
                              enum yolo_status st, const char *want)
{
    const char *p = put(rel, text);
    struct yolo_dataset *ds = (struct yolo_dataset *)1;
    struct yolo_diag d = { 0, "" };
    int rc = yolo_dataset_load(p, &ds, &d);
    CHECK(h, rc == (int)st && ds == NULL && strstr(d.msg, want) != NULL,
          "%s: rc %d, want %d with '%s'; got '%s'", rel, rc, (int)st, want, d.msg);
}

static struct yolo_dataset *load_ok(struct harness *h, const char *path)
{
    struct yolo_dataset *ds = NULL;
    struct yolo_diag d = { 0, "" };
    int rc = yolo_dataset_load(path, &ds, &d);
    CHECK(h, rc == YOLO_OK && ds, "load %s: %s", path, d.msg);
    return rc == YOLO_OK ? ds : NULL;
}

/* ------------------------------------------------------------------ coco128 */

static void test_coco128(struct harness *h)
{
    const char *shared = harness_shared_dir();
    char yaml[PATH_MAX], dir[PATH_MAX], real_dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s/data/coco128", shared);
    snprintf(yaml, sizeof yaml, "%s/data.yaml", dir);
    if (!realpath(dir, real_dir)) {
        CHECK(h, 0, "coco128 not found at %s (set SHARED): %s", dir, strerror(errno));
        return;
    }
    struct yolo_dataset *ds = load_ok(h, yaml);
    if (!ds)
        return;
    CHECK(h, ds->n_classes == 80 && ds->names && !strcmp(ds->names[0], "person") &&
          !strcmp(ds->names[79], "toothbrush") && !strcmp(ds->names[9], "traffic light"),
          "coco128 names: nc %d", (int)ds->n_classes);
    CHECK(h, !strcmp(ds->root, real_dir), "coco128 root '%s' want '%s'", ds->root, real_dir);
    CHECK(h, ds->splits[YOLO_SPLIT_VAL].n == 1 && ds->splits[YOLO_SPLIT_TRAIN].n == 1 &&
          ds->splits[YOLO_SPLIT_TEST].n == 0, "coco128 splits");

    struct yolo_diag d = { 0, "" };
    struct yolo_path_list imgs, orphans;
    int rc = yolo_dataset_images(ds, YOLO_SPLIT_VAL, &imgs, &d);
    CHECK(h, rc == YOLO_OK && imgs.n == 128, "coco128 images: rc %d n %d %s", rc, (int)imgs.n,
          d.msg);
    int sorted = 1, with_labels = 0, boxes = 0, dups = 0, bad = 0, in_range = 1;
    for (int32_t i = 0; i < imgs.n; i++) {
        if (i && strcmp(imgs.paths[i - 1], imgs.paths[i]) >= 0)
            sorted = 0;
        char *lp = NULL;
        struct yolo_label_file lf;
        if (yolo_label_path(imgs.paths[i], &lp, &d) ||
            yolo_label_file_read(lp, ds->n_classes, &lf, &d)) {
            bad++;
            free(lp);
            continue;
        }
        with_labels += lf.found;
        boxes += lf.n;
        dups += lf.n_duplicates;
        for (int32_t k = 0; k < lf.n; k++)
            in_range &= lf.objs[k].cls >= 0 && lf.objs[k].cls < 80 && lf.objs[k].w > 0;
        yolo_label_file_release(&lf);
        free(lp);
    }
    CHECK(h, sorted && bad == 0, "coco128 sorted %d bad %d (%s)", sorted, bad, d.msg);
    CHECK(h, with_labels == 126 && boxes == 929 && dups == 0 && in_range,
          "coco128 labels: %d files, %d boxes, %d dups", with_labels, boxes, dups);
    if (imgs.n > 0) {
        char *lp = NULL;
        yolo_label_path(imgs.paths[0], &lp, &d);
        char want[PATH_MAX + 64];
        snprintf(want, sizeof want, "%s/labels/train2017/000000000009.txt", real_dir);
        CHECK(h, lp && !strcmp(lp, want) && !strcmp(base(imgs.paths[0]), "000000000009.jpg"),
              "coco128 first label '%s'", lp ? lp : "(null)");
        free(lp);
    }

    rc = yolo_dataset_orphan_labels(ds, YOLO_SPLIT_VAL, &imgs, &orphans, &d);
    CHECK(h, rc == YOLO_OK && orphans.n == 2 && !strcmp(base(orphans.paths[0]), "000000000656.txt")
          && !strcmp(base(orphans.paths[1]), "000000000659.txt"), "coco128 orphans: %d %s",
          (int)orphans.n, d.msg);
    yolo_path_list_release(&orphans);
    yolo_path_list_release(&imgs);
    yolo_dataset_free(ds);

    /* The folder itself, and its image folder, as folder datasets. */
    const char *dirs[2] = { dir, NULL };
    char imgdir[PATH_MAX + 32];
    snprintf(imgdir, sizeof imgdir, "%s/images/train2017", dir);
    dirs[1] = imgdir;
    for (int k = 0; k < 2; k++) {
        ds = load_ok(h, dirs[k]);
        if (!ds)
            continue;
        CHECK(h, ds->n_classes == 0 && ds->names == NULL && ds->yaml_path == NULL, "folder meta");
        rc = yolo_dataset_images(ds, YOLO_SPLIT_VAL, &imgs, &d);
        CHECK(h, rc == YOLO_OK && imgs.n == 128, "folder %s: %d images %s", dirs[k], (int)imgs.n,
              d.msg);
        rc = yolo_dataset_orphan_labels(ds, YOLO_SPLIT_VAL, &imgs, &orphans, &d);
        CHECK(h, rc == YOLO_OK && orphans.n == 2, "folder %s orphans %d %s", dirs[k],
              (int)orphans.n, d.msg);
        yolo_path_list_release(&orphans);
        yolo_path_list_release(&imgs);
        yolo_dataset_free(ds);
    }
}

/* ------------------------------------------------------------------ a generated dataset */

/* ds/images/val: a.jpg b.PNG sub/c.jpeg .hidden.jpg .hid/e.jpg notes.txt d.gif z.TIFF
 * ds/images/train: t.jpg
 * ds/labels/val:  a.txt b.txt sub/c.txt orphan.txt sub/orphan2.txt */
static void make_tree(void)
{
    const char *files[] = {
        "ds/images/val/a.jpg", "ds/images/val/b.PNG", "ds/images/val/sub/c.jpeg",
        "ds/images/val/.hidden.jpg", "ds/images/val/.hid/e.jpg", "ds/images/val/notes.txt",
        "ds/images/val/d.gif", "ds/images/val/z.TIFF", "ds/images/train/t.jpg",
    };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
        put(files[i], "x");
    put("ds/labels/val/a.txt", "0 0.5 0.5 0.2 0.2\n");
    put("ds/labels/val/b.txt", "1 0.5 0.5 0.2 0.2\n");
    put("ds/labels/val/sub/c.txt", "");
    put("ds/labels/val/orphan.txt", "0 0.5 0.5 0.1 0.1\n");
    put("ds/labels/val/sub/orphan2.txt", "");
}

/* Loads rel, lists split s and compares basenames with want (comma separated, sorted). */
static void expect_images(struct harness *h, const char *rel, enum yolo_split s, const char *want)
{
    struct yolo_dataset *ds = load_ok(h, tpath(rel));
    if (!ds)
        return;
    struct yolo_path_list l;
    struct yolo_diag d = { 0, "" };
    int rc = yolo_dataset_images(ds, s, &l, &d);
    char got[1024] = "";
    for (int32_t i = 0; rc == YOLO_OK && i < l.n; i++) {
        if (i)
            strncat(got, ",", sizeof got - strlen(got) - 1);
        strncat(got, base(l.paths[i]), sizeof got - strlen(got) - 1);
    }
    CHECK(h, rc == YOLO_OK && !strcmp(got, want), "%s %s: got '%s' want '%s' (%s)", rel,
          yolo_split_name(s), got, want, d.msg);
    yolo_path_list_release(&l);
    yolo_dataset_free(ds);
}

static void test_yaml_syntax(struct harness *h)
{
    make_tree();
    struct yolo_dataset *ds;
    char want_root[PATH_MAX + 8];

    /* Flow names, comments, quotes (with '' and escapes), relative path from a sub-folder. */
    put("cfg/flow.yaml",
        "# comment line\n"
        "path: ../ds   # the root, relative to this file's folder\n"
        "train: images/train\n"
        "val: 'images/val'\n"
        "nc: 4\n"
        "names: ['person', \"caf\\u00e9 \\\"x\\\"\", it''s, 'it''s #1']  # trailing comment\n");
    ds = load_ok(h, tpath("cfg/flow.yaml"));
    if (ds) {
        snprintf(want_root, sizeof want_root, "%s/ds", tmp_root);
        CHECK(h, !strcmp(ds->root, want_root), "flow root '%s' want '%s'", ds->root, want_root);
        CHECK(h, ds->n_classes == 4 && !strcmp(ds->names[0], "person") &&
              !strcmp(ds->names[1], "caf\xc3\xa9 \"x\"") && !strcmp(ds->names[2], "it''s") &&
              !strcmp(ds->names[3], "it's #1"), "flow names '%s' '%s' '%s' '%s'",
              ds->n_classes > 3 ? ds->names[1] : "", ds->n_classes > 3 ? ds->names[2] : "",
              ds->n_classes > 3 ? ds->names[3] : "", ds->n_classes > 0 ? ds->names[0] : "");
        CHECK(h, ds->splits[YOLO_SPLIT_VAL].n == 1 &&
              !strcmp(ds->splits[YOLO_SPLIT_VAL].paths[0], tpath("ds/images/val")),
              "flow val '%s'", ds->splits[YOLO_SPLIT_VAL].n ? ds->splits[YOLO_SPLIT_VAL].paths[0] : "");
        yolo_dataset_free(ds);
    }
    /* Images: extensions any case, recursive, hidden skipped, sorted by path (bytes). */
    expect_images(h, "cfg/flow.yaml", YOLO_SPLIT_VAL, "a.jpg,b.PNG,c.jpeg,z.TIFF");
    expect_images(h, "cfg/flow.yaml", YOLO_SPLIT_TRAIN, "t.jpg");

    /* Block mapping out of order, block list splits (indented and compact), no `path:` (the
     * yaml's folder), CRLF and a BOM, skipped unknown keys (a download block with odd content,
     * a compact list, flow lists over two lines). */
    put("ds/map.yaml",
        "\xef\xbb\xbf" "download: |\r\n"
        "  import os  # code: 'with' \"quotes\" [and brackets\r\n"
        "\r\n"
        "  x = {1: 2}\r\n"
        "extra:\r\n"
        "- 1\r\n"
        "- [2, 3]\r\n"
        "names:\r\n"
        "  2: car\r\n"
        "  0: person   # comment\r\n"
        "\r\n"
        "  1: 'bi cycle'\r\n"
        "val:\r\n"
        "- images/val/sub\r\n"
        "- images/train\r\n"
        "train:\r\n"
        "    - images/val/a.jpg\r\n"
        "kpt_shape: [17, 3]\r\n"
        "flip_idx: [0, 2, 1,\r\n"
        "  4, 3]\r\n");
    ds = load_ok(h, tpath("ds/map.yaml"));
    if (ds) {
        CHECK(h, ds->n_classes == 3 && !strcmp(ds->names[0], "person") &&
              !strcmp(ds->names[1], "bi cycle") && !strcmp(ds->names[2], "car"),
              "map names %d", (int)ds->n_classes);
        CHECK(h, !strcmp(ds->root, tpath("ds")), "map root '%s'", ds->root);
        CHECK(h, ds->splits[YOLO_SPLIT_VAL].n == 2 && ds->splits[YOLO_SPLIT_TRAIN].n == 1,
              "map splits %d %d", (int)ds->splits[YOLO_SPLIT_VAL].n,
              (int)ds->splits[YOLO_SPLIT_TRAIN].n);
        yolo_dataset_free(ds);
    }
    expect_images(h, "ds/map.yaml", YOLO_SPLIT_VAL, "t.jpg,c.jpeg");   /* train < val */
    expect_images(h, "ds/map.yaml", YOLO_SPLIT_TRAIN, "a.jpg");   /* a single image entry */

    /* Block list names, nc without names, flow mapping, `validation`, absolute path, a flow
     * list of splits spanning lines, "../" fallback, list files. */
    put("ds/list.yaml", "path: .\nnames:\n  - a\n  - \"b\"\n  -   c   # x\nval: [images/val/sub,\n"
                        "   images/train,]\n");
    ds = load_ok(h, tpath("ds/list.yaml"));
    if (ds) {
        CHECK(h, ds->n_classes == 3 && !strcmp(ds->names[2], "c") &&
              ds->splits[YOLO_SPLIT_VAL].n == 2, "block list names");
        yolo_dataset_free(ds);
    }
    put("ds/nc.yaml", "nc: 3\nvalidation: images/train\n");
    ds = load_ok(h, tpath("ds/nc.yaml"));
    if (ds) {
        CHECK(h, ds->n_classes == 3 && !ds->names && ds->splits[YOLO_SPLIT_VAL].n == 1,
              "nc-only: %d classes, names %p", ds->n_classes, (void *)ds->names);
        yolo_dataset_free(ds);
    }
    /* the most classes nc may give: a count, no names made (they cost a malloc each) */
    put("ds/nc_max.yaml", "nc: 1048576\n");
    ds = load_ok(h, tpath("ds/nc_max.yaml"));
    if (ds) {
        CHECK(h, ds->n_classes == 1048576 && !ds->names, "nc 1048576: %d classes, names %p",
              ds->n_classes, (void *)ds->names);
        yolo_dataset_free(ds);
    }
    char text[PATH_MAX * 2];
    snprintf(text, sizeof text, "---\npath: \"%s/cfg/../ds/./\"\nnames: {0: x, 1: 'y z' ,\n 2: w}\n"
             "val: ../images/val\n...\nignored: [\n", tmp_root);
    put("elsewhere/abs.yaml", text);
    ds = load_ok(h, tpath("elsewhere/abs.yaml"));
    if (ds) {
        CHECK(h, !strcmp(ds->root, tpath("ds")) && ds->n_classes == 3 &&
              !strcmp(ds->names[1], "y z") && ds->splits[YOLO_SPLIT_VAL].n == 1 &&
              !strcmp(ds->splits[YOLO_SPLIT_VAL].paths[0], tpath("ds/images/val")),
              "abs root '%s' val '%s'", ds->root,
              ds->splits[YOLO_SPLIT_VAL].n ? ds->splits[YOLO_SPLIT_VAL].paths[0] : "");
        yolo_dataset_free(ds);
    }
    snprintf(text, sizeof text, "./images/val/a.jpg\n  images/val/sub/c.jpeg  \n\n%s/ds/images/"
             "train/t.jpg\nnot_an_image.txt\n", tmp_root);
    put("ds/val.txt", text);
    put("ds/txt.yaml", "names: [a]\nval: val.txt\n");
    expect_images(h, "ds/txt.yaml", YOLO_SPLIT_VAL, "t.jpg,a.jpg,c.jpeg");

    /* Folder datasets: DIR/images/<split> when it exists, else DIR (recursively). */
    expect_images(h, "ds", YOLO_SPLIT_VAL, "a.jpg,b.PNG,c.jpeg,z.TIFF");
    expect_images(h, "ds", YOLO_SPLIT_TRAIN, "t.jpg");
    expect_images(h, "ds", YOLO_SPLIT_TEST, "t.jpg,a.jpg,b.PNG,c.jpeg,z.TIFF");

    /* Orphans of the generated tree. */
    ds = load_ok(h, tpath("cfg/flow.yaml"));
    if (ds) {
        struct yolo_path_list imgs, orph;
        struct yolo_diag d = { 0, "" };
        yolo_dataset_images(ds, YOLO_SPLIT_VAL, &imgs, &d);
        int rc = yolo_dataset_orphan_labels(ds, YOLO_SPLIT_VAL, &imgs, &orph, &d);
        CHECK(h, rc == YOLO_OK && orph.n == 2 && !strcmp(orph.paths[0], tpath("ds/labels/val/orphan.txt"))
              && !strcmp(orph.paths[1], tpath("ds/labels/val/sub/orphan2.txt")),
              "tree orphans %d '%s'", (int)orph.n, orph.n ? orph.paths[0] : "");
        yolo_path_list_release(&orph);
        /* A split with no `test:`, and an entry that does not exist. */
        rc = yolo_dataset_images(ds, YOLO_SPLIT_TEST, &orph, &d);
        CHECK(h, rc == YOLO_ERR_ARG && strstr(d.msg, "no 'test' split"), "absent split: %s",
              d.msg);
        yolo_path_list_release(&imgs);
        yolo_dataset_free(ds);
    }
    put("ds/missing.yaml", "names: [a]\nval: [images/val, images/nope]\n");
    ds = load_ok(h, tpath("ds/missing.yaml"));
    if (ds) {
        struct yolo_path_list imgs;
        struct yolo_diag d = { 0, "" };
        int rc = yolo_dataset_images(ds, YOLO_SPLIT_VAL, &imgs, &d);
        CHECK(h, rc == YOLO_ERR_IO && strstr(d.msg, "images/nope' does not exist") &&
              imgs.n == 0, "missing entry: %s", d.msg);
        yolo_dataset_free(ds);
    }
    CHECK(h, yolo_split_from_name("val") == YOLO_SPLIT_VAL && yolo_split_from_name("x") == -1 &&
          yolo_split_from_name(NULL) == -1, "split names");
}

static void test_yaml_errors(struct harness *h)
{
    struct yolo_dataset *ds = (struct yolo_dataset *)1;
    struct yolo_diag d = { 0, "" };
    CHECK(h, yolo_dataset_load(tpath("nope.yaml"), &ds, &d) == YOLO_ERR_IO && ds == NULL,
          "missing yaml: %s", d.msg);

    expect_load_error(h, "e/quote.yaml", "nc: 1\nnames: ['a', 'b\n", YOLO_ERR_FORMAT,
                      "quote.yaml:3: found unexpected end of stream");
    expect_load_error(h, "e/bracket.yaml", "names: [a, b,\n  c\nval: x\n", YOLO_ERR_FORMAT,
                      "bracket.yaml:3: did not find expected ',' or ']'");
    expect_load_error(h, "e/bracket2.yaml", "names: [a, b,\n  c\n", YOLO_ERR_FORMAT,
                      "bracket2.yaml:3: did not find expected ',' or ']'");
    expect_load_error(h, "e/tab.yaml", "names:\n\t- a\n", YOLO_ERR_FORMAT,
                      "tab.yaml:2: found character that cannot start any token");
    expect_load_error(h, "e/indent.yaml", "nc: 2\n  names: [a, b]\n", YOLO_ERR_FORMAT,
                      "indent.yaml:2:");
    expect_load_error(h, "e/mismatch.yaml", "nc: 3\n\nnames: [a, b]\n", YOLO_ERR_FORMAT,
                      "mismatch.yaml:3: names: 2 names but nc is 3");
    expect_load_error(h, "e/dup.yaml", "nc: 1\nnames: [a]\nnc: 1\n", YOLO_ERR_FORMAT,
                      "dup.yaml:3: nc: duplicate key (first on line 1)");
    expect_load_error(h, "e/nc.yaml", "nc: eighty\n", YOLO_ERR_FORMAT,
                      "nc.yaml:1: nc: 'eighty' is not a class count");
    expect_load_error(h, "e/nc2.yaml", "nc: -1\n", YOLO_ERR_FORMAT, "nc2.yaml:1: nc:");
    expect_load_error(h, "e/none.yaml", "path: .\nval: images\n", YOLO_ERR_FORMAT,
                      "none.yaml: needs 'names' or 'nc'");
    expect_load_error(h, "e/key.yaml", "names:\n  0: a\n  2: b\n", YOLO_ERR_FORMAT,
                      "key.yaml:3: names: class index 2 out of range");
    expect_load_error(h, "e/key2.yaml", "names:\n  0: a\n  0: b\n", YOLO_ERR_FORMAT,
                      "key2.yaml:3: names: class index 0 given twice");
    expect_load_error(h, "e/key3.yaml", "names:\n  person: 0\n", YOLO_ERR_FORMAT,
                      "key3.yaml:2: names: key 'person' is not a class index");
    expect_load_error(h, "e/nested.yaml", "names:\n  - - a\n", YOLO_ERR_FORMAT,
                      "nested.yaml:2: names: nested lists");
    expect_load_error(h, "e/nested2.yaml", "names:\n  - a: b\n", YOLO_ERR_FORMAT,
                      "nested2.yaml:2: names: nested mappings");
    expect_load_error(h, "e/nested3.yaml", "names: [a, [b]]\n", YOLO_ERR_FORMAT,
                      "nested3.yaml:1: names: nested lists are not supported");
    expect_load_error(h, "e/empty.yaml", "names: [a,,b]\n", YOLO_ERR_FORMAT,
                      "empty.yaml:1: did not find expected node content");
    expect_load_error(h, "e/emptyname.yaml", "names: [a, ~]\n", YOLO_ERR_FORMAT,
                      "emptyname.yaml:1: names: class 1 has no name");
    expect_load_error(h, "e/noname.yaml", "names: []\n", YOLO_ERR_FORMAT,
                      "noname.yaml:1: names: is empty");
    expect_load_error(h, "e/mixed.yaml", "names:\n  - a\n  1: b\n", YOLO_ERR_FORMAT,
                      "mixed.yaml:3: did not find expected '-' indicator");
    expect_load_error(h, "e/block.yaml", "names: |\n  a\n", YOLO_ERR_FORMAT,
                      "block.yaml:1: names: must be a list");
    expect_load_error(h, "e/scalar.yaml", "names: person\n", YOLO_ERR_FORMAT,
                      "scalar.yaml:1: names: must be a list");
    expect_load_error(h, "e/item.yaml", "- a\n", YOLO_ERR_FORMAT,
                      "item.yaml:1: expected 'key: value' at the top, found a list");
    expect_load_error(h, "e/nokey.yaml", "names [a]\n", YOLO_ERR_FORMAT,
                      "nokey.yaml:1: expected 'key: value'");
    expect_load_error(h, "e/after.yaml", "names: [a] b\n", YOLO_ERR_FORMAT,
                      "after.yaml:1: did not find expected key");
    expect_load_error(h, "e/after2.yaml", "val: 'x' y\nnames: [a]\n", YOLO_ERR_FORMAT,
                      "after2.yaml:1: did not find expected key");
    expect_load_error(h, "e/valmap.yaml", "names: [a]\nval:\n  x: y\n", YOLO_ERR_FORMAT,
                      "valmap.yaml:2: val: must be a path or a list");
    expect_load_error(h, "e/escape.yaml", "names: [\"a\\q\"]\n", YOLO_ERR_FORMAT,
                      "escape.yaml:1: found unknown escape character");
    expect_load_error(h, "e/pathlist.yaml", "path: [a]\nnames: [a]\n", YOLO_ERR_FORMAT,
                      "pathlist.yaml:1: path: must be a string");
    expect_load_error(h, "e/skipbad.yaml", "download: [a, 'b\nnames: [a]\n", YOLO_ERR_FORMAT,
                      "skipbad.yaml:3: found unexpected end of stream");
    expect_load_error(h, "e/colon.yaml", "path: a: b\nnames: [a]\n", YOLO_ERR_FORMAT,
                      "colon.yaml:1: mapping values are not allowed");
    /* YAML the old hand-written subset refused and libyaml reads as YAML does: a continued
     * plain scalar, an anchor, a multi-line plain value */
    const char *valid[][3] = { { "v/deeper.yaml", "names:\n  - a\n    - b\n", "a - b" },
                               { "v/anchor.yaml", "names: &n [a]\n", "a" },
                               { "v/multi.yaml", "val: images\n  more\nnames: [a]\n", "a" } };
    for (size_t i = 0; i < sizeof valid / sizeof *valid; i++) {
        struct yolo_dataset *v = NULL;
        int rc = yolo_dataset_load(put(valid[i][0], valid[i][1]), &v, &d);
        CHECK(h, rc == YOLO_OK && v && v->n_classes == 1 && !strcmp(v->names[0], valid[i][2]),
              "%s: rc %d (%s)", valid[i][0], rc, rc ? d.msg : "other names");
        yolo_dataset_free(v);
    }
    put_n("e/nul.yaml", "names: [a]\n\0x\n", 14);
    ds = (struct yolo_dataset *)1;
    CHECK(h, yolo_dataset_load(tpath("e/nul.yaml"), &ds, &d) == YOLO_ERR_FORMAT && ds == NULL &&
          strstr(d.msg, "nul.yaml:1: control characters are not allowed"), "NUL in yaml: %s", d.msg);
}

/* ------------------------------------------------------------------ label paths and files */

static void test_label_path(struct harness *h)
{
    const char *cases[][2] = {
        { "/d/images/train/x.jpg", "/d/labels/train/x.txt" },
        { "/a/images/b/images/x.JPG", "/a/images/b/labels/x.txt" },   /* last /images/ only */
        { "/a/b/x.png", "/a/b/x.txt" },                               /* none: beside it */
        { "/a/images.v2/x.y.png", "/a/images.v2/x.y.txt" },           /* last '.' only */
        { "images/x.jpg", "images/x.txt" },                           /* needs a '/' before */
        { "/data/myimages/x.jpg", "/data/myimages/x.txt" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *lp = NULL;
        int rc = yolo_label_path(cases[i][0], &lp, NULL);
        CHECK(h, rc == YOLO_OK && lp && !strcmp(lp, cases[i][1]), "label path of %s: '%s'",
              cases[i][0], lp ? lp : "(null)");
        free(lp);
    }
}

/* Reads tmp_root/rel (written with text) expecting success and n objects. */
static int read_ok(struct harness *h, const char *rel, const char *text, int32_t nc,
                   struct yolo_label_file *lf, int32_t n)
{
    struct yolo_diag d = { 0, "" };
    const char *p = text ? put(rel, text) : tpath(rel);
    int rc = yolo_label_file_read(p, nc, lf, &d);
    CHECK(h, rc == YOLO_OK && lf->n == n, "%s: rc %d n %d want %d: %s", rel, rc, (int)lf->n,
          (int)n, d.msg);
    return rc == YOLO_OK && lf->n == n;
}

static void read_err(struct harness *h, const char *rel, const char *text, int32_t nc,
                     const char *want)
{
    struct yolo_label_file lf;
    struct yolo_diag d = { 0, "" };
    int rc = yolo_label_file_read(put(rel, text), nc, &lf, &d);
    CHECK(h, rc == YOLO_ERR_FORMAT && lf.n == 0 && lf.objs == NULL && strstr(d.msg, want),
          "%s: rc %d want format error '%s', got '%s'", rel, rc, want, d.msg);
}

static int obj_is(const struct yolo_label_obj *o, int32_t c, float xc, float yc, float w, float hh)
{
    return o->cls == c && fabsf(o->xc - xc) < 1e-6f && fabsf(o->yc - yc) < 1e-6f &&
           fabsf(o->w - w) < 1e-6f && fabsf(o->h - hh) < 1e-6f;
}

static void test_label_files(struct harness *h)
{
    struct yolo_label_file lf;

    /* Missing file: no objects, not an error. Empty file: found, no objects. */
    if (read_ok(h, "l/none.txt", NULL, 80, &lf, 0))
        CHECK(h, !lf.found && lf.objs == NULL, "missing label found=%d", lf.found);
    yolo_label_file_release(&lf);
    if (read_ok(h, "l/empty.txt", "", 80, &lf, 0))
        CHECK(h, lf.found, "empty label found=%d", lf.found);
    yolo_label_file_release(&lf);

    /* Blank lines, CRLF, tabs, extra spaces, a last line without '\n', exponents. */
    if (read_ok(h, "l/ok.txt", "\n0 0.5 0.5 0.25 0.125\r\n   \r\n\t79\t1 1.0 0.0 5e-1  \n"
                "3 0 0 1 1", 80, &lf, 3)) {
        CHECK(h, obj_is(&lf.objs[0], 0, 0.5f, 0.5f, 0.25f, 0.125f) &&
              obj_is(&lf.objs[1], 79, 1, 1, 0, 0.5f) && obj_is(&lf.objs[2], 3, 0, 0, 1, 1) &&
              lf.found && !lf.segments && lf.n_duplicates == 0, "ok.txt values");
        float b[4];
        yolo_label_obj_xyxy(&lf.objs[0], 640, 480, b);
        CHECK(h, b[0] == 240 && b[1] == 210 && b[2] == 400 && b[3] == 270,
              "xyxy %g %g %g %g", b[0], b[1], b[2], b[3]);
    }
    yolo_label_file_release(&lf);

    /* Polygons: any row with > 6 columns makes every row a polygon -> its bounding box. The
     * 5-column row then reads as the two points (.5, .5) and (.2, .4). */
    if (read_ok(h, "l/seg.txt", "2 0.1 0.2 0.5 0.2 0.3 0.6\n"
                "1 0.5 0.5 0.2 0.4\n", 80, &lf, 2)) {
        CHECK(h, lf.segments && obj_is(&lf.objs[0], 2, 0.3f, 0.4f, 0.4f, 0.4f) &&
              obj_is(&lf.objs[1], 1, 0.35f, 0.45f, 0.3f, 0.1f), "seg boxes %g %g %g %g",
              lf.objs[0].xc, lf.objs[0].yc, lf.objs[0].w, lf.objs[0].h);
    }
    yolo_label_file_release(&lf);

    /* Duplicates are dropped and the rows come back sorted (np.unique(axis=0)). */
    if (read_ok(h, "l/dup.txt", "5 0.5 0.5 0.1 0.1\n1 0.2 0.2 0.1 0.1\n5 0.5 0.5 0.1 0.1\n"
                "1 0.1 0.9 0.1 0.1\n", 80, &lf, 3)) {
        CHECK(h, lf.n_duplicates == 1 && obj_is(&lf.objs[0], 1, 0.1f, 0.9f, 0.1f, 0.1f) &&
              obj_is(&lf.objs[1], 1, 0.2f, 0.2f, 0.1f, 0.1f) &&
              obj_is(&lf.objs[2], 5, 0.5f, 0.5f, 0.1f, 0.1f), "dup order");
    }
    yolo_label_file_release(&lf);
    /* No duplicates: file order is kept. */
    if (read_ok(h, "l/order.txt", "5 0.5 0.5 0.1 0.1\n1 0.2 0.2 0.1 0.1\n", 80, &lf, 2))
        CHECK(h, lf.objs[0].cls == 5 && lf.objs[1].cls == 1, "order kept");
    yolo_label_file_release(&lf);
    /* n_classes <= 0: no upper bound on class ids. */
    if (read_ok(h, "l/big.txt", "1000 0.5 0.5 0.1 0.1\n", 0, &lf, 1))
        CHECK(h, lf.objs[0].cls == 1000, "unbounded class");
    yolo_label_file_release(&lf);

    read_err(h, "l/cols4.txt", "0 0.5 0.5 0.1 0.1\n0 0.5 0.5 0.1\n", 80,
             "cols4.txt:2: 4 columns, a label needs 5");
    read_err(h, "l/cols6.txt", "\n\n0 0.5 0.5 0.1 0.1 0.9\n", 80, "cols6.txt:3: 6 columns");
    read_err(h, "l/nan.txt", "0 nan 0.5 0.1 0.1\n", 80, "nan.txt:1: column 2 'nan' is not a");
    read_err(h, "l/word.txt", "0 0.5 0.5 0.1 0.1\n0 0.5 abc 0.1 0.1\n", 80,
             "word.txt:2: column 3 'abc'");
    read_err(h, "l/hex.txt", "0 0x1p-1 0.5 0.1 0.1\n", 80, "hex.txt:1: column 2");
    read_err(h, "l/inf.txt", "0 0.5 0.5 inf 0.1\n", 80, "inf.txt:1: column 4");
    read_err(h, "l/clsword.txt", "dog 0.5 0.5 0.1 0.1\n", 80, "clsword.txt:1: class 'dog'");
    read_err(h, "l/range.txt", "0 0.5 0.5 0.1 0.1\n80 0.5 0.5 0.1 0.1\n", 80,
             "range.txt:2: class 80 out of range 0..79");
    read_err(h, "l/frac.txt", "1.5 0.5 0.5 0.1 0.1\n", 80, "frac.txt:1: class 1.5 is not");
    read_err(h, "l/negcls.txt", "-1 0.5 0.5 0.1 0.1\n", 80, "negcls.txt:1: class -1 is not");
    read_err(h, "l/neg.txt", "0 0.5 -0.5 0.1 0.1\n", 80, "neg.txt:1: negative value -0.5");
    read_err(h, "l/big1.txt", "0 0.5 0.5 1.5 0.1\n", 80, "big1.txt:1: coordinate 1.5 outside");
    read_err(h, "l/pix.txt", "0 320 240 50 60\n", 80, "pix.txt:1: coordinate 320 outside");
    read_err(h, "l/segodd.txt", "0 0.1 0.1 0.2 0.2 0.3 0.3 0.4\n", 80,
             "segodd.txt:1: a polygon row needs an even number");
    read_err(h, "l/segout.txt", "0 0.1 0.1 0.2 0.2 0.3 0.3\n0 0.5 0.5 0.9 1.8\n", 80,
             "segout.txt:2: coordinate");
    put_n("l/nul.txt", "0 0.5\0 0.5 0.1 0.1\n", 19);
    {
        struct yolo_diag d = { 0, "" };
        int rc = yolo_label_file_read(tpath("l/nul.txt"), 80, &lf, &d);
        CHECK(h, rc == YOLO_ERR_FORMAT && strstr(d.msg, "NUL"), "nul label: %s", d.msg);
    }
    /* A folder where a file is expected is an I/O error, not "no labels". */
    mkdirs_for(tpath("l/adir/x"));
    {
        struct yolo_diag d = { 0, "" };
        int rc = yolo_label_file_read(tpath("l/adir"), 80, &lf, &d);
        CHECK(h, rc == YOLO_ERR_IO || rc == YOLO_ERR_FORMAT, "folder as label: rc %d %s", rc,
              d.msg);
        yolo_label_file_release(&lf);
    }
}

int main(void)
{
    HARNESS_INIT(h, "test_dataset");
    const char *t = getenv("TMPDIR");
    snprintf(tmp_root, sizeof tmp_root, "%s/yolo_test_dataset_XXXXXX", t && t[0] ? t : "/tmp");
    if (!mkdtemp(tmp_root)) {
        fprintf(stderr, "mkdtemp %s: %s\n", tmp_root, strerror(errno));
        return 1;
    }
    char real[PATH_MAX];
    if (realpath(tmp_root, real))        /* the library returns canonical absolute paths */
        snprintf(tmp_root, sizeof tmp_root, "%s", real);

    test_coco128(&h);
    test_yaml_syntax(&h);
    test_yaml_errors(&h);
    test_label_path(&h);
    test_label_files(&h);

    nftw(tmp_root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    return harness_finish(&h);
}
