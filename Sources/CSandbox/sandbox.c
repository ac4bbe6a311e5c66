/* The hivex child's sandbox: resource limits, uid drop, no_new_privs, a seccomp allow-list.
 *
 * The filter (default: kill the process) allows, on descriptors the child already holds:
 *   read, write, pread64, lseek, fstat, newfstatat (AT_EMPTY_PATH only), close,
 *   fcntl (F_GETFD, F_SETFD, F_GETFL, F_DUPFD_CLOEXEC), ftruncate,
 *   mmap (neither MAP_FIXED nor MAP_FIXED_NOREPLACE nor PROT_EXEC), mprotect (no PROT_EXEC),
 *   munmap, mremap (no MREMAP_FIXED), brk, madvise,
 *   futex, rt_sigreturn, rt_sigprocmask, getpid, gettid, getuid, getgid, tgkill (own process, SIGABRT only, for
 *   abort() after a failed assertion), clock_gettime, getrandom, exit, exit_group;
 * and traps (SIGSYS, emulated by the handler below) openat(AT_FDCWD, name) for exactly the two
 * addresses returned by wuscrub_sandbox_input_name and wuscrub_sandbox_output_name. Nothing else:
 * no other open, no execve, no socket, no ptrace, no kill of another process.
 */
#define _GNU_SOURCE
#include "wuscrub_sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <iconv.h>
#include <signal.h>
#include <spawn.h>
#include <poll.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include <seccomp.h>

#if defined(__x86_64__)
#define ARG0(uc) ((uc)->uc_mcontext.gregs[REG_RDI])
#define ARG1(uc) ((uc)->uc_mcontext.gregs[REG_RSI])
#define ARG2(uc) ((uc)->uc_mcontext.gregs[REG_RDX])
#define RESULT(uc) ((uc)->uc_mcontext.gregs[REG_RAX])
#elif defined(__aarch64__)
#define ARG0(uc) ((uc)->uc_mcontext.regs[0])
#define ARG1(uc) ((uc)->uc_mcontext.regs[1])
#define ARG2(uc) ((uc)->uc_mcontext.regs[2])
#define RESULT(uc) ((uc)->uc_mcontext.regs[0])
#else
#error "wuscrub's sandbox knows the SIGSYS register layout of x86_64 and aarch64 only"
#endif

static const char input_name[] = "wuscrub-sandbox:input";
static const char output_name[] = "wuscrub-sandbox:output";

const char *wuscrub_sandbox_input_name(void) { return input_name; }
const char *wuscrub_sandbox_output_name(void) { return output_name; }

/* iconv descriptors kept open for the life of the process (see wuscrub_sandbox_warm_up). */
static iconv_t warm[4];

int wuscrub_sandbox_warm_up(void) {
    /* The four conversions of hivex's _hivex_get_iconv, with the same names. */
    static const char *const pairs[4][2] = {
        {"LATIN1", "UTF-8"}, {"UTF-8", "LATIN1"}, {"UTF-16LE", "UTF-8"}, {"UTF-8", "UTF-16LE"},
    };
    for (int i = 0; i < 4; i++) {
        if (warm[i] != NULL) continue;
        iconv_t cd = iconv_open(pairs[i][0], pairs[i][1]);
        if (cd == (iconv_t)-1) return -1;
        char in[4] = "ab", out[16];
        char *inp = in, *outp = out;
        size_t inlen = 2, outlen = sizeof out;
        (void)iconv(cd, &inp, &inlen, &outp, &outlen);
        warm[i] = cd;
    }
    return 0;
}

/* Emulates the trapped openat: only ever hands out a duplicate of descriptor 3 or 4. */
static void on_sigsys(int signal, siginfo_t *info, void *context) {
    (void)signal;
    ucontext_t *uc = context;
    int saved = errno;
    long result = -EPERM;
    if (info->si_syscall == SYS_openat && (int)ARG0(uc) == AT_FDCWD) {
        const char *name = (const char *)ARG1(uc);
        int flags = (int)ARG2(uc);
        if (name == input_name && (flags & O_ACCMODE) == O_RDONLY) {
            /* The duplicate shares the file offset: hivex reads from the start in write mode. */
            if (lseek(WUSCRUB_SANDBOX_INPUT_FD, 0, SEEK_SET) != 0) {
                result = -errno;
            } else {
                int fd = fcntl(WUSCRUB_SANDBOX_INPUT_FD, F_DUPFD_CLOEXEC, 0);
                result = fd < 0 ? -errno : fd;
            }
        } else if (name == output_name && (flags & O_ACCMODE) == O_WRONLY) {
            if (ftruncate(WUSCRUB_SANDBOX_OUTPUT_FD, 0) != 0 || lseek(WUSCRUB_SANDBOX_OUTPUT_FD, 0, SEEK_SET) != 0) {
                result = -errno;
            } else {
                int fd = fcntl(WUSCRUB_SANDBOX_OUTPUT_FD, F_DUPFD_CLOEXEC, 0);
                result = fd < 0 ? -errno : fd;
            }
        }
    }
    RESULT(uc) = result;
    errno = saved;
}

