/* concat_avx512.c: the kernels of concat_body.h built for AVX-512 (16 words). */
#define ISA_FN(name) name##_avx512
#include "concat_body.h"
