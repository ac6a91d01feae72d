# The hypervisor half of BOOTX64.EFI: included by kernel/Makefile after CFLAGS is set.
# The generic core (hv/, dev/) and the x86 backends (arch/x86/, with svm/ providing arch_types.h)
# join the image; sorted lists keep the link order, and so the bytes, stable.
X86_C_SRCS := $(sort $(wildcard hv/*.c dev/virtio/*.c dev/platform/*.c arch/x86/*.c arch/x86/svm/*.c))
X86_S_SRCS := $(sort $(wildcard arch/x86/*.S arch/x86/svm/*.S))
OBJS += $(patsubst %.c,$(OBJ_DIR)/%.o,$(X86_C_SRCS)) $(patsubst %.S,$(OBJ_DIR)/%.o,$(X86_S_SRCS))
CFLAGS += -Iarch/x86/svm

$(OBJ_DIR)/%.o: %.S
	@mkdir -p $(@D)
	@echo "  AS      $<"
	@$(CC) $(TARGET_FLAGS) $(REPRO_FLAGS) -c $< -o $@
