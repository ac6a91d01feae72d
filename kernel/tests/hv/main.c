/* Host tests of the hypervisor core. Prints "hv: N checks, N failed"; exit status 1 on failure.
 * Arguments, when given, are real bzImage files to parse and load. */
#include <stdio.h>

#include "check.h"

void test_vm_all(void);
void test_exit_count_all(void);
void test_virtio_all(void);
void test_virtio_net_all(void);
void test_bridge_all(void);
void test_boot_all(int nimages, char **images);
void test_mptable_all(void);
void test_idle_all(void);

int main(int argc, char **argv)
{
  test_vm_all();
  test_exit_count_all();
  test_virtio_all();
  test_virtio_net_all();
  test_bridge_all();
  test_boot_all(argc - 1, argv + 1);
  test_mptable_all();
  test_idle_all();
  return check_exit("hv");
}
