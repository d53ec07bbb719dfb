/* dataset.c: data.yaml (through libyaml), image enumeration per split, img2label paths,
 * orphan label files and YOLO label files. See dataset.h for the rules; Ultralytics'
 * data/utils.py (check_det_dataset, img2label_paths, verify_image_label) and data/base.py
 * (get_img_files) are what they follow. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "yolo_core.h"
#include <yaml.h>

#include "dataset.h"
#include "walk.h"

#define MAX_YAML_BYTES  ((long)16 << 20)
#define MAX_LIST_BYTES  ((long)1 << 30)
#define MAX_LABEL_BYTES ((long)256 << 20)

/* ------------------------------------------------------------------ strings and paths */

static char *str_ndup(const char *s, size_t n)
{
    char *r = malloc(n + 1);
    if (r) {
        memcpy(r, s, n);
        r[n] = 0;
    }
    return r;
}

static char *str_dup(const char *s)
{
    return str_ndup(s, strlen(s));
}

/* Folds "." and ".." components and repeated slashes, in place. An absolute path never climbs
 * above "/"; a relative one keeps leading "..". */
static void path_normalize(char *p)
{
    int abs = p[0] == '/';
    size_t o = 0, i = 0, n = strlen(p);
    while (i < n) {
        while (i < n && p[i] == '/')
            i++;
        size_t s = i;
        while (i < n && p[i] != '/')
            i++;
        size_t len = i - s;
        if (len == 0 || (len == 1 && p[s] == '.'))
            continue;
        if (len == 2 && p[s] == '.' && p[s + 1] == '.') {
            /* the last component written: out[last..o) */
            size_t last = o;
            while (last > 0 && p[last - 1] != '/')
                last--;
            int last_dotdot = o - last == 2 && p[last] == '.' && p[last + 1] == '.';
            if (o > 0 && !last_dotdot) {
                o = last > 0 ? last - 1 : 0;          /* drop "/comp" (or "comp") */
                continue;
            }
            if (abs)
                continue;                              /* "/.." is "/" */
        }
        if (o > 0 || abs)
            p[o++] = '/';
        memmove(p + o, p + s, len);
        o += len;
    }
    if (o == 0) {
        if (abs)
            p[o++] = '/';
        else
            p[o++] = '.';
    }
    p[o] = 0;
}

/* a + "/" + b normalised (b alone if absolute). malloc'd, NULL on no memory. */
static char *path_join(const char *a, const char *b)
{
    char *r;
    if (b[0] == '/' || !a || !a[0]) {
        r = str_dup(b);
    } else {
        size_t la = strlen(a), lb = strlen(b);
        r = malloc(la + lb + 2);
        if (r) {
            memcpy(r, a, la);
            r[la] = '/';
            memcpy(r + la + 1, b, lb + 1);
        }
    }
    if (r)
        path_normalize(r);
    return r;
}

/* The folder part of an absolute, normalised path ("/a/b" -> "/a", "/a" -> "/"). */
static char *path_dirname(const char *p)
{
    const char *s = strrchr(p, '/');
    if (!s)
        return str_dup(".");
    if (s == p)
        return str_dup("/");
    return str_ndup(p, (size_t)(s - p));
}

static int is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* the project's one image-extension list (core/base/walk.h) */
#define has_image_ext yolo_is_image_name

static int has_txt_ext(const char *name)
{
    size_t n = strlen(name);
    return n > 4 && strcmp(name + n - 4, ".txt") == 0;
}

/* Reads a whole file into a NUL-terminated buffer. ENOENT is reported as *missing = 1 (when
 * missing is not NULL) with status YOLO_OK and *buf NULL. */
static int read_all(const char *path, long max_bytes, char **buf, size_t *len, int *missing,
                    struct yolo_diag *d)
{
    *buf = NULL;
    *len = 0;
    if (missing)
        *missing = 0;
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (errno == ENOENT && missing) {
            *missing = 1;
            return YOLO_OK;
        }
        return yolo_diag_set(d, YOLO_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    }
    size_t cap = 4096, n = 0;
    char *b = malloc(cap);
    if (!b)
        goto nomem;
    for (;;) {
        if (n + 1 >= cap) {
            if ((long)cap > max_bytes) {
                free(b);
                fclose(f);
                return yolo_diag_set(d, YOLO_ERR_FORMAT, "%s: larger than %ld bytes", path,
                                     max_bytes);
            }
            char *nb = realloc(b, cap * 2);
            if (!nb)
                goto nomem;
            b = nb;
            cap *= 2;
        }
        size_t got = fread(b + n, 1, cap - 1 - n, f);
        n += got;
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        free(b);
        fclose(f);
        return yolo_diag_set(d, YOLO_ERR_IO, "%s: read error", path);
    }
    fclose(f);
    b[n] = 0;
    *buf = b;
    *len = n;
    return YOLO_OK;
nomem:
    free(b);
    fclose(f);
    return yolo_diag_set(d, YOLO_ERR_NOMEM, "%s: out of memory reading the file", path);
}

/* ------------------------------------------------------------------ path lists */

void yolo_path_list_release(struct yolo_path_list *l)
{
    if (!l)
        return;
    for (int32_t i = 0; i < l->n; i++)
        free(l->paths[i]);
    free(l->paths);
    memset(l, 0, sizeof *l);
}

