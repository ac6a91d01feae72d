/* SVM feature checks and enabling (AMD APM vol. 2, 15.4 "Enabling SVM"). */
#ifndef D0_ARCH_X86_SVM_CPU_H
#define D0_ARCH_X86_SVM_CPU_H

#include <stdbool.h>
#include <stdint.h>

/*
 * NULL when this CPU can run D0's SVM backend; otherwise a stable reason word for the log.
 * *nrip_save tells whether the CPU reports the next RIP on exits (optional: D0 never needs it).
 */
const char *svm_check_features(bool *nrip_save);

/* Sets EFER.SVME and VM_HSAVE_PA (hsave_pa: a 4 KiB aligned, zeroed page D0 never touches). */
void svm_enable(uint64_t hsave_pa);

#endif
