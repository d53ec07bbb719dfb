/* sources.h: what `yolo detect` reads: files, directories (optionally recursive), quoted
 * globs and .txt lists of paths, expanded into one ordered list of image paths. */
#ifndef YOLO_CLI_SOURCES_H
#define YOLO_CLI_SOURCES_H

#include <stdint.h>

struct source_list {
    char  **paths;
    int32_t *name_at;            /* paths[i] + name_at[i]: its output name (see below) */
    char  **names;               /* after sources_name_outputs: unique output names */
    int64_t n, cap;
};

/* Appends the images `src` names. A directory contributes files with an image extension
 * (jpg jpeg png bmp webp tif tiff dng mpo pfm, any case), sorted; subdirectories too with
 * recursive. A glob is expanded (files only). A .txt file is a list: one path per line,
 * relative paths against the list's folder, blank lines and #comments skipped. Any other
 * existing file is taken as an image, whatever its name. Returns 0, or 1 with a message in
 * err (missing source, unreadable directory, empty glob, out of memory). */
int  sources_add(struct source_list *l, const char *src, int recursive, char *err, size_t err_cap);
/* Names each image's outputs (annotated copy, label file) relative to the save folder: the
 * file name, or for images found by a recursive directory scan the path below that
 * directory (so a/0001.jpg and b/0001.jpg do not overwrite each other). A name that is still
 * taken by an earlier image gets _2, _3, ... before its extension. 0, or 1 on out of memory. */
int  sources_name_outputs(struct source_list *l, char *err, size_t err_cap);
void sources_free(struct source_list *l);

#endif
