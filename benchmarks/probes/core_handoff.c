/* How long one cache line takes to travel between two threads (ns, one way).
 *
 * Hogwild training shares its weight matrices between threads, so its speed
 * depends on this figure. On the virtual machines the benchmarks run on it
 * is not fixed: the host sometimes puts the two vCPUs on cores that share a
 * cache (about 30 ns) and sometimes on cores that don't (about 170 ns). It
 * stays one way for seconds, then may switch. The benchmarks record it next
 * to every timed run, so a ratio is never taken across the two placements
 * without showing it.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <time.h>

#define HANDOFFS 400000

static _Atomic long turn __attribute__((aligned(64)));

static void play(long first) {
    for (long i = first; i < HANDOFFS; i += 2) {
        while (atomic_load_explicit(&turn, memory_order_acquire) != i)
            ;
        atomic_store_explicit(&turn, i + 1, memory_order_release);
    }
}

static void *partner(void *unused) {
    (void)unused;
    play(1);
    return NULL;
}

int main(void) {
    pthread_t thread;
    struct timespec start, end;
    clock_gettime(CLOCK_MONOTONIC, &start);
    if (pthread_create(&thread, NULL, partner, NULL) != 0)
        return 1;
    play(0);
    pthread_join(thread, NULL);
    clock_gettime(CLOCK_MONOTONIC, &end);
    printf("%.1f\n", ((end.tv_sec - start.tv_sec) * 1e9 + (end.tv_nsec - start.tv_nsec)) / HANDOFFS);
    return 0;
}
