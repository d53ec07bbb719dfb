/* maxpool_avx512.c: the kernels of maxpool_body.h built for AVX-512 (16 floats). */
#define ISA_FN(name) name##_avx512
#include "maxpool_body.h"
