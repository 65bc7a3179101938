#!/bin/bash
# verify_timeout bounds the whole check: a server that sends its
# handshake one byte every half second (a proxy that drips what
# openssl s_server says) fails verify within verify_timeout, rather
# than holding the daemon for as long as it keeps dripping.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/cw_core.inc"

live=$T/le/live
cw_lineage "$live" a.example.test
tls=$(free_port)
drip=$(free_port)

openssl s_server -quiet -www -accept "127.0.0.1:$tls" \
    -cert "$live/a.example.test/cert.pem" \
    -key "$live/a.example.test/privkey.pem" </dev/null >/dev/null 2>&1 &
track_pid $!
wait_port "$tls"

cat >"$T/drip.py" <<'PY'
import socket, sys, threading, time

listen, upstream = int(sys.argv[1]), int(sys.argv[2])

def up(client, server):
    try:
        while data := client.recv(4096):
            server.sendall(data)
        # s_server serves one connection at a time: pass the end on.
        server.shutdown(socket.SHUT_WR)
    except OSError:
        pass

def serve(client):
    server = socket.create_connection(("127.0.0.1", upstream))
    threading.Thread(target=up, args=(client, server), daemon=True).start()
    try:
        while data := server.recv(4096):
            for b in data:
                client.sendall(bytes([b]))
                time.sleep(0.5)
    except OSError:
        pass
    client.close()
    server.close()

sock = socket.create_server(("127.0.0.1", listen))
while True:
    conn, _ = sock.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
PY
python3 "$T/drip.py" "$drip" "$tls" &
track_pid $!
wait_port "$drip"

cw_conf "$T/cw.ini" "$live" "[action probe]" "type = exec" \
    "command = true" "min_interval = 0" "retry_max = 1" \
    "verify = 127.0.0.1:$drip" "verify_timeout = 3"

try "a dripping server fails verify within verify_timeout"
cw_start "$T/cw.ini"
cw_lineage "$live" a.example.test
assert wait_until 10 grep -q \
    'action probe: verify .*no TLS answer in 3000 ms' "$CW_LOG"
assert_grep 'no TLS answer in 3000 ms: timed out' "$CW_LOG"
cw_stop

pass
