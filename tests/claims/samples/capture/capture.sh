#!/bin/bash
# Makes the proof samples in tests/claims/samples/ with the real tools, each inside a network
# namespace of its own (only loopback, nothing leaves the machine), with an outage that starts
# and ends mid-capture. Needs root and: iputils-ping fping mtr-tiny hping3 tcptraceroute
# bind9-dnsutils ldnsutils knot-dnsutils inetutils-telnet netcat-openbsd ncat curl moreutils
# iptables. Usage: capture.sh [NAME ...] (default: all). Writes NAME.txt next to this folder and
# appends to MANIFEST.tsv; with CAPTURE_OUT=DIR both go to DIR instead (a trial run that leaves
# the kept samples alone).
#
# Everything it starts it stops, by pid, whatever happens: each capture kills its listeners (the
# pids it recorded, including those restarted after the outage), then every process still inside
# its namespace (`ip netns pids`), then deletes the namespace, from an EXIT trap, so a failing
# step or an interrupt (INT/TERM) cleans up too. The top level stops the captures it started and
# removes any namespace of theirs still there.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${CAPTURE_OUT:-$(dirname "$HERE")}
MANIFEST=${CAPTURE_OUT:+$CAPTURE_OUT/MANIFEST.tsv}
MANIFEST=${MANIFEST:-$HERE/MANIFEST.tsv}
WORK=$(mktemp -d)
D=portal.example.test
LOOP='for i in $(seq 12); do'

