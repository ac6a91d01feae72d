/*
 * A ticket spinlock: CPUs get the lock in the order they asked for it, so a CPU that takes and
 * drops it in a loop never keeps another waiting (a test-and-set lock can). Spins with PAUSE;
 * no interrupt state is touched (D0 runs with IF=0 outside its guest entries). Not re-entrant.
 */
#ifndef D0_TICKET_LOCK_H
#define D0_TICKET_LOCK_H

#include <stdint.h>

struct ticket_lock {
  uint32_t next;    /* the next ticket handed out */
  uint32_t serving; /* the ticket that holds the lock */
};

static inline void ticket_lock(struct ticket_lock *l)
{
  uint32_t mine = __atomic_fetch_add(&l->next, 1, __ATOMIC_RELAXED);
  while (__atomic_load_n(&l->serving, __ATOMIC_ACQUIRE) != mine)
    __builtin_ia32_pause();
}

static inline void ticket_unlock(struct ticket_lock *l)
{
  /* Only the holder writes `serving`. */
  __atomic_store_n(&l->serving, __atomic_load_n(&l->serving, __ATOMIC_RELAXED) + 1,
                   __ATOMIC_RELEASE);
}

#endif
