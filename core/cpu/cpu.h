/* cpu.h: the x86 CPU backend's own view of the machine (CPUID features, the ISA its kernels
 * are picked for) and its per-node kernel choice. Nothing outside core/cpu/ needs this: the
 * runtime sees the CPU only as the backend named "cpu" (backend.h, yolo_backend_cpu).
 *
 *   struct yolo_cpu cpu;  yolo_cpu_detect(&cpu);
 *   enum yolo_isa isa = yolo_isa_select(&cpu, getenv("YOLO_ISA"));
 *   struct yolo_cpu_kernel k;  yolo_cpu_kernel_pick(g, n, isa, packed_kind, &k);
 *   // every thread ith of nth: k.fn(x, n, ith, nth), x->scratch_bytes >= k.scratch(g, n, nth)
 */
#ifndef YOLO_CPU_H
#define YOLO_CPU_H

#include "passes.h"
#include "yolo_core.h"

struct yolo_cpu {                 /* filled by yolo_cpu_detect (CPUID) */
    int avx2, fma, avx512f, avx512bw, avx512vl, avx512vnni, avx512bf16, avxvnni;
    int avx512vbmi;               /* vpermi2b: the int8 kernel's 256-byte table */
    char model[64];
};
void yolo_cpu_detect(struct yolo_cpu *cpu);

/* The kernel family: env YOLO_ISA=ref|avx2|avx512 (or --isa) forces a lower one, never more
 * than the CPU has. */
enum yolo_isa { YOLO_ISA_REF = 0, YOLO_ISA_AVX2 = 1, YOLO_ISA_AVX512 = 2 };
enum yolo_isa yolo_isa_select(const struct yolo_cpu *cpu, const char *forced /* may be NULL */);
const char   *yolo_isa_name(enum yolo_isa isa);
/* isa, lowered to what this CPU can run (tests may ask for more than the CPU has); _on: of
 * a CPU detected once by the caller (CPUID is a trap to the hypervisor in a VM). */
enum yolo_isa yolo_isa_usable(enum yolo_isa isa);
enum yolo_isa yolo_isa_usable_on(const struct yolo_cpu *cpu, enum yolo_isa isa);

/* The kernel the CPU backend runs for one node. */
typedef uint64_t (*yolo_cpu_scratch_fn)(const struct yolo_graph *g, const struct yolo_node *n,
                                        int nth);
struct yolo_cpu_kernel {
    yolo_kernel_fn      fn;       /* never NULL: the op's reference kernel when nothing faster */
    const char         *name;     /* "ref", "avx512", "winograd-f4x4", "gemm8", ... */
    uint64_t            scratch;  /* per-thread scratch bytes for nth threads (set by pick) */
};
/* Picks the fastest kernel for node n at `isa` (packed_kind: the Conv weight layout the
 * backend prepared for it, enum yolo_conv_pack; 0 for every other node) and sizes its
 * per-thread scratch for nth threads. The node must have passed its shape_fn. */
void yolo_cpu_kernel_pick(const struct yolo_graph *g, const struct yolo_node *n, enum yolo_isa isa,
                          int64_t packed_kind, int nth, struct yolo_cpu_kernel *k);
/* The same for a CPU the caller detected once (the backend, for every node of a model). */
void yolo_cpu_kernel_pick_on(const struct yolo_cpu *cpu, const struct yolo_graph *g,
                             const struct yolo_node *n, enum yolo_isa isa, int64_t packed_kind,
                             int nth, struct yolo_cpu_kernel *k);
/* The Conv weight layout the CPU backend packs for node n at `isa` (enum yolo_conv_pack; 0:
 * none). A bf16 Conv gets YOLO_CONV_PACK_BF16 at avx512 on a CPU with AVX512_BF16, else the
 * float32 layouts (its weights are bf16 values in float32: the float kernels run it). */
int64_t yolo_cpu_conv_pack_kind(const struct yolo_graph *g, const struct yolo_node *n,
                                enum yolo_isa isa);
int64_t yolo_cpu_conv_pack_kind_on(const struct yolo_cpu *cpu, const struct yolo_graph *g,
                                   const struct yolo_node *n, enum yolo_isa isa);

