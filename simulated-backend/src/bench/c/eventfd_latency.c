/* The C twin of the simulator's interrupt latency run: one thread writes an eventfd, another
 * blocked in read(2) observes it; the one-way time (write start to read return) is recorded for
 * N rounds and the median and 99th percentile printed, in nanoseconds. A second eventfd sends the
 * observer's "done" back so rounds never overlap. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#define ROUNDS 200000
#define WARMUP 20000

static int ping, pong;
static volatile long long started;
static long long samples[ROUNDS];

static long long now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static void *observer(void *unused) {
    uint64_t v;
    for (int i = 0; i < WARMUP + ROUNDS; i++) {
        if (read(ping, &v, 8) != 8) abort();
        long long t = now();
        if (i >= WARMUP) samples[i - WARMUP] = t - started;
        v = 1;
        if (write(pong, &v, 8) != 8) abort();
    }
    return NULL;
}

static int cmp(const void *a, const void *b) {
    long long x = *(const long long *) a, y = *(const long long *) b;
    return x < y ? -1 : x > y;
}

int main(void) {
    pthread_t t;
    uint64_t v = 1;
    ping = eventfd(0, 0);
    pong = eventfd(0, 0);
    pthread_create(&t, NULL, observer, NULL);
    for (int i = 0; i < WARMUP + ROUNDS; i++) {
        started = now();
        if (write(ping, &v, 8) != 8) abort();
        if (read(pong, &v, 8) != 8) abort();
        v = 1;
    }
    pthread_join(t, NULL);
    qsort(samples, ROUNDS, sizeof samples[0], cmp);
    printf("median %lld\np99 %lld\n", samples[ROUNDS / 2], samples[ROUNDS * 99 / 100]);
    return 0;
}
