void test_boot_all(const char *b) {(void)b;}
