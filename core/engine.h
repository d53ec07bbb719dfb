/* engine.h: the engine file (.engine): a built graph, its weights, labels and metadata, in a
 * form that is mmap'd and used in place.
 *
 * Format 2.0 (1.x: ops by numeric id and pre-packed CPU weights; refused with "rebuild"). Everything is little-endian and encoded field by field (no struct is ever
 * written as is, so padding and host int sizes never reach the disk).
 *
 *   0   char[8] magic "YOLOENG\0"
 *   8   u16 major (2), u16 minor (0)     major: incompatible layout; minor: new sections only
 *   12  u32 header_bytes                 32 + 32 * n_sections (the fixed header + the table)
 *   16  u32 endian_check 0x01020304
 *   20  u32 n_sections
 *   24  u64 file_bytes                   the whole file; a shorter file is a truncated one
 *   32  section table, n_sections x 32 bytes:
 *         u32 tag, u32 flags (0 in 1.x), u64 offset, u64 bytes, u32 crc32, u32 reserved (0)
 *
 * Sections start on 64-byte boundaries (WGHT on a 4096-byte one, so the weights can be used
 * straight from the mapping), never overlap, and every byte that belongs to no section is
 * zero. A section's crc32 covers its table entry's tag and flags (8 little-endian bytes) and
 * then its bytes, so a corrupted tag cannot silently turn a section into an unknown one.
 * Tags are 4 ASCII characters read as a little-endian u32 ("META" on disk):
 *
 *   META  u32 count, count x { u32 key_len, key, u32 value_len, value }   (UTF-8, no NUL)
 *   LBLS  u32 count, count x { u32 len, bytes }                          (optional)
 *   TNSR  u32 n_tensors, per tensor: u32 dtype, i32 ndim, i64 shape[YOLO_MAX_DIMS] (0 past
 *         ndim), u32 flags, u64 offset, u16 name_len, name
 *   GRPH  u32 n_inputs, i32 inputs[], u32 n_outputs, i32 outputs[], u64 arena_bytes,
 *         u32 n_nodes, per node: u16 op_len, op (the op's stable name, e.g. "Conv"), i32 n_in, i32 n_out, i32 in[n_in], i32 out[n_out],
 *         u32 n_params, i64 params[], u32 n_fparams, f32 fparams[], u16 name_len, name
 *   WGHT  the graph's const blob as is; CONST tensor offsets index into it (64-byte aligned).
 *         Weights are stored once, as the model defines them, in the build's precision (META
 *         "precision"); a backend prepares its own layout from them at load (core/backend.h).
 *
 * Readers skip sections with unknown tags (a later minor version may add some) but still
 * check their bounds and CRC. The loader treats the file as hostile: see engine_read.c.
 */
#ifndef YOLO_ENGINE_H
#define YOLO_ENGINE_H

#include "yolo_core.h"

#define YOLO_ENGINE_MAGIC        "YOLOENG"   /* + its NUL: 8 bytes */
#define YOLO_ENGINE_MAJOR        2
#define YOLO_ENGINE_MINOR        0
#define YOLO_ENGINE_HEADER_FIXED 32u         /* bytes before the section table */
#define YOLO_ENGINE_ENTRY_BYTES  32u         /* bytes of one section table entry */
#define YOLO_ENGINE_ENDIAN_CHECK 0x01020304u
#define YOLO_ENGINE_ALIGN        64u         /* every section */
#define YOLO_ENGINE_WEIGHT_ALIGN 4096u       /* WGHT: a page, so mmap'd weights work in place */

/* Caps on what a file may claim, so a hostile count cannot make the loader allocate much. */
#define YOLO_ENGINE_MAX_SECTIONS 64
#define YOLO_ENGINE_MAX_META     1024
#define YOLO_ENGINE_MAX_LABELS   65536
#define YOLO_ENGINE_MAX_STRING   (1u << 20)  /* one META key or value, or one label */

#define YOLO_ENGINE_TAG(a, b, c, d) \
    ((uint32_t)(a) | (uint32_t)(b) << 8 | (uint32_t)(c) << 16 | (uint32_t)(d) << 24)