uint64_t wuscrub_sandbox_address_space(uint64_t input_size) {
    uint64_t wanted = WUSCRUB_SANDBOX_ADDRESS_SPACE_BASE + 3 * input_size;
    return wanted < WUSCRUB_SANDBOX_ADDRESS_SPACE ? wanted : WUSCRUB_SANDBOX_ADDRESS_SPACE;
}

/* Lowers a limit to `value`, or keeps the inherited one where it is already lower (an
   unprivileged process cannot raise a hard limit, and a lower one is at least as strict). */
static int limit(int resource, rlim_t value) {
    struct rlimit current;
    if (getrlimit(resource, &current) != 0) return -1;
    if (current.rlim_max != RLIM_INFINITY && current.rlim_max < value) value = current.rlim_max;
    struct rlimit rl = {value, value};
    return setrlimit(resource, &rl);
}

#define ALLOW(name, ...) \
    do { if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(name), __VA_ARGS__)) != 0) goto filter_failed; } while (0)

static int install_filter(const char **step) {
    int rc;
    *step = "seccomp_arch_native";
    uint32_t arch = seccomp_arch_native();
#if defined(__x86_64__)
    if (arch != SCMP_ARCH_X86_64) { errno = ENOTSUP; return -1; }
#elif defined(__aarch64__)
    if (arch != SCMP_ARCH_AARCH64) { errno = ENOTSUP; return -1; }
#endif
    *step = "seccomp_init";
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
    if (ctx == NULL) { errno = ENOMEM; return -1; }
    *step = "seccomp_rule_add";
    ALLOW(read, 0);
    ALLOW(write, 0);
    ALLOW(pread64, 0);
    ALLOW(lseek, 0);
    ALLOW(fstat, 0);
    ALLOW(newfstatat, 1, SCMP_A3(SCMP_CMP_MASKED_EQ, AT_EMPTY_PATH, AT_EMPTY_PATH));
    ALLOW(close, 0);
    ALLOW(fcntl, 1, SCMP_A1(SCMP_CMP_EQ, F_GETFD));
    ALLOW(fcntl, 1, SCMP_A1(SCMP_CMP_EQ, F_SETFD));
    ALLOW(fcntl, 1, SCMP_A1(SCMP_CMP_EQ, F_GETFL));
    ALLOW(fcntl, 1, SCMP_A1(SCMP_CMP_EQ, F_DUPFD_CLOEXEC));
    ALLOW(ftruncate, 0);
    ALLOW(mmap, 2, SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0),
          SCMP_A3(SCMP_CMP_MASKED_EQ, MAP_FIXED | MAP_FIXED_NOREPLACE, 0));
    ALLOW(mprotect, 1, SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
    ALLOW(munmap, 0);
    ALLOW(mremap, 1, SCMP_A3(SCMP_CMP_MASKED_EQ, MREMAP_FIXED, 0));
    ALLOW(brk, 0);
    ALLOW(madvise, 0);
    ALLOW(futex, 0);
    ALLOW(rt_sigreturn, 0);
    ALLOW(rt_sigprocmask, 0);
    ALLOW(getpid, 0);
    ALLOW(gettid, 0);
    ALLOW(getuid, 0);
    ALLOW(getgid, 0);
    ALLOW(tgkill, 2, SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)getpid()), SCMP_A2(SCMP_CMP_EQ, SIGABRT));
    ALLOW(clock_gettime, 0);
    ALLOW(getrandom, 0);
    ALLOW(exit, 0);
    ALLOW(exit_group, 0);
    /* hivex_open(input_name) and hivex_commit(output_name): emulated by on_sigsys. */
    const char *names[2] = {input_name, output_name};
    for (int i = 0; i < 2; i++) {
        rc = seccomp_rule_add(ctx, SCMP_ACT_TRAP, SCMP_SYS(openat), 2,
                              SCMP_A0(SCMP_CMP_MASKED_EQ, 0xFFFFFFFFu, (uint32_t)AT_FDCWD),
                              SCMP_A1(SCMP_CMP_EQ, (scmp_datum_t)(uintptr_t)names[i]));
        if (rc != 0) goto filter_failed;
    }
    *step = "seccomp_load";
    rc = seccomp_load(ctx);
    if (rc != 0) goto filter_failed;
    seccomp_release(ctx);
    return 0;
filter_failed:
    seccomp_release(ctx);
    errno = -rc;
    return -1;
}

