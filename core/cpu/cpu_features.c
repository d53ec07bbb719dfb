/* cpu.c: what the CPU can do, read once, and which kernel family to use. */
#include <stdio.h>
#include <string.h>

#include "cpu/cpu.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
static void read_brand(char *out, size_t n)
{
    unsigned regs[12];
    unsigned max = __get_cpuid_max(0x80000000u, NULL);
    if (max < 0x80000004u) {
        snprintf(out, n, "unknown x86 CPU");
        return;
    }
    for (unsigned i = 0; i < 3; i++)
        __get_cpuid(0x80000002u + i, &regs[i * 4], &regs[i * 4 + 1], &regs[i * 4 + 2], &regs[i * 4 + 3]);
    char brand[49];
    memcpy(brand, regs, 48);
    brand[48] = 0;
    const char *p = brand;
    while (*p == ' ')
        p++;
    snprintf(out, n, "%s", p);
}
#endif

void yolo_cpu_detect(struct yolo_cpu *cpu)
{
    memset(cpu, 0, sizeof *cpu);
#if defined(__x86_64__) || defined(__i386__)
    /* __builtin_cpu_supports also checks that the OS saves the wide registers (XGETBV). */
    __builtin_cpu_init();
    cpu->avx2 = __builtin_cpu_supports("avx2");
    cpu->fma = __builtin_cpu_supports("fma");
    cpu->avx512f = __builtin_cpu_supports("avx512f");
    cpu->avx512bw = __builtin_cpu_supports("avx512bw");
    cpu->avx512vl = __builtin_cpu_supports("avx512vl");
    cpu->avx512vnni = __builtin_cpu_supports("avx512vnni");
    cpu->avx512bf16 = __builtin_cpu_supports("avx512bf16");
    cpu->avx512vbmi = __builtin_cpu_supports("avx512vbmi");
    /* AVX-VNNI from CPUID (leaf 7, subleaf 1, EAX bit 4): clang 14, which builds the fuzz
     * targets, does not know the name "avxvnni"; its ymm state is what avx2 already checked */
    unsigned a = 0, b = 0, c = 0, d = 0;
    cpu->avxvnni = cpu->avx2 && __get_cpuid_count(7, 1, &a, &b, &c, &d) && (a >> 4 & 1u);
    read_brand(cpu->model, sizeof cpu->model);
#else
    snprintf(cpu->model, sizeof cpu->model, "non-x86 CPU");
#endif
}

enum yolo_isa yolo_isa_select(const struct yolo_cpu *cpu, const char *forced)
{
    enum yolo_isa best = YOLO_ISA_REF;
    if (cpu->avx2 && cpu->fma)
        best = YOLO_ISA_AVX2;
    if (best == YOLO_ISA_AVX2 && cpu->avx512f && cpu->avx512bw && cpu->avx512vl)
        best = YOLO_ISA_AVX512;
    if (forced && *forced) {
        enum yolo_isa want = best;
        if (strcmp(forced, "ref") == 0)
            want = YOLO_ISA_REF;
        else if (strcmp(forced, "avx2") == 0)
            want = YOLO_ISA_AVX2;
        else if (strcmp(forced, "avx512") == 0)
            want = YOLO_ISA_AVX512;
        if (want < best)   /* never more than the CPU has */
            best = want;
    }
    return best;
}

const char *yolo_isa_name(enum yolo_isa isa)
{
    switch (isa) {
    case YOLO_ISA_REF: return "ref";
    case YOLO_ISA_AVX2: return "avx2";
    case YOLO_ISA_AVX512: return "avx512";
    }
    return "?";
}
