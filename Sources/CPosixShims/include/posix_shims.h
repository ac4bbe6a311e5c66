#ifndef WUSCRUB_POSIX_SHIMS_H
#define WUSCRUB_POSIX_SHIMS_H

/* POSIX/Linux headers the Swift Glibc module does not export. */
#include <sys/xattr.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <pty.h>
#include <fcntl.h>
#include <stdint.h>

/* What one statx(2) call on an open descriptor tells wuscrub: the file's type and size, its
   identity (device, inode) and the mount it was reached through. */
typedef struct wuscrub_identity {
    uint32_t mode;
    uint64_t size;
    uint64_t device;
    uint64_t inode;
    uint64_t links;
    uint64_t mount_id;
    int has_mount_id;
    /* Last status change and last modification, in nanoseconds since the epoch. */
    int64_t changed_ns;
    int64_t modified_ns;
} wuscrub_identity;

/* statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS | STATX_MNT_ID): 0, or -1 with errno set. Where
   the kernel does not report a mount id (before Linux 5.8), has_mount_id is 0. */
int wuscrub_fd_identity(int fd, wuscrub_identity *out);

/* statx(dirfd, name, AT_SYMLINK_NOFOLLOW, …): the entry itself, a link never followed. */
int wuscrub_name_identity(int dirfd, const char *name, wuscrub_identity *out);

/* Copies `count` bytes of `in` from offset `in_offset` to `out` at its file offset, in the kernel:
   copy_file_range(2) where both files allow it (same file system), else sendfile(2), else
   read/write through a 1 MiB buffer (docs/architecture.md §11). Returns the bytes copied (fewer
   than `count` only when `in` ends first), or -1 with errno set. */
long long wuscrub_copy_range(int in, long long in_offset, int out, long long count);

/* Moves `old_name` of `old_dir` to `new_name` of `new_dir` without ever replacing an entry:
   renameat2(RENAME_NOREPLACE). Where the file system does not take the flag (FUSE file systems
   such as ntfs-3g answer EINVAL), the target is looked up without following a link and the plain
   renameat runs only when it is absent (docs/architecture.md §16.2). 0, or -1 with errno set
   (EEXIST when the target exists). */
int wuscrub_move_noreplace(int old_dir, const char *old_name, int new_dir, const char *new_name);

#endif
