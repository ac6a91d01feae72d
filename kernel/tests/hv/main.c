/* Host tests of the hypervisor core. Prints "hv: N passed, N failed"; exit status 1 on failure.
 * Arguments, when given, are real bzImage files to parse and load. */
#include <stdio.h>

#include "t.h"

int t_passed, t_failed;
const char *t_current = "";

void test_vm_all(void);
void test_virtio_all(void);
void test_bridge_all(void);
void test_boot_all(int nimages, char **images);

int main(int argc, char **argv)
{
  test_vm_all();
  test_virtio_all();
  test_bridge_all();
  test_boot_all(argc - 1, argv + 1);
  printf("hv: %d passed, %d failed\n", t_passed, t_failed);
  return t_failed == 0 ? 0 : 1;
}
