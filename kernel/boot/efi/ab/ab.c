/* The A/B state machine; contract in ab.h, the design in kernel/docs/ab.md. */
#include "ab.h"

#include "bootvars.h"
#include "d0/lib.h"
#include "epoch_floor.h"
#include "log/log.h"
#include "log/story.h"
#include "precheck.h"
#include "pull/pull.h"
#include "slots.h"
#include "state.h"
#include "uplink.h"
#include "wdog/watchdog.h"

enum role {
  ROLE_NONE,      /* A/B unavailable: plain stage 1 */
  ROLE_COMMITTED, /* booting the last good build */
  ROLE_TRIAL,     /* booting the build on trial */
  ROLE_FIRST,     /* nothing committed yet: the first healthy build is committed */
  ROLE_RECOVERY,  /* the last good build is on no slot: the first healthy one is committed */
  ROLE_FALLBACK,  /* the firmware booted another slot than the last good one: boot, no commit */
};

static const char *role_name(enum role r) {
  switch (r) {
  case ROLE_COMMITTED:
    return "committed";
  case ROLE_TRIAL:
    return "trial";
  case ROLE_FIRST:
    return "first";
  case ROLE_RECOVERY:
    return "recovery";
  case ROLE_FALLBACK:
    return "fallback";
  default:
    return "none";
  }
}

static struct {
  EFI_RUNTIME_SERVICES *rt;
  uint64_t epoch; /* the verified manifest's security epoch (ab_verified) */
  struct ab_state st;
  struct ab_slots sl;
  enum role role;
} ab;

static char t1[AB_UUID_LEN + 1], t2[AB_UUID_LEN + 1], t3[AB_UUID_LEN + 1];

static struct ab_slot *own(void) {
  return &ab.sl.s[ab.sl.own];
}

static const char *own_uuid(void) {
  return own()->has_uuid ? own()->uuid : "none";
}

static void log_error(const char *what, EFI_STATUS s) {
  log_begin("ab_error");
  log_str("op", what);
  log_hex("status", s);
  log_end();
}

/* One NV write; a failure is logged and the boot goes on (the state on the chip is unchanged). */
static int save(void) {
  EFI_STATUS s = ab_state_save(ab.rt, &ab.st);
  if (EFI_ERROR(s)) {
    log_error("state_save", s);
    return -1;
  }
  return 0;
}

/* The story of this boot (log/story.h) next to the state it explains; a failure is logged. */
static void save_story(void) {
  EFI_STATUS s = ab_story_save(ab.rt);
  if (EFI_ERROR(s))
    log_error("story_save", s);
}

/* Boots slot i next (one shot) and resets now; returns only when the firmware refused. */
static void reset_into(int i, const char *why) {
  struct ab_slot *s = &ab.sl.s[i];
  EFI_STATUS st = ab_bootvar_set(ab.rt, s);
  if (!EFI_ERROR(st))
    st = ab_bootnext_set(ab.rt, ab_boot_entry(s));
  if (EFI_ERROR(st)) {
    log_error("boot_next", st);
    return;
  }
  log_begin("reset");
  log_str("reason", why);
  log_str("next", s->uuid);
  log_str("slot", ab_slot_letter(s->part));
  log_end();
  /* A rollback's reports (log/report.h) reach the collector before the machine resets (after
   * ExitBootServices: before it the uplink has not started, and nothing is sent). */
  uplink_flush_reports(UPLINK_FLUSH_MAX_NS);
  watchdog_disarm(); /* the chip's timer may outlive the reset: never let it reset the firmware */
  log_defer_sink(0); /* every queued line out before the machine resets (log.h) */
  ab.rt->ResetSystem(EfiResetCold, EFI_SUCCESS, 0, 0);
}

/* The newest build (UUIDv7 text order is time order) on another slot that is newer than `than`
 * (36 characters; all zero bytes = none, older than any build) and not known bad; -1 if none. */
static int newest_candidate(const char *than) {
  int best = -1;
  for (int i = 0; i < ab.sl.n; i++) {
    struct ab_slot *s = &ab.sl.s[i];
    if (i == ab.sl.own || !s->has_uuid || ab_uuid_eq(ab.st.bad, s->uuid))
      continue;
    if (memcmp(s->uuid, than, AB_UUID_LEN) <= 0)
      continue;
    if (best < 0 || memcmp(s->uuid, ab.sl.s[best].uuid, AB_UUID_LEN) > 0)
      best = i;
  }
  return best;
}

