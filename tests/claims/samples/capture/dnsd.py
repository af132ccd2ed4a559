"""A tiny DNS responder for making proof captures (stdlib only).

Answers every query with one A record (192.0.2.10), or SERVFAIL, or NXDOMAIN, or nothing, as the
mode file says; the file is read again for every query, so an outage starts and ends mid-capture.
Usage: python dnsd.py ADDRESS PORT MODEFILE
"""

import socket
import struct
import sys

RCODES = {"answer": 0, "servfail": 2, "nxdomain": 3}


def main(address: str, port: int, modefile: str) -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((address, port))
    while True:
        data, peer = sock.recvfrom(4096)
        try:
            with open(modefile) as handle:
                mode = handle.read().strip()
        except OSError:
            mode = "answer"
        if mode == "silent" or len(data) < 12:
            continue
        qid, flags = struct.unpack("!HH", data[:4])
        end = 12
        while data[end] != 0:
            end += data[end] + 1
        question = data[12 : end + 5]
        rcode = RCODES.get(mode, 0)
        answers = 1 if rcode == 0 else 0
        header = struct.pack(
            "!HHHHHH", qid, 0x8000 | 0x0400 | (flags & 0x0100) | 0x0080 | rcode, 1, answers, 0, 0
        )
        body = question
        if answers:
            record = struct.pack("!HHIH", 1, 1, 60, 4) + socket.inet_aton("192.0.2.10")
            body += b"\xc0\x0c" + record
        sock.sendto(header + body, peer)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3])