int wuscrub_sandbox_enter(uint64_t input_size, const char **step) {
    const char *ignored;
    if (step == NULL) step = &ignored;
    *step = "setrlimit";
    if (limit(RLIMIT_CORE, 0) != 0 || limit(RLIMIT_CPU, WUSCRUB_SANDBOX_CPU_SECONDS) != 0
        || limit(RLIMIT_AS, wuscrub_sandbox_address_space(input_size)) != 0
        || limit(RLIMIT_FSIZE, WUSCRUB_SANDBOX_FILE_SIZE) != 0
        || limit(RLIMIT_NOFILE, WUSCRUB_SANDBOX_OPEN_FILES) != 0) return -1;
    if (geteuid() == 0 || getuid() == 0) {
        *step = "setgroups";
        if (setgroups(0, NULL) != 0) return -1;
        *step = "setgid";
        if (setresgid(WUSCRUB_SANDBOX_GID, WUSCRUB_SANDBOX_GID, WUSCRUB_SANDBOX_GID) != 0) return -1;
        *step = "setuid";
        if (setresuid(WUSCRUB_SANDBOX_UID, WUSCRUB_SANDBOX_UID, WUSCRUB_SANDBOX_UID) != 0) return -1;
        *step = "check the uid drop";
        if (setuid(0) == 0 || seteuid(0) == 0 || getuid() != WUSCRUB_SANDBOX_UID || geteuid() != WUSCRUB_SANDBOX_UID
            || getgid() != WUSCRUB_SANDBOX_GID || getegid() != WUSCRUB_SANDBOX_GID) {
            errno = EPERM;
            return -1;
        }
    }
    *step = "prctl(PR_SET_NO_NEW_PRIVS)";
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return -1;
    *step = "prctl(PR_SET_DUMPABLE)";
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) return -1;
    /* The Swift runtime's crash handlers (its backtracer) would call forbidden system calls on a
     * crash and turn SIGABRT or SIGSEGV into SIGSYS: crashes take the default action instead. */
    *step = "sigaction";
    static const int crashes[] = {SIGABRT, SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP};
    for (size_t i = 0; i < sizeof crashes / sizeof crashes[0]; i++) {
        if (signal(crashes[i], SIG_DFL) == SIG_ERR) return -1;
    }
    *step = "sigaction(SIGSYS)";
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_sigaction = on_sigsys;
    action.sa_flags = SA_SIGINFO;
    sigemptyset(&action.sa_mask);
    if (sigaction(SIGSYS, &action, NULL) != 0) return -1;
    sigset_t sys;
    sigemptyset(&sys);
    sigaddset(&sys, SIGSYS);
    if (sigprocmask(SIG_UNBLOCK, &sys, NULL) != 0) return -1;
    return install_filter(step);
}

int wuscrub_memfd_create(const char *name) {
    return memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
}

int wuscrub_memfd_seal(int fd) {
    return fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL);
}

int wuscrub_spawn_addclosefrom(void *actions, int from) {
    return posix_spawn_file_actions_addclosefrom_np((posix_spawn_file_actions_t *)actions, from);
}

static long long now_ms(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

int wuscrub_wait_child(int pid, long long timeout_ms, int *status) {
    long long deadline = now_ms() + timeout_ms;
    int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    for (;;) {
        pid_t reaped = waitpid(pid, status, WNOHANG);
        if (reaped == pid) { if (pidfd >= 0) close(pidfd); return 0; }
        if (reaped < 0 && errno != EINTR) { int e = errno; if (pidfd >= 0) close(pidfd); errno = e; return -1; }
        long long left = deadline - now_ms();
        if (left <= 0) { if (pidfd >= 0) close(pidfd); return 1; }
        if (pidfd >= 0) {
            struct pollfd ready = {.fd = pidfd, .events = POLLIN};
            (void)poll(&ready, 1, left > 1000 ? 1000 : (int)left);  /* readable once the child has ended */
        } else {
            struct timespec pause = {0, 1000000};
            nanosleep(&pause, NULL);
        }
    }
}

#ifdef WUSCRUB_TEST_HOOKS
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sys/socket.h>

int wuscrub_sandbox_test_open(void) {
    int fd = open("/etc/hostname", O_RDONLY);
    return fd < 0 ? -errno : fd;
}

int wuscrub_sandbox_test_connect(void) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -errno;
    struct sockaddr_in address;
    memset(&address, 0, sizeof address);
    address.sin_family = AF_INET;
    address.sin_port = htons(9);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return connect(fd, (struct sockaddr *)&address, sizeof address) == 0 ? 0 : -errno;
}

int wuscrub_sandbox_test_exec(void) {
    char *argv[] = {"/bin/true", NULL};
    char *envp[] = {NULL};
    execve("/bin/true", argv, envp);
    return -errno;
}
#endif
