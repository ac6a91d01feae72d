# Host builds of D0's freestanding libraries (kernel/lib, kernel/crypto, kernel/manifest):
# unit tests, the Ed25519 differential checker, the libFuzzer target, and a freestanding
# compile + link check for the UEFI target. Run from the repository root:
#
#   make -f kernel/host.mk            # tests, differential checker, EFI check
#   make -f kernel/host.mk fuzz       # the libFuzzer target
#
# Everything goes to kernel/build/host/ (git-ignored). test/kernel/*.test.ts drive these.

OUT ?= kernel/build/host
include kernel/flags.mk
CC := $(CLANG)
LD := $(LLD_LINK)

# kernel/lib/mem.c is for the UEFI build only: on the host the C library provides memcpy & co.
LIB_SRCS := $(filter-out kernel/lib/mem.c,$(sort $(wildcard kernel/lib/*.c)))
CRYPTO_SRCS := $(sort $(wildcard kernel/crypto/*.c))
MANIFEST_SRCS := $(sort $(wildcard kernel/manifest/*.c))
D0_SRCS := $(LIB_SRCS) $(CRYPTO_SRCS) $(MANIFEST_SRCS)
HDRS := $(wildcard kernel/include/d0/*.h kernel/crypto/*.h kernel/manifest/*.h kernel/tests/*.h) \
  test/support/check.h

HOST_CFLAGS := $(HOST_TEST_CFLAGS) -D_GNU_SOURCE -Ikernel/include -Itest/support
FUZZ_CFLAGS := $(HOST_FUZZ_CFLAGS) -Wframe-larger-than=4000 -Ikernel/include

# The flags of kernel/Makefile's UEFI build (flags.mk: target, hardening, warnings), so a frame
# or a libcall that would break it breaks here first.
EFI_CFLAGS := $(UEFI_CFLAGS) -Ikernel/include
EFI_SRCS := kernel/lib/mem.c $(D0_SRCS) kernel/tests/efi_link_check.c
EFI_OBJS := $(patsubst %.c,$(OUT)/efi/%.o,$(EFI_SRCS))

TESTS := $(OUT)/test_sha2 $(OUT)/test_ed25519 $(OUT)/test_manifest $(OUT)/ed25519_diff \
  $(OUT)/manifest_render $(OUT)/test_semantic $(OUT)/test_tpm_nv $(OUT)/test_tpm_tis \
  $(OUT)/test_tpm_crb $(OUT)/test_tco $(OUT)/test_measure $(OUT)/test_pull_target \
  $(OUT)/test_disk_layout $(OUT)/test_mem

# The TPM NV marshalling and epoch-floor policy of boot/efi/tpm: pure code, tested on the host.
TPM_SRCS := kernel/boot/efi/tpm/nv.c kernel/boot/efi/tpm/floor.c

.PHONY: all fuzz efi-check clean
all: $(TESTS) efi-check
fuzz: $(OUT)/fuzz_manifest
efi-check: $(OUT)/efi/link_check.efi

# Every source is compiled once into $(OUT)/obj (HOST_CFLAGS, the union of the tests' include
# paths) and the test binaries are linked from those objects: the D0 sources were compiled again
# for each binary before, most of this build's time.
OBJ := $(OUT)/obj
obj = $(patsubst %.c,$(OBJ)/%.o,$(1))
OBJ_HDRS := $(HDRS) $(wildcard kernel/boot/efi/*.h kernel/boot/efi/tpm/*.h \
  kernel/boot/efi/wdog/*.h kernel/boot/efi/pull/*.h kernel/log/*.h)
# unhex.c and vector_files.c: the tests' hex and golden-vector file readers.
READERS := $(call obj,kernel/tests/unhex.c kernel/tests/vector_files.c)
D0_OBJS := $(call obj,$(D0_SRCS))
TPM_OBJS := $(call obj,$(TPM_SRCS))

$(OBJ)/%.o: %.c $(OBJ_HDRS)
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) -Ikernel/boot/efi -Ikernel -c -o $@ $<

link = @mkdir -p $(@D); $(CC) $(HOST_CFLAGS) -o $@ $^ $(1)

GENERIC_TESTS := $(OUT)/test_sha2 $(OUT)/test_ed25519 $(OUT)/test_manifest $(OUT)/ed25519_diff \
  $(OUT)/manifest_render $(OUT)/test_semantic
$(GENERIC_TESTS): $(OUT)/%: $(OBJ)/kernel/tests/%.o $(READERS) $(D0_OBJS)
	$(call link,-lsodium)

$(OUT)/test_tpm_nv: $(call obj,kernel/tests/test_tpm_nv.c kernel/tests/unhex.c) $(TPM_OBJS)
	$(call link,)

# D0's TIS/FIFO driver (boot/efi/tpm/tis.c) against a simulated register file and clock.
$(OUT)/test_tpm_tis: $(call obj,kernel/tests/test_tpm_tis.c kernel/tests/unhex.c \
  kernel/boot/efi/tpm/tis.c) $(TPM_OBJS)
	$(call link,)

# D0's CRB driver (boot/efi/tpm/crb.c) against a simulated register page and clock.
$(OUT)/test_tpm_crb: $(call obj,kernel/tests/test_tpm_crb.c kernel/tests/unhex.c \
  kernel/boot/efi/tpm/crb.c) $(TPM_OBJS)
	$(call link,)

# Measured boot's events (boot/efi/measure_events.c) against the golden files of test/vectors/measure.
$(OUT)/test_measure: $(call obj,kernel/tests/test_measure.c kernel/tests/vector_files.c \
  kernel/boot/efi/measure_events.c kernel/log/fmt.c) $(D0_OBJS)
	$(call link,)

# A pull's pointer and install rules, and its URLs (boot/efi/pull/target.c, url.c): pure code.
$(OUT)/test_pull_target: $(call obj,kernel/tests/test_pull_target.c kernel/tests/vector_files.c \
  kernel/boot/efi/pull/target.c kernel/boot/efi/pull/url.c kernel/log/fmt.c) $(D0_OBJS)
	$(call link,-lsodium)

# D0's memcpy and memset (kernel/lib/mem.c, linked by the UEFI build only), under other names.
$(call obj,kernel/tests/test_mem.c): kernel/lib/mem.c
$(OUT)/test_mem: $(call obj,kernel/tests/test_mem.c)
	$(call link,)

# The ICH9 TCO watchdog's register logic (boot/efi/wdog/tco.c) against a model of the chip.
$(OUT)/test_tco: $(call obj,kernel/tests/test_tco.c kernel/boot/efi/wdog/tco.c)
	$(call link,)

# The empty A/B disk D0 lays out itself (boot/efi/install: GPT, two FAT32 slots), written into
# image files that test/kernel/disk-layout.test.ts then checks with sgdisk, fsck.fat and mtools.
# The pure layout files only: netboot.c and blank_disk.c call the firmware.
INSTALL_SRCS := $(addprefix kernel/boot/efi/install/,crc32.c fat32.c gpt.c layout.c seed_ids.c)
$(call obj,$(INSTALL_SRCS) kernel/tests/test_disk_layout.c): $(wildcard kernel/boot/efi/install/*.h)
$(OUT)/test_disk_layout: $(call obj,kernel/tests/test_disk_layout.c $(INSTALL_SRCS)) $(D0_OBJS)
	$(call link,)

$(OUT)/fuzz_manifest: kernel/tests/fuzz_manifest.c $(D0_SRCS) $(HDRS)
	@mkdir -p $(@D)
	$(CC) $(FUZZ_CFLAGS) -o $@ $< $(D0_SRCS)

$(OUT)/efi/%.o: %.c $(HDRS)
	@mkdir -p $(@D)
	$(CC) $(EFI_CFLAGS) -c -o $@ $<

# Linking with /nodefaultlib proves there is no unresolved libcall (__chkstk, __multi3, ...).
$(OUT)/efi/link_check.efi: $(EFI_OBJS)
	$(LD) /nologo /subsystem:efi_application /entry:efi_main /nodefaultlib /out:$@ $(EFI_OBJS)

clean:
	rm -rf $(OUT)
