# VMXTEST.EFI: the VMX backend's self-test image (arch/x86/vmx/selftest/main.c), a test build
# that is never a release. Run from kernel/:
#
#   make -f arch/x86/vmx/selftest/selftest.mk BUILD=/tmp/vmxtest     # -> $(BUILD)/VMXTEST.EFI
#
# Same compiler, target and warning flags as kernel/Makefile; both x86 backends and the arch_*
# dispatch are linked as in BOOTX64.EFI (the test selects VMX). No stack protector (there is no guard seeding in this image).
CC := clang-14
LD := lld-link-14
BUILD ?= build/vmxtest
TARGET_FLAGS := --target=x86_64-unknown-windows -ffreestanding -fno-builtin -mno-red-zone \
  -mno-sse -mgeneral-regs-only -fshort-wchar -std=c17 -O2
CFLAGS := $(TARGET_FLAGS) -fno-stack-protector -fcf-protection=full -Wframe-larger-than=4000 \
  -Wall -Wextra -Werror -Wno-unused-parameter -g0 -Iarch/x86 -Iinclude -I.
SRCS := $(sort $(wildcard arch/x86/vmx/*.c arch/x86/svm/*.c arch/x86/vmx/selftest/*.c hv/*.c \
  dev/platform/*.c dev/virtio/*.c log/*.c lib/*.c)) arch/x86/cpu.c arch/x86/decode.c \
  arch/x86/desc.c arch/x86/dispatch.c arch/x86/host_tick.c arch/x86/nested_pt.c arch/x86/pages.c arch/x86/regfile.c arch/x86/time.c \
  arch/x86/spec.c arch/x86/xstate.c boot/efi/uart.c
ASMS := $(sort $(wildcard arch/x86/vmx/*.S arch/x86/svm/*.S arch/x86/vmx/selftest/*.S)) \
  arch/x86/isr.S
OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(SRCS)) $(patsubst %.S,$(BUILD)/obj/%.o,$(ASMS))
LDFLAGS := /subsystem:efi_application /entry:efi_main /nodefaultlib /dynamicbase /nxcompat \
  /filealign:4096 /Brepro /debug:none

$(BUILD)/VMXTEST.EFI: $(OBJS)
	@$(LD) $(LDFLAGS) /out:$@ $(OBJS)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	@$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/obj/%.o: %.S
	@mkdir -p $(@D)
	@$(CC) $(TARGET_FLAGS) -c $< -o $@

-include $(OBJS:.o=.d)
