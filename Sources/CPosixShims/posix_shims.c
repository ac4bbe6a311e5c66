/* statx(2) needs _GNU_SOURCE; the header stays free of feature macros so that its declarations
   match those of every other module that includes the same system headers. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/stat.h>
#include "posix_shims.h"

static void fill_identity(const struct statx *info, wuscrub_identity *out) {
    out->mode = info->stx_mode;
    out->size = info->stx_size;
    out->device = ((uint64_t)info->stx_dev_major << 32) | info->stx_dev_minor;
    out->inode = info->stx_ino;
    out->links = info->stx_nlink;
    out->has_mount_id = (info->stx_mask & STATX_MNT_ID) != 0;
    out->mount_id = out->has_mount_id ? info->stx_mnt_id : 0;
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