/* Appends p (ownership transferred; freed on failure). */
static int list_push(struct yolo_path_list *l, char *p, struct yolo_diag *d)
{
    if (!p)
        return yolo_diag_set(d, YOLO_ERR_NOMEM, "dataset: out of memory for a path");
    if (l->n == l->cap) {
        if (l->cap > INT32_MAX / 2) {
            free(p);
            return yolo_diag_set(d, YOLO_ERR_UNSUPPORTED, "dataset: more than %d paths",
                                 (int)l->cap);
        }
        int32_t cap = l->cap ? l->cap * 2 : 64;
        char **np = realloc(l->paths, (size_t)cap * sizeof *np);
        if (!np) {
            free(p);
            return yolo_diag_set(d, YOLO_ERR_NOMEM, "dataset: out of memory for %d paths",
                                 (int)cap);
        }
        l->paths = np;
        l->cap = cap;
    }
    l->paths[l->n++] = p;
    return YOLO_OK;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void list_sort(struct yolo_path_list *l, int unique)
{
    if (l->n > 1)
        qsort(l->paths, (size_t)l->n, sizeof *l->paths, cmp_str);
    if (!unique)
        return;
    int32_t o = 0;
    for (int32_t i = 0; i < l->n; i++) {
        if (o > 0 && strcmp(l->paths[o - 1], l->paths[i]) == 0)
            free(l->paths[i]);
        else
            l->paths[o++] = l->paths[i];
    }
    l->n = o;
}

static int list_contains(const struct yolo_path_list *sorted, const char *p)
{
    return bsearch(&p, sorted->paths, (size_t)sorted->n, sizeof *sorted->paths, cmp_str) != NULL;
}

/* ------------------------------------------------------------------ folder walking */

/* Files under dir (recursively with recurse) whose names pass `want`, through the project's
 * one walker (core/base/walk.h): hidden entries and symlink cycles skipped. */
struct walk_add { struct yolo_path_list *out; struct yolo_diag *d; };

static int walk_add(void *user, const char *path)
{
    struct walk_add *w = user;
    return list_push(w->out, str_dup(path), w->d);
}

static int walk(const char *dir, int (*want)(const char *), int recurse,
                struct yolo_path_list *out, struct yolo_diag *d)
{
    struct walk_add w = { out, d };
    char err[4200];
    int rc = yolo_walk_dir(dir, recurse, want, walk_add, &w, err, sizeof err);
    return rc == -1 ? yolo_diag_set(d, YOLO_ERR_IO, "%s", err) : rc;
}

/* ------------------------------------------------------------------ data.yaml through libyaml */

/* libyaml (Debian's libyaml-dev) reads the YAML; what is kept of it is the top-level mapping's
 * known keys, each a scalar, a list of scalars or a mapping of scalars, with the line it is
 * on for the messages. */
struct yparser {
    const char       *file;
    struct yolo_diag *d;
};

enum ykind { Y_NULL = 0, Y_SCALAR, Y_LIST, Y_MAP };

struct yitem { char *key; char *val; int line; };   /* key NULL for list items; val NULL = null */

struct yvalue {
    enum ykind kind;
    char *scalar;                    /* Y_SCALAR */
    struct yitem *items;             /* Y_LIST / Y_MAP */
    int n, cap;
    int line;
};

static void yvalue_release(struct yvalue *v)
{
    free(v->scalar);
    for (int i = 0; i < v->n; i++) {
        free(v->items[i].key);
        free(v->items[i].val);
    }
    free(v->items);
    memset(v, 0, sizeof *v);
}

static int yerr(struct yparser *p, int line, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int yerr(struct yparser *p, int line, const char *key, const char *fmt, ...)
{
    char msg[384];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (key)
        return yolo_diag_set(p->d, YOLO_ERR_FORMAT, "%s:%d: %s: %s", p->file, line, key, msg);
    return yolo_diag_set(p->d, YOLO_ERR_FORMAT, "%s:%d: %s", p->file, line, msg);
}

static int ynomem(struct yparser *p)
{
    return yolo_diag_set(p->d, YOLO_ERR_NOMEM, "%s: out of memory", p->file);
}

static int yitem_push(struct yparser *p, struct yvalue *v, char *key, char *val, int line)
{
    if (v->n == v->cap) {
        int cap = v->cap ? v->cap * 2 : 16;
        struct yitem *ni = cap > (1 << 24) ? NULL : realloc(v->items, (size_t)cap * sizeof *ni);
        if (!ni) {
            free(key);
            free(val);
            return ynomem(p);
        }
        v->items = ni;
        v->cap = cap;
    }
    v->items[v->n].key = key;
    v->items[v->n].val = val;
    v->items[v->n].line = line;
    v->n++;
    return YOLO_OK;
}

static int node_line(const yaml_node_t *n)
{
    return (int)n->start_mark.line + 1;
}

/* A plain ~, null, Null, NULL or empty scalar is YAML's null. */
static int node_is_null(const yaml_node_t *n)
{
    const char *s = (const char *)n->data.scalar.value;
    return n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
           (!s[0] || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") || !strcmp(s, "NULL"));
}

/* The scalar node n as a malloc'd string (NULL for YAML's null); *out NULL on failure. */
static int node_str(struct yparser *p, const yaml_node_t *n, char **out)
{
    *out = NULL;
    if (node_is_null(n))
        return YOLO_OK;
    *out = str_ndup((const char *)n->data.scalar.value, n->data.scalar.length);
    return *out ? YOLO_OK : ynomem(p);
}

static int node_value(struct yparser *p, yaml_document_t *doc, const yaml_node_t *n, const char *key,
                      struct yvalue *v)
{
    int rc;
    v->line = node_line(n);
    if (n->type == YAML_SCALAR_NODE) {
        if ((rc = node_str(p, n, &v->scalar)))
            return rc;
        v->kind = v->scalar ? Y_SCALAR : Y_NULL;
        return YOLO_OK;
    }
    if (n->type == YAML_SEQUENCE_NODE) {
        v->kind = Y_LIST;
        for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
            const yaml_node_t *e = yaml_document_get_node(doc, *it);
            char *val;
            if (!e)
                return yerr(p, v->line, key, "broken list item");
            if (e->type != YAML_SCALAR_NODE)
                return yerr(p, node_line(e), key, "nested %s are not supported",
                            e->type == YAML_SEQUENCE_NODE ? "lists" : "mappings");
            if ((rc = node_str(p, e, &val)) || (rc = yitem_push(p, v, NULL, val, node_line(e))))
                return rc;
        }
        return YOLO_OK;
    }
    v->kind = Y_MAP;
    for (yaml_node_pair_t *pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top; pr++) {
        const yaml_node_t *k = yaml_document_get_node(doc, pr->key), *e = yaml_document_get_node(doc, pr->value);
        char *ks, *val;
        if (!k || !e)
            return yerr(p, v->line, key, "broken mapping entry");
        if (k->type != YAML_SCALAR_NODE || e->type != YAML_SCALAR_NODE)
            return yerr(p, node_line(k->type != YAML_SCALAR_NODE ? k : e), key, "nested mappings are not supported");
        if ((rc = node_str(p, k, &ks)))
            return rc;
        if (!ks && !(ks = str_dup("")))
            return ynomem(p);
        if ((rc = node_str(p, e, &val))) {
            free(ks);
            return rc;
        }
        if ((rc = yitem_push(p, v, ks, val, node_line(k))))
            return rc;
    }
    return YOLO_OK;
}

enum { K_PATH, K_TRAIN, K_VAL, K_TEST, K_NC, K_NAMES, K_VALIDATION, K_COUNT };
static const char *const known_keys[K_COUNT] = {
    "path", "train", "val", "test", "nc", "names", "validation"
};

struct yaml_data {
    struct yvalue v[K_COUNT];
    int seen[K_COUNT];
};

static int yaml_parse(struct yparser *p, const char *buf, size_t len, struct yaml_data *y)
{
    yaml_parser_t parser;
    yaml_document_t doc;
    if (!yaml_parser_initialize(&parser))
        return ynomem(p);
    yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
    if (!yaml_parser_load(&parser, &doc)) {
        int rc = parser.error == YAML_MEMORY_ERROR ? ynomem(p)
               : yerr(p, (int)parser.problem_mark.line + 1, NULL, "%s%s%s", parser.problem ? parser.problem : "YAML error",
                      parser.context ? " " : "", parser.context ? parser.context : "");
        yaml_parser_delete(&parser);
        return rc;
    }
    yaml_parser_delete(&parser);
    int rc = YOLO_OK;
    const yaml_node_t *root = yaml_document_get_root_node(&doc);
    if (root && root->type == YAML_SCALAR_NODE && node_is_null(root))
        root = NULL;                                   /* an empty file */
    if (root && root->type != YAML_MAPPING_NODE)
        rc = yerr(p, node_line(root), NULL, "expected 'key: value' at the top, found %s",
                  root->type == YAML_SEQUENCE_NODE ? "a list" : "a plain value");
    for (yaml_node_pair_t *pr = root && !rc ? root->data.mapping.pairs.start : NULL;
         pr && pr < root->data.mapping.pairs.top && !rc; pr++) {
        const yaml_node_t *k = yaml_document_get_node(&doc, pr->key), *v = yaml_document_get_node(&doc, pr->value);
        if (!k || !v || k->type != YAML_SCALAR_NODE)
            continue;                                  /* not a key of ours */
        int i = 0;
        while (i < K_COUNT && strcmp((const char *)k->data.scalar.value, known_keys[i]) != 0)
            i++;
        if (i == K_COUNT)
            continue;
        if (y->seen[i]) {
            rc = yerr(p, node_line(k), known_keys[i], "duplicate key (first on line %d)", y->v[i].line);
            break;
        }
        y->seen[i] = 1;
        rc = node_value(p, &doc, v, known_keys[i], &y->v[i]);
        y->v[i].line = node_line(k);               /* messages about a value name its key's line */
    }
    yaml_document_delete(&doc);
    return rc;
}

void yolo_dataset_free(struct yolo_dataset *ds)
{
    if (!ds)
        return;
    free(ds->yaml_path);
    free(ds->root);
    if (ds->names)
        for (int32_t i = 0; i < ds->n_classes; i++)
            free(ds->names[i]);
    free(ds->names);
    for (int s = 0; s < YOLO_SPLIT_COUNT; s++)
        yolo_path_list_release(&ds->splits[s]);
    free(ds);
}

static int parse_nc(struct yparser *p, const struct yvalue *v, int32_t *nc)
{
    if (v->kind != Y_SCALAR)
        return yerr(p, v->line, "nc", "must be a whole number");
    const char *s = v->scalar;
    char *end;
    errno = 0;
    long n = strtol(s, &end, 10);
    if (!isdigit((unsigned char)s[0]) || *end || errno || n < 0 || n > YOLO_DATASET_MAX_CLASSES)
        return yerr(p, v->line, "nc", "'%s' is not a class count in 0..%d", s,
                    YOLO_DATASET_MAX_CLASSES);
    *nc = (int32_t)n;
    return YOLO_OK;
}

/* names -> ds->names / n_classes. */
static int parse_names(struct yparser *p, const struct yvalue *v, struct yolo_dataset *ds)
{
    if (v->kind != Y_LIST && v->kind != Y_MAP)
        return yerr(p, v->line, "names", "must be a list ['a', 'b'] or a mapping '0: a'");
    if (v->n == 0)
        return yerr(p, v->line, "names", "is empty");
    if (v->n > YOLO_DATASET_MAX_CLASSES)
        return yerr(p, v->line, "names", "more than %d classes", YOLO_DATASET_MAX_CLASSES);
    int32_t n = v->n;
    ds->names = calloc(n ? (size_t)n : 1, sizeof *ds->names);
    if (!ds->names)
        return ynomem(p);
    ds->n_classes = n;
    for (int32_t i = 0; i < n; i++) {
        const struct yitem *it = &v->items[i];
        long k = i;
        if (v->kind == Y_MAP) {
            char *end;
            errno = 0;
            k = strtol(it->key, &end, 10);
            if (!isdigit((unsigned char)it->key[0]) || *end || errno)
                return yerr(p, it->line, "names", "key '%s' is not a class index", it->key);
            if (k >= n)
                return yerr(p, it->line, "names", "class index %ld out of range: %d names need "
                            "indices 0..%d", k, (int)n, (int)n - 1);
            if (ds->names[k])
                return yerr(p, it->line, "names", "class index %ld given twice", k);
        }
        if (!it->val || !it->val[0])
            return yerr(p, it->line, "names", "class %ld has no name", k);
        ds->names[k] = str_dup(it->val);
        if (!ds->names[k])
            return ynomem(p);
    }
    return YOLO_OK;
}

/* A split entry: root-relative unless absolute; "../x" that does not exist falls back to
 * "x" (Ultralytics' check_det_dataset does this). */
static int add_split_entry(struct yparser *p, struct yolo_dataset *ds, int split, const char *e)
{
    char *full = path_join(ds->root, e);
    if (!full)
        return ynomem(p);
    struct stat st;
    if (e[0] != '/' && !strncmp(e, "../", 3) && stat(full, &st) != 0) {
        char *alt = path_join(ds->root, e + 3);
        if (!alt) {
            free(full);
            return ynomem(p);
        }
        free(full);
        full = alt;
    }
    return list_push(&ds->splits[split], full, p->d);
}

static int yaml_to_dataset(struct yparser *p, struct yaml_data *y, const char *yaml_dir,
                           struct yolo_dataset *ds)
{
    int rc;
    /* path */
    const struct yvalue *pv = &y->v[K_PATH];
    if (pv->kind == Y_LIST || pv->kind == Y_MAP)
        return yerr(p, pv->line, "path", "must be a string");
    ds->root = pv->kind == Y_SCALAR ? path_join(yaml_dir, pv->scalar) : str_dup(yaml_dir);
    if (!ds->root)
        return ynomem(p);

    /* classes */
    int32_t nc = -1;
    if (y->seen[K_NC] && (rc = parse_nc(p, &y->v[K_NC], &nc)))
        return rc;
    if (y->seen[K_NAMES] && y->v[K_NAMES].kind != Y_NULL) {
        if ((rc = parse_names(p, &y->v[K_NAMES], ds)))
            return rc;
        if (nc >= 0 && nc != ds->n_classes)
            return yerr(p, y->v[K_NAMES].line, "names", "%d names but nc is %d",
                        (int)ds->n_classes, (int)nc);
    } else if (nc >= 0) {
        /* a count without names: no names are made up here (a user of the dataset names the
         * classes, e.g. yolo val from the engine). Making "class_<i>" strings cost a malloc
         * and a printf each, a million of them for the 12 bytes `nc: 1000000`. */
        ds->n_classes = nc;
    } else {
        return yolo_diag_set(p->d, YOLO_ERR_FORMAT, "%s: needs 'names' or 'nc'", p->file);
    }

    /* splits */
    static const int split_key[YOLO_SPLIT_COUNT] = { K_TRAIN, K_VAL, K_TEST };
    for (int s = 0; s < YOLO_SPLIT_COUNT; s++) {
        int k = split_key[s];
        if (s == YOLO_SPLIT_VAL && (!y->seen[K_VAL] || y->v[K_VAL].kind == Y_NULL))
            k = K_VALIDATION;
        const struct yvalue *v = &y->v[k];
        const char *kn = known_keys[k];
        if (v->kind == Y_SCALAR) {
            if ((rc = add_split_entry(p, ds, s, v->scalar)))
                return rc;
        } else if (v->kind == Y_LIST) {
            for (int i = 0; i < v->n; i++) {
                if (!v->items[i].val)
                    return yerr(p, v->items[i].line, kn, "empty entry in the list");
                if ((rc = add_split_entry(p, ds, s, v->items[i].val)))
                    return rc;
            }
        } else if (v->kind == Y_MAP) {
            return yerr(p, v->line, kn, "must be a path or a list of paths");
        }
    }
    return YOLO_OK;
}

static int load_yaml(const char *path, struct yolo_dataset *ds, struct yolo_diag *d)
{
    struct yparser p = { path, d };
    struct yaml_data y;
    char *buf = NULL, *abs = NULL, *dir = NULL;
    size_t len;
    int rc;

    memset(&y, 0, sizeof y);
    if ((rc = read_all(path, MAX_YAML_BYTES, &buf, &len, NULL, d)))
        return rc;
    abs = realpath(path, NULL);
    if (!abs) {
        rc = yolo_diag_set(d, YOLO_ERR_IO, "%s: %s", path, strerror(errno));
        goto done;
    }
    dir = path_dirname(abs);
    ds->yaml_path = str_dup(path);
    if (!dir || !ds->yaml_path) {
        rc = ynomem(&p);
        goto done;
    }
    if ((rc = yaml_parse(&p, buf, len, &y)) || (rc = yaml_to_dataset(&p, &y, dir, ds)))
        goto done;
done:
    for (int k = 0; k < K_COUNT; k++)
        yvalue_release(&y.v[k]);
    free(buf);
    free(abs);
    free(dir);
    return rc;
}

int yolo_dataset_load(const char *path, struct yolo_dataset **out, struct yolo_diag *d)
{
    if (!out || !path)
        return yolo_diag_set(d, YOLO_ERR_ARG, "dataset: NULL path");
    *out = NULL;
    struct yolo_dataset *ds = calloc(1, sizeof *ds);
    if (!ds)
        return yolo_diag_set(d, YOLO_ERR_NOMEM, "%s: out of memory", path);
    struct stat st;
    int rc;
    if (stat(path, &st) != 0) {
        rc = yolo_diag_set(d, YOLO_ERR_IO, "%s: %s", path, strerror(errno));
    } else if (S_ISDIR(st.st_mode)) {
        ds->root = realpath(path, NULL);
        rc = ds->root ? YOLO_OK : yolo_diag_set(d, YOLO_ERR_IO, "%s: %s", path, strerror(errno));
    } else {
        rc = load_yaml(path, ds, d);
    }
    if (rc) {
        yolo_dataset_free(ds);
        return rc;
    }
    *out = ds;
    return YOLO_OK;
}

int yolo_split_from_name(const char *name)
{
    for (int s = 0; s < YOLO_SPLIT_COUNT; s++)
        if (name && strcmp(name, yolo_split_name((enum yolo_split)s)) == 0)
            return s;
    return -1;
}

const char *yolo_split_name(enum yolo_split s)
{
    switch (s) {
    case YOLO_SPLIT_TRAIN: return "train";
    case YOLO_SPLIT_VAL:   return "val";
    case YOLO_SPLIT_TEST:  return "test";
    default:               return "?";
    }
}

/* ------------------------------------------------------------------ images of a split */

/* Image paths listed in a text file; relative ones (including "./x") are taken relative to
 * the list's folder. */
static int read_list_file(const char *list, struct yolo_path_list *out, struct yolo_diag *d)
{
    char *buf, *dir = path_dirname(list);
    size_t len;
    if (!dir)
        return yolo_diag_set(d, YOLO_ERR_NOMEM, "%s: out of memory", list);
    int rc = read_all(list, MAX_LIST_BYTES, &buf, &len, NULL, d);
    if (rc) {
        free(dir);
        return rc;
    }
    char *s = buf;
    while (rc == YOLO_OK && *s) {
        char *e = strchr(s, '\n');
        char *next = e ? e + 1 : s + strlen(s);
        if (!e)
            e = s + strlen(s);
        while (s < e && isspace((unsigned char)*s))
            s++;
        while (e > s && isspace((unsigned char)e[-1]))
            e--;
        *e = 0;
        if (*s && has_image_ext(s))
            rc = list_push(out, path_join(dir, s), d);
        s = next;
    }
    free(buf);
    free(dir);
    return rc;
}

/* Where a folder dataset keeps a split's images. malloc'd. */
static char *folder_split_dir(const struct yolo_dataset *ds, enum yolo_split split)
{
    char sub[32];
    snprintf(sub, sizeof sub, "images/%s", yolo_split_name(split));
    char *p = path_join(ds->root, sub);
    if (p && !is_dir(p)) {
        free(p);
        p = str_dup(ds->root);
    }
    return p;
}

int yolo_dataset_images(const struct yolo_dataset *ds, enum yolo_split split,
                        struct yolo_path_list *out, struct yolo_diag *d)
{
    int rc = YOLO_OK;
    if (!out)
        return yolo_diag_set(d, YOLO_ERR_ARG, "dataset: NULL output list");
    memset(out, 0, sizeof *out);
    if (!ds || (int)split < 0 || split >= YOLO_SPLIT_COUNT)
        return yolo_diag_set(d, YOLO_ERR_ARG, "dataset: bad split");
    if (!ds->yaml_path) {
        char *dir = folder_split_dir(ds, split);
        if (!dir)
            return yolo_diag_set(d, YOLO_ERR_NOMEM, "%s: out of memory", ds->root);
        rc = walk(dir, has_image_ext, 1, out, d);
        free(dir);
    } else {
        const struct yolo_path_list *e = &ds->splits[split];
        if (e->n == 0)
            return yolo_diag_set(d, YOLO_ERR_ARG, "%s: no '%s' split", ds->yaml_path,
                                 yolo_split_name(split));
        for (int32_t i = 0; i < e->n && rc == YOLO_OK; i++) {
            struct stat st;
            const char *p = e->paths[i];
            if (stat(p, &st) != 0)
                rc = yolo_diag_set(d, YOLO_ERR_IO, "%s: %s: '%s' does not exist", ds->yaml_path,
                                   yolo_split_name(split), p);
            else if (S_ISDIR(st.st_mode))
                rc = walk(p, has_image_ext, 1, out, d);
            else if (has_image_ext(p))
                rc = list_push(out, str_dup(p), d);
            else
                rc = read_list_file(p, out, d);
        }
    }
    if (rc) {
        yolo_path_list_release(out);
        return rc;
    }
    list_sort(out, 0);
    return YOLO_OK;
}

/* ------------------------------------------------------------------ label paths, orphans */

/* img2label_paths: the last "/images/" becomes "/labels/", then the text after the last '.'
 * becomes "txt" (Python's rsplit(".", 1)[0] + ".txt"). */
int yolo_label_path(const char *image_path, char **out, struct yolo_diag *d)
{
    static const char from[] = "/images/", to[] = "/labels/";
    *out = NULL;
    size_t n = strlen(image_path);
    char *r = malloc(n + 5);
    if (!r)
        return yolo_diag_set(d, YOLO_ERR_NOMEM, "%s: out of memory", image_path);
    memcpy(r, image_path, n + 1);
    char *last = NULL;
    for (char *s = strstr(r, from); s; s = strstr(s + 1, from))
        last = s;
    if (last)
        memcpy(last, to, sizeof to - 1);
    char *dot = strrchr(r, '.');
    if (dot)
        *dot = 0;
    strcat(r, ".txt");
    *out = r;
    return YOLO_OK;
}

/* The label folder of an image folder: img2label applied to "dir/". */
static char *label_dir_of(const char *dir)
{
    size_t n = strlen(dir);
    char *t = malloc(n + 2);
    if (!t)
        return NULL;
    memcpy(t, dir, n);
    t[n] = '/';
    t[n + 1] = 0;
    char *last = NULL;
    for (char *s = strstr(t, "/images/"); s; s = strstr(s + 1, "/images/"))
        last = s;
    if (last)
        memcpy(last, "/labels/", 8);
    path_normalize(t);
    return t;
}

int yolo_dataset_orphan_labels(const struct yolo_dataset *ds, enum yolo_split split,
                               const struct yolo_path_list *images, struct yolo_path_list *out,
                               struct yolo_diag *d)
{
    struct yolo_path_list expected = { 0 }, dirs = { 0 }, found = { 0 };
    int rc = YOLO_OK;
    if (!out)
        return yolo_diag_set(d, YOLO_ERR_ARG, "dataset: NULL output list");
    memset(out, 0, sizeof *out);
    if (!ds || !images || (int)split < 0 || split >= YOLO_SPLIT_COUNT)
        return yolo_diag_set(d, YOLO_ERR_ARG, "dataset: bad arguments to orphan_labels");

    for (int32_t i = 0; i < images->n && rc == YOLO_OK; i++) {
        char *lp;
        if ((rc = yolo_label_path(images->paths[i], &lp, d)))
            break;
        rc = list_push(&expected, lp, d);
    }
    if (rc)
        goto done;
    list_sort(&expected, 1);

    /* Recursive label roots of folder entries. */
    if (!ds->yaml_path) {
        char *dir = folder_split_dir(ds, split);
        rc = list_push(&dirs, dir ? label_dir_of(dir) : NULL, d);
        free(dir);
    } else {
        for (int32_t i = 0; i < ds->splits[split].n && rc == YOLO_OK; i++)
            if (is_dir(ds->splits[split].paths[i]))
                rc = list_push(&dirs, label_dir_of(ds->splits[split].paths[i]), d);
    }
    for (int32_t i = 0; i < dirs.n && rc == YOLO_OK; i++)
        if (is_dir(dirs.paths[i]))
            rc = walk(dirs.paths[i], has_txt_ext, 1, &found, d);
    yolo_path_list_release(&dirs);
    /* The folders of the expected label files, not recursively. */
    for (int32_t i = 0; i < expected.n && rc == YOLO_OK; i++)
        rc = list_push(&dirs, path_dirname(expected.paths[i]), d);
    if (rc)
        goto done;
    list_sort(&dirs, 1);
    for (int32_t i = 0; i < dirs.n && rc == YOLO_OK; i++)
        if (is_dir(dirs.paths[i]))
            rc = walk(dirs.paths[i], has_txt_ext, 0, &found, d);
    if (rc)
        goto done;
    list_sort(&found, 1);
    for (int32_t i = 0; i < found.n && rc == YOLO_OK; i++) {
        if (list_contains(&expected, found.paths[i]))
            continue;
        rc = list_push(out, found.paths[i], d);
        found.paths[i] = NULL;                 /* moved (or freed by list_push) */
    }
done:
    for (int32_t i = 0; i < found.n; i++)
        free(found.paths[i]);
    free(found.paths);
    yolo_path_list_release(&expected);
    yolo_path_list_release(&dirs);
    if (rc)
        yolo_path_list_release(out);
    return rc;
}

/* ------------------------------------------------------------------ label files */

void yolo_label_file_release(struct yolo_label_file *lf)
{
    if (!lf)
        return;
    free(lf->objs);
    memset(lf, 0, sizeof *lf);
}

void yolo_label_obj_xyxy(const struct yolo_label_obj *o, int32_t img_w, int32_t img_h,
                         float xyxy[4])
{
    /* ops.xywh2xyxy then * (w, h, w, h), float32 like Ultralytics' tensors. */
    float dw = o->w / 2, dh = o->h / 2;
    xyxy[0] = (o->xc - dw) * (float)img_w;
    xyxy[1] = (o->yc - dh) * (float)img_h;
    xyxy[2] = (o->xc + dw) * (float)img_w;
    xyxy[3] = (o->yc + dh) * (float)img_h;
}

#define MAX_TOKENS_PER_LINE 65536

/* One whitespace-separated number, as Python's float() and then numpy's float32 would read it
 * (decimal only). */
static int parse_num(const char *tok, size_t n, float *out)
{
    char tmp[256];
    if (n == 0 || n >= sizeof tmp)
        return 0;
    memcpy(tmp, tok, n);
    tmp[n] = 0;
    if (strpbrk(tmp, "xXpP"))                  /* strtod's hex floats: not numbers here */
        return 0;
    char *end;
    double v = strtod(tmp, &end);
    if (*end || !isfinite(v))
        return 0;
    float f = (float)v;
    if (!isfinite(f))
        return 0;
    *out = f;
    return 1;
}

static int is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* Tokenises one line into starts/lengths (up to cap); returns the token count (may exceed
 * cap, then only cap are stored). */
static int32_t tokenize(const char *s, const char *e, const char **tok, size_t *tlen,
                        int32_t cap)
{
    int32_t n = 0;
    while (s < e) {
        while (s < e && is_ws(*s))
            s++;
        if (s >= e)
            break;
        const char *t = s;
        while (s < e && !is_ws(*s))
            s++;
        if (n < cap) {
            tok[n] = t;
            tlen[n] = (size_t)(s - t);
        }
        n++;
    }
    return n;
}

static int cmp_obj(const void *a, const void *b)
{
    const struct yolo_label_obj *x = a, *y = b;
    const float fx[5] = { (float)x->cls, x->xc, x->yc, x->w, x->h };
    const float fy[5] = { (float)y->cls, y->xc, y->yc, y->w, y->h };
    for (int k = 0; k < 5; k++)
        if (fx[k] != fy[k])
            return fx[k] < fy[k] ? -1 : 1;
    return 0;
}

static int parse_label_row(const char *path, int line, const char **tok, const size_t *tlen,
                           int32_t nt, int segments, int32_t n_classes,
                           struct yolo_label_obj *o, struct yolo_diag *d)
{
    float cls;
    if (!parse_num(tok[0], tlen[0], &cls))
        return yolo_diag_set(d, YOLO_ERR_FORMAT, "%s:%d: class '%.*s' is not a number", path,
                             line, (int)(tlen[0] < 32 ? tlen[0] : 32), tok[0]);
    if (segments) {
        /* Polygon: np.array(x[1:]).reshape(-1, 2) -> segments2boxes -> xyxy2xywh. */
        if (nt < 3 || (nt - 1) % 2)
            return yolo_diag_set(d, YOLO_ERR_FORMAT, "%s:%d: a polygon row needs an even number "
                                 "of coordinates (got %d)", path, line, (int)(nt - 1));
        float x1 = 0, y1 = 0, x2 = 0, y2 = 0;
        for (int32_t k = 1; k < nt; k += 2) {
            float x, y;
            if (!parse_num(tok[k], tlen[k], &x) || !parse_num(tok[k + 1], tlen[k + 1], &y))
                return yolo_diag_set(d, YOLO_ERR_FORMAT, "%s:%d: column %d or %d is not a "
                                     "number", path, line, (int)k + 1, (int)k + 2);
            if (k == 1) {
                x1 = x2 = x;
                y1 = y2 = y;
            }
            x1 = x < x1 ? x : x1;
            y1 = y < y1 ? y : y1;
            x2 = x > x2 ? x : x2;
            y2 = y > y2 ? y : y2;
        }
        o->xc = (x1 + x2) / 2;
        o->yc = (y1 + y2) / 2;
        o->w = x2 - x1;
        o->h = y2 - y1;
    } else {
        if (nt != 5)
            return yolo_diag_set(d, YOLO_ERR_FORMAT, "%s:%d: %d columns, a label needs 5 "
                                 "(cls xc yc w h)", path, line, (int)nt);
        float *dst[4] = { &o->xc, &o->yc, &o->w, &o->h };
        for (int k = 0; k < 4; k++)
            if (!parse_num(tok[k + 1], tlen[k + 1], dst[k]))
                return yolo_diag_set(d, YOLO_ERR_FORMAT, "%s:%d: column %d '%.*s' is not a "
                                     "number", path, line, k + 2,
                                     (int)(tlen[k + 1] < 32 ? tlen[k + 1] : 32), tok[k + 1]);
    }
    if (cls < 0 || cls != floorf(cls) || cls > 2147483520.0f)
        return yolo_diag_set(d, YOLO_ERR_FORMAT, "%s:%d: class %g is not a class index", path,
                             line, (double)cls);
    if (n_classes > 0 && cls >= (float)n_classes)
        return yolo_diag_set(d, YOLO_ERR_FORMAT, "%s:%d: class %d out of range 0..%d", path,
                             line, (int)cls, (int)n_classes - 1);
    o->cls = (int32_t)cls;
    const float v[4] = { o->xc, o->yc, o->w, o->h };
    for (int k = 0; k < 4; k++) {
        if (v[k] < 0)
            return yolo_diag_set(d, YOLO_ERR_FORMAT, "%s:%d: negative value %g", path, line,
                                 (double)v[k]);
        if (v[k] > 1)
            return yolo_diag_set(d, YOLO_ERR_FORMAT, "%s:%d: coordinate %g outside [0, 1] (not "
                                 "normalised?)", path, line, (double)v[k]);
    }
    return YOLO_OK;
}

int yolo_label_file_read(const char *path, int32_t n_classes, struct yolo_label_file *out,
                         struct yolo_diag *d)
{
    char *buf = NULL;
    size_t len;
    int missing, rc;
    const char **tok = NULL;
    size_t *tlen = NULL;

    if (!out || !path)
        return yolo_diag_set(d, YOLO_ERR_ARG, "labels: NULL argument");
    memset(out, 0, sizeof *out);
    if ((rc = read_all(path, MAX_LABEL_BYTES, &buf, &len, &missing, d)))
        return rc;
    if (missing)
        return YOLO_OK;
    out->found = 1;
    if (memchr(buf, 0, len)) {
        rc = yolo_diag_set(d, YOLO_ERR_FORMAT, "%s: binary data (NUL byte) in a label file",
                           path);
        goto fail;
    }

    /* Pass 1: rows, and whether any has more than 6 columns (then all are polygons). */
    int32_t rows = 0, max_cols = 0;
    for (char *s = buf; *s;) {
        char *e = strchr(s, '\n');
        if (!e)
            e = s + strlen(s);
        int32_t nt = tokenize(s, e, NULL, NULL, 0);
        if (nt > 0)
            rows++;
        if (nt > max_cols)
            max_cols = nt;
        s = *e ? e + 1 : e;
    }
    if (max_cols > MAX_TOKENS_PER_LINE) {
        rc = yolo_diag_set(d, YOLO_ERR_FORMAT, "%s: a row has %d columns", path, (int)max_cols);
        goto fail;
    }
    out->segments = max_cols > 6;
    if (rows) {
        out->objs = malloc((size_t)rows * sizeof *out->objs);
        tok = malloc((size_t)max_cols * sizeof *tok);
        tlen = malloc((size_t)max_cols * sizeof *tlen);
        if (!out->objs || !tok || !tlen) {
            rc = yolo_diag_set(d, YOLO_ERR_NOMEM, "%s: out of memory for %d labels", path,
                               (int)rows);
            goto fail;
        }
    }

    /* Pass 2: parse. */
    int line = 1;
    for (char *s = buf; *s; line++) {
        char *e = strchr(s, '\n');
        if (!e)
            e = s + strlen(s);
        int32_t nt = tokenize(s, e, tok, tlen, max_cols);
        if (nt > 0) {
            rc = parse_label_row(path, line, tok, tlen, nt, out->segments, n_classes,
                                 &out->objs[out->n], d);
            if (rc)
                goto fail;
            out->n++;
        }
        s = *e ? e + 1 : e;
    }

    /* Duplicates: np.unique(lb, axis=0) -> rows sorted, duplicates dropped. */
    if (out->n > 1) {
        struct yolo_label_obj *sorted = malloc((size_t)out->n * sizeof *sorted);
        if (!sorted) {
            rc = yolo_diag_set(d, YOLO_ERR_NOMEM, "%s: out of memory", path);
            goto fail;
        }
        memcpy(sorted, out->objs, (size_t)out->n * sizeof *sorted);
        qsort(sorted, (size_t)out->n, sizeof *sorted, cmp_obj);
        int32_t u = 1;
        for (int32_t i = 1; i < out->n; i++)
            if (cmp_obj(&sorted[u - 1], &sorted[i]) != 0)
                sorted[u++] = sorted[i];
        if (u < out->n) {
            out->n_duplicates = out->n - u;
            out->n = u;
            free(out->objs);
            out->objs = sorted;
        } else {
            free(sorted);
        }
    }
    free(tok);
    free(tlen);
    free(buf);
    return YOLO_OK;
fail:
    free(tok);
    free(tlen);
    free(buf);
    yolo_label_file_release(out);
    return rc;
}