/* Where a trial that fails goes back to: the last good build's slot, or, on a first boot
 * (nothing committed), the newest other slot holding a build that is not bad. A first-boot trial
 * starts from the only other slot of a two-slot disk, so that is the slot it came from, which
 * then boots as a first boot again and commits itself. -1 if there is none. */
static int fallback_slot(void) {
  if (!ab_uuid_empty(ab.st.last_good))
    return ab_slot_by_uuid(&ab.sl, ab.st.last_good);
  int best = -1;
  for (int i = 0; i < ab.sl.n; i++) {
    struct ab_slot *s = &ab.sl.s[i];
    if (i == ab.sl.own || !s->has_uuid || ab_uuid_eq(ab.st.bad, s->uuid))
      continue;
    if (best < 0 || memcmp(s->uuid, ab.sl.s[best].uuid, AB_UUID_LEN) > 0)
      best = i;
  }
  return best;
}

static void log_choice_fields(const char *role_text) {
  log_begin("slot_choice");
  log_str("role", role_text);
  log_str("boot", own_uuid());
  log_str("slot", ab_slot_letter(own()->part));
  log_str("last_good", ab_uuid_text(ab.st.last_good, t1));
  log_str("trial", ab_uuid_text(ab.st.trial, t2));
}

static void log_choice(const char *role_text) {
  log_choice_fields(role_text);
  log_end();
}

/* How the pending trial's last try ended, as far as the hardware tells: "watchdog" when the TCO
 * reset the machine (wdog/watchdog.h), else "other" (a reset by D0, a power cut, a firmware that
 * could not load the trial's D0). */
static const char *last_reset(void) {
  return watchdog_fired() ? "watchdog" : "other";
}

static void log_state(enum ab_state_load how) {
  static const char *names[] = { "found", "absent", "invalid", "read_error" };
  log_begin("ab_state");
  log_str("nv", names[how]);
  log_str("last_good", ab_uuid_text(ab.st.last_good, t1));
  log_str("trial", ab_uuid_text(ab.st.trial, t2));
  log_u64("tries_left", ab.st.tries_left);
  log_u64("epoch", ab.st.epoch);
  log_str("bad", ab_uuid_text(ab.st.bad, t3));
  log_u64("slots", (uint64_t)ab.sl.n);
  log_end();
}

/* The firmware booted this slot although the committed build is on slot lg: the committed D0
 * did not run to its launch. Which way it failed (refused its own slot and returned, could not be
 * loaded, lost power) is not known here; that it did not run is. A build marked bad (it failed
 * its trial) is no fallback: ab_boot_allowed() refuses it. */
static void log_fallback(int lg) {
  log_begin("fallback_boot");
  log_str("committed", ab.sl.s[lg].uuid);
  log_str("committed_slot", ab_slot_letter(ab.sl.s[lg].part));
  log_str("committed_ran", "no");
  log_str("cause", "unknown");
  log_str("boot", own()->uuid);
  log_str("slot", ab_slot_letter(own()->part));
  log_end();
}

/* A trial is pending for a build on another slot: this boot is the firmware's fallback after the
 * trial build reset or failed without committing. Retry while tries are left, else roll back. */
static void resolve_pending_trial(void) {
  int t = ab_slot_by_uuid(&ab.sl, ab.st.trial);
  if (t >= 0 && ab.st.tries_left > 0) {
    ab.st.tries_left--;
    if (save() == 0) {
      log_choice_fields("trial_retry");
      log_str("last_reset", last_reset());
      log_end();
      reset_into(t, "trial_retry");
    }
    return;
  }
  log_begin("rollback");
  log_str("from", ab_uuid_text(ab.st.trial, t1));
  /* On a first boot this boot is the fallback: it goes on as a first boot. */
  log_str("to", ab_uuid_empty(ab.st.last_good) ? own_uuid() : ab_uuid_text(ab.st.last_good, t2));
  log_str("reason", t < 0 ? "trial_slot_gone" : "tries_exhausted");
  log_str("last_reset", last_reset());
  log_end();
  memcpy(ab.st.bad, ab.st.trial, AB_UUID_LEN);
  ab_uuid_set(ab.st.trial, 0);
  ab.st.tries_left = 0;
  if (save() == 0)
    save_story();
}

