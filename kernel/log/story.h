/*
 * The last boot's story: the log lines a reader needs after the fact, once the serial console is
 * gone — which slot was chosen and why, the manifest's verification, a refusal, each VM's exit
 * and health verdict, and the decision (commit, or slot_bad + rollback with the reason). They are
 * kept, exactly as logged, in a bounded buffer as they are written (a tap on log_end), and the
 * A/B code stores the buffer in one NV variable when it decides (boot/efi/ab/ab.c: commit and
 * rollback), so NVRAM is written once per decision, never on an ordinary boot.
 * `d0 disk status --vars` prints it offline (builder/disk/ovmf-vars.ts readLastBoot).
 *
 * The text is whole lines ("D0 seq=..." each ending in '\n'): the same logfmt records the console
 * shows, read back by the one parser of each language. When a line no longer fits, it and every
 * later kept line are dropped and counted; story_text then ends with the line
 * "D0 ev=story_dropped lines=<n>\n" (no seq: it was never logged), so a cut story says so.
 */
#ifndef D0_LOG_STORY_H
#define D0_LOG_STORY_H

#include <stddef.h>

/* Room for ~25 lines: a few VMs' verdicts and the decision. UEFI variable stores take 8 KiB+. */
#define STORY_BYTES 4096

/* Starts a new story (empty) and taps the log: from now on the kept events' lines are copied. */
void story_start(void);

/* Whether lines of event `ev` belong in the story. */
int story_keeps(const char *ev);

/* The story so far (plus the drop line, if any) in buf, which is valid until the next log line;
 * returns its length. */
size_t story_text(const char **buf);

#endif
