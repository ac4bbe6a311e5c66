/* statx(2) needs _GNU_SOURCE; the header stays free of feature macros so that its declarations
   match those of every other module that includes the same system headers. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "posix_shims.h"

static void fill_identity(const struct statx *info, wuscrub_identity *out) {
    out->mode = info->stx_mode;
    out->size = info->stx_size;
    out->device = ((uint64_t)info->stx_dev_major << 32) | info->stx_dev_minor;
    out->inode = info->stx_ino;
    out->links = info->stx_nlink;
    out->has_mount_id = (info->stx_mask & STATX_MNT_ID) != 0;
    out->mount_id = out->has_mount_id ? info->stx_mnt_id : 0;
    out->changed_ns = (int64_t)info->stx_ctime.tv_sec * 1000000000 + info->stx_ctime.tv_nsec;
    out->modified_ns = (int64_t)info->stx_mtime.tv_sec * 1000000000 + info->stx_mtime.tv_nsec;
}

int wuscrub_fd_identity(int fd, wuscrub_identity *out) {
    struct statx info;
    if (statx(fd, "", AT_EMPTY_PATH | AT_STATX_SYNC_AS_STAT, STATX_BASIC_STATS | STATX_MNT_ID, &info) != 0) {
        return -1;
    }
    fill_identity(&info, out);
    return 0;
}

int wuscrub_name_identity(int dirfd, const char *name, wuscrub_identity *out) {
    struct statx info;
    if (statx(dirfd, name, AT_SYMLINK_NOFOLLOW | AT_STATX_SYNC_AS_STAT, STATX_BASIC_STATS | STATX_MNT_ID, &info) != 0) {
        return -1;
    }
    fill_identity(&info, out);
    return 0;
}

/* Whether a kernel copy call said "not between these two files": try the next way. */
static int unsupported(int error) {
    return error == EXDEV || error == EINVAL || error == ENOSYS || error == EOPNOTSUPP || error == EBADF;
}

long long wuscrub_copy_range(int in, long long in_offset, int out, long long count) {
    long long done = 0;
    int way = 0; /* 0 copy_file_range, 1 sendfile, 2 read/write */
    char *buffer = NULL;
    while (done < count) {
        size_t chunk = (size_t)(count - done > (1 << 30) ? (1 << 30) : count - done);
        off_t offset = (off_t)(in_offset + done);
        ssize_t n;
        if (way == 0) {
            n = copy_file_range(in, &offset, out, NULL, chunk, 0);
        } else if (way == 1) {
            n = sendfile(out, in, &offset, chunk);
        } else {
            if (buffer == NULL && (buffer = malloc(1 << 20)) == NULL) { errno = ENOMEM; return -1; }
            n = pread(in, buffer, chunk < (1 << 20) ? chunk : (1 << 20), offset);
            if (n > 0) {
                ssize_t written = 0;
                while (written < n) {
                    ssize_t w = write(out, buffer + written, (size_t)(n - written));
                    if (w < 0 && errno == EINTR) continue;
                    if (w <= 0) { int e = w < 0 ? errno : EIO; free(buffer); errno = e; return -1; }
                    written += w;
                }
            }
        }
        if (n < 0) {
            if (errno == EINTR) continue;
            /* Only before the first byte: a way that copied some and then failed is an error. */
            if (way < 2 && done == 0 && unsupported(errno)) { way++; continue; }
            int e = errno; free(buffer); errno = e;
            return -1;
        }
        if (n == 0) break;
        done += n;
    }
    free(buffer);
    return done;
}


int wuscrub_move_noreplace(int old_dir, const char *old_name, int new_dir, const char *new_name) {
    if (syscall(SYS_renameat2, old_dir, old_name, new_dir, new_name, RENAME_NOREPLACE) == 0) return 0;
    if (errno != EINVAL && errno != ENOSYS) return -1;
    struct stat existing;
    if (fstatat(new_dir, new_name, &existing, AT_SYMLINK_NOFOLLOW) == 0) {
        errno = EEXIST;
        return -1;
    }
    if (errno != ENOENT) return -1;
    return renameat(old_dir, old_name, new_dir, new_name);
}
