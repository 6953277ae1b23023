/*
 * The C baseline of IoctlRoundTripBenchmark: the same ioctl loops on an eventfd, compiled with
 * gcc -O2. Prints "<name> <median ns per call>" for each loop over 15 timed runs.
 *   fionread: ioctl(FIONREAD) fails with ENOTTY; errno is read every call.
 *   fionbio:  ioctl(FIONBIO) succeeds.
 * Each loop runs twice: first in a single-threaded process, then with one idle second thread.
 * The kernel's fdget() skips the file reference count only while the fd table is not shared,
 * so a multi-threaded process (every JVM) pays two atomic operations more per ioctl; the "mt"
 * figures are the like-for-like baseline for Java.
 */
#include <errno.h>
#include <pthread.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <time.h>

#define RUNS 15

static double now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e9 + t.tv_nsec;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *) a, y = *(const double *) b;
    return (x > y) - (x < y);
}

static volatile int sink;

static void *idle(void *unused) {
    (void) unused;
    pause();
    return NULL;
}

static double run(int fd, unsigned long request, long iterations) {
    double results[RUNS];
    int arg = 0;
    for (int r = 0; r < RUNS; r++) {
        double start = now_ns();
        for (long i = 0; i < iterations; i++) {
            if (ioctl(fd, request, &arg) < 0) {
                sink = errno;
            }
        }
        results[r] = (now_ns() - start) / iterations;
    }
    qsort(results, RUNS, sizeof results[0], cmp);
    return results[RUNS / 2];
}

int main(int argc, char **argv) {
    long iterations = argc > 1 ? atol(argv[1]) : 1000000;
    int fd = eventfd(0, 0);
    if (fd < 0) {
        perror("eventfd");
        return 1;
    }
    run(fd, FIONREAD, iterations / 4); /* warm up */
    printf("fionread %.2f\n", run(fd, FIONREAD, iterations));
    printf("fionbio %.2f\n", run(fd, FIONBIO, iterations));
    pthread_t second;
    if (pthread_create(&second, NULL, idle, NULL) != 0) {
        perror("pthread_create");
        return 1;
    }
    printf("fionread_mt %.2f\n", run(fd, FIONREAD, iterations));
    printf("fionbio_mt %.2f\n", run(fd, FIONBIO, iterations));
    return 0;
}
