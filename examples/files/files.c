/* Files confined to a granted directory:
 *   mkdir -p /tmp/perch-data && perch run --dir /tmp/perch-data::/data out/examples/files.wasm
 * Appends a line to /data/log.txt, lists /data, makes and removes a directory, sleeps,
 * then checks that paths outside /data are refused. Exit status 0 when all of that held. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int failures = 0;

static void expect_refused(const char *path) {
    int fd = open(path, O_RDONLY);
    if (fd >= 0) {
        printf("ESCAPED: %s could be opened\n", path);
        failures++;
        close(fd);
    } else {
        printf("refused %s: %s\n", path, strerror(errno));
    }
}

int main(void) {
    FILE *log = fopen("/data/log.txt", "a");
    if (!log) {
        printf("cannot open /data/log.txt: %s (run with --dir HOST::/data)\n", strerror(errno));
        return 1;
    }
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    fprintf(log, "run at %lld\n", (long long)now.tv_sec);
    fclose(log);

    log = fopen("/data/log.txt", "r");
    int lines = 0;
    for (int c; (c = fgetc(log)) != EOF;) lines += c == '\n';
    fclose(log);
    printf("/data/log.txt has %d line(s)\n", lines);

    if (mkdir("/data/scratch", 0755) != 0 && errno != EEXIST) { printf("mkdir: %s\n", strerror(errno)); failures++; }
    FILE *tmp = fopen("/data/scratch/a.txt", "w");
    if (tmp) { fputs("temporary\n", tmp); fclose(tmp); }
    if (rename("/data/scratch/a.txt", "/data/scratch/b.txt") != 0) { printf("rename: %s\n", strerror(errno)); failures++; }
    struct stat st;
    if (stat("/data/scratch/b.txt", &st) != 0 || st.st_size != 10) { printf("stat b.txt failed\n"); failures++; }

    DIR *dir = opendir("/data");
    if (!dir) { printf("opendir: %s\n", strerror(errno)); return 1; }
    printf("/data holds:");
    for (struct dirent *e; (e = readdir(dir));) {
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) printf(" %s", e->d_name);
    }
    printf("\n");
    closedir(dir);

    unlink("/data/scratch/b.txt");
    if (rmdir("/data/scratch") != 0) { printf("rmdir: %s\n", strerror(errno)); failures++; }

    struct timespec before, after, nap = {0, 20 * 1000 * 1000};
    clock_gettime(CLOCK_MONOTONIC, &before);
    nanosleep(&nap, NULL);
    clock_gettime(CLOCK_MONOTONIC, &after);
    long long slept = (after.tv_sec - before.tv_sec) * 1000LL + (after.tv_nsec - before.tv_nsec) / 1000000;
    printf("slept %lld ms\n", slept);
    if (slept < 20) failures++;

    expect_refused("/etc/passwd");
    expect_refused("/data/../etc/passwd");
    expect_refused("../etc/passwd");
    printf(failures == 0 ? "files: all checks passed\n" : "files: %d check(s) failed\n", failures);
    return failures == 0 ? 0 : 1;
}
