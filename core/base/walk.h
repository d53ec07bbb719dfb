/* walk.h: the one directory walker and the one image-extension list of the project: what
 * `yolo detect DIR` runs on and what `yolo val` finds in a dataset's folders. */
#ifndef YOLO_BASE_WALK_H
#define YOLO_BASE_WALK_H

#include <stddef.h>

/* 1 if the file name (or path) ends in an image extension: jpg jpeg png bmp webp tif tiff
 * dng mpo pfm, any case (Ultralytics' IMG_FORMATS less heic). */
int yolo_is_image_name(const char *name);

/* Called for each file found; 0 goes on, anything else stops the walk and is returned. */
typedef int (*yolo_walk_fn)(void *user, const char *path);

/* Calls file_fn(user, path) for each regular file in dir whose name passes want (NULL: every
 * file), and with recursive in its subdirectories too. Order: each directory's entries sorted
 * by name (bytes), a subdirectory walked where its name sorts, so the order never depends on
 * the file system. Skipped: names starting with '.', what stat cannot follow (a dangling
 * link), anything but files and directories (a FIFO, a socket), and a directory that is one
 * of those being read (a symlink back up the tree: `find -L` would loop). Returns 0, file_fn's
 * non-zero value, or -1 with err filled: "DIR: cannot read directory: <why>", "DIR:
 * directories nested too deep" (more than 64 levels) or out of memory. Thread-safe. */
int yolo_walk_dir(const char *dir, int recursive, int (*want)(const char *name), yolo_walk_fn file_fn,
                  void *user, char *err, size_t cap);

#endif
