/* dataset.h: YOLO-format labelled datasets, as Ultralytics lays them out.
 *
 *     struct yolo_dataset *ds;
 *     yolo_dataset_load("coco128/data.yaml", &ds, &diag);      // or a folder of images
 *     struct yolo_path_list imgs;
 *     yolo_dataset_images(ds, YOLO_SPLIT_VAL, &imgs, &diag);    // sorted image paths
 *     for each imgs.paths[i]:
 *         char *lp; yolo_label_path(imgs.paths[i], &lp, &diag);
 *         struct yolo_label_file lf; yolo_label_file_read(lp, ds->n_classes, &lf, &diag);
 *         ... lf.objs[0..lf.n) ...   yolo_label_file_release(&lf); free(lp);
 *     yolo_path_list_release(&imgs); yolo_dataset_free(ds);
 *
 * data.yaml, read with libyaml (any YAML 1.1; of it these keys are used):
 *   path:  the dataset root. Relative to the folder holding the yaml (NOT the working directory,
 *          and not Ultralytics' datasets_dir); absent or null = that folder.
 *   train / val / test:  a string or a list of strings (flow [a, b] or block "- a" lines),
 *          each relative to `path` (or absolute): a folder of images (searched recursively), a
 *          text file listing image paths (one per line; relative ones are taken relative to
 *          the list file's folder), or one image. Ultralytics' quirk is kept: a relative entry
 *          starting with "../" that does not exist is retried without the "../". `validation`
 *          is accepted for `val`.
 *   nc:    the class count; names: a flow list ['a', "b", c], a block list ("- a" lines), a
 *          block mapping ("0: person" lines, keys 0..n-1 in any order) or a flow mapping
 *          {0: a, 1: b}. Without names, classes are called "class_<i>"; with both, the counts
 *          must agree.
 *   Other keys (download scripts, kpt_shape, ...) are ignored. Nested collections inside these
 *   keys are errors. Errors read "<file>:<line>: <key>: <problem>", or for YAML syntax
 *   "<file>:<line>: <libyaml's problem> <its context>".
 * A folder instead of a yaml: a split's images are in DIR/images/<split> when that folder
 *   exists, else anywhere under DIR; class names are unknown (n_classes 0).
 *
 * Images: files named *.jpg *.jpeg *.png *.bmp *.webp *.tif *.tiff (any case), found
 * recursively (hidden files and folders skipped, as glob does; symlinks followed up to a depth
 * of 32 folders), sorted by path (byte order), like Ultralytics' sorted(glob(...)).
 * Labels: Ultralytics' img2label_paths: the last "/images/" of the path becomes "/labels/" and
 * the extension becomes ".txt".
 *
 * All paths returned are absolute and lexically normalised ("." and ".." folded); strings are
 * owned by the structure that holds them. Functions are thread-safe on distinct objects;
 * a loaded dataset may be read by several threads.
 */
#ifndef YOLO_DATASET_H
#define YOLO_DATASET_H

#include <stdint.h>

#include "yolo.h"

#define YOLO_DATASET_MAX_CLASSES (1 << 20)

enum yolo_split { YOLO_SPLIT_TRAIN = 0, YOLO_SPLIT_VAL = 1, YOLO_SPLIT_TEST = 2,
                  YOLO_SPLIT_COUNT = 3 };

struct yolo_path_list {      /* a growable list of malloc'd paths */
    char  **paths;
    int32_t n, cap;
};
void yolo_path_list_release(struct yolo_path_list *l);   /* frees all, zeroes *l */

struct yolo_dataset {
    char   *yaml_path;       /* the yaml as given; NULL when loaded from a folder */
    char   *root;            /* absolute dataset root (`path:` resolved, or the folder) */
    int32_t n_classes;       /* 0 when unknown (folder) */
    char  **names;           /* n_classes names, NULL when unknown (a folder, or `nc`
                                without `names`) */
    struct yolo_path_list splits[YOLO_SPLIT_COUNT];   /* absolute entries; n == 0: absent */
};

/* Loads a dataset from a data.yaml file or a folder. *out is NULL on failure.
 * Errors: YOLO_ERR_IO (cannot read), YOLO_ERR_FORMAT (bad yaml, with file:line),
 * YOLO_ERR_NOMEM. */
int  yolo_dataset_load(const char *path, struct yolo_dataset **out, struct yolo_diag *d);
void yolo_dataset_free(struct yolo_dataset *ds);   /* accepts NULL */

/* "train" / "val" / "test" -> the split, else -1. */
int  yolo_split_from_name(const char *name);
const char *yolo_split_name(enum yolo_split s);

/* The split's images, sorted. An absent split (no `val:` in the yaml) is YOLO_ERR_ARG; an entry
 * that does not exist or cannot be read is YOLO_ERR_IO. Zero images is not an error.
 * *out is overwritten (release it). */
int  yolo_dataset_images(const struct yolo_dataset *ds, enum yolo_split split,
                         struct yolo_path_list *out, struct yolo_diag *d);

/* The label file of an image (img2label_paths), malloc'd into *out. */
int  yolo_label_path(const char *image_path, char **out, struct yolo_diag *d);

/* Label files (*.txt) in the split's label folders that belong to no image of `images` (the
 * list yolo_dataset_images returned): what the caller reports as "label without image"
 * warnings. Label folders: the label counterpart of each folder entry of the split (searched
 * recursively), plus the folders of the images' label files. Sorted, *out overwritten. */
int  yolo_dataset_orphan_labels(const struct yolo_dataset *ds, enum yolo_split split,
                                const struct yolo_path_list *images, struct yolo_path_list *out,
                                struct yolo_diag *d);

/* ------------------------------------------------------------------ label files */

struct yolo_label_obj {      /* one object, normalised to the image size (0..1) */
    int32_t cls;
    float   xc, yc, w, h;
};

struct yolo_label_file {
    struct yolo_label_obj *objs;   /* n objects, NULL if none */
    int32_t n;
    int32_t n_duplicates;          /* identical rows dropped (Ultralytics warns and drops them) */
    int     found;                 /* 0: no label file, which means "no objects" */
    int     segments;              /* 1: polygon rows, converted to their bounding boxes */
};

/* Reads a YOLO label file: one object per line, "cls xc yc w h", normalised; blank lines are
 * skipped. Ultralytics' rules: if any row has more than 6 columns, every row is a polygon
 * "cls x1 y1 x2 y2 ..." and becomes its bounding box; otherwise every row needs exactly 5
 * columns. Values must be finite, the class a whole number in 0..n_classes-1 (n_classes <= 0:
 * no upper bound), xc yc w h in [0, 1]. Identical rows are dropped (and, when any is, the rows
 * come back sorted, as np.unique(axis=0) leaves them). A missing file is not an error
 * (found = 0, n = 0). Errors: YOLO_ERR_FORMAT "<file>:<line>: <problem>" (the caller decides
 * to skip the image), YOLO_ERR_IO, YOLO_ERR_NOMEM. *out is overwritten (release it). */
int  yolo_label_file_read(const char *path, int32_t n_classes, struct yolo_label_file *out,
                          struct yolo_diag *d);
void yolo_label_file_release(struct yolo_label_file *lf);   /* frees, zeroes *lf */

/* An object's box in pixels of an img_w x img_h image, xyxy: x1 = (xc - w/2) * img_w ...
 * (Ultralytics reaches the same numbers through the letterboxed image and back, which can
 * differ in the last float bits.) */
void yolo_label_obj_xyxy(const struct yolo_label_obj *o, int32_t img_w, int32_t img_h,
                         float xyxy[4]);

#endif
