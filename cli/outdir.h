/* outdir.h: what the commands that write outputs share: creating the output folder (and
 * proving it writable before any work starts), and the --classes list. */
#ifndef YOLO_CLI_OUTDIR_H
#define YOLO_CLI_OUTDIR_H

#include <stddef.h>
#include <stdint.h>

/* mkdir -p dir, then dir/sub when sub is not NULL; then creates and removes a probe file so
 * an unwritable folder fails now, not after an hour of work. 0, or -1 with err filled. */
int cli_prepare_dir(const char *dir, const char *sub, char *err, size_t cap);
/* Ultralytics' increment_path: base itself when exist_ok or when it does not exist yet, else
 * the first of base2, base3, ... that does not exist (runs/detect, runs/detect2, ...). */
void cli_pick_save_dir(const char *base, int exist_ok, char *out, size_t cap);
/* "0,2,5" -> out[0..*n); -1 if malformed, empty or more than cap ids. */
int cli_parse_classes(const char *s, int32_t *out, int32_t cap, int32_t *n);

#endif
