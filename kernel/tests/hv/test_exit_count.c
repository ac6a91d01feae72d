/* Where io and mmio exits went (hv/exit_count.h): the table, its overflow bucket and the top-N
 * text (exit dispatch feeding it: test_vm.c). */
#include <string.h>

#include "hv/exit_count.h"
#include "check.h"

static void test_counts_per_address_and_direction(void)
{
  static struct exit_counts c;
  memset(&c, 0, sizeof c);
  for (int i = 0; i < 3; i++)
    exit_count_add(&c, 0x21, true);
  exit_count_add(&c, 0x21, false);
  exit_count_add(&c, 0, true); /* address 0 is a real address, not an empty slot */
  CHECK_EQ(exit_count_get(&c, 0x21, true), 3);
  CHECK_EQ(exit_count_get(&c, 0x21, false), 1);
  CHECK_EQ(exit_count_get(&c, 0, true), 1);
  CHECK_EQ(exit_count_get(&c, 0, false), 0);
  CHECK_EQ(exit_count_get(&c, 0x20, true), 0);
  CHECK_EQ(c.other, 0);
}

static void test_full_table_counts_the_rest_as_other(void)
{
  static struct exit_counts c;
  memset(&c, 0, sizeof c);
  /* Addresses chosen by a guest: far more than the slots, including ones that collide. */
  for (uint64_t a = 0; a < EXIT_COUNT_SLOTS + 10; a++)
    exit_count_add(&c, a << 32, false);
  CHECK_EQ(c.other, 10);
  uint64_t held = 0;
  for (uint64_t a = 0; a < EXIT_COUNT_SLOTS + 10; a++)
    held += exit_count_get(&c, a << 32, false);
  CHECK_EQ(held, EXIT_COUNT_SLOTS);
  /* Addresses already held keep counting once the table is full. */
  exit_count_add(&c, 0, false);
  CHECK_EQ(exit_count_get(&c, 0, false), 2);
  CHECK_EQ(c.other, 10);
}

static void test_top_text(void)
{
  static struct exit_counts c;
  char out[EXIT_COUNT_TEXT_MAX];
  memset(&c, 0, sizeof c);
  CHECK_EQ(exit_count_top(&c, EXIT_COUNT_TOP, out, sizeof out), 0);
  CHECK(strcmp(out, "") == 0);
  for (int i = 0; i < 5; i++)
    exit_count_add(&c, 0x20, true);
  for (int i = 0; i < 7; i++)
    exit_count_add(&c, 0xd0001050ull, true);
  for (int i = 0; i < 5; i++)
    exit_count_add(&c, 0x20, false);
  exit_count_add(&c, 0x3f8, true);
  size_t n = exit_count_top(&c, EXIT_COUNT_TOP, out, sizeof out);
  CHECK(strcmp(out, "0xd0001050w:7,0x20r:5,0x20w:5,0x3f8w:1") == 0);
  CHECK_EQ(n, strlen(out));
  exit_count_top(&c, 2, out, sizeof out);
  CHECK(strcmp(out, "0xd0001050w:7,0x20r:5") == 0);
  /* A small buffer drops whole entries, never a part of one. */
  exit_count_top(&c, EXIT_COUNT_TOP, out, 20);
  CHECK(strcmp(out, "0xd0001050w:7") == 0);
  exit_count_top(&c, EXIT_COUNT_TOP, out, 1);
  CHECK(strcmp(out, "") == 0);
  /* The longest entries fit in EXIT_COUNT_TEXT_MAX. */
  static struct exit_counts big;
  memset(&big, 0, sizeof big);
  for (uint64_t a = 0; a < EXIT_COUNT_SLOTS; a++)
    big.slot[a] = (struct exit_count_slot){~0ull - a, ~0ull - a, true};
  n = exit_count_top(&big, EXIT_COUNT_TOP + 3, out, sizeof out);
  CHECK_EQ(n, EXIT_COUNT_TOP * 41 - 1);
  CHECK(strncmp(out, "0xffffffffffffffffw:18446744073709551615,", 41) == 0);
}

void test_exit_count_all(void)
{
  RUN(test_counts_per_address_and_direction);
  RUN(test_full_table_counts_the_rest_as_other);
  RUN(test_top_text);
}