/* Try the newest build on another slot that is newer than `than`, if it passes the precheck, with
 * the own slot as the fallback: called when the own slot is the last good one (than = last_good)
 * and on a first boot (than = the own build). Returns only when no trial was started. */
static void maybe_start_trial(const char *than) {
  int c = newest_candidate(than);
  if (c < 0)
    return;
  struct ab_slot *s = &ab.sl.s[c];
  uint64_t epoch;
  const char *why = ab_precheck(&s->esp, s->uuid, ab.st.epoch, &epoch);
  if (why) {
    log_begin("slot_bad");
    log_str("bad", s->uuid);
    log_str("slot", ab_slot_letter(s->part));
    log_str("reason", why);
    log_u64("epoch", epoch);
    log_u64("committed_epoch", ab.st.epoch);
    log_str("last_good", ab_uuid_text(ab.st.last_good, t1));
    log_end();
    ab_uuid_set(ab.st.bad, s->uuid);
    save();
    return;
  }
  ab_uuid_set(ab.st.trial, s->uuid);
  ab.st.tries_left = AB_TRIES - 1; /* this reset uses the first try */
  if (save() != 0)
    return;
  log_begin("slot_choice");
  log_str("role", "trial_start");
  log_str("boot", s->uuid);
  log_str("slot", ab_slot_letter(s->part));
  log_str("last_good", ab_uuid_text(ab.st.last_good, t1));
  log_u64("tries", AB_TRIES);
  log_str("fallback", own_uuid());
  log_end();
  reset_into(c, "trial");
}

/* The slot a pulled build goes into: another slot, one naming no build first, else the one
 * with the oldest build (on a two-slot disk: the other slot). -1 if there is none. */
static int pull_dest(void) {
  int best = -1;
  for (int i = 0; i < ab.sl.n; i++) {
    struct ab_slot *s = &ab.sl.s[i];
    if (i == ab.sl.own)
      continue;
    if (best < 0 || !s->has_uuid ||
        (ab.sl.s[best].has_uuid && memcmp(s->uuid, ab.sl.s[best].uuid, AB_UUID_LEN) < 0))
      best = i;
    if (!s->has_uuid)
      break;
  }
  return best;
}

/* A committed boot asks the update server its manifest names (pull/pull.h); a build installed
 * into another slot is then that slot's build for the trial's choice that follows. */
static void pull_update(EFI_SYSTEM_TABLE *st) {
  int d = pull_dest();
  if (d < 0)
    return;
  struct ab_slot *s = &ab.sl.s[d];
  char bad[AB_UUID_LEN + 1] = { 0 };
  if (!ab_uuid_empty(ab.st.bad))
    ab_uuid_text(ab.st.bad, bad);
  struct pull_env env = {
    .bs = st->BootServices,
    .own = &own()->esp,
    .own_uuid = own()->uuid,
    .dest = &s->esp,
    .dest_letter = ab_slot_letter(s->part),
    .dest_uuid = s->has_uuid ? s->uuid : "",
    .bad_uuid = bad,
    .epoch_floor = ab.st.epoch,
  };
  if (!pull_at_boot(&env))
    return;
  s->has_uuid = esp_find_manifests(&s->esp, s->uuid) == 1;
  if (!s->has_uuid)
    s->uuid[0] = '\0';
}