# name ^ services ^ command (run in the namespace, stdout+stderr kept) | outage on ^ outage off
# ^ seconds before the outage | seconds it lasts
CAPTURES=(
"ping_plain_untimed^-^ping -c 12 127.0.0.1^icmp_drop^icmp_undrop^4^4"
"ping_date_plain^-^date; ping -c 12 127.0.0.1^icmp_drop^icmp_undrop^4^4"
"ping_D^-^ping -D -c 12 127.0.0.1^icmp_drop^icmp_undrop^4^4"
"ping_D_O^-^ping -D -O -c 12 127.0.0.1^icmp_drop^icmp_undrop^4^4"
"ping_O_ts^-^ping -O -c 12 127.0.0.1 2>&1 | ts^icmp_drop^icmp_undrop^4^4"
"ping_ts_iso^-^ping -c 12 127.0.0.1 2>&1 | ts '%Y-%m-%dT%H:%M:%S%z'^icmp_drop^icmp_undrop^4^4"
"ping_D_host_unreachable^-^ping -D -c 12 127.0.0.1^icmp_hostunreach^icmp_unhostunreach^4^4"
"ping_loop_connect_netunreach^addr^$LOOP date; ping -c 1 -W 1 10.9.9.9; sleep 1; done^addr_del^addr_add^5^6"
"ping_loop_ts_connect^addr^$LOOP ping -c 1 -W 1 10.9.9.9 2>&1 | ts '%Y-%m-%d %H:%M:%S'; sleep 1; done^addr_del^addr_add^5^6"
"ping_stats_only^-^ping -q -c 8 127.0.0.1^icmp_drop^icmp_undrop^3^3"
"fping_D_l^-^timeout -s INT 13 fping -D -l -p 1000 127.0.0.1^icmp_drop^icmp_undrop^4^4"
"fping_D_c^-^fping -D -c 12 -p 1000 127.0.0.1^icmp_drop^icmp_undrop^4^4"
"fping_e_date^-^$LOOP date; fping -e -t 500 -r 0 127.0.0.1; sleep 1; done^icmp_drop^icmp_undrop^5^6"
"mtr_report_loop^-^for i in \$(seq 5); do date; mtr --report -n -c 2 -i 1 127.0.0.1; done^icmp_drop^icmp_undrop^5^6"
"hping3_icmp_ts^-^stdbuf -oL hping3 -1 -c 12 127.0.0.1 2>&1 | ts '%Y-%m-%d %H:%M:%S'^icmp_drop^icmp_undrop^4^4"
"hping3_syn_date^http^date; hping3 -S -p 8080 -c 12 127.0.0.1 2>&1^http_stop^http_start^4^4"
"tcptraceroute_date^http^for i in \$(seq 8); do date; tcptraceroute -n -q 1 -w 1 127.0.0.1 8080; sleep 1; done^http_stop^http_start^5^5"
"curl_v_ts_refused^http^$LOOP curl -sS -v -m 2 -o /dev/null http://127.0.0.1:8080/ 2>&1 | ts '%Y-%m-%d %H:%M:%S'; sleep 1; done^http_stop^http_start^5^6"
"curl_trace_time_status^http^$LOOP date; curl -sS -v --trace-time -m 2 -o /dev/null http://127.0.0.1:8080/health 2>&1; sleep 1; done^http_503^http_200^5^6"
"dig_full_servfail^dns^$LOOP dig +tries=1 +timeout=1 @127.0.0.1 $D; sleep 1; done^dns_servfail^dns_answer^5^6"
"dig_full_nxdomain^dns^$LOOP dig +tries=1 +timeout=1 @127.0.0.1 $D A; sleep 1; done^dns_nxdomain^dns_answer^5^6"
"dig_refused_date^dns^$LOOP date; dig +tries=1 +timeout=1 @127.0.0.1 $D 2>&1; sleep 1; done^dns_stop^dns_start^5^6"
"dig_timeout_date^dns^$LOOP date; dig +tries=1 +timeout=1 @127.0.0.1 $D 2>&1; sleep 1; done^dns_silent^dns_answer^5^6"
"dig_netunreach_date^dnsaddr^$LOOP date; dig +tries=1 +timeout=1 @10.9.9.9 $D 2>&1; sleep 1; done^addr_del^addr_add^5^6"
"dig_short_date^dns^$LOOP date; dig +short +tries=1 +timeout=1 @127.0.0.1 $D 2>&1; sleep 1; done^dns_servfail^dns_answer^5^6"
"dig_short_ts^dns^$LOOP (date; dig +short +tries=1 +timeout=1 @127.0.0.1 $D) 2>&1 | ts '%b %d %H:%M:%S'; sleep 1; done^dns_nxdomain^dns_answer^5^6"
"host_date_servfail^dns^$LOOP date; host -W 1 $D 127.0.0.1 2>&1; sleep 1; done^dns_servfail^dns_answer^5^6"
"host_ts_nxdomain^dns^$LOOP host -W 1 $D 127.0.0.1 2>&1 | ts '%Y-%m-%d %H:%M:%S'; sleep 1; done^dns_nxdomain^dns_answer^5^6"
"host_date_timeout^dns^$LOOP date; host -W 1 $D 127.0.0.1 2>&1; sleep 1; done^dns_silent^dns_answer^5^6"
"nslookup_date_servfail^dns^$LOOP date; nslookup -timeout=1 -retry=1 $D 127.0.0.1 2>&1; sleep 1; done^dns_servfail^dns_answer^5^6"
"nslookup_ts_timeout^dns^$LOOP nslookup -timeout=1 -retry=1 $D 127.0.0.1 2>&1 | ts '%Y-%m-%d %H:%M:%S'; sleep 1; done^dns_silent^dns_answer^5^6"
"drill_date^dns^$LOOP date; drill @127.0.0.1 $D 2>&1; sleep 1; done^dns_stop^dns_start^5^6"
"drill_servfail^dns^$LOOP drill @127.0.0.1 $D 2>&1; sleep 1; done^dns_servfail^dns_answer^5^6"
"kdig_timeout^dns^$LOOP kdig +retry=0 +timeout=1 @127.0.0.1 $D 2>&1; sleep 1; done^dns_silent^dns_answer^5^6"
"kdig_date_servfail^dns^$LOOP date; kdig @127.0.0.1 $D 2>&1; sleep 1; done^dns_servfail^dns_answer^5^6"
"telnet_date^http^$LOOP date; telnet 127.0.0.1 8080 </dev/null 2>&1; sleep 1; done^http_stop^http_start^5^6"
"telnet_ts_outage^http^$LOOP telnet 127.0.0.1 8080 </dev/null 2>&1 | ts '%Y-%m-%d %H:%M:%S'; sleep 1; done^http_stop^http_start^5^6"
"nc_vz_date^http^$LOOP date; nc -vz -w 1 127.0.0.1 8080 2>&1; sleep 1; done^http_stop^http_start^5^6"
"nc_vz_ts_timeout^http^$LOOP nc -vz -w 1 127.0.0.1 8080 2>&1 | ts '%Y-%m-%d %H:%M:%S'; sleep 1; done^tcp_drop^tcp_undrop^5^6"
"ncat_v_date^http^$LOOP date; ncat -v -z -w 1 127.0.0.1 8080 2>&1; sleep 1; done^http_stop^http_start^5^6"
"ncat_ts_timeout^http^$LOOP ncat -v -z -w 1 127.0.0.1 8080 2>&1 | ts '%Y-%m-%d %H:%M:%S'; sleep 1; done^tcp_drop^tcp_undrop^5^6"
"combined_loop^dnshttp^for i in \$(seq 8); do date; ping -c 1 -W 1 127.0.0.1; dig +short +tries=1 +timeout=1 @127.0.0.1 $D; nc -vz -w 1 127.0.0.1 8080; sleep 2; done 2>&1^all_drop^all_undrop^8^9"
)

