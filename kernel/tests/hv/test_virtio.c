void test_virtio_all(void) {}
