#ifndef WUSCRUB_SANDBOX_H
#define WUSCRUB_SANDBOX_H

/* The sandbox wuscrub's hivex child enters before it parses an untrusted hive.
 *
 * The child inherits exactly these descriptors (the parent sets them up with posix_spawn):
 *   0, 1  /dev/null
 *   2     a memfd that captures stderr (hivex's assertion messages)
 *   3     the input hive: a sealed memfd (no write, grow, shrink)
 *   4     the output hive: an empty memfd the child may write and truncate
 *   5     the result message: an empty memfd
 * hivex only takes file names: the child passes it the two names below, and the seccomp filter
 * traps an openat of exactly these two string addresses; the SIGSYS handler answers with a
 * duplicate of descriptor 3 or 4. Every other openat kills the process.
 */

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define WUSCRUB_SANDBOX_STDERR_FD 2
#define WUSCRUB_SANDBOX_INPUT_FD 3
#define WUSCRUB_SANDBOX_OUTPUT_FD 4
#define WUSCRUB_SANDBOX_RESULT_FD 5
/* The first descriptor the child does not inherit. */
#define WUSCRUB_SANDBOX_FIRST_CLOSED_FD 6

/* The uid and gid the child drops to when started as root (nobody / nogroup). */
#define WUSCRUB_SANDBOX_UID 65534
#define WUSCRUB_SANDBOX_GID 65534

/* The name that stands for the input hive: pass this very pointer to hivex_open. */
const char *wuscrub_sandbox_input_name(void);
/* The name that stands for the output hive: pass this very pointer to hivex_commit. */
const char *wuscrub_sandbox_output_name(void);

/* Loads the iconv conversions hivex uses (UTF-16LE and LATIN1 to and from UTF-8) and keeps them
 * open, so that glibc never opens gconv files after the filter. Returns 0, or -1 with errno. */
int wuscrub_sandbox_warm_up(void);

/* Enters the sandbox: resource limits, uid/gid drop when root, no_new_privs, not dumpable, the
 * crash signals back to their default action, the SIGSYS handler, then the seccomp filter.
 * input_size (the input hive's size) sets the address-space limit. Returns 0, or -1 with errno
 * set and *step naming the step that failed. Call it once, before touching untrusted data. */
int wuscrub_sandbox_enter(uint64_t input_size, const char **step);

/* The resource limits the child runs under. */
#define WUSCRUB_SANDBOX_CPU_SECONDS 10
/* Address space: 1 GiB + 3 x the input, at most 5 GiB. Measured: a 120 MB hive edited in write
 * mode (hivex holds the whole file in memory) peaks at about 205 MB of address space, of which
 * about 80 MB is the Swift runtime and its libraries. */
#define WUSCRUB_SANDBOX_ADDRESS_SPACE_BASE (1ULL << 30)
#define WUSCRUB_SANDBOX_ADDRESS_SPACE (5ULL << 30)
uint64_t wuscrub_sandbox_address_space(uint64_t input_size);
#define WUSCRUB_SANDBOX_FILE_SIZE (4ULL << 30)
#define WUSCRUB_SANDBOX_OPEN_FILES 16

/* Parent-side helpers the Swift Glibc module does not export. */
int wuscrub_memfd_create(const char *name);
int wuscrub_memfd_seal(int fd);
int wuscrub_spawn_addclosefrom(void *actions, int from);
/* Waits for a child to end, at most timeout_ms: 0 and its wait status in *status, 1 when the time
   ran out (the child still runs), -1 with errno. Woken by the child's exit itself (a pidfd,
   Linux 5.3), never by polling; before 5.3, a 1 ms sleep loop. */
int wuscrub_wait_child(int pid, long long timeout_ms, int *status);

/* Test hooks, defined in debug builds only (WUSCRUB_TEST_HOOKS): each tries one forbidden thing
 * after the filter and returns only if it was not stopped. */
int wuscrub_sandbox_test_open(void);
int wuscrub_sandbox_test_connect(void);
int wuscrub_sandbox_test_exec(void);

#endif
