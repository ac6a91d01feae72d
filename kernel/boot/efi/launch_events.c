#include "launch_events.h"

#include "ab/ab.h"
#include "arch/arch.h"
#include "arch/x86/desc.h"
#include "arch/x86/lapic.h"
#include "arch/x86/x86.h"
#include "d0/lib.h"
#include "hv/err.h"
#include "hv/event.h"
#include "log/log.h"
#include "wdog/watchdog.h"

static struct launched_vm *tracked;
static const uint32_t *n_tracked;

void launch_events_track(struct launched_vm *vms, const uint32_t *n_prepared)
{
  tracked = vms;
  n_tracked = n_prepared;
}

static bool str_eq(const char *a, const char *b)
{
  size_t n = strlen(a);
  return n == strlen(b) && memcmp(a, b, n) == 0;
}

/* Once per VM and kind: the log says from when on lines of that VM are being dropped. */
static void announce_throttle(const char *vm, const char *kind, const struct log_budget *b,
                              bool *announced)
{
  if (*announced)
    return;
  *announced = true;
  log_begin("log_throttled");
  log_str("vm", vm);
  log_str("kind", kind);
  log_u64("rate", b->rate_per_s);
  log_u64("burst", b->burst);
  log_end();
}

static struct launched_vm *find_vm(const char *name)
{
  for (uint32_t i = 0; n_tracked != NULL && i < *n_tracked; i++)
    if (str_eq(tracked[i].vm.name, name))
      return &tracked[i];
  return NULL;
}

/*
 * Device and diagnostic events of a VM go through its event budget; lifecycle events (start,
 * ready, exit, and the core's one stop event, dev "vm") always pass: a verdict must never be
 * lost to a flood.
 */
static bool event_allowed(const struct hv_event *ev)
{
  if (str_eq(ev->dev, "vm"))
    return true;
  struct launched_vm *l = find_vm(ev->vm);
  if (l == NULL)
    return true; /* not a VM's (nothing else logs through here today) */
  if (log_budget_take(&l->event_budget, arch_time_ns()))
    return true;
  announce_throttle(ev->vm, "events", &l->event_budget, &l->events_throttled);
  return false;
}

void hv_event_sink(const struct hv_event *ev)
{
  if (str_eq(ev->what, "vm-started")) {
    log_begin("vm_start");
    log_str("vm", ev->vm);
    log_u64("mem_bytes", ev->a);
  } else if (str_eq(ev->what, "vm-ready")) {
    log_begin("vm_ready");
    log_str("vm", ev->vm);
    log_u64("after_ms", ev->a / 1000000ull);
  } else if (str_eq(ev->what, "vm-exited")) {
    log_begin("vm_exit");
    log_str("vm", ev->vm);
    log_u64("status", ev->a);
    log_u64("after_ms", ev->b / 1000000ull);
  } else {
    if (!event_allowed(ev))
      return;
    log_begin("hv");
    log_str("vm", ev->vm);
    log_str("dev", ev->dev);
    log_str("what", ev->what);
    if (ev->err != 0)
      log_str("err", hv_strerror(ev->err));
    log_hex("a", ev->a);
    log_hex("b", ev->b);
  }
  log_end();
}

/* A console line of the guest: ev=console vm=NAME line="TEXT" (the guest's bytes, quoted and
 * escaped by log.h's rule), within the VM's console budget. ctx is its struct launched_vm. */
void launch_console_line(void *ctx, const char *line, size_t len)
{
  struct launched_vm *l = ctx;
  if (!log_budget_take(&l->console_budget, arch_time_ns())) {
    announce_throttle(l->vm.name, "console", &l->console_budget, &l->console_throttled);
    return;
  }
  log_begin("console");
  log_str("vm", l->vm.name);
  log_strn("line", line, len);
  log_end();
}

void x86_exception(const struct x86_exception_frame *f)
{
  log_begin("cpu_exception");
  log_u64("vector", f->vector);
  log_hex("rip", f->rip);
  log_hex("error", f->error_code);
  log_u64("apic_id", lapic_self_id()); /* which CPU: any of them may fault once APs are up */
  log_end();
  log_defer_sink(0); /* the queue and this line out now, the next lines directly */
  ab_fatal("cpu_exception"); /* a trial build resets (and is retried or rolled back) */
  watchdog_disarm();         /* a committed build halts, as it always did: no reset loop */
  x86_halt_forever();
}
