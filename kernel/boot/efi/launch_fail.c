#include "launch_fail.h"

#include "log/log.h"

EFI_STATUS launch_fail(const char *reason, const char *detail, EFI_STATUS status)
{
  log_begin("boot_failed");
  log_str("reason", reason);
  if (detail != NULL)
    log_str("detail", detail);
  log_str("stage", "launch");
  log_end();
  return status;
}
