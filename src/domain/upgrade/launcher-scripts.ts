// The three small programs that keep the HTTP listening socket open across an in-place
// upgrade, and that take the previous build back when a new one dies before confirming.
//
// Why not Node alone: libuv marks every socket it creates or adopts close-on-exec, and Node
// has no dup2, so a socket Node listens on cannot survive process.execve. But execve clears
// close-on-exec on fds 0, 1 and 2 (it keeps the standard streams), so a listening socket on
// fd 0 survives any number of execs. Getting it there, and getting a copy on fd 3 for libuv
// to own, takes a dup2: perl (Debian's perl-base is Essential, so it is in every Debian
// image) binds the socket once, and the POSIX shell does every later dup.
//
//   node (first start) ─execve→ perl BIND ─execve→ sh LAUNCHER (same PID, holds the socket)
//                                                       └─fork→ node run  (fd 0 = fd 3 = socket)
//   node run ─PUT /v1/update─→ sh BRIDGE_STEP ─fork→ node bridge (fd 3 = socket; its parent exits)
//            ─SIGUSR2→ bridge (accept), closes fd 3, drains ─execve→ sh EXEC_STEP ─execve→ node run (new build) ─SIGTERM→ bridge
//
// The bridge (bridge.ts) accepts on the same socket from just before the drain until the new
// build accepts, so probes are answered through the exec; without it (no shell), connections
// wait in the kernel's backlog while no process accepts: none is refused either way.

/**
 * perl -e BIND_SCRIPT HOST PORT COMMAND…: binds and listens on HOST:PORT (an IP literal),
 * puts the socket on fd 0 and execs COMMAND. A bind failure is a one-line message, exit 1.
 */
export const BIND_SCRIPT = String.raw`
use strict;
use Socket qw(AF_INET AF_INET6 PF_INET PF_INET6 SOCK_STREAM SOL_SOCKET SO_REUSEADDR inet_pton pack_sockaddr_in pack_sockaddr_in6);
my ($host, $port, @command) = @ARGV;
sub fail { print STDERR "instance-manager: cannot listen on $host:$port: $_[0]\n"; exit 1 }
my $v6 = index($host, ':') >= 0;
my $addr = inet_pton($v6 ? AF_INET6 : AF_INET, $host) // fail('not an IP address');
socket(my $s, $v6 ? PF_INET6 : PF_INET, SOCK_STREAM, 0) or fail("socket: $!");
setsockopt($s, SOL_SOCKET, SO_REUSEADDR, 1) or fail("setsockopt: $!");
bind($s, $v6 ? pack_sockaddr_in6($port, $addr) : pack_sockaddr_in($port, $addr)) or fail($!);
listen($s, 511) or fail("listen: $!");
open(STDIN, '<&', $s) or fail("dup: $!");
close($s);
exec { $command[0] } @command or fail("exec $command[0]: $!");
`;

/**
 * sh -c LAUNCHER_SCRIPT instance-manager-launcher RECORD NODE ARGS…: stays the parent of the
 * manager for the life of the container (about 1.7 MiB). It runs NODE ARGS (the installed
 * bundle) with the socket on fds 0 and 3, forwards signals to it and exits with its status,
 * except once per upgrade: when the manager dies while RECORD (the upgrade record) says a
 * new build is on trial, it starts the installed (previous) build again, Redis untouched.
 */
export const LAUNCHER_SCRIPT = String.raw`
record=$1; shift
exec 4<&0 </dev/null
child=
rolled=
for sig in TERM INT HUP QUIT USR1 USR2; do
  trap "[ -n \"\$child\" ] && kill -$sig \$child 2>/dev/null" $sig
done
while :; do
  IM_LISTEN_FD=3 IM_LAUNCHER_PID=$$ "$@" 0<&4 3<&4 4<&- &
  child=$!
  while :; do
    wait $child
    status=$?
    kill -0 $child 2>/dev/null || break
  done
  rec=
  [ -r "$record" ] && read -r rec < "$record"
  id=
  case $rec in *'"state":"trial"'*) id=$(printf '%s\n' "$rec" | cut -d'"' -f4) ;; esac
  if [ -n "$id" ] && [ "$id" != "$rolled" ]; then
    rolled=$id
    printf '{"level":"warn","time":"%s","component":"instance-manager","module":"launcher","status":%s,"msg":"the new build exited before it confirmed; starting the previous build"}\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$status" >&2
    export IM_TRIAL_EXIT=$status
    continue
  fi
  exit $status
done
`;

/**
 * sh -c BRIDGE_STEP instance-manager-bridge NODE ARGS…, with the socket on fd 3: starts NODE
 * ARGS in the background and prints its PID. The shell exits at once, so the bridge is not
 * our child: after the exec nobody here could reap it (Node waits only for children it
 * spawned itself), and it would stay a zombie. Its stdout stays the pipe it was given, for
 * its "ready" line.
 */
export const BRIDGE_STEP = '"$@" </dev/null & echo $!';

/** sh -c EXEC_STEP instance-manager-exec NODE ARGS…: fd 3 = a copy of fd 0, then exec. */
export const EXEC_STEP = 'exec "$@" 3<&0';

/**
 * sh -c WATCHDOG_SCRIPT instance-manager-watchdog SECONDS RECORD ID PID: a process of its own
 * (the shell exits at once) that kills PID after SECONDS if the upgrade record still says
 * that trial ID has not confirmed: a new build that hangs instead of crashing is rolled back
 * too (by the launcher, or by the next start of the container).
 */
export const WATCHDOG_SCRIPT = String.raw`
(
  sleep "$1"
  rec=
  [ -r "$2" ] && read -r rec < "$2"
  case $rec in *'"id":"'"$3"'","state":"trial"'*) kill -KILL "$4" ;; esac
) </dev/null >/dev/null 2>&1 &
`;
