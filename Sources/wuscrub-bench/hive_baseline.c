/* hive_baseline: the least a durable wuauserv edit can cost, for `make bench` to compare wuscrub's
 * hive phase with (docs/testing.md §8). Not part of wuscrub; the bench harness compiles it with
 * `cc -O2 ... -lhivex`.
 *
 *   hive_baseline SYSTEM BACKUP
 *
 * The same durable steps as a reset on an empty tree, and nothing else (no checks, no journal,
 * no sandbox):
 *   1. copy SYSTEM to BACKUP, fsync it and its folder;
 *   2. hivex: Start = 4 under every ControlSet*\Services\wuauserv, commit to a temporary file,
 *      fsync, rename over SYSTEM, fsync the folder;
 *   3. copy BACKUP to a temporary file, fsync, rename over SYSTEM, fsync the folder.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <hivex.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

static void die(const char *what, const char *path) {
    fprintf(stderr, "hive_baseline: %s %s: %s\n", what, path, strerror(errno));
    exit(1);
}

static void sync_folder_of(const char *path) {
    char *copy = strdup(path);
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY);
    if (fd < 0 || fsync(fd) != 0) die("fsync the folder of", path);
    close(fd);
    free(copy);
}

static void sync_file(const char *path) {
    int fd = open(path, O_RDONLY);
    if (fd < 0 || fsync(fd) != 0) die("fsync", path);
    close(fd);
}

/* Copies source to target (created or truncated) in the kernel, then fsyncs target. */
static void copy_file(const char *source, const char *target) {
    int in = open(source, O_RDONLY);
    if (in < 0) die("open", source);
    struct stat info;
    if (fstat(in, &info) != 0) die("stat", source);
    int out = open(target, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (out < 0) die("create", target);
    off_t left = info.st_size;
    while (left > 0) {
        ssize_t n = copy_file_range(in, NULL, out, NULL, (size_t)left, 0);
        if (n <= 0) die("copy to", target);
        left -= n;
    }
    if (fsync(out) != 0) die("fsync", target);
    close(out);
    close(in);
}

int main(int argc, char **argv) {
    if (argc != 3) { fprintf(stderr, "usage: hive_baseline SYSTEM BACKUP\n"); return 2; }
    const char *hive = argv[1], *backup = argv[2];
    char temporary[4096];
    snprintf(temporary, sizeof temporary, "%s.baseline.tmp", hive);

    copy_file(hive, backup);
    sync_folder_of(backup);

    hive_h *h = hivex_open(hive, HIVEX_OPEN_WRITE);
    if (h == NULL) die("hivex_open", hive);
    hive_node_h root = hivex_root(h);
    hive_node_h *sets = hivex_node_children(h, root);
    int edited = 0;
    for (size_t i = 0; sets != NULL && sets[i] != 0; i++) {
        char *name = hivex_node_name(h, sets[i]);
        if (name != NULL && strncasecmp(name, "ControlSet", 10) == 0) {
            hive_node_h services = hivex_node_get_child(h, sets[i], "Services");
            hive_node_h service = services ? hivex_node_get_child(h, services, "wuauserv") : 0;
            if (service) {
                char four[4] = {4, 0, 0, 0};
                hive_set_value value = {.key = "Start", .t = hive_t_REG_DWORD, .len = 4, .value = four};
                if (hivex_node_set_value(h, service, &value, 0) != 0) die("hivex_node_set_value in", hive);
                edited++;
            }
        }
        free(name);
    }
    free(sets);
    if (edited == 0) { errno = ENOENT; die("no wuauserv service in", hive); }
    if (hivex_commit(h, temporary, 0) != 0) die("hivex_commit to", temporary);
    hivex_close(h);
    sync_file(temporary);
    if (rename(temporary, hive) != 0) die("rename over", hive);
    sync_folder_of(hive);

    copy_file(backup, temporary);
    if (rename(temporary, hive) != 0) die("rename over", hive);
    sync_folder_of(hive);
    return 0;
}
