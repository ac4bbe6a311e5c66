#ifndef WUSCRUB_POSIX_SHIMS_H
#define WUSCRUB_POSIX_SHIMS_H

/* POSIX/Linux headers the Swift Glibc module does not export. */
#include <sys/xattr.h>
#include <sys/file.h>
#include <pty.h>

#endif
