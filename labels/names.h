/* names.h: class-name lists. */
#ifndef YOLO_NAMES_H
#define YOLO_NAMES_H

#include <stdint.h>

/* The built-in COCO-80 names (labels/coco.names), NULL-terminated; *n gets the count. */
const char *const *yolo_names_coco80(int32_t *n);
/* Parses Ultralytics' `names` metadata ({0: 'person', ...} or ['person', ...]) into a
 * malloc'd array of malloc'd strings. Returns 0, -1 if the text is not such a literal
 * (or keys are not exactly 0..n-1), or -2 if memory ran out. */
int  yolo_names_parse(const char *text, char ***out, int32_t *n_out);
void yolo_names_free(char **names, int32_t n);

#endif
