# The hypervisor half of BOOTX64.EFI: included by kernel/Makefile after CFLAGS is set.
# The generic core (hv/, dev/) and both x86 backends (arch/x86/svm, arch/x86/vmx) join the one
# image; arch/x86/dispatch.c routes arch_* to the backend chosen at boot, and arch/x86 provides
# arch_types.h. Sorted lists keep the link order, and so the bytes, stable.
X86_C_SRCS := $(sort $(wildcard hv/*.c dev/virtio/*.c dev/platform/*.c dev/net/*.c dev/pci/*.c net/*.c arch/x86/*.c \
  arch/x86/svm/*.c arch/x86/vmx/*.c))
X86_S_SRCS := $(sort $(wildcard arch/x86/*.S arch/x86/svm/*.S arch/x86/vmx/*.S))
OBJS += $(patsubst %.c,$(OBJ_DIR)/%.o,$(X86_C_SRCS)) $(patsubst %.S,$(OBJ_DIR)/%.o,$(X86_S_SRCS))
CFLAGS += -Iarch/x86

$(OBJ_DIR)/%.o: %.S
	@mkdir -p $(@D)
	@echo "  AS      $<"
	@$(CC) $(TARGET_FLAGS) $(REPRO_FLAGS) -c $< -o $@
