#!/usr/bin/env python3
# A data channel to a running swtpm through its control socket, for tpm2-tools' `cmd:` TCTI:
#   tpm2_pcrread -T "cmd:python3 swtpm-data-relay.py CTRL_SOCKET" sha256:12
# swtpm started for QEMU (`--ctrl type=unixio`, no `--server`: swtpm 0.7 refuses CMD_SET_DATAFD
# when it also has a server socket) takes its TPM command channel as a file descriptor sent over
# the control socket (CMD_SET_DATAFD), as QEMU does. After QEMU is gone (killed: a QEMU that exits
# cleanly sends CMD_SHUTDOWN and swtpm quits, losing the PCRs) this hands swtpm one end of a
# socket pair and copies TPM commands from stdin to it and responses back to stdout.
# Bytes are copied, never interpreted; the exit status is 1 when swtpm refuses the channel.
import os
import select
import socket
import struct
import sys

CMD_SET_DATAFD = 16  # swtpm's ctrl protocol (swtpm_ioctls(7))

ctrl = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
ctrl.connect(sys.argv[1])
mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
socket.send_fds(ctrl, [struct.pack('>I', CMD_SET_DATAFD)], [theirs.fileno()])
res = ctrl.recv(4)
if len(res) != 4 or struct.unpack('>I', res)[0] != 0:
    sys.stderr.write('swtpm refused CMD_SET_DATAFD: %s\n' % res.hex())
    sys.exit(1)
theirs.close()
while True:
    ready, _, _ = select.select([0, mine], [], [])
    if 0 in ready:
        data = os.read(0, 65536)
        if not data:
            break
        mine.sendall(data)
    if mine in ready:
        data = mine.recv(65536)
        if not data:
            break
        os.write(1, data)
