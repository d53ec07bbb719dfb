/* transpose_avx512.c: the kernel of transpose_body.h built for AVX-512. */
#define ISA_FN(name) name##_avx512
#include "transpose_body.h"
