/* dfl_avx2.c: the kernel of dfl_body.h built for AVX2 + FMA (8 floats). */
#define ISA_FN(name) name##_avx2
#include "dfl_body.h"
