#ifndef WUSCRUB_CHIVEX_SHIM_H
#define WUSCRUB_CHIVEX_SHIM_H

#include <hivex.h>
#include <errno.h>

/// Reads the calling thread's errno (Swift cannot read the C macro directly in every mode).
static inline int chivex_errno(void) { return errno; }

/// Clears errno before a hivex call whose "not found" answer leaves errno untouched.
static inline void chivex_clear_errno(void) { errno = 0; }

#endif
