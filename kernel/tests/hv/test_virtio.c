/* virtio-mmio, split virtqueues and virtio-blk, driven by the guest driver in guest_drv.c through
 * the VM's real exit dispatch (the VM and devices: virtio_rig.h; virtio-net: test_virtio_net.c). */
#include <stdlib.h>
#include <string.h>

#include "arch/fake/fake.h"
#include "hv/err.h"
#include "hv/health.h"
#include "virtio_rig.h"
#include "check.h"

struct req {
  uint32_t type, reserved;
  uint64_t sector;
};

/* Header at BUF, data at BUF+0x1000 (split into two descriptors), status at BUF+0x100. */
static uint8_t blk_request(uint32_t type, uint64_t sector, uint32_t len, bool data_writable,
                           uint32_t *used_len)
{
  struct req r = {type, 0, sector};
  memcpy(gpa_ptr(&vm, BUF), &r, sizeof(r));
  *(uint8_t *)gpa_ptr(&vm, BUF + 0x100) = 0xee;
  uint16_t dflag = data_writable ? VIRTQ_DESC_F_WRITE : 0;
  uint16_t n = 0;
  drv_desc(&bq, n, BUF, 16, VIRTQ_DESC_F_NEXT, (uint16_t)(n + 1)), n++;
  if (len > 0) {
    uint32_t first = len / 2;
    drv_desc(&bq, n, BUF + 0x1000, first, dflag | VIRTQ_DESC_F_NEXT, (uint16_t)(n + 1)), n++;
    drv_desc(&bq, n, BUF + 0x1000 + first, len - first, dflag | VIRTQ_DESC_F_NEXT,
             (uint16_t)(n + 1)), n++;
  }
  drv_desc(&bq, n, BUF + 0x100, 1, VIRTQ_DESC_F_WRITE, 0);
  drv_publish(&bq, 0);
  drv_notify(&bq);
  uint32_t id = 0xffff;
  *used_len = 0;
  if (!drv_used(&bq, &id, used_len))
    return 0xaa; /* nothing came back */
  CHECK_EQ(id, 0);
  return *(uint8_t *)gpa_ptr(&vm, BUF + 0x100);
}

