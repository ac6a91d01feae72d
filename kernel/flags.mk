# The compiler flags of every C build under kernel/, in one place: the UEFI image (Makefile), the
# freestanding compile checks of the host test makefiles (host.mk, tests/hv, tests/platform) and
# the host tests and fuzzers themselves (the same, plus tests/ under arch/x86). A flag changed here
# changes it for the image and for the checks that guard it together.
#
# Included by path from each makefile; it sets variables and one recipe (no targets).

CLANG := clang-14
LLD_LINK := lld-link-14

# Code generation for the UEFI environment (/work/shared/EMULATORS.md):
#   x86_64-unknown-windows gives PE/COFF objects and the Microsoft x64 ABI that UEFI uses;
#   no red zone (firmware interrupts run on our stack), no SSE/FP state (firmware does not
#   save it for us), UCS-2 wide chars.
UEFI_CODEGEN := --target=x86_64-unknown-windows -ffreestanding -fno-builtin -mno-red-zone \
  -mno-sse -mgeneral-regs-only -fshort-wchar -std=c17 -O2
# Hardening: CET endbr64 landing pads (clang 14 accepts -fcf-protection=full for this target;
# no shadow-stack compatibility is claimed: kernel/README.md "Hardening"), and frames small
# enough that no __chkstk probe is needed (there is none without a C runtime).
UEFI_HARDEN := -fcf-protection=full -Wframe-larger-than=4000
# The stack protector with a boot-time random guard (boot/efi/stack_guard.c). Only an image that
# links the guard can use it: the freestanding checks of hv/ and dev/ compile without it, so the
# guard's symbols are not reported as references to a C library.
UEFI_STACK_PROTECTOR := -fstack-protector-strong
WARN := -Wall -Wextra -Werror

# The release image's flags (Makefile adds -Wno-unused-parameter and its reproducibility flags).
UEFI_CFLAGS := $(UEFI_CODEGEN) $(UEFI_STACK_PROTECTOR) $(UEFI_HARDEN) $(WARN)
# Freestanding compile checks of code built into the image without its stack guard.
UEFI_CHECK_CFLAGS := $(UEFI_CODEGEN) -fno-stack-protector $(UEFI_HARDEN) $(WARN)

# Host tests: ASan + UBSan, any finding fatal; frames held to the UEFI limit there too.
HOST_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
HOST_TEST_CFLAGS := -std=c11 -O1 -g $(WARN) -Wframe-larger-than=4000 $(HOST_SAN)
# libFuzzer targets, with the same sanitizers.
HOST_FUZZ_CFLAGS := -std=c11 -O1 -g $(WARN) -fsanitize=fuzzer,address,undefined \
  -fno-sanitize-recover=all

# The recipe of a freestanding compile check: $(call uefi_compile_each,SOURCES,INCLUDE FLAGS,DIR)
# compiles each source alone with UEFI_CHECK_CFLAGS into DIR and says how many passed (the line
# test/hv and test/platform read).
define uefi_compile_each
@mkdir -p $(3)
@for f in $(1); do \
  $(CLANG) $(UEFI_CHECK_CFLAGS) $(2) -c $$f -o $(3)/$$(basename $$f .c).o || exit 1; \
done
@echo "freestanding: $(words $(1)) files ok"
endef
