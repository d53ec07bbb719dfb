/* dfl_avx512.c: the kernel of dfl_body.h built for AVX-512 (16 floats). */
#define ISA_FN(name) name##_avx512
#include "dfl_body.h"
