// See include/CSharedMemory.h: everything is static inline there; a C target needs one source.
#include "CSharedMemory.h"
