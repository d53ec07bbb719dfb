/* transpose_avx2.c: the kernel of transpose_body.h built for AVX2 + FMA. */
#define ISA_FN(name) name##_avx2
#include "transpose_body.h"
