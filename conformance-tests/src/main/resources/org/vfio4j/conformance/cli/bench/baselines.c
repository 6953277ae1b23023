/*
 * The C baselines of `vfio4j bench`, loaded into the benchmarking JVM as a shared library so that
 * each baseline runs in the same process, on the same machine state, interleaved with the Java
 * code it is compared with. Being inside a JVM, every loop runs in a multi-threaded process (the
 * kernel's fdget() then takes a file reference per call), which is the situation of any Java caller
 * and of a C driver with a second thread. Built with gcc -O2 -shared -fPIC -pthread.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

static volatile int sink;

static long long now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000LL + t.tv_nsec;
}

/* `calls` ioctls on fd, errno read after each failing one; returns the elapsed nanoseconds. */
long long bench_ioctl_loop(int fd, unsigned long request, long calls) {
    int arg = 0;
    long long start = now_ns();
    for (long i = 0; i < calls; i++) {
        if (ioctl(fd, request, &arg) < 0) {
            sink = errno;
        }
    }
    return now_ns() - start;
}

/* `calls` preads of `length` bytes at `offset`; returns the elapsed nanoseconds, or -errno. */
long long bench_pread_loop(int fd, int length, long offset, long calls) {
    char buffer[64];
    if (length > (int) sizeof buffer) {
        return -EINVAL;
    }
    long long start = now_ns();
    for (long i = 0; i < calls; i++) {
        if (pread(fd, buffer, length, offset) != length) {
            return -errno;
        }
        sink = buffer[0];
    }
    return now_ns() - start;
}

struct handoff {
    int ping, pong, rounds;
    volatile long long started;
    long long *samples;
};

static void *observe(void *p) {
    struct handoff *h = p;
    uint64_t v;
    for (int i = 0; i < h->rounds; i++) {
        if (read(h->ping, &v, 8) != 8) {
            abort();
        }
        h->samples[i] = now_ns() - h->started;
        v = 1;
        if (write(h->pong, &v, 8) != 8) {
            abort();
        }
    }
    return NULL;
}

/*
 * `rounds` one-way wake-ups: this thread writes an eventfd while a second thread is blocked in
 * read(2) on it; samples[i] is the time from just before the write to the read's return. The
 * observer answers on a second eventfd, so rounds never overlap. Returns 0, or -errno.
 */
int bench_eventfd_handoff(int rounds, long long *samples) {
    struct handoff h = {eventfd(0, 0), eventfd(0, 0), rounds, 0, samples};
    if (h.ping < 0 || h.pong < 0) {
        return -errno;
    }
    pthread_t t;
    int e = pthread_create(&t, NULL, observe, &h);
    if (e != 0) {
        close(h.ping);
        close(h.pong);
        return -e;
    }
    uint64_t v = 1;
    for (int i = 0; i < rounds; i++) {
        h.started = now_ns();
        if (write(h.ping, &v, 8) != 8 || read(h.pong, &v, 8) != 8) {
            abort();
        }
        v = 1;
    }
    pthread_join(t, NULL);
    close(h.ping);
    close(h.pong);
    return 0;
}
