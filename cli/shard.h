/* shard.h: batch runs spread over machines and continued after a crash.
 *
 *   - shard K of N: a contiguous share of the full, deterministically ordered source list,
 *     chosen by --shard K/N or by a job array's environment (Slurm's SLURM_ARRAY_TASK_ID,
 *     Kubernetes Indexed Jobs' JOB_COMPLETION_INDEX with --shards N);
 *   - the per-shard JSON Lines name (detections.00003-of-00016.jsonl);
 *   - the key that identifies an image in a JSON Lines file (its "path" string, exactly as
 *     written), and a set of keys, for --resume and `yolo merge`. */
#ifndef YOLO_CLI_SHARD_H
#define YOLO_CLI_SHARD_H

#include <stddef.h>
#include <stdint.h>

struct shard {
    int k, n;                    /* shard k of n, 0 <= k < n; n == 0: no sharding */
    char how[200];               /* what chose it, for the run's first line */
};

/* "K/N" (0 <= K < N <= 1000000) -> sh. 0, or -1 when malformed. */
int  shard_parse(const char *s, struct shard *sh);
/* With no --shard: SLURM_ARRAY_TASK_ID with SLURM_ARRAY_TASK_COUNT (else _MIN/_MAX; the
 * array must be contiguous) or, with shards_opt (--shards N; 0 = not given), as shard number
 * of N; or JOB_COMPLETION_INDEX with shards_opt. Leaves sh->n = 0 when no
 * job array is seen. 0, or -1 with err filled (inconsistent environment: a usage error). */
int  shard_from_env(int shards_opt, struct shard *sh, char *err, size_t cap);
/* The images [*lo, *hi) of n that shard sh takes (all of them with no sharding). */
void shard_range(int64_t n, const struct shard *sh, int64_t *lo, int64_t *hi);
/* file with the shard inserted before its extension: "d/detections.jsonl" ->
 * "d/detections.00003-of-00016.jsonl"; unchanged when sh->n <= 1. */
void shard_file_name(const char *file, const struct shard *sh, char *out, size_t cap);

/* The JSON string of path as JSON Lines carry it (quotes included), by yolo_json_escape:
 * valid JSON for any bytes, reversibly. malloc'd; NULL when out of memory. */
char *json_path_string(const char *path);
/* The path string (with its quotes) of a line `{"path": "...", ...}`; 0, or -1 if the line
 * is not one of ours. */
int  jsonl_line_path(const char *line, size_t len, const char **key, size_t *key_len);

/* A set of byte strings (copied in). */
struct str_set {
    char  **slot;
    size_t *len;
    uint64_t mask, n;
};
/* 1 if (s, len) was already in the set, 0 if added now, -1 when out of memory. */
int  str_set_add(struct str_set *set, const char *s, size_t len);
int  str_set_has(const struct str_set *set, const char *s, size_t len);
void str_set_free(struct str_set *set);

/* --resume: the images a JSON Lines file already holds. A last line without its newline
 * (torn by a kill or a full disk) is cut off the file, its size in *torn_bytes. A missing
 * file holds nothing. 0, or -1 with err filled (unreadable file, a line that is not ours). */
int  jsonl_load_done(const char *path, struct str_set *done, int64_t *n_lines, int64_t *torn_bytes,
                     char *err, size_t cap);

#endif
