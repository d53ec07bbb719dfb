/* space_to_depth_avx512.c: the kernel of space_to_depth_body.h built for AVX-512. */
#define ISA_FN(name) name##_avx512
#include "space_to_depth_body.h"
