/*
 * Host test of D0's ticket lock (include/d0/ticket_lock.h: d0_lock, boot/efi/run_vms.c): THREADS
 * threads each take and drop the lock ROUNDS times, incrementing plain counters inside it, the
 * way D0's CPUs share the bridge and the devices. Every increment must land (no two holders at
 * once), and tickets are served in order: each holder sees `serving` equal to the ticket it
 * took, with no ticket skipped. Run under TSan by test/boot/log.test.ts, which also reports any
 * access to the counters that the lock does not order.
 *   cc -fsanitize=thread -pthread -I kernel/include tests/test_ticket_lock.c
 */
#include <pthread.h>
#include <stdint.h>

#include "check.h"
#include "d0/ticket_lock.h"

#define THREADS 4
#define ROUNDS 500

static struct ticket_lock lock;
static unsigned long counter, holders_now, overlaps, served_in_order;
static uint32_t last_serving = UINT32_MAX;

static void *worker(void *arg) {
  (void)arg;
  for (int i = 0; i < ROUNDS; i++) {
    ticket_lock(&lock);
    if (holders_now++ != 0)
      overlaps++;
    uint32_t serving = __atomic_load_n(&lock.serving, __ATOMIC_RELAXED);
    if (serving == last_serving + 1)
      served_in_order++;
    last_serving = serving;
    counter++;
    holders_now--;
    ticket_unlock(&lock);
  }
  return NULL;
}

int main(void) {
  pthread_t th[THREADS];
  for (long t = 0; t < THREADS; t++)
    CHECK(pthread_create(&th[t], NULL, worker, NULL) == 0);
  for (int t = 0; t < THREADS; t++)
    CHECK(pthread_join(th[t], NULL) == 0);
  CHECK_MSG(counter == (unsigned long)THREADS * ROUNDS, "increments: %lu of %d", counter,
            THREADS * ROUNDS);
  CHECK_MSG(overlaps == 0, "%lu times two threads held the lock at once", overlaps);
  CHECK_MSG(served_in_order == (unsigned long)THREADS * ROUNDS,
            "tickets served in order: %lu of %d", served_in_order, THREADS * ROUNDS);
  CHECK_EQ(lock.next, lock.serving); /* nobody holds it, nobody waits */
  CHECK_EQ(lock.next, (uint32_t)(THREADS * ROUNDS));
  return check_exit("ticket_lock");
}
