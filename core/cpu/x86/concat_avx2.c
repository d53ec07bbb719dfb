/* concat_avx2.c: the kernels of concat_body.h built for AVX2 (8 words). */
#define ISA_FN(name) name##_avx2
#include "concat_body.h"