/* The CPU backend's split chains (passes.h): for every one whose pass is safe at its Sigmoid
 * (cpu/split_chain_mark.c), chains[sigmoid] and node_data[sigmoid] are set,
 * kernels[sigmoid] becomes yolo_split_chain_avx512/avx2, and its other nodes get skip[] = 2.
 * Nothing at YOLO_ISA_REF. All arrays per node. */
struct yolo_split_chain;
void yolo_split_chain_mark(const struct yolo_graph *g, enum yolo_isa isa,
                           struct yolo_cpu_kernel *kernels, struct yolo_split_chain *chains,
                           const void **node_data, uint8_t *skip);
/* The CPU backend's DFL chains (passes.h, struct yolo_dfl_chain): for every one whose fused
 * pass is safe at its Conv (cpu/dfl_mark.c), dfls[conv] and node_data[conv] are set,
 * kernels[conv] becomes yolo_dfl_avx512/avx2 (x86/dfl_body.h), and the chain's other nodes
 * get skip[] = 2. A QDQ model's form (yolo_dfl_q_find) runs the same way at its
 * QuantizeLinear (yolo_dfl_q_avx512, x86/dfl_q_avx512.c), at avx512 only, where the Softmax
 * is over 16 bins in the last dim (its kernel's one-vector rows, whose sums the pass repeats
 * in the same order: the same bytes as the nodes one by one). Nothing at YOLO_ISA_REF. All
 * arrays per node. */
struct yolo_cpu_dfl {
    int32_t src;       /* the first Transpose's input, read in place */
    int64_t st[4];     /* its strides for the Conv's input dims [N, bins, H, W] */
    float   w[32];     /* the Conv's weights (bins <= YOLO_DFL_MAX_BINS) */
    float   bias;
    /* the QDQ form (yolo_dfl_q_find), at its QuantizeLinear: the scale, the zero point and
     * range of the quantized type, and whether the output is in the c4 layout */
    float   q_scale;
    int32_t q_zp, q_lo, q_hi, q_c4;
};
void yolo_dfl_mark(const struct yolo_graph *g, enum yolo_isa isa, struct yolo_cpu_kernel *kernels,
                   struct yolo_cpu_dfl *dfls, const void **node_data, uint8_t *skip);
/* The CPU backend's QDQ joins (passes.h, struct yolo_concat_q): where the QuantizeLinear
 * runs the AVX-512 kernel, the CPU has AVX512_VBMI (the tables are looked up by vpermi2b),
 * the parts' channels suit the output's layout (c4: multiples of 4) and reading each part's
 * source at the QuantizeLinear is safe (cpu/concat_q_mark.c), the QuantizeLinear runs
 * yolo_concat_q_avx512 (x86/concat_q_avx512.c) on a struct yolo_cpu_concat_q, and the
 * Concat, the Resizes and the DequantizeLinears read by the join only get skip[] = 2. The
 * same bytes as the nodes one by one: a dequantized byte quantized again is the table entry
 * the reference's own arithmetic gave. *cqs gets one entry per join (free() it); nothing at
 * YOLO_ISA_REF. */
struct yolo_cpu_concat_q {
    struct yolo_concat_q cq;
    int64_t c0[YOLO_CQ_MAX_PARTS + 1];    /* the parts' first channels in the output, and C */
    uint8_t lut[YOLO_CQ_MAX_PARTS][256];  /* DQ parts: the output byte of each source byte */
    int32_t grid[YOLO_CQ_MAX_PARTS];      /* a float part whose writer, a QConv on a grid,
                                             writes bytes (cpu/qconv_grid_mark.c): its output
                                             tensor (the part is it or a view of it), whose
                                             bytes lut maps; else -1 */
    float   scale;                        /* the QuantizeLinear's, for the float parts */
    int32_t zp, lo, hi, y_c4;
};
struct yolo_conv_packed;
void yolo_concat_q_mark(const struct yolo_graph *g, enum yolo_isa isa, int vbmi,
                        struct yolo_cpu_kernel *kernels, const struct yolo_conv_packed *packs,
                        const void **node_data, uint8_t *skip, struct yolo_cpu_concat_q **cqs);
