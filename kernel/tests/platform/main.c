/* Host tests of the platform devices. Prints "platform: N checks, N failed"; exit 1 on failure. */
#include <stdio.h>

#include "check.h"

void test_pic_all(void);
void test_pit_all(void);
void test_rtc_all(void);
void test_uart_all(void);
void test_vlapic_all(void);
void test_vioapic_all(void);
void test_platform_all(void);
void test_smp_all(void);

int main(void)
{
  test_pic_all();
  test_pit_all();
  test_rtc_all();
  test_uart_all();
  test_vlapic_all();
  test_vioapic_all();
  test_platform_all();
  test_smp_all();
  return check_exit("platform");
}
