#!/usr/bin/env bash
# Runs ONE capture-lab scenario inside a private network namespace and leaves its raw outputs in WORKDIR:
#   capture.pcap (tcpdump -i lo), keys (SSLKEYLOGFILE), netlog.json (Chromium NetLog, Everything),
#   access.log (nginx, one line per request with the client port), driver.log (what the script did, when).
# Usage: run-scenario.sh SCENARIO WORKDIR        (normally called by `cargo xtask lab`)
# Needs root (unshare -n), chromium, nginx, tcpdump, openssl, node; tests/lab/node_modules (playwright-core).
set -euo pipefail

LAB="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
scenario="${1:?usage: run-scenario.sh SCENARIO WORKDIR}"
work="${2:?usage: run-scenario.sh SCENARIO WORKDIR}"
conf="$LAB/sites/nginx/$scenario.conf"
[ -f "$conf" ] || { echo "run-scenario: no nginx config $conf" >&2; exit 2; }

# HTTP/3 scenarios (quic-*) need aioquic from PyPI: installed into tests/lab/.venv (not committed)
# before entering the namespace, where no registry is reachable.
case "$scenario" in
  quic-*)
    if [ "${CONNSCOPE_LAB_NETNS:-}" != "$scenario" ] && ! "$LAB/.venv/bin/python" -c 'import aioquic' 2>/dev/null; then
      python3 -m venv "$LAB/.venv" && "$LAB/.venv/bin/pip" install -q 'aioquic==1.7.2' \
        || { echo "run-scenario: pip install aioquic into $LAB/.venv failed" >&2; exit 1; }
    fi ;;
esac

# Re-enter in a fresh network namespace: only loopback exists there, nothing can leave the machine.
if [ "${CONNSCOPE_LAB_NETNS:-}" != "$scenario" ]; then
  exec env CONNSCOPE_LAB_NETNS="$scenario" unshare --net -- bash "${BASH_SOURCE[0]}" "$@"
fi
ip link set lo up

rm -rf "$work"
mkdir -p "$work"/{certs,nginx/tmp,profile,logs}
work="$(cd "$work" && pwd)"

# --- certificates (made fresh for every run; private keys never leave WORKDIR) --------------------
c="$work/certs"
openssl_q() { openssl "$@" 2>>"$work/logs/openssl.log"; }
# A lab CA and one leaf for every trusted host; Chromium trusts the leaf through
# --ignore-certificate-errors-spki-list (no interstitial, works with a fresh profile).
openssl_q req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
  -subj "/CN=Connscope Lab CA (test only)" -keyout "$c/ca.key" -out "$c/ca.crt"
openssl_q req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
  -subj "/CN=a.test" -keyout "$c/lab.key" -out "$c/lab.csr"
printf 'subjectAltName=DNS:a.test,DNS:img.a.test,DNS:cdn.a.test,DNS:b.test,DNS:c.test\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n' >"$c/lab.ext"
openssl_q x509 -req -in "$c/lab.csr" -CA "$c/ca.crt" -CAkey "$c/ca.key" -CAcreateserial \
  -days 3650 -extfile "$c/lab.ext" -out "$c/lab.crt"
cat "$c/lab.crt" "$c/ca.crt" >"$c/lab-chain.crt"
# A self-signed certificate that Chromium is NOT told to accept (scenario cert-warning-clickthrough).
openssl_q req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
  -subj "/CN=selfsigned.test" -addext "subjectAltName=DNS:selfsigned.test" \
  -keyout "$c/selfsigned.key" -out "$c/selfsigned.crt"
spki="$(openssl x509 -in "$c/lab.crt" -pubkey -noout | openssl pkey -pubin -outform der |
  openssl dgst -sha256 -binary | base64)"
# HTTP Basic credentials for the 401 scenarios (test only: lab / lab-password).
printf 'lab:%s\n' "$(openssl passwd -apr1 lab-password)" >"$work/nginx/htpasswd"

# --- nginx ------------------------------------------------------------------------------------------
subst() { sed -e "s|@WORK@|$work|g" -e "s|@SITES@|$LAB/sites|g" "$1"; }
subst "$LAB/sites/nginx/base.conf.in" >"$work/nginx/nginx.conf"
subst "$conf" >"$work/nginx/scenario.conf"
nginx -q -t -c "$work/nginx/nginx.conf" -p "$work/nginx"
nginx -c "$work/nginx/nginx.conf" -p "$work/nginx"

# --- HTTP/3 (scenarios named quic-*): aioquic on UDP 443 next to nginx on TCP 443 -------------------
# aioquic comes from PyPI into a venv kept next to the lab (tests/lab/.venv, not committed).
h3=0
case "$scenario" in quic-*) h3=1 ;; esac
if [ "$h3" = 1 ]; then
  venv="$LAB/.venv"
  "$venv/bin/python" "$LAB/h3server.py" "$c/lab-chain.crt" "$c/lab.key" "$LAB/sites/www" \
    "$work/logs/access.log" 127.0.0.1 443 >"$work/logs/h3server.log" 2>&1 &
  h3_pid=$!
  for _ in $(seq 1 100); do grep -q "listening" "$work/logs/h3server.log" 2>/dev/null && break; sleep 0.05; done
fi

cleanup() {
  [ -n "${h3_pid:-}" ] && kill "$h3_pid" 2>/dev/null || true
  [ -n "${tcpdump_pid:-}" ] && kill -INT "$tcpdump_pid" 2>/dev/null || true
  [ -f "$work/nginx/nginx.pid" ] && kill -QUIT "$(cat "$work/nginx/nginx.pid")" 2>/dev/null || true
}
trap cleanup EXIT

# --- capture ------------------------------------------------------------------------------------------
# Full packets (-s 0): no snaplen, TLS and HTTP headers intact. Only TCP (and UDP 443 for QUIC
# scenarios): the lab has nothing else.
filter=tcp
[ "$h3" = 1 ] && filter='tcp or udp port 443'
tcpdump -i lo -s 0 -U -n -w "$work/capture.pcap" "$filter" 2>"$work/logs/tcpdump.log" &
tcpdump_pid=$!
for _ in $(seq 1 100); do grep -q "listening on" "$work/logs/tcpdump.log" 2>/dev/null && break; sleep 0.05; done
sleep 0.2

# --- browser ------------------------------------------------------------------------------------------
node "$LAB/driver.mjs" "$scenario" "$work" "$spki" 2>&1 | tee "$work/driver.log"

sleep 0.5
kill -INT "$tcpdump_pid"
wait "$tcpdump_pid" || true
tcpdump_pid=
[ -n "${h3_pid:-}" ] && { kill "$h3_pid" 2>/dev/null || true; wait "$h3_pid" 2>/dev/null || true; h3_pid=; }
kill -QUIT "$(cat "$work/nginx/nginx.pid")"
for _ in $(seq 1 50); do [ -f "$work/nginx/nginx.pid" ] || break; sleep 0.05; done
cp "$work/logs/access.log" "$work/access.log"
echo "run-scenario: $scenario done in $work"