/* The CPU backend's QConvs whose float output on a grid only QuantizeLinears (on the AVX-512
 * kernel) and joins' float parts read, directly or through an in-place Split
 * (cpu/qconv_grid_mark.c): with AVX512_VBMI, each gets packs[conv].grid_u8 (it writes the
 * grid's bytes), each join part its table (grid[]), and each QuantizeLinear runs
 * yolo_concat_q_avx512 as a join of one part, an entry of *gqs (free() it). Runs after
 * yolo_concat_q_mark, on its entries cqs. The same bytes as the reference kernels. */
void yolo_qconv_grid_mark(const struct yolo_graph *g, int vbmi, struct yolo_cpu_kernel *kernels,
                          struct yolo_conv_packed *packs, const void **node_data,
                          const uint8_t *skip, struct yolo_cpu_concat_q *cqs,
                          struct yolo_cpu_concat_q **gqs);
/* The CPU backend's convolution outputs joined along the last axis (passes.h, struct
 * yolo_conv_cat): where every convolution runs the GEMM8 kernel's direct 1x1 path or the
 * VNNI int8 kernel with a float32 NCHW output, and writing the joined tensor from the first
 * of them on is safe, each gets packs[conv].cat_* (its rows go straight to their place in the
 * joined tensor) and the Concats get skip[] = 2. Nothing at YOLO_ISA_REF. */
void yolo_conv_cat_mark(const struct yolo_graph *g, enum yolo_isa isa,
                        const struct yolo_cpu_kernel *kernels, struct yolo_conv_packed *packs,
                        const void **node_data, uint8_t *skip);
/* The CPU backend's residual Adds of a convolution's output (passes.h, struct
 * yolo_conv_add): where the convolution runs the VNNI int8 kernel with a float32 NCHW output
 * or a Winograd kernel (float32, bf16) and writing the sum from it on is safe, packs[conv].add_* are set (the kernel adds the
 * other addend as it stores) and the Add gets skip[] = 2. Nothing at YOLO_ISA_REF. */
void yolo_conv_add_mark(const struct yolo_graph *g, enum yolo_isa isa,
                        const struct yolo_cpu_kernel *kernels, struct yolo_conv_packed *packs,
                        const void **node_data, uint8_t *skip);
/* For a load-time fusion that starts at op's nodes: 1 and *u made (yolo_uses_make; free it)
 * where isa is not YOLO_ISA_REF, g has such a node and there is memory, else 0 (then the
 * nodes run one by one). */
int yolo_cpu_fusion_uses(const struct yolo_graph *g, enum yolo_isa isa, enum yolo_op op,
                         struct yolo_uses *u);
/* Whether the arena bytes of activations a and b overlap (cpu/arena_overlap.c); whether node
 * n reads or writes any byte of activation t through a tensor other than the constants and
 * not_a, not_b (-1: none). */
int yolo_cpu_tensors_overlap(const struct yolo_graph *g, int32_t a, int32_t b);
int yolo_cpu_node_touches(const struct yolo_graph *g, const struct yolo_node *n, int32_t t,
                          int32_t not_a, int32_t not_b);
/* The CPU backend's Conv -> Reshape -> Transpose (passes.h, struct yolo_conv_tp): where the
 * Conv runs the GEMM8 kernel on a 1x1 stride-1 unpadded shape and writing the Transpose's
 * output early is safe (cpu/conv_tp_mark.c), packs[conv] gets tp_out and tp_group, the
 * kernel's name says so and the Transpose gets skip[] = 2. Where the Transpose's output
 * feeds a split chain fused by yolo_split_chain_mark (chains[]) and that is safe too, the
 * Conv writes the Sigmoid into the chain's Concat output instead (tp_act) and the chain
 * runs its steps there (sigmoid_done). Nothing at YOLO_ISA_REF. */
struct yolo_conv_packed;
void yolo_conv_tp_mark(const struct yolo_graph *g, enum yolo_isa isa,
                       struct yolo_cpu_kernel *kernels, struct yolo_conv_packed *packs,
                       struct yolo_split_chain *chains, const void **node_data, uint8_t *skip);

#endif