void ab_select(EFI_HANDLE image, EFI_SYSTEM_TABLE *st) {
  const char *why = "";
  ab.role = ROLE_NONE;
  ab.rt = (EFI_RUNTIME_SERVICES *)st->RuntimeServices;
  story_start();
  enum ab_state_load how = ab_state_load(ab.rt, &ab.st);
  if (ab_slots_find(image, st, &ab.sl, &why) != 0) {
    log_begin("ab_unavailable");
    log_str("reason", why);
    log_end();
    return;
  }
  log_state(how);
  /* Before any use of ab.st.epoch: it becomes the floor (TPM and NV state). */
  ab_epoch_floor(st, &ab.st);
  if (how == AB_STATE_READ_ERROR) {
    /* The state may be fine but unreadable now: committing or starting a trial on an empty
     * state could lower the committed epoch. Boot this slot and write nothing. */
    ab.role = ROLE_FALLBACK;
    log_choice(role_name(ab.role));
    return;
  }
  if (!own()->has_uuid) {
    ab.role = ROLE_FALLBACK; /* the boot fails (no or several manifests); nothing to commit */
    return;
  }
  if (ab_uuid_eq(ab.st.trial, own()->uuid)) {
    ab.role = ROLE_TRIAL;
    log_choice("trial");
    return;
  }
  if (!ab_uuid_empty(ab.st.trial))
    resolve_pending_trial();
  if (ab_uuid_empty(ab.st.last_good)) {
    /* First boot (nothing committed): a disk written twice before it ever booted runs the newest
     * build first. A newer build on another slot that passes the trial's precheck becomes a trial
     * with this slot as its fallback: healthy, it is committed; failed (health or a check before
     * the launch), it is marked bad and D0 resets back here, and this build, with no newer
     * candidate left, commits itself as a first boot. */
    maybe_start_trial(own()->uuid);
    ab.role = ROLE_FIRST;
  } else if (!ab_uuid_eq(ab.st.last_good, own()->uuid)) {
    int lg = ab_slot_by_uuid(&ab.sl, ab.st.last_good);
    ab.role = lg < 0 ? ROLE_RECOVERY : ROLE_FALLBACK;
    if (lg >= 0)
      log_fallback(lg);
  } else {
    pull_update(st);
    maybe_start_trial(ab.st.last_good);
    ab.role = ROLE_COMMITTED;
  }
  log_choice(role_name(ab.role));
}

int ab_boot_allowed(void) {
  if (ab.role != ROLE_FALLBACK || !own()->has_uuid || !ab_uuid_eq(ab.st.bad, own()->uuid))
    return 1;
  log_begin("boot_failed");
  log_str("reason", "slot_marked_bad");
  log_str("bad", own()->uuid);
  log_str("slot", ab_slot_letter(own()->part));
  log_end();
  return 0;
}

int ab_epoch_ok(uint64_t epoch) {
  if (ab.role == ROLE_NONE || epoch >= ab.st.epoch)
    return 1;
  log_begin("boot_failed");
  log_str("reason", "epoch_below");
  log_u64("epoch", epoch);
  log_u64("committed_epoch", ab.st.epoch);
  log_end();
  return 0;
}

uint64_t ab_epoch_floor_now(void) {
  return ab.role == ROLE_NONE ? 0 : ab.st.epoch;
}

/* The fallback a commit keeps (kernel/docs/ab.md "Boot entries"): the slot that still holds the
 * build committed before this one (`previous`), if it is another slot than this one; -1 if none
 * (a first boot, a recovery, or a slot overwritten since). */
static int previous_slot(const char *previous) {
  if (ab_uuid_empty(previous))
    return -1;
  int i = ab_slot_by_uuid(&ab.sl, previous);
  return i == ab.sl.own ? -1 : i;
}

static void commit(uint64_t epoch) {
  if (ab.role != ROLE_TRIAL && ab.role != ROLE_FIRST && ab.role != ROLE_RECOVERY)
    return;
  char previous[AB_UUID_LEN];
  memcpy(previous, ab.st.last_good, AB_UUID_LEN);
  /* Boot entry and order first: if power fails before the state write, the next boot runs this
   * build again as the trial and commits then. */
  EFI_STATUS s = ab_bootvar_set(ab.rt, own());
  uint16_t second = AB_NO_ENTRY;
  int fb = previous_slot(previous);
  if (!EFI_ERROR(s) && fb >= 0) {
    s = ab_bootvar_set(ab.rt, &ab.sl.s[fb]);
    second = ab_boot_entry(&ab.sl.s[fb]);
  }
  if (!EFI_ERROR(s))
    s = ab_bootorder_set(ab.rt, ab_boot_entry(own()), second);
  if (EFI_ERROR(s))
    log_error("boot_order", s);
  ab_uuid_set(ab.st.last_good, own()->uuid);
  ab_uuid_set(ab.st.trial, 0);
  ab.st.tries_left = 0;
  if (epoch > ab.st.epoch)
    ab.st.epoch = epoch;
  if (save() != 0)
    return;
  log_begin("commit");
  log_str("boot", own()->uuid);
  log_str("slot", ab_slot_letter(own()->part));
  log_str("previous", ab_uuid_text(previous, t1));
  log_str("fallback", fb >= 0 ? ab_slot_letter(ab.sl.s[fb].part) : "none");
  log_str("role", role_name(ab.role));
  log_u64("epoch", ab.st.epoch);
  log_end();
  save_story();
  ab_epoch_floor_commit(ab.st.epoch); /* the TPM copy, now rather than at the next boot */
  /* Committed: a VM that fails after the verdict is no longer the trial's: no rollback for it. */
  ab.role = ROLE_COMMITTED;
}

