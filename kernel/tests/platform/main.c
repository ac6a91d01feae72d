/* Host tests of the platform devices. Prints "platform: N passed, N failed"; exit 1 on failure. */
#include <stdio.h>

#include "t.h"

int t_passed, t_failed;
const char *t_current = "";

void test_pic_all(void);
void test_pit_all(void);
void test_rtc_all(void);
void test_uart_all(void);
void test_platform_all(void);

int main(void)
{
  test_pic_all();
  test_pit_all();
  test_rtc_all();
  test_uart_all();
  test_platform_all();
  printf("platform: %d passed, %d failed\n", t_passed, t_failed);
  return t_failed == 0 ? 0 : 1;
}
