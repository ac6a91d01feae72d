/* D0's use of the TCO watchdog; contract in watchdog.h. */
#include "wdog/watchdog.h"

#include "log/log.h"
#include "wdog/tco.h"
#include "wdog/tco_port.h"

static struct tco tco;
static bool present, armed;

void watchdog_probe(void) {
  enum tco_absent why = tco_probe(&tco, &tco_port_io);
  present = why == TCO_OK;
  log_begin("watchdog");
  log_str("state", present ? "found" : "absent");
  if (!present)
    log_str("reason", tco_absent_name(why));
  if (tco.base != 0) {
    log_hex("tco_base", tco.base);
    log_str("last_reset", tco.fired ? "watchdog" : "other");
  }
  log_end();
}

bool watchdog_fired(void) {
  return tco.fired;
}

void watchdog_arm(void) {
  if (!present)
    return;
  uint16_t ticks = tco_ticks_for_period(D0_WATCHDOG_PERIOD_MS);
  tco_arm(&tco, ticks);
  armed = true;
  log_begin("watchdog");
  log_str("state", "armed");
  log_u64("period_ms", tco_period_ms(ticks));
  log_u64("ticks", ticks);
  log_end();
}

void watchdog_pet(void) {
  if (armed)
    tco_pet(&tco);
}

void watchdog_disarm(void) {
  if (!armed)
    return;
  tco_stop(&tco);
  armed = false;
}