#define YOLO_ENGINE_TAG_META YOLO_ENGINE_TAG('M', 'E', 'T', 'A')
#define YOLO_ENGINE_TAG_LBLS YOLO_ENGINE_TAG('L', 'B', 'L', 'S')
#define YOLO_ENGINE_TAG_TNSR YOLO_ENGINE_TAG('T', 'N', 'S', 'R')
#define YOLO_ENGINE_TAG_GRPH YOLO_ENGINE_TAG('G', 'R', 'P', 'H')
#define YOLO_ENGINE_TAG_WGHT YOLO_ENGINE_TAG('W', 'G', 'H', 'T')

struct yolo_engine_section { uint32_t tag, flags; uint64_t offset, bytes; uint32_t crc32; };

/* A loaded engine. Owns the mapping, the graph's arrays and the metadata; read-only once
 * loaded, so any number of threads may read it at the same time. */
struct yolo_engine {
    struct yolo_graph graph;          /* consts point into the mapping (owns_consts = 0) */
    struct yolo_kv *meta; int32_t n_meta;        /* in file order */
    char **labels; int32_t n_labels;
    uint16_t major, minor; uint64_t file_bytes;
    struct yolo_engine_section *sections; int32_t n_sections;   /* the table, unknown tags too */
    void *map; size_t map_bytes; int mapped;     /* mmap'd, or a 64-byte-aligned malloc'd copy */
};

/* An extra section for yolo_engine_write_ex: a tag the 1.0 reader does not know (a later
 * minor version's section, or a test's). data is borrowed. */
struct yolo_engine_extra { uint32_t tag; const void *data; uint64_t bytes; };

/* Writes g (tensors, nodes, inputs/outputs, arena size, const blob), meta and labels to path.
 * All pointers are borrowed. The file is written to "<path>.tmp.<pid>", fsync'd and renamed
 * over path, so a failed write (ENOSPC, EFBIG, EIO, ...) leaves no file at path, no temp
 * file, and an existing file at path untouched. Callers should have run yolo_graph_check:
 * the writer rejects only what the file cannot encode (YOLO_ERR_ARG). Thread-safe. */
int yolo_engine_write(const char *path, const struct yolo_graph *g, const struct yolo_kv *meta,
                      int32_t n_meta, const char *const *labels, int32_t n_labels,
                      struct yolo_diag *d);
/* The same, appending n_extra sections with tags other than the five above. */
int yolo_engine_write_ex(const char *path, const struct yolo_graph *g, const struct yolo_kv *meta,
                         int32_t n_meta, const char *const *labels, int32_t n_labels,
                         const struct yolo_engine_extra *extra, int32_t n_extra,
                         struct yolo_diag *d);

enum {
    YOLO_ENGINE_NO_VERIFY_WEIGHTS = 1,  /* skip the CRC of WGHT only (`--no-verify`) */
    YOLO_ENGINE_NO_MMAP           = 2   /* read into memory even where mmap works (tests) */
};
/* Loads and fully validates an engine: header, section table, CRCs, every count, index and
 * offset, then yolo_graph_check (shapes re-inferred). On success *out is transferred to the
 * caller (free with yolo_engine_free); on failure *out is NULL, nothing is leaked and d says
 * "<path>: <section/node>: <problem>". Thread-safe. If the file is truncated by someone else
 * while mapped, access faults (SIGBUS): engines are meant to be replaced by rename. */
int  yolo_engine_load(const char *path, unsigned flags, struct yolo_engine **out,
                      struct yolo_diag *d);
void yolo_engine_free(struct yolo_engine *e);           /* NULL ok */
/* The value of META key `key` (borrowed from e), or NULL if absent. */
const char *yolo_engine_meta_get(const struct yolo_engine *e, const char *key);

/* Standard CRC-32 (zlib's polynomial 0xEDB88320, reflected): start with crc = 0 and feed
 * the result back in to continue. yolo_crc32(0, "123456789", 9) == 0xCBF43926. */
uint32_t yolo_crc32(uint32_t crc, const void *buf, size_t len);

/* Validates a graph as the runtime relies on it: every tensor and node index in range (-1
 * only for absent node inputs), inputs/outputs valid, nodes in topological order (each input
 * const, a graph input or produced by an earlier node; each tensor produced at most once;
 * never a CONST tensor written), CONST bytes inside the const blob, other tensors inside the
 * arena, and every node's shape_fn re-run on copies, its output dtypes and shapes compared
 * with the stored ones. g is not modified. Returns 0 or a status with d set. */
int yolo_graph_check(const struct yolo_graph *g, struct yolo_diag *d);

#endif