static void test_mmio_probe_registers(void)
{
  setup(4);
  CHECK_EQ(mmio_r(&vm, BLK + VIRTIO_MMIO_MAGIC), 0x74726976);
  CHECK_EQ(mmio_r(&vm, BLK + VIRTIO_MMIO_VERSION), 2);
  CHECK_EQ(mmio_r(&vm, BLK + VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_BLOCK);
  CHECK_EQ(mmio_r(&vm, NET + VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_NET);
  mmio_w(&vm, BLK + VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
  uint32_t lo = mmio_r(&vm, BLK + VIRTIO_MMIO_DEVICE_FEATURES);
  mmio_w(&vm, BLK + VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
  uint32_t hi = mmio_r(&vm, BLK + VIRTIO_MMIO_DEVICE_FEATURES);
  CHECK_EQ(hi & 1, 1); /* VERSION_1 */
  CHECK_EQ(lo & (1u << 28), 0); /* no INDIRECT_DESC */
  CHECK_EQ(lo & (1u << 29), 0); /* no EVENT_IDX */
  CHECK(lo & VIRTIO_BLK_F_FLUSH);
  CHECK_EQ(lo & VIRTIO_BLK_F_RO, 0);
  CHECK_EQ(mmio_r(&vm, BLK + VIRTIO_MMIO_QUEUE_NUM_MAX), VQ_MAX_SIZE);
  /* Capacity in 512-byte sectors, readable as 8 bytes or as two 4-byte halves. */
  CHECK_EQ(guest_mmio(&vm, BLK + VIRTIO_MMIO_CONFIG, 8, false, 0), IMG_SIZE / 512);
  CHECK_EQ(mmio_r(&vm, BLK + VIRTIO_MMIO_CONFIG + 4), 0);
  CHECK_EQ(mmio_r(&vm, BLK + VIRTIO_MMIO_CONFIG + VIRTIO_BLK_CFG_SEG_MAX), VQ_MAX_SIZE - 2);
  /* Registers are 32-bit only; other widths read 0 and are logged. */
  CHECK_EQ(guest_mmio(&vm, BLK + VIRTIO_MMIO_MAGIC, 2, false, 0), 0);
  CHECK(fake_event_find("register-read-not-32bit") != NULL);
  /* Past the config space: 0, logged. */
  CHECK_EQ(mmio_r(&vm, BLK + VIRTIO_MMIO_CONFIG + VIRTIO_BLK_CFG_LEN), 0);
  /* The window is 4 KiB; the byte after it belongs to net, two windows on is unclaimed. */
  CHECK_EQ(mmio_r(&vm, NET + 0x1000), 0xffffffffu);
}

static void test_features_ok_refused_for_unoffered_features(void)
{
  setup(4);
  uint32_t s = drv_negotiate(&vm, BLK, VIRTIO_F_INDIRECT_DESC);
  CHECK_EQ(s & VIRTIO_STATUS_FEATURES_OK, 0);
  CHECK(fake_event_find("features-refused") != NULL);
  /* Without VERSION_1 (a legacy driver) FEATURES_OK is refused too. */
  mmio_w(&vm, BLK + VIRTIO_MMIO_STATUS, 0);
  mmio_w(&vm, BLK + VIRTIO_MMIO_STATUS, 3);
  mmio_w(&vm, BLK + VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
  mmio_w(&vm, BLK + VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)VIRTIO_BLK_F_FLUSH);
  mmio_w(&vm, BLK + VIRTIO_MMIO_STATUS, 3 | VIRTIO_STATUS_FEATURES_OK);
  CHECK_EQ(mmio_r(&vm, BLK + VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK, 0);
  CHECK(drv_negotiate(&vm, BLK, VIRTIO_BLK_F_FLUSH) & VIRTIO_STATUS_FEATURES_OK);
}

static void test_blk_read(void)
{
  setup(4);
  blk_up();
  uint32_t used;
  CHECK_EQ(blk_request(VIRTIO_BLK_T_IN, 3, 1024, true, &used), VIRTIO_BLK_S_OK);
  CHECK_EQ(used, 1025);
  CHECK(memcmp(gpa_ptr(&vm, BUF + 0x1000), image + 3 * 512, 1024) == 0);
  CHECK_EQ(vm.stats.blk_requests, 1);
  CHECK_EQ(vm.stats.blk_read_bytes, 1024);
  CHECK_EQ(vm.avm.irq_edges[LAYOUT_VIRTIO_BLK_GSI], 1);
  CHECK(vm.avm.irq_level[LAYOUT_VIRTIO_BLK_GSI]);
  CHECK_EQ(mmio_r(&vm, BLK + VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_INT_USED_BUFFER);
  mmio_w(&vm, BLK + VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_INT_USED_BUFFER);
  CHECK(!vm.avm.irq_level[LAYOUT_VIRTIO_BLK_GSI]);
  /* Last sector of the disk is readable; one past it is not. */
  CHECK_EQ(blk_request(VIRTIO_BLK_T_IN, IMG_SIZE / 512 - 1, 512, true, &used), VIRTIO_BLK_S_OK);
  CHECK(memcmp(gpa_ptr(&vm, BUF + 0x1000), image + IMG_SIZE - 512, 512) == 0);
  /* Many requests: ring indices wrap around the queue size. */
  for (int i = 0; i < 3 * QSZ; i++)
    CHECK_EQ(blk_request(VIRTIO_BLK_T_IN, (uint64_t)i, 512, true, &used), VIRTIO_BLK_S_OK);
  CHECK(memcmp(gpa_ptr(&vm, BUF + 0x1000), image + (3 * QSZ - 1) * 512, 512) == 0);
  CHECK_EQ(blk.t.broken, false);
}

static void test_blk_write_flush_getid(void)
{
  setup(4);
  blk_up();
  uint32_t used;
  memset(gpa_ptr(&vm, BUF + 0x1000), 0x5a, 1536);
  CHECK_EQ(blk_request(VIRTIO_BLK_T_OUT, 7, 1536, false, &used), VIRTIO_BLK_S_OK);
  CHECK_EQ(used, 1);
  CHECK_EQ(vm.stats.blk_write_bytes, 1536);
  CHECK(memcmp(image, pristine, IMG_SIZE) == 0); /* the verified image is never written */
  memset(gpa_ptr(&vm, BUF + 0x1000), 0, 4096);
  CHECK_EQ(blk_request(VIRTIO_BLK_T_IN, 6, 3 * 512, true, &used), VIRTIO_BLK_S_OK);
  uint8_t *d = gpa_ptr(&vm, BUF + 0x1000);
  CHECK(memcmp(d, image + 6 * 512, 512) == 0); /* sector 6 untouched */
  CHECK_EQ(d[512], 0x5a);
  CHECK_EQ(d[1535], 0x5a);
  CHECK_EQ(back.used, 2); /* sectors 7..9 span chunks 0 and 1 */
  CHECK_EQ(blk_request(VIRTIO_BLK_T_FLUSH, 0, 0, true, &used), VIRTIO_BLK_S_OK);
  CHECK_EQ(used, 1);
  memset(gpa_ptr(&vm, BUF + 0x1000), 0, 64);
  CHECK_EQ(blk_request(VIRTIO_BLK_T_GET_ID, 0, 20, true, &used), VIRTIO_BLK_S_OK);
  CHECK_EQ(used, 21);
  CHECK(memcmp(gpa_ptr(&vm, BUF + 0x1000), "web\0\0", 5) == 0);
  CHECK_EQ(blk_request(77, 0, 0, true, &used), VIRTIO_BLK_S_UNSUPP);
}

static void test_blk_out_of_range_and_refusals(void)
{
  setup(1);
  blk_up();
  uint32_t used;
  CHECK_EQ(blk_request(VIRTIO_BLK_T_IN, IMG_SIZE / 512, 512, true, &used), VIRTIO_BLK_S_IOERR);
  CHECK(fake_event_find("sector-out-of-range") != NULL);
  CHECK_EQ(blk_request(VIRTIO_BLK_T_IN, IMG_SIZE / 512 - 1, 1024, true, &used),
           VIRTIO_BLK_S_IOERR);
  /* sector * 512 would wrap 2^64. */
  CHECK_EQ(blk_request(VIRTIO_BLK_T_IN, 1ull << 55, 512, true, &used), VIRTIO_BLK_S_IOERR);
  CHECK_EQ(blk_request(VIRTIO_BLK_T_OUT, ~0ull, 512, false, &used), VIRTIO_BLK_S_IOERR);
  CHECK_EQ(blk_request(VIRTIO_BLK_T_IN, 0, 100, true, &used), VIRTIO_BLK_S_IOERR);
  /* Overlay of one chunk: a write to a second chunk fails, the first keeps working. */
  CHECK_EQ(blk_request(VIRTIO_BLK_T_OUT, 0, 512, false, &used), VIRTIO_BLK_S_OK);
  CHECK_EQ(blk_request(VIRTIO_BLK_T_OUT, 8, 512, false, &used), VIRTIO_BLK_S_IOERR);
  CHECK(fake_event_find("overlay-full") != NULL);
  CHECK_EQ(blk_request(VIRTIO_BLK_T_OUT, 1, 512, false, &used), VIRTIO_BLK_S_OK);
  CHECK_EQ(vm.stats.blk_errors, 6);
  CHECK(!blk.t.broken);
  CHECK_EQ(vm.state, VM_RUNNING);
  /* Read-only disk: F_RO offered, writes fail. */
  setup(0);
  mmio_w(&vm, BLK + VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
  CHECK(mmio_r(&vm, BLK + VIRTIO_MMIO_DEVICE_FEATURES) & VIRTIO_BLK_F_RO);
  blk_up();
  CHECK_EQ(blk_request(VIRTIO_BLK_T_OUT, 0, 512, false, &used), VIRTIO_BLK_S_IOERR);
  CHECK(fake_event_find("write-to-read-only-disk") != NULL);
  CHECK(memcmp(image, pristine, IMG_SIZE) == 0);
  /* An image that is not a whole number of sectors is refused up front. */
  struct blk_backing b2;
  CHECK_EQ(blk_backing_init(&b2, image, 1000, NULL, NULL, 0), HV_E_BLK_IMAGE);
}

/* The device broke with `err` and the VM that drove it was stopped (kernel/hv/vm.h); the other
 * device is unaffected. */
static void check_broken(int err)
{
  CHECK(blk.t.broken);
  CHECK_EQ(blk.t.broken_err, err);
  CHECK(virtio_mmio_read(&blk.t, VIRTIO_MMIO_STATUS, 4) & VIRTIO_STATUS_NEEDS_RESET);
  const struct fake_event *e = fake_event_find("device-broken");
  CHECK(e != NULL && e->err == err && strcmp(e->dev, "virtio-blk") == 0);
  CHECK_EQ(vm.state, VM_FAILED);
  CHECK_EQ(vm.stop_err, HV_E_DEV_BROKEN);
  CHECK(fake_event_find("virtqueue-abuse") != NULL);
  CHECK(!net.t.broken);
  CHECK_EQ(virtio_mmio_read(&net.t, VIRTIO_MMIO_MAGIC, 4), 0x74726976);
  /* A stopped VM never runs again: the guest's next access is not executed. */
  CHECK_EQ(mmio_r(&vm, NET + VIRTIO_MMIO_MAGIC), 0xdeadbeef);
}

/* Publishes head 0 after the caller wrote descriptors, notifies, expects breakage. */
static void hostile(int err)
{
  drv_publish(&bq, 0);
  drv_notify(&bq);
  check_broken(err);
}

static void test_hostile_descriptor_loop(void)
{
  setup(4);
  blk_up();
  drv_desc(&bq, 0, BUF, 16, VIRTQ_DESC_F_NEXT, 1);
  drv_desc(&bq, 1, BUF + 0x1000, 512, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 2);
  drv_desc(&bq, 2, BUF + 0x100, 1, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 1);
  hostile(HV_E_VQ_LOOP);
  uint32_t id, len;
  CHECK(!drv_used(&bq, &id, &len));
  /* Self-loop on the head. */
  setup(4);
  blk_up();
  drv_desc(&bq, 0, BUF, 16, VIRTQ_DESC_F_NEXT, 0);
  hostile(HV_E_VQ_LOOP);
}

static void test_hostile_addresses(void)
{
  setup(4);
  blk_up();
  drv_desc(&bq, 0, BUF, 16, VIRTQ_DESC_F_NEXT, 1);
  drv_desc(&bq, 1, 4 * MIB - 256, 512, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 2);
  drv_desc(&bq, 2, BUF + 0x100, 1, VIRTQ_DESC_F_WRITE, 0);
  hostile(HV_E_RANGE);
  setup(4);
  blk_up();
  drv_desc(&bq, 0, BUF, 16, VIRTQ_DESC_F_NEXT, 1);
  drv_desc(&bq, 1, 0xfffffffffffff000ull, 0x2000, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 2);
  drv_desc(&bq, 2, BUF + 0x100, 1, VIRTQ_DESC_F_WRITE, 0);
  hostile(HV_E_OVERFLOW);
  /* A descriptor pointing into the device hole. */
  setup(4);
  blk_up();
  drv_desc(&bq, 0, LAYOUT_VIRTIO_BLK_BASE, 16, VIRTQ_DESC_F_NEXT, 1);
  drv_desc(&bq, 1, BUF + 0x100, 1, VIRTQ_DESC_F_WRITE, 0);
  hostile(HV_E_RANGE);
  /* next index outside the table */
  setup(4);
  blk_up();
  drv_desc(&bq, 0, BUF, 16, VIRTQ_DESC_F_NEXT, QSZ);
  hostile(HV_E_VQ_HEAD);
}

static void test_hostile_queue_setup(void)
{
  /* Queue size not a power of two: refused at QueueReady, device broken. */
  setup(4);
  drv_negotiate(&vm, BLK, 0);
  drv_queue(&bq, &vm, BLK, 0, 6, RING);
  check_broken(HV_E_VQ_SIZE);
  setup(4);
  drv_negotiate(&vm, BLK, 0);
  drv_queue(&bq, &vm, BLK, 0, 512, RING);
  check_broken(HV_E_VQ_SIZE);
  /* Rings outside RAM / misaligned. */
  setup(4);
  drv_negotiate(&vm, BLK, 0);
  drv_queue(&bq, &vm, BLK, 0, QSZ, 4 * MIB - 64);
  check_broken(HV_E_RANGE);
  setup(4);
  drv_negotiate(&vm, BLK, 0);
  drv_queue(&bq, &vm, BLK, 0, QSZ, RING + 8);
  check_broken(HV_E_VQ_ALIGN);
}

static void test_hostile_index_jump_and_head(void)
{
  setup(4);
  blk_up();
  uint16_t jump = QSZ + 1;
  memcpy((uint8_t *)gpa_ptr(&vm, bq.avail) + 2, &jump, 2);
  drv_notify(&bq);
  check_broken(HV_E_VQ_INDEX);
  setup(4);
  blk_up();
  drv_publish(&bq, QSZ); /* head index == queue size */
  drv_notify(&bq);
  check_broken(HV_E_VQ_HEAD);
}

static void test_hostile_flags(void)
{
  uint32_t used;
  /* IN whose data buffer is device-readable: the device would write a read-only buffer. */
  setup(4);
  blk_up();
  blk_request(VIRTIO_BLK_T_IN, 0, 512, false, &used);
  check_broken(HV_E_VQ_RO_WRITE);
  /* No writable status byte at all. */
  setup(4);
  blk_up();
  drv_desc(&bq, 0, BUF, 16, 0, 0);
  hostile(HV_E_VQ_RO_WRITE);
  /* Header shorter than 16 bytes. */
  setup(4);
  blk_up();
  drv_desc(&bq, 0, BUF, 8, VIRTQ_DESC_F_NEXT, 1);
  drv_desc(&bq, 1, BUF + 0x100, 1, VIRTQ_DESC_F_WRITE, 0);
  hostile(HV_E_VQ_SHORT);
  /* Indirect descriptors were never negotiated. */
  setup(4);
  blk_up();
  drv_desc(&bq, 0, BUF + 0x2000, 32, VIRTQ_DESC_F_INDIRECT, 0);
  hostile(HV_E_VQ_INDIRECT);
  /* Readable after writable. */
  setup(4);
  blk_up();
  drv_desc(&bq, 0, BUF, 16, VIRTQ_DESC_F_NEXT, 1);
  drv_desc(&bq, 1, BUF + 0x100, 1, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 2);
  drv_desc(&bq, 2, BUF + 0x1000, 512, 0, 0);
  hostile(HV_E_VQ_ORDER);
}

static void test_broken_device_ignores_notify_until_reset(void)
{
  setup(4);
  blk_up();
  drv_desc(&bq, 0, BUF, 16, VIRTQ_DESC_F_NEXT, 0);
  hostile(HV_E_VQ_LOOP);
  CHECK(vm.avm.irq_level[LAYOUT_VIRTIO_BLK_GSI]); /* config-change interrupt */
  CHECK(virtio_mmio_read(&blk.t, VIRTIO_MMIO_INTERRUPT_STATUS, 4) & VIRTIO_INT_CONFIG_CHANGE);
  /* The device itself (driven directly: its VM is stopped) keeps NEEDS_RESET against a status
   * write, ignores a notify, and only a reset (status 0) clears it. */
  virtio_mmio_write(&blk.t, VIRTIO_MMIO_STATUS, 4, 0xf);
  CHECK(virtio_mmio_read(&blk.t, VIRTIO_MMIO_STATUS, 4) & VIRTIO_STATUS_NEEDS_RESET);
  virtio_mmio_write(&blk.t, VIRTIO_MMIO_QUEUE_NOTIFY, 4, 0);
  CHECK(fake_event_find("notify-while-broken") != NULL);
  CHECK_EQ(vm.stats.dev_broken, 1);
  virtio_mmio_write(&blk.t, VIRTIO_MMIO_STATUS, 4, 0);
  CHECK_EQ(virtio_mmio_read(&blk.t, VIRTIO_MMIO_STATUS, 4), 0);
  CHECK(!blk.t.broken);
  CHECK(!vm.avm.irq_level[LAYOUT_VIRTIO_BLK_GSI]);
}

static void publish_hook(void *ctx) { drv_publish(ctx, 0); }

/* One vm_run over a scripted guest: it queues a read between two exits (the hook), notifies,
 * reports readiness, then exits 0. Dispatch, device, status port and verdict all take part. */
static void test_scripted_guest_end_to_end(void)
{
  setup(4);
  blk_up();
  struct req r = {VIRTIO_BLK_T_IN, 0, 4};
  memcpy(gpa_ptr(&vm, BUF), &r, sizeof(r));
  drv_desc(&bq, 0, BUF, 16, VIRTQ_DESC_F_NEXT, 1);
  drv_desc(&bq, 1, BUF + 0x1000, 4096, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 2);
  drv_desc(&bq, 2, BUF + 0x100, 1, VIRTQ_DESC_F_WRITE, 0);
  uint64_t exits_before = vm.stats.exits[ARCH_EXIT_MMIO];
  struct fake_step steps[] = {
      {.exit = {.reason = ARCH_EXIT_MMIO, .gpa = {BLK + VIRTIO_MMIO_QUEUE_NOTIFY}, .size = 4,
                .dir = ARCH_DIR_WRITE, .value = 0},
       .advance_ns = 1000000, .hook = publish_hook, .ctx = &bq},
      {.exit = {.reason = ARCH_EXIT_MMIO, .gpa = {BLK + VIRTIO_MMIO_INTERRUPT_STATUS}, .size = 4,
                .dir = ARCH_DIR_READ}},
      {.exit = {.reason = ARCH_EXIT_IO, .port = 0x502, .size = 1, .dir = ARCH_DIR_WRITE,
                .value = 1}, .advance_ns = 2000000000ull},
      {.exit = {.reason = ARCH_EXIT_IO, .port = 0x501, .size = 1, .dir = ARCH_DIR_WRITE,
                .value = 0}},
      {.exit = {.reason = ARCH_EXIT_SHUTDOWN}},
  };
  fake_vcpu_script(&vm.cpu[0].arch, steps, sizeof(steps) / sizeof(steps[0]));
  CHECK_EQ(vm_run(&vm, 100), HV_E_STOPPED);
  CHECK_EQ(vm.state, VM_EXITED);
  CHECK_EQ(vm.exit_status, 0);
  CHECK_EQ(vm.cpu[0].arch.pos, 4); /* the triple fault after the exit was never delivered */
  CHECK(memcmp(gpa_ptr(&vm, BUF + 0x1000), image + 4 * 512, 4096) == 0);
  CHECK_EQ(*(uint8_t *)gpa_ptr(&vm, BUF + 0x100), VIRTIO_BLK_S_OK);
  CHECK_EQ(vm.cpu[0].arch.rax, VIRTIO_INT_USED_BUFFER);
  CHECK_EQ(vm.stats.exits[ARCH_EXIT_MMIO] - exits_before, 2);
  CHECK_EQ(vm.stats.blk_read_bytes, 4096);
  struct health h = vm_health(&vm, arch_time_ns());
  CHECK_EQ(h.verdict, HEALTH_HEALTHY);
  CHECK_EQ(vm.ready_ns - vm.start_ns, 2001000000ull); /* clock advances before each exit */
}

/* The block device honours the same flag on its request queue. */
static void test_blk_interrupt_suppression(void)
{
  setup(4);
  blk_up();
  avail_flags(&bq, VIRTQ_AVAIL_F_NO_INTERRUPT);
  uint32_t used;
  CHECK_EQ(blk_request(VIRTIO_BLK_T_IN, 1, 512, true, &used), VIRTIO_BLK_S_OK);
  CHECK_EQ(vm.avm.irq_edges[LAYOUT_VIRTIO_BLK_GSI], 0);
  CHECK_EQ(mmio_r(&vm, BLK + VIRTIO_MMIO_INTERRUPT_STATUS), 0);
  avail_flags(&bq, 0);
  CHECK_EQ(blk_request(VIRTIO_BLK_T_IN, 2, 512, true, &used), VIRTIO_BLK_S_OK);
  CHECK_EQ(vm.avm.irq_edges[LAYOUT_VIRTIO_BLK_GSI], 1);
  CHECK_EQ(mmio_r(&vm, BLK + VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_INT_USED_BUFFER);
}

void test_virtio_all(void)
{
  RUN(test_mmio_probe_registers);
  RUN(test_features_ok_refused_for_unoffered_features);
  RUN(test_blk_read);
  RUN(test_blk_write_flush_getid);
  RUN(test_blk_out_of_range_and_refusals);
  RUN(test_hostile_descriptor_loop);
  RUN(test_hostile_addresses);
  RUN(test_hostile_queue_setup);
  RUN(test_hostile_index_jump_and_head);
  RUN(test_hostile_flags);
  RUN(test_broken_device_ignores_notify_until_reset);
  RUN(test_blk_interrupt_suppression);
  RUN(test_scripted_guest_end_to_end);
}
