"""The outcomes a proof can show, named as the tool said them, and whether each is a success.

One place for the names: readers use these constants, summaries label them, and `ok` follows
from the name, so "servfail" can never be stored as a success by one reader and a failure by
another.
"""

REPLY = "reply"  # ping, fping, hping3, mtr: the host answered the probe
TIMEOUT = "timeout"  # no answer within the tool's wait
HOST_UNREACHABLE = "host-unreachable"  # "Destination Host Unreachable", "No route to host"
NETWORK_UNREACHABLE = "network-unreachable"  # "Network is unreachable"
UNREACHABLE = "unreachable"  # a router's unreachable reply (Windows ping) or a bare "unreachable"
SEND_FAILED = "send-failed"  # ping: sendmsg/sendto failed for another reason
UNKNOWN_HOST = "unknown-host"
DNS_ANSWER = "dns-answer"
NO_ANSWER = "no-answer"  # NOERROR with nothing in it, or an empty `dig +short`
SERVFAIL = "servfail"
NXDOMAIN = "nxdomain"
REFUSED_DNS = "refused-dns"
NO_SERVERS = "no-servers"  # the resolver's server could not be reached at all
CONNECTED = "connected"
CONNECTION_REFUSED = "connection-refused"
CONNECTION_TIMEOUT = "connection-timeout"
NO_ROUTE = "no-route"
CONNECTION_FAILED = "connection-failed"
PORT_OPEN = "port-open"  # tcptraceroute "[open]", hping3 SYN answered with SYN+ACK
PORT_CLOSED = "port-closed"  # tcptraceroute "[closed]", hping3 SYN answered with RST
HTTP_STATUS = "http-status"  # an HTTP answer below 500: the service is up
HTTP_ERROR = "http-error"  # an HTTP 5xx: the service is there but failing

SUCCESSES = frozenset({REPLY, DNS_ANSWER, CONNECTED, PORT_OPEN, HTTP_STATUS, "noerror"})

# How an outcome reads in a summary: (one, many). "noerror" is the name stored before
# DNS answers were called "dns-answer".
LABELS = {
    REPLY: ("reply", "replies"),
    TIMEOUT: ("timeout", "timeouts"),
    HOST_UNREACHABLE: ("host unreachable", "host unreachable"),
    NETWORK_UNREACHABLE: ("network unreachable", "network unreachable"),
    UNREACHABLE: ("unreachable", "unreachable"),
    SEND_FAILED: ("send failure", "send failures"),
    UNKNOWN_HOST: ("unknown host", "unknown host"),
    DNS_ANSWER: ("answer", "answers"),
    "noerror": ("answer", "answers"),
    NO_ANSWER: ("empty answer", "empty answers"),
    SERVFAIL: ("SERVFAIL", "SERVFAIL"),
    NXDOMAIN: ("NXDOMAIN", "NXDOMAIN"),
    REFUSED_DNS: ("REFUSED", "REFUSED"),
    NO_SERVERS: ("no servers reached", "no servers reached"),
    CONNECTED: ("connected", "connected"),
    CONNECTION_REFUSED: ("refused", "refused"),
    CONNECTION_TIMEOUT: ("timed out", "timed out"),
    NO_ROUTE: ("no route", "no route"),
    CONNECTION_FAILED: ("failed", "failed"),
    PORT_OPEN: ("port open", "port open"),
    PORT_CLOSED: ("port closed", "port closed"),
    HTTP_STATUS: ("HTTP answer", "HTTP answers"),
    HTTP_ERROR: ("HTTP 5xx", "HTTP 5xx"),
}


def is_ok(outcome: str) -> bool:
    return outcome in SUCCESSES


def label(n: int, outcome: str) -> str:
    one, many = LABELS.get(outcome, (outcome, outcome))
    return f"{n} {one if n == 1 else many}"