void ab_verified(uint64_t epoch) {
  ab.epoch = epoch;
}

void ab_health_passed(void) {
  commit(ab.epoch);
}

/* Shared by a failed boot and a failed health verdict: a trial is marked bad and rolled back. */
static void roll_back_trial(const char *why) {
  int to = fallback_slot(); /* the last good slot, or on a first boot the slot it came from */
  log_begin("slot_bad");
  log_str("bad", own()->uuid);
  log_str("slot", ab_slot_letter(own()->part));
  log_str("reason", why);
  log_str("last_good", ab_uuid_text(ab.st.last_good, t1));
  log_end();
  log_begin("rollback");
  log_str("from", own()->uuid);
  log_str("to", ab_uuid_empty(ab.st.last_good) && to >= 0 ? ab.sl.s[to].uuid
                                                          : ab_uuid_text(ab.st.last_good, t1));
  log_str("reason", why);
  log_end();
  ab_uuid_set(ab.st.bad, own()->uuid);
  ab_uuid_set(ab.st.trial, 0);
  ab.st.tries_left = 0;
  if (save() != 0)
    return;
  save_story();
  if (to >= 0)
    reset_into(to, "rollback");
}

void ab_health_failed(const char *vm, const char *reason) {
  static char why[64];
  size_t n = 0;
  static const char prefix[] = "health:";
  for (size_t i = 0; prefix[i] != '\0' && n < sizeof why - 1; i++)
    why[n++] = prefix[i];
  for (size_t i = 0; reason[i] != '\0' && n < sizeof why - 1; i++)
    why[n++] = reason[i];
  why[n] = '\0';
  log_begin("health_failed");
  log_str("vm", vm);
  log_str("reason", reason);
  log_str("role", role_name(ab.role));
  log_end();
  if (ab.role == ROLE_TRIAL)
    roll_back_trial(why);
}

/* The reason of the last ev=boot_failed in the log ring ("unknown" if none). */
static const char *last_failure(void) {
  static char ring[LOG_RING_BYTES];
  static char reason[48];
  static const char key[] = "ev=boot_failed reason=";
  size_t n = log_ring_copy(ring, sizeof ring), klen = sizeof key - 1;
  const char *found = 0;
  for (size_t i = 0; i + klen <= n; i++)
    if (memcmp(ring + i, key, klen) == 0)
      found = ring + i + klen;
  if (!found)
    return "unknown";
  size_t j = 0;
  while (j < sizeof reason - 1 && found + j < ring + n && found[j] != ' ' && found[j] != '\n' &&
         found[j] != '\r')
    j++;
  memcpy(reason, found, j);
  reason[j] = '\0';
  return reason;
}

void ab_boot_failed(void) {
  if (ab.role != ROLE_TRIAL)
    return; /* a committed or fallback slot that fails leaves the choice to the firmware */
  roll_back_trial(last_failure());
}

void ab_fatal(const char *why) {
  if (ab.role != ROLE_TRIAL || ab.rt == 0)
    return;
  log_begin("reset");
  log_str("reason", why);
  log_str("trial", own()->uuid);
  log_end();
  watchdog_disarm();
  log_defer_sink(0); /* every queued line out before the machine resets (log.h) */
  ab.rt->ResetSystem(EfiResetCold, EFI_SUCCESS, 0, 0);
}