nsx() { ip netns exec "ev_$NAME" "$@"; }
dns_start() { ip netns exec "ev_$NAME" python3 "$HERE/dnsd.py" "$DNSADDR" 53 "$WORK/$NAME.dns" & echo $! >"$WORK/$NAME.dnspid"; }
http_start() { ip netns exec "ev_$NAME" python3 "$HERE/httpd.py" 127.0.0.1 8080 "$WORK/$NAME.http" & echo $! >"$WORK/$NAME.httppid"; }
dns_stop() { kill "$(cat "$WORK/$NAME.dnspid")"; }
http_stop() { kill "$(cat "$WORK/$NAME.httppid")"; }
dns_servfail() { echo servfail >"$WORK/$NAME.dns"; }
dns_nxdomain() { echo nxdomain >"$WORK/$NAME.dns"; }
dns_silent() { echo silent >"$WORK/$NAME.dns"; }
dns_answer() { echo answer >"$WORK/$NAME.dns"; }
http_503() { echo 503 >"$WORK/$NAME.http"; }
http_200() { echo 200 >"$WORK/$NAME.http"; }
icmp_drop() { nsx iptables -I INPUT -p icmp -j DROP; }
icmp_undrop() { nsx iptables -D INPUT -p icmp -j DROP; }
icmp_hostunreach() { nsx iptables -I INPUT -p icmp --icmp-type echo-request -j REJECT --reject-with icmp-host-unreachable; }
icmp_unhostunreach() { nsx iptables -D INPUT -p icmp --icmp-type echo-request -j REJECT --reject-with icmp-host-unreachable; }
icmp_outdrop() { nsx iptables -I OUTPUT -p icmp -j DROP; }
icmp_unoutdrop() { nsx iptables -D OUTPUT -p icmp -j DROP; }
tcp_drop() { nsx iptables -I INPUT -p tcp --dport 8080 -j DROP; }
tcp_undrop() { nsx iptables -D INPUT -p tcp --dport 8080 -j DROP; }
all_drop() { nsx iptables -I INPUT -j DROP; }
all_undrop() { nsx iptables -D INPUT -j DROP; }
addr_del() { nsx ip addr del 10.9.9.9/32 dev lo; }
addr_add() { nsx ip addr add 10.9.9.9/32 dev lo; }

has_ns() { ip netns list | cut -d' ' -f1 | grep -qxF "$1"; }

# Stops one capture's processes and removes its namespace; run from the capture's EXIT trap.
teardown() {
    local ns="ev_$NAME" pidfile pid
    [ -n "${RUN:-}" ] && kill "$RUN" 2>/dev/null
    for pidfile in "$WORK/$NAME".*pid; do
        [ -f "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null
    done
    if [ -n "${CREATED:-}" ] && has_ns "$ns"; then
        for pid in $(ip netns pids "$ns"); do kill "$pid" 2>/dev/null; done
        sleep 0.5
        for pid in $(ip netns pids "$ns"); do kill -KILL "$pid" 2>/dev/null; done
        ip netns del "$ns"
    fi
}

capture() {
    IFS='^' read -r NAME SERVICES COMMAND ON OFF BEFORE LASTS <<<"$1"
    RUN= CREATED=
    # Runs in a background subshell of its own: these traps are this capture's alone.
    trap teardown EXIT
    trap 'exit 130' INT TERM
    ip netns add "ev_$NAME" || exit 1  # one already there is not this run's: left alone
    CREATED=1
    nsx ip link set lo up
    DNSADDR=127.0.0.1
    case $SERVICES in
        addr) addr_add ;;
        dnsaddr) addr_add; DNSADDR=10.9.9.9; dns_start ;;
        dns) dns_start ;;
        http) http_start ;;
        dnshttp) dns_start; http_start ;;
    esac
    sleep 1
    nsx bash -c "$COMMAND" >"$OUT/$NAME.txt" 2>&1 &
    RUN=$!
    sleep "$BEFORE"; $ON; local on_at; on_at=$(date -u +%H:%M:%S)
    sleep "$LASTS"; $OFF; local off_at; off_at=$(date -u +%H:%M:%S)
    wait "$RUN"
    RUN=
    printf '%s.txt\t%s\t%s at %s UTC, %s at %s UTC\t%s\n' "$NAME" "$COMMAND" "$ON" "$on_at" \
        "$OFF" "$off_at" "$SERVICES" >>"$MANIFEST"
}

# Stops the captures still running (each then tears itself down), removes any namespace one of
# them left, and the work folder.
finish() {
    local pid name
    trap - INT TERM
    for pid in "${STARTED[@]}"; do kill "$pid" 2>/dev/null; done
    wait
    for name in "${NAMES[@]}"; do
        if has_ns "ev_$name"; then
            for pid in $(ip netns pids "ev_$name"); do kill -KILL "$pid" 2>/dev/null; done
            ip netns del "ev_$name"
        fi
    done
    rm -rf "$WORK"
}

STARTED=()
NAMES=()
trap finish EXIT
trap 'exit 130' INT TERM
for spec in "${CAPTURES[@]}"; do
    name=${spec%%^*}
    if [ $# -eq 0 ] || [[ " $* " == *" $name "* ]]; then
        if has_ns "ev_$name"; then
            echo "capture.sh: namespace ev_$name exists already (not this run's): $name skipped" >&2
            continue
        fi
        capture "$spec" &
        STARTED+=($!)
        NAMES+=("$name")
        sleep 0.3
    fi
done
wait
STARTED=()  # all finished: no pid left to stop
